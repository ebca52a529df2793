//! Criteria: one row of a criteria table (the case study's Table 1) — a statistic of a scope,
//! a target and a threshold.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use loadspec_units::{CustomKind, Metric, Unit};

/// What a criterion looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Scope {
    /// Every request of the scenario (every transaction for `deadlocks`, the `failures`
    /// criteria for `peak_failures`).
    All,
    /// One transaction.
    Transaction(String),
    /// One request label, e.g. `GET /api/insurees`.
    Request(String),
    /// Every request label (or, without any, every transaction) sent with a tag, merged:
    /// `"<key>:<value>"`, e.g. `endpoint:search`.
    Tag(String),
    /// A custom counter.
    Counter(String),
    /// A custom gauge.
    Gauge(String),
    /// A custom trend.
    Trend(String),
    /// A custom rate.
    Rate(String),
}

impl Scope {
    /// The custom metric scope of `kind` named `name`.
    pub fn custom(kind: CustomKind, name: impl Into<String>) -> Self {
        let name = name.into();
        match kind {
            CustomKind::Counter => Self::Counter(name),
            CustomKind::Gauge => Self::Gauge(name),
            CustomKind::Trend => Self::Trend(name),
            CustomKind::Rate => Self::Rate(name),
        }
    }

    /// The custom metric a scope names, if it names one.
    pub fn as_custom(&self) -> Option<(CustomKind, &str)> {
        match self {
            Self::Counter(name) => Some((CustomKind::Counter, name)),
            Self::Gauge(name) => Some((CustomKind::Gauge, name)),
            Self::Trend(name) => Some((CustomKind::Trend, name)),
            Self::Rate(name) => Some((CustomKind::Rate, name)),
            _ => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("all"),
            Self::Transaction(name) => write!(f, "transaction {name}"),
            Self::Request(label) => write!(f, "request {label}"),
            Self::Tag(tag) => write!(f, "tag {tag}"),
            other => match other.as_custom() {
                Some((kind, name)) => write!(f, "{} {name}", kind.key()),
                None => Ok(()),
            },
        }
    }
}

/// One criterion: `metric` of `scope` meets `target` (pass), stays within `threshold` (warn),
/// or goes beyond it (fail). Times are in milliseconds, rates are fractions, throughput is per
/// second and `peak_failures` values are multipliers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    /// A display name, e.g. "User authentication requests".
    pub name: Option<String>,
    /// What is looked at.
    pub scope: Scope,
    /// The statistic.
    pub metric: Metric,
    /// The value that passes.
    pub target: f64,
    /// The value beyond which the criterion fails.
    pub threshold: f64,
    /// Stop the run mid-step when the criterion fails over a sliding window (`abort_on_fail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort: Option<AbortWindow>,
}

/// A criterion's sliding-window abort: judged every tick over the last `window_ms` of the
/// step, starting `delay_ms` after the step's start; a fail stops the run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortWindow {
    /// Length of the sliding window, in milliseconds.
    pub window_ms: u64,
    /// Time from the step's start before which nothing is judged nor counted, in milliseconds.
    pub delay_ms: u64,
}

impl AbortWindow {
    /// The window when `abort_on_fail` names none: ten one-second ticks, enough samples for a
    /// p95 at modest load while still stopping within seconds.
    pub const DEFAULT_WINDOW_MS: u64 = 10_000;

    /// A window of `window` after a `delay` (both rounded down to milliseconds).
    pub fn new(window: Duration, delay: Duration) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self {
            window_ms: ms(window),
            delay_ms: ms(delay),
        }
    }
}

impl Default for AbortWindow {
    fn default() -> Self {
        Self {
            window_ms: Self::DEFAULT_WINDOW_MS,
            delay_ms: 0,
        }
    }
}

impl Criterion {
    /// A criterion whose threshold equals its target (pass or fail, no warn).
    pub fn new(scope: Scope, metric: Metric, target: f64) -> Self {
        Self {
            name: None,
            scope,
            metric,
            target,
            threshold: target,
            abort: None,
        }
    }

    /// Stops the run mid-step when this criterion fails over the default sliding window
    /// ([`AbortWindow::DEFAULT_WINDOW_MS`], no delay).
    pub fn abort_on_fail(mut self) -> Self {
        self.abort = Some(AbortWindow::default());
        self
    }

    /// Stops the run mid-step when this criterion fails over the last `window` of the step,
    /// judged from `delay` after the step's start.
    pub fn abort_window(mut self, window: Duration, delay: Duration) -> Self {
        self.abort = Some(AbortWindow::new(window, delay));
        self
    }

