//! Criteria tables as CSV files a QA engineer edits without touching Rust: one row per
//! criterion, as in the case study's Table 1.
//!
//! ```csv
//! criterion,scope,metric,target,threshold
//! User authentication requests,transaction:login,p95,2s,5s
//! HTTP errors 4xx,all,http_4xx,0.5%,1%
//! Peak load errors,all,peak_failures,2x,4x
//! Database deadlock,all,deadlocks,0%,0%
//! ```
//!
//! Columns are found by their header, in any order: `metric` and `target` are required;
//! `criterion` (a display name), `scope` (`all`, `transaction:<name>`, `request:<label>`,
//! `tag:<key>:<value>`, or a custom metric `counter:<name>`, `gauge:<name>`, `trend:<name>`,
//! `rate:<name>`; default `all`), `threshold` (default: the target) and `scenario` (rows without one apply to
//! every scenario) are optional. Lines starting with `#` are comments.
//!
//! Three optional columns stop a run mid-step: `abort_on_fail` (`yes`/`true`/`1`, or
//! `no`/`false`/`0`/empty), `window` (the sliding window, e.g. `30s`; default 10 s) and `delay`
//! (from the step's start, e.g. `10s`; default 0). `window` and `delay` need `abort_on_fail`.

use std::path::{Path, PathBuf};

use std::time::Duration;

use super::model::{AbortWindow, Criterion, Metric, Scope};

/// A criteria file that cannot be used; the message names the file, line and field.
#[derive(Debug, thiserror::Error)]
#[error("failed to load criteria from {}{}: {message}", path.display(), location(*line, field.as_deref()))]
pub struct CriteriaFileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the problem is on one.
    pub line: Option<u64>,
    /// The column, when the problem is in one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn location(line: Option<u64>, field: Option<&str>) -> String {
    match (line, field) {
        (Some(line), Some(field)) => format!(", line {line}, field `{field}`"),
        (Some(line), None) => format!(", line {line}"),
        _ => String::new(),
    }
}

/// A criterion from a file, with the scenario it is restricted to (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct FileCriterion {
    /// Only for this scenario; `None` for every scenario.
    pub scenario: Option<String>,
    /// The criterion.
    pub criterion: Criterion,
}

/// Reads a criteria CSV file.
pub fn load_file(path: &Path) -> Result<Vec<FileCriterion>, CriteriaFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| CriteriaFileError {
        path: path.to_owned(),
        line: None,
        field: None,
        message: e.to_string(),
    })?;
    parse(path, &text)
}

/// Parses criteria CSV text; `path` only names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<Vec<FileCriterion>, CriteriaFileError> {
    let fail = |line: Option<u64>, field: Option<&str>, message: String| CriteriaFileError {
        path: path.to_owned(),
        line,
        field: field.map(str::to_owned),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| fail(Some(1), None, e.to_string()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let known = [
        "criterion",
        "scenario",
        "scope",
        "metric",
        "target",
        "threshold",
        "abort_on_fail",
        "window",
        "delay",
    ];
    if let Some(unknown) = headers
        .iter()
        .find(|h| !known.iter().any(|k| h.eq_ignore_ascii_case(k)))
    {
        return Err(fail(
            Some(1),
            Some(unknown),
            format!("unknown column; expected {}", known.join(", ")),
        ));
    }
    let (Some(metric_col), Some(target_col)) = (column("metric"), column("target")) else {
        return Err(fail(
            Some(1),
            None,
            "the header needs at least the columns `metric` and `target`".into(),
        ));
    };
    let mut criteria = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| fail(e.position().map(|p| p.line()), None, e.to_string()))?;
        let line = record.position().map(|p| p.line());
        let get = |col: Option<usize>| col.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        let metric_text = get(Some(metric_col))
            .ok_or_else(|| fail(line, Some("metric"), "it is empty".into()))?;
        let metric = Metric::parse(metric_text).ok_or_else(|| {
            let keys: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
            fail(
                line,
                Some("metric"),
                format!(
                    "unknown metric {metric_text:?}; expected one of {}",
                    keys.join(", ")
                ),
            )
        })?;
        let scope = match get(column("scope")) {
            None | Some("all") => Scope::All,
            Some(text) => parse_scope(text).ok_or_else(|| {
                fail(line, Some("scope"), format!("invalid scope {text:?}; expected all, transaction:<name>, request:<label>, tag:<key>:<value>, counter:<name>, gauge:<name>, trend:<name> or rate:<name>"))
            })?,
        };
        let target_text = get(Some(target_col))
            .ok_or_else(|| fail(line, Some("target"), "it is empty".into()))?;
        if let Some((kind, _)) = scope.as_custom()
            && !kind.accepts(metric)
        {
            let message = format!(
                "a {} has no `{metric}`; it has {}",
                kind.key(),
                kind.metric_list()
            );
            return Err(fail(line, Some("metric"), message));
        }
        let target = parse_scoped_value(&scope, metric, target_text)
            .map_err(|e| fail(line, Some("target"), e))?;
        let threshold = match get(column("threshold")) {
            Some(text) => parse_scoped_value(&scope, metric, text)
                .map_err(|e| fail(line, Some("threshold"), e))?,
            None => target,
        };
        let criterion = Criterion {
            name: get(column("criterion")).map(str::to_owned),
            scope,
            metric,
            target,
            threshold,
            abort: abort_window(
                get(column("abort_on_fail")),
                get(column("window")),
                get(column("delay")),
            )
            .map_err(|(field, e)| fail(line, Some(field), e))?,
        };
        // The one abort rule `validate` checks is about the metric, told on its own column.
        let field = if criterion.abort.is_some() && metric == Metric::PeakFailures {
            "abort_on_fail"
        } else {
            "threshold"
        };
        criterion
            .validate()
            .map_err(|e| fail(line, Some(field), e))?;
        criteria.push(FileCriterion {
            scenario: get(column("scenario")).map(str::to_owned),
            criterion,
        });
    }
    Ok(criteria)
}

