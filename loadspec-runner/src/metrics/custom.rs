//! Custom metrics on the hot path: names interned per worker like request labels, values
//! recorded into the worker's recorder without locks, intervals merged per tick and per step.

use std::collections::HashMap;
use std::sync::Arc;

use loadspec_results::custom::{
    CounterSummary, CustomMetrics, CustomPoint, GaugeStats, RateSummary, TrendPoint, TrendStats,
};
use loadspec_units::CustomKind;

use super::recorder::FxHashMap;

/// Index of a custom metric in one worker's recorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CustomId(u32);

/// The identity of a custom metric across workers: scenario, kind and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CustomKey {
    pub(crate) scenario: usize,
    pub(crate) kind: CustomKind,
    pub(crate) name: Arc<str>,
}

/// What a custom metric accumulated over some time.
#[derive(Debug, Clone)]
pub(crate) enum CustomValue {
    Counter(f64),
    /// `None` until set.
    Gauge(Option<GaugeStats>),
    Trend(Box<TrendStats>),
    Rate {
        trues: u64,
        total: u64,
    },
}

impl CustomValue {
    fn new(kind: CustomKind) -> Self {
        match kind {
            CustomKind::Counter => Self::Counter(0.0),
            CustomKind::Gauge => Self::Gauge(None),
            CustomKind::Trend => Self::Trend(Box::default()),
            CustomKind::Rate => Self::Rate { trues: 0, total: 0 },
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            // A counter that was added 0 still counts as recorded: `touched` tells.
            Self::Counter(_) => false,
            Self::Gauge(g) => g.is_none(),
            Self::Trend(t) => t.count() == 0,
            Self::Rate { total, .. } => *total == 0,
        }
    }

    /// Adds another interval's values of the same metric.
    pub(crate) fn merge(&mut self, other: &CustomValue) {
        match (self, other) {
            (Self::Counter(a), Self::Counter(b)) => *a += b,
            (Self::Gauge(a), Self::Gauge(Some(b))) => match a {
                Some(a) => a.merge(b),
                None => *a = Some(*b),
            },
            (Self::Trend(a), Self::Trend(b)) => a.merge(b),
            (Self::Rate { trues, total }, Self::Rate { trues: t, total: n }) => {
                *trues += t;
                *total += n;
            }
            _ => {}
        }
    }
}

/// A worker's custom metrics: per scenario, per kind, name → id.
#[derive(Debug, Default)]
pub(crate) struct CustomRecorder {
    index: Vec<[FxHashMap<Box<str>, CustomId>; 4]>,
    /// Values since the last interval, and whether anything was recorded.
    values: Vec<(CustomKey, CustomValue, bool)>,
}

impl CustomRecorder {
    pub(crate) fn new(scenarios: usize) -> Self {
        Self {
            index: (0..scenarios).map(|_| Default::default()).collect(),
            values: Vec::new(),
        }
    }

    /// The metric `name` of `kind`, interned on first use.
    #[inline]
    pub(crate) fn id(&mut self, scenario: usize, kind: CustomKind, name: &str) -> CustomId {
        if let Some(id) = self.index[scenario][kind as usize].get(name) {
            return *id;
        }
        self.new_id(scenario, kind, name)
    }

    #[cold]
    #[inline(never)]
    fn new_id(&mut self, scenario: usize, kind: CustomKind, name: &str) -> CustomId {
        let id = CustomId(self.values.len() as u32);
        self.index[scenario][kind as usize].insert(name.into(), id);
        let key = CustomKey {
            scenario,
            kind,
            name: Arc::from(name),
        };
        self.values.push((key, CustomValue::new(kind), false));
        id
    }

    #[inline]
    fn value(&mut self, id: CustomId) -> &mut CustomValue {
        let (_, value, touched) = &mut self.values[id.0 as usize];
        *touched = true;
        value
    }

    /// Adds `n` to a counter.
    pub(crate) fn add(&mut self, id: CustomId, n: f64) {
        if let CustomValue::Counter(total) = self.value(id) {
            *total += n;
        }
    }

    /// Sets a gauge at `at_unix_s`.
    pub(crate) fn set(&mut self, id: CustomId, value: f64, at_unix_s: f64) {
        if let CustomValue::Gauge(gauge) = self.value(id) {
            match gauge {
                Some(g) => g.set(value, at_unix_s),
                None => *gauge = Some(GaugeStats::new(value, at_unix_s)),
            }
        }
    }

    /// Adds a value to a trend.
    pub(crate) fn observe(&mut self, id: CustomId, value: f64) {
        if let CustomValue::Trend(trend) = self.value(id) {
            trend.record(value);
        }
    }

    /// Adds a boolean to a rate.
    pub(crate) fn rate(&mut self, id: CustomId, yes: bool) {
        if let CustomValue::Rate { trues, total } = self.value(id) {
            *trues += u64::from(yes);
            *total += 1;
        }
    }

    /// Moves out what was recorded since the last call.
    pub(crate) fn take(&mut self) -> Vec<(CustomKey, CustomValue)> {
        self.values
            .iter_mut()
            .filter(|(_, _, touched)| *touched)
            .map(|(key, value, touched)| {
                *touched = false;
                let fresh = CustomValue::new(key.kind);
                (key.clone(), std::mem::replace(value, fresh))
            })
            .collect()
    }
}

/// The coordinator's custom metrics of one step: the current tick across workers and the
/// measured window.
#[derive(Debug, Default)]
pub(crate) struct CustomAccumulator {
    tick: HashMap<CustomKey, CustomValue>,
    measured: HashMap<CustomKey, CustomValue>,
}