    /// Sets the threshold.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// Sets the display name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `"login p95"`, `"http_5xx"`, or the display name.
    pub fn title(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.scope {
            Scope::All => self.metric.key().to_owned(),
            Scope::Transaction(name) | Scope::Request(name) => format!("{name} {}", self.metric),
            Scope::Tag(tag) => format!("tag {tag} {}", self.metric),
            scope => format!("{scope} {}", self.metric),
        }
    }

    /// A value of this criterion for people, in the unit its scope gives the metric.
    pub fn format_value(&self, value: f64) -> String {
        match self.scope.as_custom() {
            Some((kind, _)) => format_notation(kind.notation(self.metric), self.metric, value),
            None => format_value(self.metric, value),
        }
    }

    /// A measured value of this criterion for people.
    pub fn format_measured(&self, value: f64) -> String {
        match self.scope.as_custom() {
            Some(_) => self.format_value(value),
            None => format_measured(self.metric, value),
        }
    }

    /// Checks that the values make sense: threshold not better than target, rates within
    /// 0..1, `http_4xx`/`http_5xx` and the phase metrics (`ttfb_p95`, …) not on a transaction.
    pub fn validate(&self) -> Result<(), String> {
        let finite = self.target.is_finite() && self.threshold.is_finite();
        if !finite || self.target < 0.0 || self.threshold < 0.0 {
            return Err("target and threshold must be finite and not negative".into());
        }
        if self.metric.unit() == Unit::Ratio
            && self.metric != Metric::PeakFailures
            && (self.target > 1.0 || self.threshold > 1.0)
        {
            return Err("a rate cannot exceed 100%".into());
        }
        let worse = if self.metric.higher_is_better() {
            self.threshold > self.target
        } else {
            self.threshold < self.target
        };
        if worse {
            return Err(format!(
                "the target ({}) is worse than the threshold ({}); the threshold is the limit beyond which it fails",
                self.format_value(self.target),
                self.format_value(self.threshold)
            ));
        }
        if let Some(abort) = self.abort {
            if self.metric == Metric::PeakFailures {
                return Err(
                    "peak_failures cannot abort a run: the peak step is only known at its end"
                        .into(),
                );
            }
            if abort.window_ms == 0 {
                return Err("the abort window must be longer than zero".into());
            }
        }
        if let Some((kind, _)) = self.scope.as_custom() {
            if !kind.accepts(self.metric) {
                return Err(format!(
                    "a {} has no `{}`; it has {}",
                    kind.key(),
                    self.metric,
                    kind.metric_list()
                ));
            }
            return Ok(());
        }
        if self.metric.custom_only() {
            return Err(format!(
                "`{}` applies to custom metrics only (a `counter`, `gauge` or `rate` scope)",
                self.metric
            ));
        }
        if let Scope::Tag(tag) = &self.scope {
            loadspec_units::parse_tag(tag).map_err(|e| e.to_string())?;
            if !loadspec_units::tag_accepts(self.metric) {
                return Err(format!(
                    "`{}` cannot be judged on a tag; use times, `failures`, `http_4xx`, `http_5xx` or `throughput`",
                    self.metric
                ));
            }
        }
        if self.metric.requests_only() && matches!(self.scope, Scope::Transaction(_)) {
            return Err(format!(
                "{} applies to requests: use `request = \"...\"` or no scope",
                self.metric
            ));
        }
        Ok(())
    }
}

/// A value in its metric's unit, for people: `2s`, `350ms`, `0.5%`, `120/s`, `2x`.
pub fn format_value(metric: Metric, value: f64) -> String {
    match metric {
        Metric::PeakFailures => format!("{}x", trim(value)),
        m => match m.unit() {
            Unit::Millis if value >= 1000.0 => format!("{}s", trim_to(value / 1000.0, 2)),
            Unit::Millis => format!("{}ms", trim_to(value, 1)),
            Unit::Ratio => format!("{}%", trim(value * 100.0)),
            Unit::PerSecond => format!("{}/s", trim(value)),
            Unit::Number => trim(value),
        },
    }
}

/// A custom metric's value in `notation`: a share as a percentage, a rate per second, a
/// number otherwise.
fn format_notation(notation: loadspec_units::Notation, metric: Metric, value: f64) -> String {
    use loadspec_units::Notation;
    match notation {
        Notation::Number => trim(value),
        _ => format_value(metric, value),
    }
}

/// A measured value in its unit (peak failures are measured as rates).
pub fn format_measured(metric: Metric, value: f64) -> String {
    match metric {
        Metric::PeakFailures => format!("{}%", trim(value * 100.0)),
        m => format_value(m, value),
    }
}

fn trim(value: f64) -> String {
    trim_to(value, 3)
}

