//! What the live outputs know about the run: cumulative series (for Prometheus and OTLP),
//! the recent ticks and the finished steps (for the dashboard), the current gauges.

use std::collections::{BTreeMap, VecDeque};

use loadspec_results::criteria::CriteriaReport;
use loadspec_results::histogram::LatencyHistogram;
use loadspec_results::model::{StepResult, SystemSample};
use serde_json::{Value, json};

use crate::{CustomSample, Kind, RunInfo, Tick};

/// Upper bounds of the Prometheus latency buckets, in seconds: 1 ms to 60 s, the span of
/// web requests from a cache hit to a gateway timeout.
pub(crate) const BUCKETS_S: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];

/// OTLP exponential histograms use scale 4: buckets 2^(1/16) wide, about 4.4 % apart, finer
/// than any threshold people write and at most ~510 buckets from 1 µs to 1 hour.
pub(crate) const EXP_SCALE: i32 = 4;

/// Ticks kept for a dashboard that connects late: one hour at one tick per second.
const HISTORY: usize = 3600;

/// One time series: a label of a scenario in one step.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SeriesKey {
    pub(crate) step: usize,
    pub(crate) scenario: usize,
    pub(crate) kind: Kind,
    pub(crate) label: String,
}

/// One custom metric of a scenario in one step.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CustomKey {
    pub(crate) step: usize,
    pub(crate) scenario: usize,
    pub(crate) kind: &'static str,
    pub(crate) name: String,
}

/// Everything counted for one series since its step began.
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    pub(crate) count: u64,
    pub(crate) failures: u64,
    pub(crate) failures_by_kind: BTreeMap<&'static str, u64>,
    pub(crate) sum_s: f64,
    /// Cumulative counts of samples at or under each bound of [`BUCKETS_S`].
    pub(crate) buckets: [u64; BUCKETS_S.len()],
    /// Exponential histogram buckets (index → count) of positive durations in seconds.
    pub(crate) exp: BTreeMap<i32, u64>,
    pub(crate) min_s: Option<f64>,
    pub(crate) max_s: Option<f64>,
}

impl Series {
    fn absorb(
        &mut self,
        count: u64,
        failures: u64,
        errors: &[(&'static str, u64)],
        h: &LatencyHistogram,
        sum_micros: u64,
    ) {
        self.count += count;
        self.failures += failures;
        for (kind, n) in errors {
            *self.failures_by_kind.entry(kind).or_default() += n;
        }
        self.sum_s += sum_micros as f64 / 1e6;
        if h.is_empty() {
            return;
        }
        for (slot, bound) in self.buckets.iter_mut().zip(BUCKETS_S) {
            *slot += h.count_between(0, (bound * 1e6) as u64);
        }
        for v in h.iter_recorded() {
            let seconds = v.value_iterated_to() as f64 / 1e6;
            *self.exp.entry(exp_index(seconds)).or_default() += v.count_at_value();
        }
        let (lo, hi) = (h.min() as f64 / 1e6, h.max() as f64 / 1e6);
        self.min_s = Some(self.min_s.map_or(lo, |m| m.min(lo)));
        self.max_s = Some(self.max_s.map_or(hi, |m| m.max(hi)));
    }
}

/// The bucket of `value` (> 0) at [`EXP_SCALE`]: bucket `i` holds (base^i, base^(i+1)].
pub(crate) fn exp_index(value: f64) -> i32 {
    let scaled = value.log2() * f64::from(1 << EXP_SCALE);
    (scaled.ceil() as i32).saturating_sub(1)
}

/// The shared state, behind one mutex the coordinator takes once per tick.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) info: RunInfo,
    pub(crate) started_unix_nanos: u64,
    pub(crate) step: Option<usize>,
    pub(crate) active_users: Vec<u32>,
    pub(crate) series: BTreeMap<SeriesKey, Series>,
    /// Custom metrics since their step began.
    pub(crate) custom: BTreeMap<CustomKey, CustomSample>,
    /// The tags each label was sent with, by (scenario, kind, label).
    pub(crate) tags: BTreeMap<(usize, Kind, String), std::collections::BTreeSet<(String, String)>>,
    pub(crate) history: VecDeque<Value>,
    pub(crate) steps_done: Vec<Value>,
    pub(crate) criteria: Option<CriteriaReport>,
    pub(crate) system: Option<SystemSample>,
    pub(crate) lag_p99_ms: Option<f64>,
    /// Set when the run has ended: its status and, once written, the report page.
    pub(crate) finished: Option<(String, Option<String>)>,
}

impl State {
    pub(crate) fn new(info: RunInfo, started_unix_nanos: u64) -> Self {
        let scenarios = info.scenarios.len();
        Self {
            info,
            started_unix_nanos,
            step: None,
            active_users: vec![0; scenarios],
            series: BTreeMap::new(),
            custom: BTreeMap::new(),
            tags: BTreeMap::new(),
            history: VecDeque::new(),
            steps_done: Vec::new(),
            criteria: None,
            system: None,
            lag_p99_ms: None,
            finished: None,
        }
    }

