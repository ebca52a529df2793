//! A Markdown summary for CI job summaries: the verdict, the capacity line, the criteria
//! matrix and the per-step totals.

use std::fmt::Write as _;

use loadspec_results::criteria::{CriteriaReport, Verdict};
use loadspec_results::model::{RunResults, SaturationCause};

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
            let _ = write!(out, " {} |", escape(&CriteriaReport::step_heading(step)));
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
        // The same marks and footnotes as the console's matrix.
        for line in report.footnotes() {
            let _ = writeln!(out, "\n{}", escape_mark(&line));
        }
        out.push('\n');
    }
    // The same sentences as the HTML report's findings and the console after a run.
    let limits = super::limit_findings(results);
    for text in &limits {
        let _ = writeln!(out, "- ⚠️ {}", escape(text));
    }
    if !limits.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| step | scenario | users | requests | req/s | failed | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|---|---|"
    );
    let saturation = |step: &loadspec_results::model::StepResult| {
        step.generator
            .as_ref()
            .map_or(SaturationCause::None, |g| g.saturation())
    };
    for step in &results.steps {
        for s in &step.scenarios {
            let t = &s.total_requests;
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {:.1} | {:.2}% | {:.1} | {:.1} | {:.1} |",
                step.index + 1,
                saturation(step).mark(),
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
    custom_metrics(&mut out, results);
    // Without a matrix above, the steps' marks are explained here, in the same words.
    if report.is_none() {
        for line in SaturationCause::footnotes(results.steps.iter().map(saturation)) {
            let _ = writeln!(out, "\n{}", escape_mark(&line));
        }
    }
    out
}

/// The custom metrics of every step, one line each, when a scenario recorded any.
fn custom_metrics(out: &mut String, results: &RunResults) {
    let mut header = false;
    for step in &results.steps {
        for s in &step.scenarios {
            let c = &s.custom;
            let mut rows: Vec<(&str, &str, String)> = Vec::new();
            for (name, v) in &c.counters {
                rows.push((name, "counter", format!("{} ({:.2}/s)", v.total, v.per_s)));
            }
            for (name, v) in &c.gauges {
                let text = format!("last {} · min {} · max {}", v.last, v.min, v.max);
                rows.push((name, "gauge", text));
            }
            for (name, v) in &c.trends {
                let text = format!(
                    "{} values · mean {:.2} · p50 {:.2} · p95 {:.2} · p99 {:.2} · max {:.2}",
                    v.count, v.mean, v.p50, v.p95, v.p99, v.max
                );
                rows.push((name, "trend", text));
            }
            for (name, v) in &c.rates {
                let text = format!("{:.2}% ({} of {})", v.share * 100.0, v.trues, v.total);
                rows.push((name, "rate", text));
            }
            for (name, kind, text) in rows {
                if !header {
                    out.push_str(
                        "\n#### Custom metrics\n\n| step | scenario | metric | kind | value |\n|---|---|---|---|---|\n",
                    );
                    header = true;
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {kind} | {} |",
                    step.index + 1,
                    escape(&s.scenario),
                    escape(name),
                    escape(&text)
                );
            }
        }
    }
}

/// A footnote line: a leading `*` would start a Markdown list, so it is escaped.
fn escape_mark(line: &str) -> String {
    match line.strip_prefix('*') {
        Some(rest) => format!("\\*{}", escape(rest)),
        None => escape(line),
    }
}

/// Keeps names from breaking the table (pipes) or injecting markup.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadspec_results::criteria::CriteriaReport;

    /// A run whose steps were judged with these causes (`none` for a healthy step).
    fn results_with(causes: &[SaturationCause]) -> RunResults {
        let steps: Vec<serde_json::Value> = causes
            .iter()
            .enumerate()
            .map(|(index, cause)| {
                let label = |name: &str| {
                    serde_json::json!({"label": name, "count": 0, "failures": 0,
                        "error_rate": 0.0, "throughput_per_s": 0.0, "mean_ms": 0.0,
                        "min_ms": 0.0, "p50_ms": 0.0, "p90_ms": 0.0, "p95_ms": 0.0,
                        "p99_ms": 0.0, "p999_ms": 0.0, "max_ms": 0.0, "status_codes": {},
                        "errors": [], "requests_per_transaction": null, "bytes_received": 0,
                        "histogram": ""})
                };
                let scenario = serde_json::json!({"scenario": "flow", "users": 5 * (index + 1),
                    "iterations": label("flow"), "interrupted_iterations": 0,
                    "transactions": [], "requests": [], "total_requests": label("Total"),
                    "time_series": []});
                serde_json::json!({
                    "index": index, "started_at": "2026-11-27T12:00:00Z", "offset_s": index,
                    "duration_s": 1.0, "measured_from_s": 0.0, "measured_s": 1.0,
                    "status": "completed", "scenarios": [scenario],
                    "generator": {"cpu_share_mean": 0.2, "cpu_share_max": 0.3,
                                  "lag_p99_ms": 9.0, "lag_max_ms": 12.0,
                                  "bound": *cause != SaturationCause::None,
                                  "reasons": [], "cause": cause.as_str()}
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema": "loadspec.results", "schema_version": 1,
            "run": {"id": "x", "name": "x", "mode": "full", "target": "http://127.0.0.1:1",
                    "seed": 1, "started_at": "2026-11-27T12:00:00Z",
                    "finished_at": "2026-11-27T12:00:04Z", "duration_s": 4.0,
                    "status": "completed", "status_reason": null},
            "environment": {"hostname": "h", "os": "o", "kernel": "k", "cpu_model": "c",
                            "cpus": 2, "memory_bytes": 1, "loadspec_version": "0.1.0",
                            "workers": 2},
            "plan": {"profile": "spike", "scenarios": [], "steps": [], "graceful_stop_s": 5.0},
            "steps": steps
        }))
        .unwrap_or_else(|e| panic!("synthetic results: {e}"))
    }

    /// Markdown as a reader sees it: escaped marks rendered.
    fn rendered(markdown: &str) -> String {
        markdown.replace("\\*", "*")
    }

    #[test]
    fn marks_and_footnotes_are_the_console_matrix_s() {
        use SaturationCause::{Generator, None, OtherProcesses, SameProcess};
        let results = results_with(&[None, Generator, SameProcess, OtherProcesses]);
        let report = loadspec_results::criteria::evaluate(&results, &[]);
        let console = crate::text::criteria_matrix(&report);
        let markdown = rendered(&markdown_summary(&results, Some(&report)));
        let headings: Vec<String> = report
            .steps
            .iter()
            .map(CriteriaReport::step_heading)
            .collect();
        assert_eq!(headings, ["5 thr", "10 thr*", "15 thr†", "20 thr‡"]);
        for heading in &headings {
            assert!(console.contains(heading.as_str()), "{heading}: {console}");
            assert!(
                markdown.contains(&format!(" {heading} |")),
                "{heading}: {markdown}"
            );
        }
        let footnotes = report.footnotes();
        assert_eq!(footnotes.len(), 3, "{footnotes:?}");
        assert!(footnotes[0].starts_with("* generator-bound step: loadspec itself"));
        assert!(footnotes[1].starts_with("† machine-saturated step: the rest of this process"));
        assert!(footnotes[2].starts_with("‡ machine-saturated step: other processes"));
        for line in &footnotes {
            assert!(
                console.contains(&format!("  {line}\n")),
                "{line}: {console}"
            );
            assert!(
                markdown.contains(&format!("\n{line}\n")),
                "{line}: {markdown}"
            );
        }
        // Without criteria, the steps table carries the same marks and footnotes.
        let plain = rendered(&markdown_summary(&results, Option::None));
        for (step, mark) in [(2, "*"), (3, "†"), (4, "‡")] {
            assert!(plain.contains(&format!("| {step}{mark} |")), "{plain}");
        }
        assert!(
            plain.contains("| 1 |"),
            "a healthy step has no mark: {plain}"
        );
        for line in &footnotes {
            assert!(plain.contains(line.as_str()), "{line}: {plain}");
        }
    }

    #[test]
    fn results_without_a_cause_keep_the_generator_mark() {
        let mut results = results_with(&[SaturationCause::None]);
        if let Some(g) = results.steps[0].generator.as_mut() {
            g.bound = true;
        }
        let report = loadspec_results::criteria::evaluate(&results, &[]);
        assert_eq!(CriteriaReport::step_heading(&report.steps[0]), "5 thr*");
        assert!(crate::text::criteria_matrix(&report).contains("* generator-bound step"));
    }
}
