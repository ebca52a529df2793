//! The coordinator's view of one step: worker intervals merged into per-second points and
//! into the step's statistics.

use std::collections::{BTreeMap, HashMap};

use super::recorder::{Interval, LabelKey, RateLimitSeen};
use super::stats::{LabelKind, LabelStats};
use loadspec_results::histogram::{self, LatencyHistogram};
use loadspec_results::model::{
    CorrectedSummary, ErrorSummary, LabelSummary, LockoutSummary, RateLimitSample,
    ScenarioStepResult, ServerTimingSummary, TimePoint, TransactionPoint,
};

/// The part of a step a tick fell in: only measured ticks count in the step's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Users are still starting.
    RampUp,
    /// Full load, but the target may still be warming up (lazy initialisation, caches).
    Warmup,
    /// The step's hold.
    Measured,
}

/// Accumulates one step of one run.
pub(crate) struct StepAccumulator {
    scenario_names: Vec<String>,
    /// Statistics of the measured window (ramp-up and warm-up excluded).
    measured: HashMap<LabelKey, LabelStats>,
    /// First-appearance order of labels, so reports list transactions as the flow runs them.
    order: HashMap<LabelKey, usize>,
    /// The current tick, merged across workers; reset after every tick.
    tick: HashMap<LabelKey, LabelStats>,
    tick_active: Vec<u32>,
    scratch: LatencyHistogram,
    time_series: Vec<Vec<TimePoint>>,
    interrupted: Vec<u64>,
    dropped: Vec<u64>,
    tick_dropped: Vec<u64>,
    /// Open model, per scenario: start lags of the measured window, and of the current tick.
    start_lag: Vec<LatencyHistogram>,
    tick_start_lag: Vec<LatencyHistogram>,
    /// Per scenario: the step's first 429, whatever the phase.
    rate_limits: Vec<Option<RateLimitSeen>>,
    custom: super::custom::CustomAccumulator,
}

impl StepAccumulator {
    pub(crate) fn new(scenario_names: Vec<String>) -> Self {
        let n = scenario_names.len();
        Self {
            scenario_names,
            measured: HashMap::new(),
            order: HashMap::new(),
            tick: HashMap::new(),
            tick_active: vec![0; n],
            scratch: histogram::new_histogram(),
            time_series: vec![Vec::new(); n],
            interrupted: vec![0; n],
            dropped: vec![0; n],
            tick_dropped: vec![0; n],
            start_lag: (0..n).map(|_| histogram::new_histogram()).collect(),
            tick_start_lag: (0..n).map(|_| histogram::new_histogram()).collect(),
            rate_limits: vec![None; n],
            custom: Default::default(),
        }
    }

    /// Adds one worker's interval to the current tick.
    pub(crate) fn add_interval(&mut self, interval: Interval) {
        self.custom.add(interval.custom);
        for (key, stats) in interval.labels {
            let next = self.order.len();
            self.order.entry(key.clone()).or_insert(next);
            match self.tick.get_mut(&key) {
                Some(existing) => existing.merge(&stats),
                None => {
                    self.tick.insert(key, stats);
                }
            }
        }
        for (total, active) in self.tick_active.iter_mut().zip(&interval.active_users) {
            *total += active;
        }
        for (total, n) in self.interrupted.iter_mut().zip(&interval.interrupted) {
            *total += n;
        }
        for (tick, n) in self.tick_dropped.iter_mut().zip(&interval.dropped) {
            *tick += n;
        }
        for (tick, lags) in self.tick_start_lag.iter_mut().zip(&interval.start_lag) {
            if let Some(lags) = lags {
                let _same_bounds = tick.add(lags);
            }
        }
        for (first, seen) in self.rate_limits.iter_mut().zip(interval.rate_limits) {
            if let Some(seen) = seen
                && first.as_ref().is_none_or(|f| seen.at < f.at)
            {
                *first = Some(seen);
            }
        }
    }