/// The `abort_on_fail`, `window` and `delay` cells as an abort window; the error names the
/// column at fault.
fn abort_window(
    abort: Option<&str>,
    window: Option<&str>,
    delay: Option<&str>,
) -> Result<Option<AbortWindow>, (&'static str, String)> {
    let on = match abort.map(str::to_ascii_lowercase).as_deref() {
        None | Some("no" | "false" | "0") => false,
        Some("yes" | "true" | "1") => true,
        Some(other) => {
            return Err((
                "abort_on_fail",
                format!("expected yes or no, not {other:?}"),
            ));
        }
    };
    if !on {
        let stray = [("window", window), ("delay", delay)]
            .into_iter()
            .find(|(_, v)| v.is_some());
        return match stray {
            Some((field, _)) => Err((
                field,
                format!("`{field}` needs `abort_on_fail` set to yes on the same row"),
            )),
            None => Ok(None),
        };
    }
    let duration = |field: &'static str, text: Option<&str>, default: Duration| match text {
        None => Ok(default),
        Some(text) => loadspec_units::duration(text).map_err(|e| (field, e.to_string())),
    };
    let window = duration(
        "window",
        window,
        Duration::from_millis(AbortWindow::DEFAULT_WINDOW_MS),
    )?;
    let delay = duration("delay", delay, Duration::ZERO)?;
    Ok(Some(AbortWindow::new(window, delay)))
}

fn parse_scope(text: &str) -> Option<Scope> {
    let (kind, name) = text.split_once(':')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    match kind.trim() {
        "transaction" => Some(Scope::Transaction(name.to_owned())),
        "request" => Some(Scope::Request(name.to_owned())),
        "tag" => Some(Scope::Tag(name.to_owned())),
        kind => loadspec_units::CustomKind::parse(kind).map(|kind| Scope::custom(kind, name)),
    }
}

/// Parses a target or threshold of `metric` on `scope`: in the notation a custom metric's kind
/// gives it (`count` as a number, a counter's `throughput` as a rate, …), else as
/// [`parse_value`] does.
pub fn parse_scoped_value(scope: &Scope, metric: Metric, text: &str) -> Result<f64, String> {
    match scope.as_custom() {
        Some((kind, _)) => kind.notation(metric).parse(text).map_err(|e| e.to_string()),
        None => parse_value(metric, text),
    }
}

