//! One row of numbers per step, all scenarios together: what the scalability chart, the knee,
//! the findings and the headline figures look at.

use std::collections::BTreeMap;

use loadspec_results::histogram::{LatencyHistogram, decode, new_histogram};
use loadspec_results::model::{LabelSummary, RunResults, ScenarioStepResult};

/// What the totals count: requests, or iterations when the scenarios send no HTTP at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis {
    /// Every request of every scenario.
    Requests,
    /// Every iteration (scenarios without requests).
    Iterations,
}

impl Basis {
    /// `requests` or `iterations`.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::Requests => "requests",
            Self::Iterations => "iterations",
        }
    }
}

/// All scenarios of one step together.
#[derive(Debug, Clone)]
pub(crate) struct StepTotals {
    /// `StepResult::index`.
    pub(crate) step: usize,
    /// Users of all scenarios.
    pub(crate) users: u32,
    /// Samples (requests or iterations).
    pub(crate) count: u64,
    /// Failed samples.
    pub(crate) failures: u64,
    /// Samples per second over the measured window.
    pub(crate) throughput: f64,
    /// Median in milliseconds.
    pub(crate) p50: f64,
    /// 95th percentile.
    pub(crate) p95: f64,
    /// 99th percentile.
    pub(crate) p99: f64,
    /// Slowest sample.
    pub(crate) max: f64,
    /// The merged latency histogram, when every stored one decodes.
    pub(crate) histogram: Option<LatencyHistogram>,
    /// Responses per status code.
    pub(crate) status_codes: BTreeMap<String, u64>,
    /// Iterations cut off at the step's hard stop.
    pub(crate) interrupted_iterations: u64,
}

impl StepTotals {
    /// `failures / count`.
    pub(crate) fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.failures as f64 / self.count as f64
        }
    }
}

/// The totals of every step, in run order, and what they count.
pub(crate) fn step_totals(results: &RunResults) -> (Basis, Vec<StepTotals>) {
    let has_requests = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .any(|s| s.total_requests.count > 0);
    let basis = if has_requests || results.steps.is_empty() {
        Basis::Requests
    } else {
        Basis::Iterations
    };
    let pick = |s: &'_ ScenarioStepResult| -> LabelSummary {
        match basis {
            Basis::Requests => s.total_requests.clone(),
            Basis::Iterations => s.iterations.clone(),
        }
    };
    let totals = results
        .steps
        .iter()
        .map(|step| {
            let parts: Vec<LabelSummary> = step.scenarios.iter().map(pick).collect();
            let histogram = merge(&parts);
            let (p50, p95, p99, max) = match (&parts[..], &histogram) {
                // One scenario: its stored statistics are exact, no need to re-derive them.
                ([one], _) => (one.p50_ms, one.p95_ms, one.p99_ms, one.max_ms),
                (_, Some(h)) if !h.is_empty() => (
                    h.value_at_quantile(0.50) as f64 / 1000.0,
                    h.value_at_quantile(0.95) as f64 / 1000.0,
                    h.value_at_quantile(0.99) as f64 / 1000.0,
                    h.max() as f64 / 1000.0,
                ),
                // Undecodable histograms: the worst scenario is an upper bound.
                _ => {
                    let worst =
                        |f: fn(&LabelSummary) -> f64| parts.iter().map(f).fold(0.0, f64::max);
                    (
                        worst(|l| l.p50_ms),
                        worst(|l| l.p95_ms),
                        worst(|l| l.p99_ms),
                        worst(|l| l.max_ms),
                    )
                }
            };
            let mut status_codes = BTreeMap::new();
            for part in &parts {
                for (code, n) in &part.status_codes {
                    *status_codes.entry(code.clone()).or_insert(0) += n;
                }
            }
            StepTotals {
                step: step.index,
                users: step.scenarios.iter().map(|s| s.users).sum(),
                count: parts.iter().map(|l| l.count).sum(),
                failures: parts.iter().map(|l| l.failures).sum(),
                throughput: parts.iter().map(|l| l.throughput_per_s).sum(),
                p50,
                p95,
                p99,
                max,
                histogram,
                status_codes,
                interrupted_iterations: step
                    .scenarios
                    .iter()
                    .map(|s| s.interrupted_iterations)
                    .sum(),
            }
        })
        .collect();
    (basis, totals)
}

/// The sum of the parts' histograms; `None` if one does not decode.
fn merge(parts: &[LabelSummary]) -> Option<LatencyHistogram> {
    let mut merged = new_histogram();
    for part in parts {
        merged.add(decode(&part.histogram).ok()?).ok()?;
    }
    Some(merged)
}