    /// Closes the current tick: records its time point and, when measured (not in the ramp-up
    /// or the warm-up), adds it to the step's statistics.
    pub(crate) fn close_tick(&mut self, t_s: f64, width_s: f64, phase: Phase) {
        for scenario in 0..self.scenario_names.len() {
            let point = self.time_point(scenario, t_s, width_s, phase);
            self.time_series[scenario].push(point);
        }
        for (key, stats) in &mut self.tick {
            if stats.is_empty() {
                continue;
            }
            if phase == Phase::Measured {
                match self.measured.get_mut(key) {
                    Some(existing) => existing.merge(stats),
                    None => {
                        self.measured.insert(key.clone(), stats.clone());
                    }
                }
            }
            stats.reset();
        }
        self.custom.close_tick(phase == Phase::Measured);
        // Dropped arrivals count like the iterations they would have been: measured ticks only,
        // so the dropped share compares like with like.
        if phase == Phase::Measured {
            for (total, tick) in self.dropped.iter_mut().zip(&self.tick_dropped) {
                *total += tick;
            }
            for (total, tick) in self.start_lag.iter_mut().zip(&self.tick_start_lag) {
                let _same_bounds = total.add(tick);
            }
        }
        self.tick_start_lag
            .iter_mut()
            .for_each(LatencyHistogram::reset);
        self.tick_active.iter_mut().for_each(|a| *a = 0);
        self.tick_dropped.iter_mut().for_each(|d| *d = 0);
    }

    fn time_point(&mut self, scenario: usize, t_s: f64, width_s: f64, phase: Phase) -> TimePoint {
        self.scratch.reset();
        let (mut requests, mut failures, mut rate_limited) = (0, 0, 0);
        let mut transactions = BTreeMap::new();
        for (key, stats) in &self.tick {
            if key.scenario != scenario || stats.is_empty() {
                continue;
            }
            match key.kind {
                LabelKind::Request => {
                    requests += stats.count;
                    failures += stats.failures;
                    rate_limited += stats
                        .statuses
                        .iter()
                        .filter(|(status, _)| *status == 429)
                        .map(|(_, n)| n)
                        .sum::<u64>();
                    let _same_bounds = self.scratch.add(&stats.histogram);
                }
                LabelKind::Transaction => {
                    transactions.insert(
                        key.name.to_string(),
                        TransactionPoint {
                            count: stats.count,
                            failures: stats.failures,
                            p50_ms: quantile_ms(&stats.histogram, 0.5),
                            p95_ms: quantile_ms(&stats.histogram, 0.95),
                        },
                    );
                }
                LabelKind::Iteration => {}
            }
        }
        TimePoint {
            t_s,
            width_s,
            ramp_up: phase == Phase::RampUp,
            warmup: phase == Phase::Warmup,
            active_users: self.tick_active[scenario],
            dropped: self.tick_dropped[scenario],
            rate_limited,
            requests,
            failures,
            p50_ms: quantile_ms(&self.scratch, 0.5),
            p95_ms: quantile_ms(&self.scratch, 0.95),
            transactions,
            custom: self.custom.point(scenario),
        }
    }

    /// Requests and failures in the current tick across scenarios, for progress display.
    pub(crate) fn tick_requests(&self) -> (u64, u64) {
        self.tick
            .iter()
            .filter(|(k, _)| k.kind == LabelKind::Request)
            .fold((0, 0), |(r, f), (_, s)| (r + s.count, f + s.failures))
    }