/// `value` with at most `decimals` decimals and no trailing zeros.
fn trim_to(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A criterion as `#[assertion]` registers it: const-constructible, validated at compile time.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriterionSpec {
    /// Display name.
    pub name: Option<&'static str>,
    /// Scope kind and name.
    pub scope: ScopeSpec,
    /// The statistic.
    pub metric: Metric,
    /// Target.
    pub target: f64,
    /// Threshold.
    pub threshold: f64,
    /// `abort_on_fail` with its window and delay in milliseconds.
    pub abort: Option<AbortWindow>,
}

/// [`Scope`] with static names.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeSpec {
    /// Every request.
    All,
    /// One transaction.
    Transaction(&'static str),
    /// One request label.
    Request(&'static str),
    /// The labels carrying a tag, `"key:value"`.
    Tag(&'static str),
    /// A custom metric.
    Custom(CustomKind, &'static str),
}

impl CriterionSpec {
    /// The run-time criterion.
    pub fn to_criterion(&self) -> Criterion {
        Criterion {
            name: self.name.map(str::to_owned),
            scope: match self.scope {
                ScopeSpec::All => Scope::All,
                ScopeSpec::Transaction(name) => Scope::Transaction(name.to_owned()),
                ScopeSpec::Request(label) => Scope::Request(label.to_owned()),
                ScopeSpec::Tag(tag) => Scope::Tag(tag.to_owned()),
                ScopeSpec::Custom(kind, name) => Scope::custom(kind, name),
            },
            metric: self.metric,
            target: self.target,
            threshold: self.threshold,
            abort: self.abort,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.key()), Some(m));
        }
    }

    #[test]
    fn values_format_in_their_unit() {
        assert_eq!(format_value(Metric::P95, 2000.0), "2s");
        assert_eq!(format_value(Metric::P95, 350.0), "350ms");
        assert_eq!(format_value(Metric::Failures, 0.005), "0.5%");
        assert_eq!(format_value(Metric::Throughput, 120.0), "120/s");
        assert_eq!(format_value(Metric::PeakFailures, 2.0), "2x");
        assert_eq!(format_value(Metric::Deadlocks, 0.0), "0%");
    }

    #[test]
    fn custom_and_tag_scopes_take_their_own_statistics() {
        let trend = Scope::Trend("wait".into());
        assert!(
            Criterion::new(trend.clone(), Metric::P95, 50.0)
                .validate()
                .is_ok()
        );
        let e = Criterion::new(trend, Metric::Count, 5.0)
            .validate()
            .unwrap_err();
        assert!(e.contains("a trend has no `count`"), "{e}");
        assert!(
            Criterion::new(Scope::All, Metric::Share, 0.5)
                .validate()
                .is_err()
        );
        let share = Criterion::new(Scope::Rate("ok".into()), Metric::Share, 0.95).threshold(0.9);
        assert!(share.validate().is_ok());
        assert_eq!(share.format_value(0.95), "95%");
        assert!(
            Criterion::new(Scope::Rate("ok".into()), Metric::Share, 1.5)
                .validate()
                .is_err()
        );
        let count = Criterion::new(Scope::Counter("c".into()), Metric::Count, 10.0).threshold(20.0);
        assert!(
            count
                .validate()
                .unwrap_err()
                .contains("worse than the threshold")
        );
        let max = Criterion::new(Scope::Gauge("depth".into()), Metric::Max, 20.0);
        assert_eq!(
            (max.format_value(20.0), max.title()),
            ("20".into(), "gauge depth max".into())
        );
        assert!(
            Criterion::new(Scope::Tag("endpoint".into()), Metric::P95, 1.0)
                .validate()
                .is_err()
        );
        assert!(
            Criterion::new(Scope::Tag("a:b".into()), Metric::Deadlocks, 0.0)
                .validate()
                .is_err()
        );
    }

    #[test]
    fn validation_catches_inverted_bounds_and_misplaced_metrics() {
        let tx = Scope::Transaction("login".into());
        assert!(
            Criterion::new(tx.clone(), Metric::P95, 2000.0)
                .threshold(5000.0)
                .validate()
                .is_ok()
        );
        let e = Criterion::new(tx.clone(), Metric::P95, 5000.0)
            .threshold(2000.0)
            .validate()
            .unwrap_err();
        assert!(e.contains("worse than the threshold"), "{e}");
        assert!(
            Criterion::new(Scope::All, Metric::Throughput, 100.0)
                .threshold(80.0)
                .validate()
                .is_ok()
        );
        assert!(
            Criterion::new(Scope::All, Metric::Throughput, 80.0)
                .threshold(100.0)
                .validate()
                .is_err()
        );
        assert!(
            Criterion::new(tx, Metric::Http4xx, 0.01)
                .validate()
                .is_err()
        );
        assert!(
            Criterion::new(Scope::All, Metric::Failures, 1.5)
                .validate()
                .is_err()
        );
        assert!(
            Criterion::new(Scope::All, Metric::PeakFailures, 2.0)
                .threshold(4.0)
                .validate()
                .is_ok()
        );
    }
}