impl CustomAccumulator {
    /// Adds one worker's interval to the current tick.
    pub(crate) fn add(&mut self, values: Vec<(CustomKey, CustomValue)>) {
        for (key, value) in values {
            merge_into(&mut self.tick, key, value);
        }
    }

    /// The current tick's values (for the abort windows, before `close_tick`).
    pub(crate) fn tick_values(&self) -> impl Iterator<Item = (&CustomKey, &CustomValue)> {
        self.tick.iter()
    }

    /// The current tick's custom metrics of every scenario, for the live outputs.
    pub(crate) fn live(&self) -> Vec<loadspec_live::TickCustom> {
        self.tick
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .filter_map(|(key, value)| {
                let value = match value {
                    CustomValue::Counter(n) => loadspec_live::CustomSample::Counter(*n),
                    CustomValue::Gauge(g) => loadspec_live::CustomSample::Gauge(*g.as_ref()?),
                    CustomValue::Trend(t) => loadspec_live::CustomSample::Trend(t.clone()),
                    CustomValue::Rate { trues, total } => loadspec_live::CustomSample::Rate {
                        trues: *trues,
                        total: *total,
                    },
                };
                Some(loadspec_live::TickCustom {
                    scenario: key.scenario,
                    name: key.name.to_string(),
                    value,
                })
            })
            .collect()
    }

    /// The current tick's custom metrics of `scenario`, for its time series.
    pub(crate) fn point(&self, scenario: usize) -> CustomPoint {
        let mut point = CustomPoint::default();
        for (key, value) in self.tick.iter().filter(|(k, _)| k.scenario == scenario) {
            let name = key.name.to_string();
            match value {
                CustomValue::Counter(n) => {
                    point.counters.insert(name, *n);
                }
                CustomValue::Gauge(Some(g)) => {
                    point.gauges.insert(name, g.summary());
                }
                CustomValue::Trend(t) if t.count() > 0 => {
                    let summary = t.summary();
                    let trend = TrendPoint {
                        count: summary.count,
                        p50: summary.p50,
                        p95: summary.p95,
                    };
                    point.trends.insert(name, trend);
                }
                CustomValue::Rate { trues, total } if *total > 0 => {
                    point.rates.insert(name, RateSummary::new(*trues, *total));
                }
                _ => {}
            }
        }
        point
    }

    /// Closes the tick; its values count in the step's statistics when `measured`.
    pub(crate) fn close_tick(&mut self, measured: bool) {
        for (key, value) in self.tick.drain() {
            if measured {
                merge_into(&mut self.measured, key, value);
            }
        }
    }

    /// The measured window's custom metrics of `scenario`, rates per second over
    /// `measured_s`.
    pub(crate) fn finish(&self, scenario: usize, measured_s: f64) -> CustomMetrics {
        let mut out = CustomMetrics::default();
        for (key, value) in self.measured.iter().filter(|(k, _)| k.scenario == scenario) {
            let name = key.name.to_string();
            match value {
                CustomValue::Counter(total) => {
                    out.counters
                        .insert(name, CounterSummary::new(*total, measured_s));
                }
                CustomValue::Gauge(Some(g)) => {
                    out.gauges.insert(name, g.summary());
                }
                CustomValue::Trend(t) if t.count() > 0 => {
                    out.trends.insert(name, t.summary());
                }
                CustomValue::Rate { trues, total } if *total > 0 => {
                    out.rates.insert(name, RateSummary::new(*trues, *total));
                }
                _ => {}
            }
        }
        out
    }
}

fn merge_into(map: &mut HashMap<CustomKey, CustomValue>, key: CustomKey, value: CustomValue) {
    if value.is_empty() {
        return;
    }
    match map.get_mut(&key) {
        Some(existing) => existing.merge(&value),
        None => {
            map.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_interned_per_scenario_and_kind_and_intervals_carry_what_was_recorded() {
        let mut r = CustomRecorder::new(2);
        let c = r.id(0, CustomKind::Counter, "claims");
        assert_eq!(c, r.id(0, CustomKind::Counter, "claims"));
        assert_ne!(c, r.id(1, CustomKind::Counter, "claims"));
        assert_ne!(c, r.id(0, CustomKind::Rate, "claims"));
        let g = r.id(0, CustomKind::Gauge, "depth");
        let t = r.id(0, CustomKind::Trend, "wait");
        let ok = r.id(0, CustomKind::Rate, "ok");
        let _never = r.id(0, CustomKind::Trend, "never");
        r.add(c, 1.0);
        r.add(c, 2.0);
        r.set(g, 7.0, 10.0);
        r.set(g, 3.0, 11.0);
        for v in [10.0, 20.0, 30.0] {
            r.observe(t, v);
        }
        r.rate(ok, true);
        r.rate(ok, false);
        let mut acc = CustomAccumulator::default();
        acc.add(r.take());
        acc.close_tick(false);
        // The ramp-up's tick does not count; the next one does.
        r.add(c, 5.0);
        r.set(g, 9.0, 12.0);
        r.observe(t, 40.0);
        r.rate(ok, true);
        acc.add(r.take());
        acc.close_tick(true);
        assert!(r.take().is_empty());
        let out = acc.finish(0, 2.0);
        assert_eq!(out.counters["claims"], CounterSummary::new(5.0, 2.0));
        assert_eq!(out.counters["claims"].per_s, 2.5);
        let gauge = &out.gauges["depth"];
        assert_eq!(
            (gauge.last, gauge.min, gauge.max, gauge.count),
            (9.0, 9.0, 9.0, 1)
        );
        assert_eq!(out.trends["wait"].count, 1);
        assert_eq!(out.rates["ok"], RateSummary::new(1, 1));
        assert!(!out.trends.contains_key("never"));
        assert!(acc.finish(1, 2.0).is_empty());
    }
}
