//! The criteria matrix on the console: one row per criterion, one column per step.

use super::table::Table;
use loadspec_results::criteria::{CriteriaReport, Verdict};

/// Renders the matrix with the capacity line; failing cells stand out as `FAIL`.
pub fn criteria_matrix(report: &CriteriaReport) -> String {
    let mut header = vec![
        "criterion".to_owned(),
        "target".to_owned(),
        "threshold".to_owned(),
    ];
    // Marks on steps whose verdicts are unreliable say who took the CPU (see the footnotes).
    header.extend(report.steps.iter().map(CriteriaReport::step_heading));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(&header);
    for row in &report.rows {
        let mut cells = vec![
            row.title.clone(),
            row.target_display.clone(),
            row.threshold_display.clone(),
        ];
        for step in &report.steps {
            cells.push(match row.cells.iter().find(|c| c.step == step.step) {
                Some(cell) => format!("{} {}", mark(cell.verdict), cell.display),
                None => "—".to_owned(),
            });
        }
        table.row(cells);
    }
    let mut verdicts = vec!["step verdict".to_owned(), String::new(), String::new()];
    verdicts.extend(report.steps.iter().map(|s| mark(s.verdict).to_owned()));
    table.row(verdicts);
    let footnote: String = report
        .footnotes()
        .iter()
        .map(|line| format!("  {line}\n"))
        .collect();
    format!(
        "  criteria: {}\n{}{footnote}  capacity: {}\n",
        mark(report.verdict),
        table.render("    "),
        report.capacity.summary
    )
}

fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Warn => "WARN",
        Verdict::Fail => "FAIL",
    }
}