    /// Adds one tick and returns the event the dashboard gets for it.
    pub(crate) fn tick(&mut self, tick: &Tick) -> Value {
        self.step = Some(tick.step);
        self.active_users.clone_from(&tick.active_users);
        if tick.system.is_some() {
            self.system.clone_from(&tick.system);
        }
        if tick.lag_p99_ms.is_some() {
            self.lag_p99_ms = tick.lag_p99_ms;
        }
        let width = tick.width_s.max(1e-9);
        let mut labels = Vec::with_capacity(tick.labels.len());
        let mut errors: BTreeMap<&'static str, u64> = BTreeMap::new();
        for l in &tick.labels {
            let key = SeriesKey {
                step: tick.step,
                scenario: l.scenario,
                kind: l.kind,
                label: l.label.clone(),
            };
            self.series.entry(key).or_default().absorb(
                l.count,
                l.failures,
                &l.errors,
                &l.histogram,
                l.sum_micros,
            );
            if !l.tags.is_empty() {
                self.tags
                    .entry((l.scenario, l.kind, l.label.clone()))
                    .or_default()
                    .extend(l.tags.iter().cloned());
            }
            if l.kind == Kind::Request {
                for (kind, n) in &l.errors {
                    *errors.entry(kind).or_default() += n;
                }
            }
            let h = &l.histogram;
            let q = |q: f64| {
                if h.is_empty() {
                    Value::Null
                } else {
                    json!(h.value_at_quantile(q) as f64 / 1000.0)
                }
            };
            labels.push(json!({
                "scenario": self.info.scenarios.get(l.scenario),
                "kind": l.kind.as_str(),
                "label": l.label,
                "count": l.count,
                "failures": l.failures,
                "rate": l.count as f64 / width,
                "mean_ms": if l.count == 0 { Value::Null } else { json!(l.sum_micros as f64 / l.count as f64 / 1000.0) },
                "p50_ms": q(0.5),
                "p95_ms": q(0.95),
                "p99_ms": q(0.99),
            }));
        }
        for c in &tick.custom {
            let key = CustomKey {
                step: tick.step,
                scenario: c.scenario,
                kind: c.value.kind(),
                name: c.name.clone(),
            };
            match self.custom.get_mut(&key) {
                Some(total) => total.merge(&c.value),
                None => {
                    self.custom.insert(key, c.value.clone());
                }
            }
        }
        let custom: Vec<Value> = self
            .custom
            .iter()
            .filter(|(k, _)| k.step == tick.step)
            .map(|(k, v)| custom_json(self.info.scenarios.get(k.scenario), k, v, tick.elapsed_s))
            .collect();
        let (requests, failures) = self.step_requests(tick.step);
        let event = json!({
            "step": tick.step,
            "t_s": tick.t_s,
            "width_s": tick.width_s,
            "elapsed_s": tick.elapsed_s,
            "planned_s": tick.planned_s,
            "phase": tick.phase,
            "users": tick.active_users.iter().sum::<u32>(),
            "labels": labels,
            "errors": errors,
            "custom": custom,
            "step_requests": requests,
            "step_failures": failures,
            "system": self.system_json(),
        });
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(event.clone());
        event
    }

    /// Requests and failed requests of `step` so far, all scenarios.
    pub(crate) fn step_requests(&self, step: usize) -> (u64, u64) {
        self.series
            .iter()
            .filter(|(k, _)| k.step == step && k.kind == Kind::Request)
            .fold((0, 0), |(r, f), (_, s)| (r + s.count, f + s.failures))
    }