/// Parses a target or threshold in the unit of `metric`: durations for times (into
/// milliseconds), percentages for rates, `N/s` for throughput, `Nx` for peak failures.
pub fn parse_value(metric: Metric, text: &str) -> Result<f64, String> {
    if metric == Metric::Deadlocks && text.trim() == "0" {
        return Ok(0.0);
    }
    metric.parse_value(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE_1: &str = "\
# The case study's Table 1.
criterion,scope,metric,target,threshold
User authentication requests,transaction:login,p95,2s,5s
User search actions,transaction:search,p95,5s,7s
User online transactions,transaction:create_insuree,p95,3s,5s
HTTP errors 4xx,all,http_4xx,0.5%,1%
HTTP errors 5xx,all,http_5xx,0.1%,0.2%
Login failures,transaction:login,failures,0.2%,0.3%
Search failures,transaction:search,failures,0.5%,0.7%
Peak load errors,all,peak_failures,2x,4x
Database deadlock,all,deadlocks,0,0
";

    #[test]
    fn reads_the_case_study_table() {
        let rows = parse(Path::new("criteria.csv"), TABLE_1).unwrap();
        assert_eq!(rows.len(), 9);
        let login = &rows[0].criterion;
        assert_eq!(login.name.as_deref(), Some("User authentication requests"));
        assert_eq!(login.scope, Scope::Transaction("login".into()));
        assert_eq!(
            (login.metric, login.target, login.threshold),
            (Metric::P95, 2000.0, 5000.0)
        );
        assert_eq!(rows[4].criterion.target, 0.001);
        assert_eq!(
            (rows[7].criterion.target, rows[7].criterion.threshold),
            (2.0, 4.0)
        );
        assert_eq!(rows[8].criterion.metric, Metric::Deadlocks);
        assert!(rows.iter().all(|r| r.scenario.is_none()));
    }

    #[test]
    fn reads_phase_criteria() {
        let text = "\
criterion,scope,metric,target,threshold
Time to first byte,all,ttfb_p95,300ms,500ms
Handshakes,request:GET /api/insurees,tls_p95,50ms,80ms
TCP connects,all,connect_p95,10ms,20ms
";
        let rows = parse(Path::new("criteria.csv"), text).unwrap();
        let got: Vec<(&Scope, Metric, f64, f64)> = rows
            .iter()
            .map(|r| {
                let c = &r.criterion;
                (&c.scope, c.metric, c.target, c.threshold)
            })
            .collect();
        let insurees = Scope::Request("GET /api/insurees".into());
        assert_eq!(
            got,
            [
                (&Scope::All, Metric::TtfbP95, 300.0, 500.0),
                (&insurees, Metric::TlsP95, 50.0, 80.0),
                (&Scope::All, Metric::ConnectP95, 10.0, 20.0),
            ]
        );
        let err = |text: &str| parse(Path::new("c.csv"), text).unwrap_err().to_string();
        // A phase is a time: a percentage is refused.
        let e = err("metric,target\nttfb_p95,5%\n");
        assert!(e.contains("line 2, field `target`"), "{e}");
        // Transactions have no phases of their own.
        let e = err("metric,target,scope\ntls_p95,50ms,transaction:login\n");
        assert!(
            e.contains("line 2") && e.contains("applies to requests"),
            "{e}"
        );
        // The unknown-metric message lists the new keys.
        let e = err("metric,target\nttfb,2s\n");
        assert!(e.contains("ttfb_p95, tls_p95, connect_p95"), "{e}");
    }

    #[test]
    fn reads_abort_windows_and_refuses_them_without_abort_on_fail() {
        let text = "\
metric,target,abort_on_fail,window,delay
p95,100ms,yes,2s,1s
p99,200ms,true,,
failures,1%,,,
";
        let rows = parse(Path::new("c.csv"), text).unwrap();
        let aborts: Vec<Option<AbortWindow>> = rows.iter().map(|r| r.criterion.abort).collect();
        assert_eq!(
            aborts,
            [
                Some(AbortWindow {
                    window_ms: 2000,
                    delay_ms: 1000
                }),
                Some(AbortWindow::default()),
                None,
            ]
        );
        // Old files (no abort columns) still load, with no abort.
        assert!(
            parse(Path::new("c.csv"), TABLE_1)
                .unwrap()
                .iter()
                .all(|r| r.criterion.abort.is_none())
        );
        let err = |text: &str| parse(Path::new("c.csv"), text).unwrap_err().to_string();
        let e = err("metric,target,window\np95,2s,30s\n");
        assert!(
            e.contains("line 2, field `window`") && e.contains("needs `abort_on_fail`"),
            "{e}"
        );
        let e = err("metric,target,abort_on_fail,delay\np95,2s,no,5s\n");
        assert!(e.contains("field `delay`"), "{e}");
        let e = err("metric,target,abort_on_fail,window\np95,2s,yes,30\n");
        assert!(
            e.contains("field `window`") && e.contains("unit is missing"),
            "{e}"
        );
        let e = err("metric,target,abort_on_fail\np95,2s,maybe\n");
        assert!(e.contains("field `abort_on_fail`"), "{e}");
        let e = err("metric,target,abort_on_fail\npeak_failures,2x,yes\n");
        assert!(
            e.contains("field `abort_on_fail`") && e.contains("cannot abort"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let path = Path::new("load/criteria.csv");
        let err = |text: &str| parse(path, text).unwrap_err().to_string();
        let e = err("metric,target\np95,2\n");
        assert!(
            e.contains("load/criteria.csv, line 2, field `target`")
                && e.contains("unit is missing"),
            "{e}"
        );
        let e = err("metric,target,threshold\np95,5s,2s\n");
        assert!(
            e.contains("line 2, field `threshold`") && e.contains("worse than the threshold"),
            "{e}"
        );
        let e = err("metric,target\np97,2s\n");
        assert!(e.contains("field `metric`") && e.contains("p95"), "{e}");
        let e = err("metric,target,scope\np95,2s,login\n");
        assert!(e.contains("field `scope`"), "{e}");
        let e = err("metric,target,colour\np95,2s,red\n");
        assert!(e.contains("line 1, field `colour`"), "{e}");
        let e = err("criterion,target\nx,2s\n");
        assert!(e.contains("`metric` and `target`"), "{e}");
        let e = err("metric,target\nfailures,5\n");
        assert!(e.contains("`%` sign"), "{e}");
        let missing = load_file(Path::new("/nonexistent/criteria.csv"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("/nonexistent/criteria.csv"), "{missing}");
    }
}
