//! Judging criteria at every load step: the verdict matrix (criteria × steps) and the capacity
//! line. Works on stored results only, so a loaded or merged run is judged the same way.

use serde::{Deserialize, Serialize};

use super::model::{Criterion, Metric, Scope, format_value};
use crate::error_kind::ErrorKind;
use crate::model::{
    GeneratorHealth, LabelSummary, RunResults, SaturationCause, ScenarioStepResult, StepResult,
};
use crate::phases::Phase;

/// The verdict of one criterion at one step, or of a whole run (the worst of its cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measured value meets the target.
    Pass,
    /// It misses the target but stays within the threshold.
    Warn,
    /// It is beyond the threshold, or there was nothing to measure.
    Fail,
}

impl Verdict {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// Judges one measured value: exactly at the target passes, exactly at the threshold warns.
pub fn judge(higher_is_better: bool, measured: f64, target: f64, threshold: f64) -> Verdict {
    let within = |bound: f64| {
        if higher_is_better {
            measured >= bound
        } else {
            measured <= bound
        }
    };
    if within(target) {
        Verdict::Pass
    } else if within(threshold) {
        Verdict::Warn
    } else {
        Verdict::Fail
    }
}

/// Criteria judged over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriteriaReport {
    /// One row per criterion (a `peak_failures` criterion gives one row per `failures` one).
    pub rows: Vec<CriterionRow>,
    /// The worst verdict of each step.
    pub steps: Vec<StepVerdict>,
    /// The highest loads that pass / do not fail.
    pub capacity: Capacity,
    /// The worst verdict of the run.
    pub verdict: Verdict,
}

/// One criterion across the steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionRow {
    /// The scenario the criterion belongs to.
    pub scenario: String,
    /// e.g. `login p95` or the criterion's display name.
    pub title: String,
    /// The criterion as judged (for `peak_failures`: the failure rate bounds at the peak).
    pub criterion: Criterion,
    /// The target, for people.
    pub target_display: String,
    /// The threshold, for people.
    pub threshold_display: String,
    /// One cell per judged step (`peak_failures`: only the peak step).
    pub cells: Vec<Cell>,
    /// The worst cell.
    pub verdict: Verdict,
}

/// One criterion at one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Step index.
    pub step: usize,
    /// Users of the step (all scenarios together).
    pub users: u32,
    /// The measured value; `None` when there was nothing to measure (a fail).
    pub measured: Option<f64>,
    /// The measured value for people.
    pub display: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// The worst verdict of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepVerdict {
    /// Step index.
    pub step: usize,
    /// Users of the step (all scenarios together).
    pub users: u32,
    /// The worst verdict of its cells.
    pub verdict: Verdict,
    /// The generator or its machine was the limit during the step: its verdicts are
    /// unreliable.
    #[serde(default)]
    pub unreliable: bool,
    /// Who took the CPU when `unreliable` (`none` in reports written before causes were told
    /// apart: read it with [`saturation`](Self::saturation)).
    #[serde(default)]
    pub cause: SaturationCause,
}

impl StepVerdict {
    /// Why the step's verdicts are unreliable; an unreliable step without a recorded cause
    /// was generator-bound (what every mark meant before).
    pub fn saturation(&self) -> SaturationCause {
        match (self.unreliable, self.cause) {
            (false, _) => SaturationCause::None,
            (true, SaturationCause::None) => SaturationCause::Generator,
            (true, cause) => cause,
        }
    }
}

impl CriteriaReport {
    /// The column heading of a step, with its saturation mark: `5 thr`, `10 thr*`, `30 thr†`.
    pub fn step_heading(step: &StepVerdict) -> String {
        format!("{} thr{}", step.users, step.saturation().mark())
    }

    /// What the marks of the step headings mean, one line per mark used (`* generator-bound
    /// step: …`); the console and Markdown print them under the matrix.
    pub fn footnotes(&self) -> Vec<String> {
        SaturationCause::footnotes(self.steps.iter().map(StepVerdict::saturation))
    }
}