    /// The current tick's labels, for the live outputs.
    pub(crate) fn live_labels(&self) -> Vec<loadspec_live::TickLabel> {
        self.tick
            .iter()
            .filter(|(_, stats)| !stats.is_empty())
            .map(|(key, stats)| loadspec_live::TickLabel {
                scenario: key.scenario,
                kind: match key.kind {
                    LabelKind::Request => loadspec_live::Kind::Request,
                    LabelKind::Transaction => loadspec_live::Kind::Transaction,
                    LabelKind::Iteration => loadspec_live::Kind::Iteration,
                },
                label: key.name.to_string(),
                count: stats.count,
                failures: stats.failures,
                errors: stats
                    .errors
                    .iter()
                    .map(|e| (e.kind.as_str(), e.count))
                    .collect(),
                histogram: stats.histogram.clone(),
                sum_micros: stats.sum_micros,
                tags: stats
                    .tags
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            })
            .collect()
    }

    /// The current tick's custom metrics, for the live outputs.
    pub(crate) fn live_custom(&self) -> Vec<loadspec_live::TickCustom> {
        self.custom.live()
    }

    /// Users running in each scenario in the current tick.
    pub(crate) fn tick_active_per_scenario(&self) -> Vec<u32> {
        self.tick_active.clone()
    }

    /// The current tick's statistics per label (for the abort windows, before `close_tick`).
    pub(crate) fn tick_labels(&self) -> impl Iterator<Item = (&LabelKey, &LabelStats)> {
        self.tick.iter()
    }

    /// The current tick's custom metrics (for the abort windows, before `close_tick`).
    pub(crate) fn tick_custom(
        &self,
    ) -> impl Iterator<Item = (&super::custom::CustomKey, &super::custom::CustomValue)> {
        self.custom.tick_values()
    }

    /// The current tick's dropped arrivals per scenario.
    pub(crate) fn tick_dropped(&self) -> &[u64] {
        &self.tick_dropped
    }

    /// Users running in the current tick across scenarios.
    pub(crate) fn tick_active_users(&self) -> u32 {
        self.tick_active.iter().sum()
    }

    /// The step's results per scenario, with throughput over `measured_s` seconds; times of
    /// the first 429s count from `run_start`.
    pub(crate) fn finish(
        self,
        users: &[u32],
        measured_s: f64,
        run_start: std::time::Instant,
    ) -> Vec<ScenarioStepResult> {
        let Self {
            scenario_names,
            measured,
            order,
            mut time_series,
            interrupted,
            dropped,
            start_lag,
            mut rate_limits,
            custom,
            ..
        } = self;
        let mut labels: Vec<(LabelKey, LabelStats)> = measured.into_iter().collect();
        labels.sort_by_key(|(key, _)| order.get(key).copied().unwrap_or(usize::MAX));
        scenario_names
            .iter()
            .enumerate()
            .map(|(scenario, name)| {
                let mine = || labels.iter().filter(move |(k, _)| k.scenario == scenario);
                let of_kind = |kind| {
                    mine()
                        .filter(move |(k, _)| k.kind == kind)
                        .map(|(k, s)| summarize(&k.name, s, measured_s))
                };
                let mut total = LabelStats::new();
                for (_, stats) in mine().filter(|(k, _)| k.kind == LabelKind::Request) {
                    total.merge(stats);
                }
                let iterations = mine()
                    .find(|(k, _)| k.kind == LabelKind::Iteration)
                    .map_or_else(
                        || summarize(name, &LabelStats::new(), measured_s),
                        |(_, s)| summarize(name, s, measured_s),
                    );
                ScenarioStepResult {
                    scenario: name.clone(),
                    users: users.get(scenario).copied().unwrap_or(0),
                    iterations,
                    interrupted_iterations: interrupted[scenario],
                    dropped_iterations: dropped[scenario],
                    start_lag: loadspec_results::model::StartLagSummary::of(&start_lag[scenario]),
                    transactions: of_kind(LabelKind::Transaction).collect(),
                    requests: of_kind(LabelKind::Request).collect(),
                    total_requests: summarize("Total", &total, measured_s),
                    time_series: std::mem::take(&mut time_series[scenario]),
                    rate_limit: rate_limits[scenario].take().map(|seen| RateLimitSample {
                        at_s: seen.at.saturating_duration_since(run_start).as_secs_f64(),
                        label: seen.label.to_string(),
                        message: seen.message,
                        retry_after: seen.retry_after,
                        headers: seen.headers,
                    }),
                    custom: custom.finish(scenario, measured_s),
                }
            })
            .collect()
    }
}

