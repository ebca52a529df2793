//! Custom metrics a scenario records (k6's Counter, Gauge, Trend and Rate): the mergeable
//! statistics the runner accumulates and `loadspec merge` adds up, and their summaries in
//! `results.json`.
//!
//! Trend values share the latency histograms' codec: a value is stored in thousandths (a
//! duration's milliseconds become microseconds, as for latencies), so trends of durations
//! and label histograms read alike; values range from 0.001 to 3,600,000 (1 h in ms) and
//! saturate at both ends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::histogram::{self, HistogramDecodeError, LatencyHistogram};

/// The custom metrics one scenario recorded in one step's measured window, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomMetrics {
    /// `user.counter(name).add(n)`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, CounterSummary>,
    /// `user.gauge(name).set(v)`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gauges: BTreeMap<String, GaugeSummary>,
    /// `user.trend(name).add(v)`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trends: BTreeMap<String, TrendSummary>,
    /// `user.rate(name).add(bool)`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rates: BTreeMap<String, RateSummary>,
}

impl CustomMetrics {
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
            && self.gauges.is_empty()
            && self.trends.is_empty()
            && self.rates.is_empty()
    }

    /// Adds `other` (another shard's figures of the same step): counters and rates add up,
    /// gauges keep the extremes and the later last value, trends add their histograms; rates
    /// per second divide by `measured_s`.
    pub fn merge(
        &mut self,
        other: &CustomMetrics,
        measured_s: f64,
    ) -> Result<(), HistogramDecodeError> {
        for (name, c) in &other.counters {
            let total = self.counters.get(name).map_or(0.0, |mine| mine.total) + c.total;
            self.counters
                .insert(name.clone(), CounterSummary::new(total, measured_s));
        }
        for (name, g) in &other.gauges {
            let mut stats = GaugeStats::from(g);
            if let Some(mine) = self.gauges.get(name) {
                stats.merge(&GaugeStats::from(mine));
            }
            self.gauges.insert(name.clone(), stats.summary());
        }
        for (name, t) in &other.trends {
            let mut stats = TrendStats::from_summary(t)?;
            if let Some(mine) = self.trends.get(name) {
                stats.merge(&TrendStats::from_summary(mine)?);
            }
            self.trends.insert(name.clone(), stats.summary());
        }
        for (name, r) in &other.rates {
            let (mut trues, mut total) = (r.trues, r.total);
            if let Some(mine) = self.rates.get(name) {
                trues += mine.trues;
                total += mine.total;
            }
            self.rates
                .insert(name.clone(), RateSummary::new(trues, total));
        }
        Ok(())
    }
}

/// Custom metrics in one tick of a step's time series (ramp-up and warm-up included).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomPoint {
    /// Each counter's increments in the tick.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, f64>,
    /// Each gauge's values set in the tick.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gauges: BTreeMap<String, GaugeSummary>,
    /// Each trend's values in the tick.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trends: BTreeMap<String, TrendPoint>,
    /// Each rate's values in the tick.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rates: BTreeMap<String, RateSummary>,
}

/// A trend in one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// Values added.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl CustomPoint {
    /// Whether nothing was recorded in the tick.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
            && self.gauges.is_empty()
            && self.trends.is_empty()
            && self.rates.is_empty()
    }

    /// Adds another shard's tick: counters and rates add up, gauges merge, a trend's
    /// percentiles are the count-weighted means of the shards' (as for labels' ticks).
    pub fn merge(&mut self, other: &CustomPoint) {
        for (name, n) in &other.counters {
            *self.counters.entry(name.clone()).or_insert(0.0) += n;
        }
        for (name, g) in &other.gauges {
            let mut stats = GaugeStats::from(g);
            if let Some(mine) = self.gauges.get(name) {
                stats.merge(&GaugeStats::from(mine));
            }
            self.gauges.insert(name.clone(), stats.summary());
        }
        for (name, t) in &other.trends {
            let merged = match self.trends.get(name) {
                Some(mine) => {
                    let count = mine.count + t.count;
                    let weighted = |a: f64, b: f64| {
                        (a * mine.count as f64 + b * t.count as f64) / count.max(1) as f64
                    };
                    TrendPoint {
                        count,
                        p50: weighted(mine.p50, t.p50),
                        p95: weighted(mine.p95, t.p95),
                    }
                }
                None => t.clone(),
            };
            self.trends.insert(name.clone(), merged);
        }
        for (name, r) in &other.rates {
            let (trues, total) = self
                .rates
                .get(name)
                .map_or((0, 0), |mine| (mine.trues, mine.total));
            self.rates.insert(
                name.clone(),
                RateSummary::new(trues + r.trues, total + r.total),
            );
        }
    }
}

