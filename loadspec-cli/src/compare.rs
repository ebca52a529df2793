//! Comparing two runs (a nightly baseline and tonight's): per scenario, step and transaction,
//! the change of a chosen statistic, the mean, the throughput and the error rate, with
//! regressions flagged beyond a tolerance, and the criteria re-judged on both.

use serde::Serialize;

use loadspec_results::criteria::{self, Criterion, Verdict};
use loadspec_results::histogram;
use loadspec_results::model::{LabelSummary, RunResults};

/// How to compare.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The time statistic to compare (`p50`, `p90`, `p95`, `p99`, `p999`, `mean`, `max`).
    pub statistic: criteria::Metric,
    /// Relative change of times and throughput that counts as a regression (0.1 = 10 %).
    pub tolerance: f64,
    /// Absolute rise of an error rate that counts as a regression (0.005 = 0.5 points).
    pub error_tolerance: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            statistic: criteria::Metric::P95,
            tolerance: 0.10,
            error_tolerance: 0.005,
        }
    }
}

/// One compared label at one load.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedLabel {
    /// Scenario.
    pub scenario: String,
    /// Users of the step.
    pub users: u32,
    /// `tx <name>` or `Total`.
    pub label: String,
    /// The chosen statistic, baseline and current (ms).
    pub statistic_ms: (f64, f64),
    /// Mean, baseline and current (ms).
    pub mean_ms: (f64, f64),
    /// Throughput, baseline and current (per second).
    pub throughput_per_s: (f64, f64),
    /// Error rate, baseline and current.
    pub error_rate: (f64, f64),
    /// What got worse beyond the tolerance.
    pub regressions: Vec<String>,
}

/// A criterion whose verdict changed between the runs.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictChange {
    /// Scenario.
    pub scenario: String,
    /// Criterion title.
    pub criterion: String,
    /// Users of the step.
    pub users: u32,
    /// Baseline verdict, if the baseline had the step.
    pub baseline: Option<Verdict>,
    /// Current verdict.
    pub current: Verdict,
}

/// The comparison of two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Compared labels.
    pub labels: Vec<ComparedLabel>,
    /// Loads present in only one of the runs, as `scenario @ users`.
    pub unmatched: Vec<String>,
    /// Criteria (of the current run) re-judged on both runs: the changes.
    pub verdict_changes: Vec<VerdictChange>,
    /// The current run's criteria verdict, re-judged from its histograms.
    pub current_verdict: Option<Verdict>,
    /// Number of regressions found.
    pub regressions: usize,
}

/// Compares `current` with `baseline`.
pub fn compare(
    baseline: &RunResults,
    current: &RunResults,
    options: &CompareOptions,
) -> Comparison {
    let baseline = recomputed(baseline);
    let current = recomputed(current);
    let mut labels = Vec::new();
    let mut unmatched = Vec::new();
    for step in &current.steps {
        for s in &step.scenarios {
            let Some(base) = baseline
                .steps
                .iter()
                .flat_map(|b| &b.scenarios)
                .find(|b| b.scenario == s.scenario && b.users == s.users)
            else {
                unmatched.push(format!("{} @ {} (current only)", s.scenario, s.users));
                continue;
            };
            let pairs = s
                .transactions
                .iter()
                .filter_map(|t| {
                    base.transactions
                        .iter()
                        .find(|b| b.label == t.label)
                        .map(|b| (format!("tx {}", t.label), b, t))
                })
                .chain(std::iter::once((
                    "Total".to_owned(),
                    &base.total_requests,
                    &s.total_requests,
                )));
            for (label, b, c) in pairs {
                labels.push(compare_label(&s.scenario, s.users, label, b, c, options));
            }
        }
    }
    for step in &baseline.steps {
        for b in &step.scenarios {
            let present = current
                .steps
                .iter()
                .flat_map(|c| &c.scenarios)
                .any(|c| c.scenario == b.scenario && c.users == b.users);
            if !present {
                unmatched.push(format!("{} @ {} (baseline only)", b.scenario, b.users));
            }
        }
    }
    let criteria: Vec<(String, Vec<Criterion>)> = current
        .plan
        .scenarios
        .iter()
        .map(|s| (s.name.clone(), s.criteria.clone()))
        .collect();
    let has_criteria = criteria.iter().any(|(_, c)| !c.is_empty());
    let (verdict_changes, current_verdict) = if has_criteria {
        let now = criteria::evaluate(&current, &criteria);
        let before = criteria::evaluate(&baseline, &criteria);
        let mut changes = Vec::new();
        for row in &now.rows {
            let old = before
                .rows
                .iter()
                .find(|r| r.scenario == row.scenario && r.title == row.title);
            for cell in &row.cells {
                let was = old
                    .and_then(|r| r.cells.iter().find(|c| c.users == cell.users))
                    .map(|c| c.verdict);
                if was != Some(cell.verdict) {
                    changes.push(VerdictChange {
                        scenario: row.scenario.clone(),
                        criterion: row.title.clone(),
                        users: cell.users,
                        baseline: was,
                        current: cell.verdict,
                    });
                }
            }
        }
        (changes, Some(now.verdict))
    } else {
        (Vec::new(), None)
    };
    let regressions = labels.iter().map(|l| l.regressions.len()).sum::<usize>()
        + verdict_changes
            .iter()
            .filter(|c| c.baseline.is_some_and(|b| c.current > b))
            .count();
    Comparison {
        labels,
        unmatched,
        verdict_changes,
        current_verdict,
        regressions,
    }
}

