//! A Markdown summary for CI job summaries: the verdict, the capacity line, the criteria
//! matrix and the per-step totals.

use std::fmt::Write as _;

use crate::criteria::{CriteriaReport, Verdict};
use crate::results::model::RunResults;

/// The Markdown summary of a run (with its criteria, if judged).
pub fn markdown_summary(results: &RunResults, report: Option<&CriteriaReport>) -> String {
    let mut out = String::new();
    let verdict = report.map_or("no criteria", |r| match r.verdict {
        Verdict::Pass => "✅ pass",
        Verdict::Warn => "⚠️ warn",
        Verdict::Fail => "❌ fail",
    });
    let _ = writeln!(
        out,
        "## loadspec · {} · {}\n",
        escape(&results.run.name),
        verdict
    );
    let _ = writeln!(
        out,
        "{} run against `{}` · profile {} · seed {} · {:?} · {:.0} s\n",
        results.run.mode.as_str(),
        escape(&results.run.target),
        results.plan.profile.as_str(),
        results.run.seed,
        results.run.status,
        results.run.duration_s
    );
    if let Some(report) = report {
        let _ = writeln!(out, "**Capacity:** {}\n", escape(&report.capacity.summary));
        let _ = write!(out, "| criterion | target | threshold |");
        for step in &report.steps {
            let _ = write!(out, " {} thr |", step.users);
        }
        let _ = write!(out, "\n|---|---|---|");
        for _ in &report.steps {
            out.push_str("---|");
        }
        out.push('\n');
        for row in &report.rows {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                escape(&row.title),
                escape(&row.target_display),
                escape(&row.threshold_display)
            );
            for step in &report.steps {
                match row.cells.iter().find(|c| c.step == step.step) {
                    Some(cell) => {
                        let mark = match cell.verdict {
                            Verdict::Pass => "✅",
                            Verdict::Warn => "⚠️",
                            Verdict::Fail => "❌",
                        };
                        let _ = write!(out, " {mark} {} |", escape(&cell.display));
                    }
                    None => out.push_str(" — |"),
                }
            }
            out.push('\n');
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| step | scenario | users | requests | req/s | failed | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|---|---|"
    );
    for step in &results.steps {
        for s in &step.scenarios {
            let t = &s.total_requests;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.1} | {:.2}% | {:.1} | {:.1} | {:.1} |",
                step.index + 1,
                escape(&s.scenario),
                s.users,
                t.count,
                t.throughput_per_s,
                t.error_rate * 100.0,
                t.p50_ms,
                t.p95_ms,
                t.p99_ms
            );
        }
    }
    out
}

/// Keeps names from breaking the table (pipes) or injecting markup.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