    /// Records a finished step and the criteria judged so far; returns the dashboard's event.
    pub(crate) fn step_finished(
        &mut self,
        step: &StepResult,
        criteria: Option<CriteriaReport>,
    ) -> Value {
        let scenarios: Vec<Value> = step
            .scenarios
            .iter()
            .map(|s| {
                let label = |l: &loadspec_results::model::LabelSummary| {
                    json!({
                        "label": l.label, "count": l.count, "failures": l.failures,
                        "error_rate": l.error_rate, "throughput_per_s": l.throughput_per_s,
                        "mean_ms": l.mean_ms, "p50_ms": l.p50_ms, "p95_ms": l.p95_ms,
                        "p99_ms": l.p99_ms, "max_ms": l.max_ms,
                    })
                };
                json!({
                    "scenario": s.scenario,
                    "users": s.users,
                    "iterations": s.iterations.count,
                    "total": label(&s.total_requests),
                    "requests": s.requests.iter().map(label).collect::<Vec<_>>(),
                    "transactions": s.transactions.iter().map(label).collect::<Vec<_>>(),
                })
            })
            .collect();
        let event = json!({
            "index": step.index,
            "status": step.status,
            "status_reason": step.status_reason,
            "duration_s": step.duration_s,
            "measured_s": step.measured_s,
            "scenarios": scenarios,
        });
        self.steps_done.push(event.clone());
        self.criteria = criteria;
        json!({ "step": event, "criteria": self.criteria })
    }

    fn system_json(&self) -> Value {
        let Some(s) = &self.system else {
            return json!({ "lag_p99_ms": self.lag_p99_ms });
        };
        json!({
            "cpu_busy": 100.0 - s.cpu_idle,
            "cpu_iowait": s.cpu_iowait,
            "process_cpu": s.process_cpu,
            "mem_used": s.mem_used,
            "mem_available": s.mem_available,
            "load1": s.load[0],
            "lag_p99_ms": self.lag_p99_ms,
        })
    }

    /// Everything a dashboard needs when it connects.
    pub(crate) fn snapshot(&self) -> Value {
        json!({
            "run": {
                "name": self.info.name,
                "target": self.info.target,
                "scenarios": self.info.scenarios,
                "steps": self.info.steps.iter().map(|s| json!({"users": s.users, "planned_s": s.planned_s})).collect::<Vec<_>>(),
                "shard": self.info.shard,
            },
            "step": self.step,
            "ticks": self.history,
            "steps_done": self.steps_done,
            "criteria": self.criteria,
            "finished": self.finished.as_ref().map(|(status, _)| status),
        })
    }
}

/// A custom metric's figures of its step so far, for the dashboard.
fn custom_json(
    scenario: Option<&String>,
    key: &CustomKey,
    value: &CustomSample,
    elapsed_s: f64,
) -> Value {
    let figures = match value {
        CustomSample::Counter(n) => json!({ "total": n, "per_s": n / elapsed_s.max(1e-9) }),
        CustomSample::Gauge(g) => json!({ "last": g.last, "min": g.min, "max": g.max }),
        CustomSample::Trend(t) => {
            let s = t.summary();
            json!({ "count": s.count, "mean": s.mean, "p50": s.p50, "p95": s.p95, "p99": s.p99, "max": s.max })
        }
        CustomSample::Rate { trues, total } => json!({
            "trues": trues,
            "total": total,
            "share": if *total == 0 { 0.0 } else { *trues as f64 / *total as f64 },
        }),
    };
    json!({ "scenario": scenario, "kind": key.kind, "name": key.name, "figures": figures })
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadspec_results::histogram::{new_histogram, record};

    #[test]
    fn exponential_buckets_hold_their_upper_bound() {
        let base = 2f64.powf(1.0 / 16.0);
        assert_eq!(exp_index(1.0), -1, "1 is the upper bound of (base^-1, 1]");
        assert_eq!(exp_index(1.0001), 0);
        assert_eq!(exp_index(base), 0);
        assert_eq!(exp_index(base * 1.0001), 1);
        assert_eq!(exp_index(0.5), -17);
    }

    #[test]
    fn series_add_up_counts_buckets_and_extremes() {
        let mut h = new_histogram();
        for ms in [2, 4, 40, 400] {
            record(&mut h, ms * 1000);
        }
        let mut s = Series::default();
        s.absorb(4, 1, &[("http", 1)], &h, 446_000);
        s.absorb(4, 0, &[], &h, 446_000);
        assert_eq!((s.count, s.failures), (8, 1));
        assert_eq!(s.failures_by_kind.get("http"), Some(&1));
        assert!((s.sum_s - 0.892).abs() < 1e-9);
        // ≤ 1 ms: none; ≤ 2.5 ms: one per tick; ≤ 5 ms: two; ≤ 50 ms: three; ≤ 0.5 s: four.
        assert_eq!(&s.buckets[..9], &[0, 2, 4, 4, 4, 6, 6, 6, 8]);
        assert_eq!(s.exp.values().sum::<u64>(), 8);
        assert!(s.min_s.is_some_and(|m| (m - 0.002).abs() < 1e-5));
        assert!(s.max_s.is_some_and(|m| (m - 0.4).abs() < 0.001));
    }
}