fn compare_label(
    scenario: &str,
    users: u32,
    label: String,
    base: &LabelSummary,
    current: &LabelSummary,
    options: &CompareOptions,
) -> ComparedLabel {
    let statistic = |s: &LabelSummary| match options.statistic {
        criteria::Metric::Mean => s.mean_ms,
        criteria::Metric::P50 => s.p50_ms,
        criteria::Metric::P90 => s.p90_ms,
        criteria::Metric::P99 => s.p99_ms,
        criteria::Metric::P999 => s.p999_ms,
        criteria::Metric::Max => s.max_ms,
        _ => s.p95_ms,
    };
    let mut regressions = Vec::new();
    let slower = |b: f64, c: f64| b > 0.0 && c > b * (1.0 + options.tolerance);
    let (b, c) = (statistic(base), statistic(current));
    if slower(b, c) {
        regressions.push(format!(
            "{} {:.1} → {:.1} ms (+{:.0}%)",
            options.statistic,
            b,
            c,
            (c / b - 1.0) * 100.0
        ));
    }
    if slower(base.mean_ms, current.mean_ms) {
        regressions.push(format!(
            "mean {:.1} → {:.1} ms",
            base.mean_ms, current.mean_ms
        ));
    }
    let (bt, ct) = (base.throughput_per_s, current.throughput_per_s);
    if bt > 0.0 && ct < bt * (1.0 - options.tolerance) {
        regressions.push(format!(
            "throughput {bt:.1} → {ct:.1}/s ({:.0}%)",
            (ct / bt - 1.0) * 100.0
        ));
    }
    if current.error_rate > base.error_rate + options.error_tolerance {
        regressions.push(format!(
            "errors {:.2}% → {:.2}%",
            base.error_rate * 100.0,
            current.error_rate * 100.0
        ));
    }
    ComparedLabel {
        scenario: scenario.to_owned(),
        users,
        label,
        statistic_ms: (b, c),
        mean_ms: (base.mean_ms, current.mean_ms),
        throughput_per_s: (bt, ct),
        error_rate: (base.error_rate, current.error_rate),
        regressions,
    }
}

/// The results with every percentile re-derived from its stored histogram (what a merged or
/// hand-edited file would otherwise get wrong).
pub fn recomputed(results: &RunResults) -> RunResults {
    let mut results = results.clone();
    for step in &mut results.steps {
        for s in &mut step.scenarios {
            let labels = s.transactions.iter_mut().chain(s.requests.iter_mut());
            for summary in labels.chain([&mut s.total_requests, &mut s.iterations]) {
                recompute_percentiles(summary);
            }
        }
    }
    results
}

/// Re-derives a summary's percentiles from its histogram; an unreadable histogram leaves the
/// stored values.
pub fn recompute_percentiles(summary: &mut LabelSummary) {
    let Ok(h) = histogram::decode(&summary.histogram) else {
        return;
    };
    if h.is_empty() {
        return;
    }
    // The stored exact min and max bound a bucket's upper edge, as when the run was recorded.
    let (min, max) = (summary.min_ms, summary.max_ms);
    let ms = |q: f64| (h.value_at_quantile(q) as f64 / 1000.0).clamp(min, max.max(min));
    summary.p50_ms = ms(0.5);
    summary.p90_ms = ms(0.9);
    summary.p95_ms = ms(0.95);
    summary.p99_ms = ms(0.99);
    summary.p999_ms = ms(0.999);
}