/// A counter over a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterSummary {
    /// The sum of every `add`.
    pub total: f64,
    /// `total / measured_s`.
    pub per_s: f64,
}

impl CounterSummary {
    /// The summary of `total` over `measured_s` seconds.
    pub fn new(total: f64, measured_s: f64) -> Self {
        Self {
            total,
            per_s: if measured_s > 0.0 {
                total / measured_s
            } else {
                0.0
            },
        }
    }
}

/// A gauge over a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaugeSummary {
    /// The value set last.
    pub last: f64,
    /// When it was set, in seconds since the Unix epoch (merges keep the later one).
    pub last_at_unix_s: f64,
    /// The smallest value set.
    pub min: f64,
    /// The largest value set.
    pub max: f64,
    /// How many times it was set.
    pub count: u64,
}

/// A rate (share of `true`) over a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateSummary {
    /// `trues / total` (0 without values).
    pub share: f64,
    /// Values that were `true`.
    pub trues: u64,
    /// Values added.
    pub total: u64,
}

impl RateSummary {
    /// The summary of `trues` out of `total`.
    pub fn new(trues: u64, total: u64) -> Self {
        Self {
            share: if total == 0 {
                0.0
            } else {
                trues as f64 / total as f64
            },
            trues,
            total,
        }
    }
}

/// A trend over a step: durations in milliseconds, or plain values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendSummary {
    /// Values added.
    pub count: u64,
    /// Exact mean.
    pub mean: f64,
    /// Exact smallest value.
    pub min: f64,
    /// Median (from the histogram, 3 significant digits).
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Exact largest value.
    pub max: f64,
    /// Every value in thousandths (a duration's microseconds) as an HdrHistogram V2 blob,
    /// base64, like a label's `histogram`.
    pub histogram: String,
}

/// A gauge's values as they accumulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugeStats {
    /// The value set last.
    pub last: f64,
    /// When, in seconds since the Unix epoch.
    pub last_at_unix_s: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Values set.
    pub count: u64,
}

impl GaugeStats {
    /// One value set at `at_unix_s`.
    pub fn new(value: f64, at_unix_s: f64) -> Self {
        Self {
            last: value,
            last_at_unix_s: at_unix_s,
            min: value,
            max: value,
            count: 1,
        }
    }

    /// Sets the gauge at `at_unix_s`.
    pub fn set(&mut self, value: f64, at_unix_s: f64) {
        self.merge(&Self::new(value, at_unix_s));
    }