/// Where the system stops meeting its criteria, walking the steps by increasing load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The highest load up to which every criterion passes at every step.
    pub all_pass_up_to: Option<u32>,
    /// The highest load up to which no criterion fails at any step.
    pub none_fail_up_to: Option<u32>,
    /// e.g. "all criteria pass up to 50 threads; login p95 fails from 150".
    pub summary: String,
}

/// Judges `criteria` (per scenario name) against `results`.
pub fn evaluate(results: &RunResults, criteria: &[(String, Vec<Criterion>)]) -> CriteriaReport {
    evaluate_steps(&results.steps, criteria)
}

/// Judges `criteria` against the steps run so far (used between steps by `abort_on_fail`).
pub fn evaluate_steps(
    steps: &[StepResult],
    criteria: &[(String, Vec<Criterion>)],
) -> CriteriaReport {
    let users_of =
        |step: &crate::model::StepResult| step.scenarios.iter().map(|s| s.users).sum::<u32>();
    let peak = steps
        .iter()
        .enumerate()
        .max_by_key(|(i, s)| (users_of(s), *i))
        .map(|(i, _)| i);
    let mut rows = Vec::new();
    for (scenario, list) in criteria {
        for criterion in list {
            if criterion.metric == Metric::PeakFailures {
                for failures in list
                    .iter()
                    .filter(|c| c.metric == Metric::Failures && covers(&criterion.scope, &c.scope))
                {
                    let bounds = Criterion {
                        name: Some(format!("peak failures: {}", failures.title())),
                        scope: failures.scope.clone(),
                        metric: Metric::PeakFailures,
                        target: failures.target * criterion.target,
                        threshold: failures.target * criterion.threshold,
                        abort: None,
                    };
                    let mut row = judge_row(steps, scenario, &bounds, peak.into_iter());
                    row.target_display = format!(
                        "{} ({} × {})",
                        format_value(Metric::Failures, bounds.target),
                        format_value(Metric::PeakFailures, criterion.target),
                        format_value(Metric::Failures, failures.target)
                    );
                    row.threshold_display = format!(
                        "{} ({} × {})",
                        format_value(Metric::Failures, bounds.threshold),
                        format_value(Metric::PeakFailures, criterion.threshold),
                        format_value(Metric::Failures, failures.target)
                    );
                    rows.push(row);
                }
            } else {
                rows.push(judge_row(steps, scenario, criterion, 0..steps.len()));
            }
        }
    }
    let step_verdicts: Vec<StepVerdict> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| StepVerdict {
            step: step.index,
            users: users_of(step),
            verdict: rows
                .iter()
                .flat_map(|r| &r.cells)
                .filter(|c| c.step == i)
                .map(|c| c.verdict)
                .max()
                .unwrap_or(Verdict::Pass),
            unreliable: step.generator.as_ref().is_some_and(|g| g.bound),
            cause: step
                .generator
                .as_ref()
                .map_or(SaturationCause::None, GeneratorHealth::saturation),
        })
        .collect();
    let capacity = capacity(&step_verdicts, &rows);
    let verdict = rows
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    CriteriaReport {
        rows,
        steps: step_verdicts,
        capacity,
        verdict,
    }
}

/// Whether a `peak_failures` scope covers a `failures` criterion's scope.
fn covers(peak: &Scope, failures: &Scope) -> bool {
    *peak == Scope::All || peak == failures
}