fn quantile_ms(histogram: &LatencyHistogram, quantile: f64) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        micros_to_ms(histogram.value_at_quantile(quantile))
    }
}

fn micros_to_ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// Summarizes one label's statistics.
pub(crate) fn summarize(label: &str, stats: &LabelStats, measured_s: f64) -> LabelSummary {
    let h = &stats.histogram;
    let count = stats.count;
    // A histogram reports a bucket's upper edge; the exact min and max bound what it may claim.
    let quantile_ms = |h: &LatencyHistogram, q: f64| {
        if count == 0 {
            0.0
        } else {
            micros_to_ms(
                h.value_at_quantile(q)
                    .clamp(stats.min_micros, stats.max_micros),
            )
        }
    };
    LabelSummary {
        label: label.to_owned(),
        count,
        failures: stats.failures,
        error_rate: if count == 0 {
            0.0
        } else {
            stats.failures as f64 / count as f64
        },
        throughput_per_s: if measured_s > 0.0 {
            count as f64 / measured_s
        } else {
            0.0
        },
        mean_ms: if count == 0 {
            0.0
        } else {
            stats.sum_micros as f64 / count as f64 / 1000.0
        },
        min_ms: if count == 0 {
            0.0
        } else {
            micros_to_ms(stats.min_micros)
        },
        p50_ms: quantile_ms(h, 0.5),
        p90_ms: quantile_ms(h, 0.9),
        p95_ms: quantile_ms(h, 0.95),
        p99_ms: quantile_ms(h, 0.99),
        p999_ms: quantile_ms(h, 0.999),
        max_ms: micros_to_ms(stats.max_micros),
        status_codes: stats
            .statuses
            .iter()
            .map(|(s, n)| (s.to_string(), *n))
            .collect(),
        errors: stats
            .errors
            .iter()
            .map(|e| ErrorSummary {
                kind: e.kind,
                count: e.count,
                sample: e.sample.clone(),
            })
            .collect(),
        requests_per_transaction: (stats.requests > 0)
            .then(|| stats.requests as f64 / count.max(1) as f64),
        bytes_received: stats.bytes_received,
        corrected: stats.corrected.as_ref().filter(|h| !h.is_empty()).map(|h| {
            let ms = |q: f64| micros_to_ms(h.value_at_quantile(q));
            CorrectedSummary {
                count: h.len(),
                p50_ms: ms(0.5),
                p90_ms: ms(0.9),
                p95_ms: ms(0.95),
                p99_ms: ms(0.99),
                p999_ms: ms(0.999),
                max_ms: micros_to_ms(h.max()),
                histogram: histogram::encode(h),
            }
        }),
        server_timing: stats
            .server_timing
            .iter()
            .map(|t| {
                let summary = ServerTimingSummary {
                    mean_ms: t.total_ms / t.count.max(1) as f64,
                    count: t.count,
                };
                (t.name.to_string(), summary)
            })
            .collect(),
        histogram: histogram::encode(h),
        phases: stats.phases.as_ref().and_then(|p| p.summary()),
        lockouts: stats
            .lockout_sample
            .as_ref()
            .filter(|_| stats.lockouts > 0)
            .map(|sample| LockoutSummary {
                count: stats.lockouts,
                sample: sample.clone(),
            }),
        tags: tag_map(&stats.tags),
    }
}

/// Tags as `key → values` (values in order of first appearance).
fn tag_map(tags: &[(std::sync::Arc<str>, std::sync::Arc<str>)]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in tags {
        map.entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }
    map
}