    /// Adds another gauge's values; the last value is the one set later (ties keep `self`).
    pub fn merge(&mut self, other: &GaugeStats) {
        if other.last_at_unix_s >= self.last_at_unix_s {
            self.last = other.last;
            self.last_at_unix_s = other.last_at_unix_s;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.count += other.count;
    }

    /// Its summary.
    pub fn summary(&self) -> GaugeSummary {
        GaugeSummary {
            last: self.last,
            last_at_unix_s: self.last_at_unix_s,
            min: self.min,
            max: self.max,
            count: self.count,
        }
    }
}

impl From<&GaugeSummary> for GaugeStats {
    fn from(g: &GaugeSummary) -> Self {
        Self {
            last: g.last,
            last_at_unix_s: g.last_at_unix_s,
            min: g.min,
            max: g.max,
            count: g.count,
        }
    }
}

/// The largest trend value: the histograms' 1 h, in milliseconds.
pub const TREND_MAX: f64 = histogram::HIGHEST_MICROS as f64 / 1000.0;

/// A trend's values as they accumulate: a histogram in thousandths and the exact count,
/// sum and extremes.
#[derive(Debug, Clone)]
pub struct TrendStats {
    histogram: LatencyHistogram,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for TrendStats {
    fn default() -> Self {
        Self::new()
    }
}

impl TrendStats {
    /// No values yet.
    pub fn new() -> Self {
        Self {
            histogram: histogram::new_histogram(),
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds one value (negative values and NaN count as 0, values past 3,600,000 as
    /// 3,600,000: the histogram's range, and finite figures for `results.json`).
    #[inline]
    pub fn record(&mut self, value: f64) {
        let value = if value > 0.0 {
            value.min(TREND_MAX)
        } else {
            0.0
        };
        // The float-to-int cast saturates, and `record` clamps into the histogram's range.
        histogram::record(&mut self.histogram, (value * 1000.0).round() as u64);
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Adds another trend's values.
    pub fn merge(&mut self, other: &TrendStats) {
        // Both histograms have loadspec's bounds: adding never fails.
        let _same_bounds = self.histogram.add(&other.histogram);
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Its summary; percentiles are bounded by the exact extremes.
    pub fn summary(&self) -> TrendSummary {
        let (min, max) = if self.count == 0 {
            (0.0, 0.0)
        } else {
            (self.min, self.max)
        };
        let q = |quantile: f64| {
            if self.count == 0 {
                0.0
            } else {
                (self.histogram.value_at_quantile(quantile) as f64 / 1000.0).clamp(min, max)
            }
        };
        TrendSummary {
            count: self.count,
            mean: if self.count == 0 {
                0.0
            } else {
                self.sum / self.count as f64
            },
            min,
            p50: q(0.5),
            p90: q(0.9),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max,
            histogram: histogram::encode(&self.histogram),
        }
    }

    /// The statistics a stored summary holds, to merge it with others.
    pub fn from_summary(summary: &TrendSummary) -> Result<Self, HistogramDecodeError> {
        let histogram = histogram::decode(&summary.histogram)?;
        Ok(Self {
            count: histogram.len().max(summary.count),
            histogram,
            sum: summary.mean * summary.count as f64,
            min: if summary.count == 0 {
                f64::INFINITY
            } else {
                summary.min
            },
            max: if summary.count == 0 {
                f64::NEG_INFINITY
            } else {
                summary.max
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within the histogram's 3 significant digits (it reports a bucket's upper edge).
    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= want * 1e-3
    }

    #[test]
    fn trends_give_percentiles_of_known_values_and_survive_a_round_trip() {
        let mut t = TrendStats::new();
        for v in 1..=100 {
            t.record(f64::from(v));
        }
        let s = t.summary();
        assert_eq!((s.count, s.min, s.max), (100, 1.0, 100.0));
        assert_eq!(s.mean, 50.5);
        for (got, want) in [(s.p50, 50.0), (s.p90, 90.0), (s.p95, 95.0), (s.p99, 99.0)] {
            assert!(close(got, want), "{got} vs {want}");
        }
        let back = TrendStats::from_summary(&s).expect("own encoding");
        assert_eq!(back.summary(), s);
        // Values outside the range stay finite, so `results.json` can hold them.
        let mut odd = TrendStats::new();
        for v in [f64::NAN, -5.0, f64::INFINITY] {
            odd.record(v);
        }
        let s = odd.summary();
        assert_eq!((s.count, s.min, s.max), (3, 0.0, TREND_MAX));
        assert!(s.mean.is_finite() && s.p99 <= TREND_MAX, "{s:?}");
    }

    #[test]
    fn shards_merge_counters_gauges_trends_and_rates() {
        let mut a = CustomMetrics::default();
        let mut b = CustomMetrics::default();
        a.counters
            .insert("c".into(), CounterSummary::new(30.0, 10.0));
        b.counters
            .insert("c".into(), CounterSummary::new(10.0, 10.0));
        a.gauges
            .insert("g".into(), GaugeStats::new(5.0, 100.0).summary());
        let mut g = GaugeStats::new(9.0, 50.0);
        g.set(2.0, 101.0);
        b.gauges.insert("g".into(), g.summary());
        let (mut ta, mut tb) = (TrendStats::new(), TrendStats::new());
        (1..=50).for_each(|v| ta.record(f64::from(v)));
        (51..=100).for_each(|v| tb.record(f64::from(v)));
        a.trends.insert("t".into(), ta.summary());
        b.trends.insert("t".into(), tb.summary());
        a.rates.insert("r".into(), RateSummary::new(3, 4));
        b.rates.insert("r".into(), RateSummary::new(1, 4));
        b.rates.insert("only_b".into(), RateSummary::new(1, 1));
        a.merge(&b, 10.0).expect("valid histograms");
        assert_eq!(
            a.counters["c"],
            CounterSummary {
                total: 40.0,
                per_s: 4.0
            }
        );
        let g = &a.gauges["g"];
        assert_eq!((g.last, g.min, g.max, g.count), (2.0, 2.0, 9.0, 3));
        let t = &a.trends["t"];
        assert_eq!((t.count, t.mean, t.max), (100, 50.5, 100.0));
        assert!(close(t.p50, 50.0) && close(t.p95, 95.0), "{t:?}");
        assert_eq!(a.rates["r"], RateSummary::new(4, 8));
        assert_eq!(a.rates["r"].share, 0.5);
        assert_eq!(a.rates["only_b"].total, 1);
    }
}