fn judge_row(
    all_steps: &[StepResult],
    scenario: &str,
    criterion: &Criterion,
    steps: impl Iterator<Item = usize>,
) -> CriterionRow {
    let cells: Vec<Cell> = steps
        .filter_map(|i| {
            let step = all_steps.get(i)?;
            let users = step.scenarios.iter().map(|s| s.users).sum();
            let measured = step
                .scenarios
                .iter()
                .find(|s| s.scenario == scenario)
                .and_then(|s| measure(criterion, s));
            let (verdict, display) = match measured {
                Some(v) => (
                    judge(
                        criterion.metric.higher_is_better(),
                        v,
                        criterion.target,
                        criterion.threshold,
                    ),
                    criterion.format_measured(v),
                ),
                None => (Verdict::Fail, "no data".to_owned()),
            };
            Some(Cell {
                step: step.index,
                users,
                measured,
                display,
                verdict,
            })
        })
        .collect();
    CriterionRow {
        scenario: scenario.to_owned(),
        title: criterion.title(),
        target_display: criterion.format_value(criterion.target),
        threshold_display: criterion.format_value(criterion.threshold),
        verdict: cells
            .iter()
            .map(|c| c.verdict)
            .max()
            .unwrap_or(Verdict::Pass),
        criterion: criterion.clone(),
        cells,
    }
}

/// The value a criterion looks at in one scenario's step; `None` if nothing was measured.
pub fn measure(criterion: &Criterion, step: &ScenarioStepResult) -> Option<f64> {
    if let Some((kind, name)) = criterion.scope.as_custom() {
        return super::scoped::measure_custom(kind, name, criterion.metric, &step.custom);
    }
    let find = |list: &[LabelSummary], name: &str| list.iter().find(|l| l.label == name).cloned();
    let summary = match &criterion.scope {
        Scope::All => Some(step.total_requests.clone()),
        Scope::Transaction(name) => find(&step.transactions, name),
        Scope::Request(label) => find(&step.requests, label),
        Scope::Tag(tag) => super::scoped::tagged(tag, step),
        _ => None,
    };
    let metric = criterion.metric;
    if metric == Metric::Deadlocks {
        let pool: Vec<&LabelSummary> = match &criterion.scope {
            Scope::All if !step.transactions.is_empty() => step.transactions.iter().collect(),
            Scope::All => vec![&step.iterations],
            Scope::Transaction(name) => step
                .transactions
                .iter()
                .filter(|t| &t.label == name)
                .collect(),
            Scope::Request(label) => step.requests.iter().filter(|r| &r.label == label).collect(),
            _ => summary.iter().collect(),
        };
        let count: u64 = pool.iter().map(|l| l.count).sum();
        let stuck: u64 = pool
            .iter()
            .flat_map(|l| &l.errors)
            .filter(|e| matches!(e.kind, ErrorKind::Hung | ErrorKind::Deadlock))
            .map(|e| e.count)
            .sum();
        return (count > 0).then(|| stuck as f64 / count as f64);
    }
    if metric == Metric::Dropped {
        let arrivals = step.iterations.count + step.dropped_iterations;
        return (arrivals > 0).then(|| step.dropped_iterations as f64 / arrivals as f64);
    }
    let s = summary?;
    if metric == Metric::Throughput {
        return Some(s.throughput_per_s);
    }
    if let Some(phase) = phase_of(metric) {
        return phase_p95(&s, phase);
    }
    if s.count == 0 {
        return None;
    }
    // With a coordinated-omission correction, percentiles are judged on the corrected
    // latencies: they are what users waited.
    let (p50, p90, p95, p99, p999, max) = match &s.corrected {
        Some(c) => (c.p50_ms, c.p90_ms, c.p95_ms, c.p99_ms, c.p999_ms, c.max_ms),
        None => (s.p50_ms, s.p90_ms, s.p95_ms, s.p99_ms, s.p999_ms, s.max_ms),
    };
    Some(match metric {
        Metric::Mean => s.mean_ms,
        Metric::P50 => p50,
        Metric::P90 => p90,
        Metric::P95 => p95,
        Metric::P99 => p99,
        Metric::P999 => p999,
        Metric::Max => max,
        Metric::Failures | Metric::PeakFailures => s.error_rate,
        Metric::Http4xx | Metric::Http5xx => {
            let class = if metric == Metric::Http4xx { 4 } else { 5 };
            let responses: u64 = s.status_codes.values().sum();
            if responses == 0 {
                return None;
            }
            let in_class: u64 = s
                .status_codes
                .iter()
                .filter(|(code, _)| code.parse::<u16>().is_ok_and(|c| c / 100 == class))
                .map(|(_, n)| n)
                .sum();
            in_class as f64 / responses as f64
        }
        Metric::Deadlocks
        | Metric::Throughput
        | Metric::Dropped
        | Metric::TtfbP95
        | Metric::TlsP95
        | Metric::ConnectP95
        | Metric::Count
        | Metric::Share
        | Metric::Last
        | Metric::Min => return None,
    })
}

/// The request phase a phase metric looks at.
fn phase_of(metric: Metric) -> Option<Phase> {
    match metric {
        Metric::TtfbP95 => Some(Phase::Wait),
        Metric::TlsP95 => Some(Phase::Tls),
        Metric::ConnectP95 => Some(Phase::Connect),
        _ => None,
    }
}

/// The p95 of a phase over the requests that went through it; `None` (judged "no data", a
/// fail) when the client did not time phases (reqwest) or no request went through the phase
/// (no TLS on `http://`, no new connection in the window): an unmeasured phase must not pass.
fn phase_p95(summary: &LabelSummary, phase: Phase) -> Option<f64> {
    let measured = summary.phases.as_ref()?.phases.get(&phase)?;
    (measured.count > 0).then_some(measured.p95_ms)
}

fn capacity(steps: &[StepVerdict], rows: &[CriterionRow]) -> Capacity {
    let mut by_load: Vec<&StepVerdict> = steps.iter().collect();
    by_load.sort_by_key(|s| s.users);
    let up_to = |ok: fn(Verdict) -> bool| {
        by_load
            .iter()
            .take_while(|s| ok(s.verdict))
            .last()
            .map(|s| s.users)
    };
    let all_pass_up_to = up_to(|v| v == Verdict::Pass);
    let none_fail_up_to = up_to(|v| v != Verdict::Fail);
    let mut parts = Vec::new();
    match (all_pass_up_to, by_load.last()) {
        _ if rows.is_empty() => parts.push("no criteria".to_owned()),
        (Some(up), Some(last))
            if up == last.users && by_load.iter().all(|s| s.verdict == Verdict::Pass) =>
        {
            parts.push(format!(
                "all criteria pass at every step (up to {up} threads)"
            ));
        }
        (Some(up), _) => parts.push(format!("all criteria pass up to {up} threads")),
        (None, _) => parts.push("no step passes every criterion".to_owned()),
    }
    let mut failing: Vec<(u32, &str)> = rows
        .iter()
        .filter_map(|r| {
            r.cells
                .iter()
                .filter(|c| c.verdict == Verdict::Fail)
                .map(|c| c.users)
                .min()
                .map(|u| (u, r.title.as_str()))
        })
        .collect();
    failing.sort();
    for (users, title) in failing.iter().take(3) {
        parts.push(format!("{title} fails from {users}"));
    }
    if failing.len() > 3 {
        parts.push(format!("{} more criteria fail", failing.len() - 3));
    }
    Capacity {
        all_pass_up_to,
        none_fail_up_to,
        summary: parts.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_exactly_at_target_pass_and_exactly_at_threshold_warn() {
        let cases = [
            // (higher_is_better, measured, target, threshold, verdict)
            (false, 1999.0, 2000.0, 5000.0, Verdict::Pass),
            (false, 2000.0, 2000.0, 5000.0, Verdict::Pass),
            (false, 2000.001, 2000.0, 5000.0, Verdict::Warn),
            (false, 5000.0, 2000.0, 5000.0, Verdict::Warn),
            (false, 5000.001, 2000.0, 5000.0, Verdict::Fail),
            (false, 0.0, 0.0, 0.0, Verdict::Pass),
            (false, 0.0001, 0.0, 0.0, Verdict::Fail),
            (false, 0.005, 0.005, 0.01, Verdict::Pass),
            (false, 0.01, 0.005, 0.01, Verdict::Warn),
            (true, 100.0, 100.0, 80.0, Verdict::Pass),
            (true, 99.0, 100.0, 80.0, Verdict::Warn),
            (true, 80.0, 100.0, 80.0, Verdict::Warn),
            (true, 79.9, 100.0, 80.0, Verdict::Fail),
        ];
        for (higher, measured, target, threshold, expected) in cases {
            assert_eq!(
                judge(higher, measured, target, threshold),
                expected,
                "{measured} vs {target}/{threshold}"
            );
        }
    }

    #[test]
    fn rates_computed_from_counts_meet_percent_targets_exactly() {
        // 5 failures in 1000 against "0.5%": the same division on both sides.
        let measured = 5.0 / 1000.0;
        let target = loadspec_units::percent("0.5%").unwrap();
        assert_eq!(judge(false, measured, target, 0.01), Verdict::Pass);
    }

    use std::collections::BTreeMap;

    use crate::criteria::Scope;
    use crate::histogram;
    use crate::phases::{PhaseSummary, PhasesSummary};

    fn label(name: &str, phases: Option<PhasesSummary>) -> LabelSummary {
        let mut l: LabelSummary = serde_json::from_value(serde_json::json!({
            "label": name, "count": 20, "failures": 0, "error_rate": 0.0,
            "throughput_per_s": 2.0, "mean_ms": 30.0, "min_ms": 20.0, "p50_ms": 30.0,
            "p90_ms": 35.0, "p95_ms": 40.0, "p99_ms": 45.0, "p999_ms": 45.0, "max_ms": 45.0,
            "status_codes": {"200": 20}, "errors": [], "requests_per_transaction": null,
            "bytes_received": 0, "histogram": ""
        }))
        .unwrap();
        l.phases = phases;
        l
    }

    fn phase(values_micros: &[u64]) -> PhaseSummary {
        let mut h = histogram::new_histogram();
        for &v in values_micros {
            histogram::record(&mut h, v);
        }
        PhaseSummary::of(&h, values_micros.iter().sum())
    }

    /// 20 requests over HTTPS: 2 opened a connection (connect 1 and 3 ms, TLS 8 and 12 ms),
    /// all waited 20..=39 ms for their first byte.
    fn https_phases() -> PhasesSummary {
        let waits: Vec<u64> = (20..40).map(|ms| ms * 1000).collect();
        PhasesSummary {
            requests: 20,
            tls_resumed: 0,
            http2: 0,
            phases: BTreeMap::from([
                (Phase::Connect, phase(&[1000, 3000])),
                (Phase::Tls, phase(&[8000, 12_000])),
                (Phase::Wait, phase(&waits)),
            ]),
        }
    }

    fn step(requests: Vec<LabelSummary>, total: LabelSummary) -> StepResult {
        let transaction = label("browse", None);
        serde_json::from_value(serde_json::json!({
            "index": 0, "started_at": "2026-12-06T12:00:00Z", "offset_s": 0.0,
            "duration_s": 10.0, "measured_from_s": 0.0, "measured_s": 10.0,
            "status": "completed",
            "scenarios": [{
                "scenario": "s", "users": 5, "iterations": transaction.clone(),
                "interrupted_iterations": 0, "transactions": [transaction],
                "requests": requests, "total_requests": total, "time_series": []
            }]
        }))
        .unwrap()
    }

    fn judged(steps: &[StepResult], criterion: Criterion) -> Cell {
        let report = evaluate_steps(steps, &[("s".to_owned(), vec![criterion])]);
        report.rows[0].cells[0].clone()
    }

    #[test]
    fn phase_metrics_judge_the_phase_p95_at_the_threshold() {
        let phases = https_phases();
        let wait_p95 = phases.phases[&Phase::Wait].p95_ms;
        let tls_p95 = phases.phases[&Phase::Tls].p95_ms;
        let connect_p95 = phases.phases[&Phase::Connect].p95_ms;
        // The histogram's p95 of 20..=39 ms (not the label's whole-request p95 of 40 ms).
        assert!((37.0..=39.1).contains(&wait_p95), "{wait_p95}");
        assert!((11.9..=12.1).contains(&tls_p95), "{tls_p95}");
        assert!((2.9..=3.1).contains(&connect_p95), "{connect_p95}");
        let get = label("GET /x", Some(phases.clone()));
        let steps = [step(vec![get.clone()], label("Total", Some(phases)))];
        let request = Scope::Request("GET /x".into());
        for (metric, p95) in [
            (Metric::TtfbP95, wait_p95),
            (Metric::TlsP95, tls_p95),
            (Metric::ConnectP95, connect_p95),
        ] {
            for scope in [Scope::All, request.clone()] {
                let at = |target: f64, threshold: f64| {
                    judged(
                        &steps,
                        Criterion::new(scope.clone(), metric, target).threshold(threshold),
                    )
                };
                let cell = at(p95, p95 * 2.0);
                assert_eq!((cell.verdict, cell.measured), (Verdict::Pass, Some(p95)));
                assert_eq!(
                    cell.display,
                    super::super::model::format_measured(metric, p95)
                );
                assert_eq!(at(p95 - 0.5, p95).verdict, Verdict::Warn, "{metric}");
                assert_eq!(at(p95 - 1.0, p95 - 0.5).verdict, Verdict::Fail, "{metric}");
            }
        }
    }

    #[test]
    fn unmeasured_phases_fail_with_no_data() {
        let http = PhasesSummary {
            requests: 20,
            tls_resumed: 0,
            http2: 0,
            phases: BTreeMap::from([(Phase::Wait, phase(&[20_000; 20]))]),
        };
        let cases = [
            // The reqwest client does not time phases.
            (None, Metric::TtfbP95),
            (None, Metric::ConnectP95),
            // No TLS on http://, no new connection in the measured window.
            (Some(http.clone()), Metric::TlsP95),
            (Some(http), Metric::ConnectP95),
        ];
        for (phases, metric) in cases {
            let steps = [step(
                vec![label("GET /x", phases.clone())],
                label("Total", phases),
            )];
            for scope in [Scope::All, Scope::Request("GET /x".into())] {
                // However generous the target, nothing measured is no pass.
                let cell = judged(&steps, Criterion::new(scope, metric, 60_000.0));
                assert_eq!(
                    (cell.verdict, cell.measured, cell.display.as_str()),
                    (Verdict::Fail, None, "no data"),
                    "{metric}"
                );
            }
        }
    }

    #[test]
    fn phase_metrics_are_written_by_key_and_apply_to_requests_only() {
        for (metric, key) in [
            (Metric::TtfbP95, "ttfb_p95"),
            (Metric::TlsP95, "tls_p95"),
            (Metric::ConnectP95, "connect_p95"),
        ] {
            assert_eq!(metric.key(), key);
            assert_eq!(serde_json::to_value(metric).unwrap(), key);
            assert_eq!(format_value(metric, 250.0), "250ms");
            assert_eq!(metric.parse_value("1s").unwrap(), 1000.0);
            assert!(!metric.higher_is_better());
            let on_transaction = Criterion::new(Scope::Transaction("login".into()), metric, 1.0);
            let e = on_transaction.validate().unwrap_err();
            assert!(e.contains("applies to requests"), "{e}");
            assert!(Criterion::new(Scope::All, metric, 1.0).validate().is_ok());
        }
    }

    #[test]
    fn verdicts_are_monotonic_in_the_measured_value() {
        let mut last = Verdict::Pass;
        for i in 0..10_000 {
            let v = judge(false, f64::from(i), 2000.0, 5000.0);
            assert!(v >= last);
            last = v;
        }
    }
}
