//! Custom metrics (k6's Counter, Gauge, Trend, Rate) and tags as criteria scopes: which
//! statistics each kind has and how their values are written, for the macros and criteria
//! files alike.

use crate::{Metric, Notation, UnitError};

/// The kind of a custom metric a scenario records (`user.counter("…")`, …); also the key of
/// its criteria scope (`counter = "…"`, `counter:<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CustomKind {
    /// A sum of increments.
    Counter,
    /// A value set from time to time: its last, smallest and largest.
    Gauge,
    /// A distribution of values (durations in milliseconds, or plain numbers).
    Trend,
    /// A share of `true` among booleans.
    Rate,
}

impl CustomKind {
    /// Every kind.
    pub const ALL: [CustomKind; 4] = [Self::Counter, Self::Gauge, Self::Trend, Self::Rate];

    /// `counter`, `gauge`, `trend` or `rate`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Trend => "trend",
            Self::Rate => "rate",
        }
    }

    /// The kind of a scope key.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The statistics criteria can judge on a metric of this kind.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Self::Counter => &[Metric::Count, Metric::Throughput],
            Self::Gauge => &[Metric::Last, Metric::Min, Metric::Max],
            Self::Trend => &[
                Metric::Mean,
                Metric::P50,
                Metric::P90,
                Metric::P95,
                Metric::P99,
                Metric::P999,
                Metric::Max,
            ],
            Self::Rate => &[Metric::Share],
        }
    }

    /// Whether criteria can judge `metric` on a metric of this kind.
    pub fn accepts(self, metric: Metric) -> bool {
        self.metrics().contains(&metric)
    }

    /// How a target of `metric` on this kind is written: `"5/s"` for a counter's
    /// throughput, a percentage for a rate's share, a number (or a duration, in ms) otherwise.
    pub fn notation(self, metric: Metric) -> Notation {
        match metric {
            Metric::Throughput => Notation::Rate,
            Metric::Share => Notation::Percent,
            _ => Notation::Number,
        }
    }

    /// `` `count`, `throughput` `` for messages.
    pub fn metric_list(self) -> String {
        let keys: Vec<String> = self
            .metrics()
            .iter()
            .map(|m| format!("`{}`", m.key()))
            .collect();
        keys.join(", ")
    }
}

/// Whether a tag scope (the merged labels carrying a tag) can judge `metric`: the statistics
/// of a label summary (times, failures, status classes, throughput).
pub fn tag_accepts(metric: Metric) -> bool {
    metric.is_time()
        || matches!(
            metric,
            Metric::Failures | Metric::Http4xx | Metric::Http5xx | Metric::Throughput
        )
}

/// Splits a tag scope `"<key>:<value>"` (at its first `:`; the value may hold more) into its
/// trimmed key and value, both non-empty.
pub fn parse_tag(text: &str) -> Result<(&str, &str), UnitError> {
    let err = |reason: &str| UnitError::Tag {
        value: text.to_owned(),
        reason: reason.into(),
    };
    let (key, value) = text
        .split_once(':')
        .ok_or_else(|| err("the `:` is missing"))?;
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() {
        return Err(err("the key is empty"));
    }
    if value.is_empty() {
        return Err(err("the value is empty"));
    }
    Ok((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_accept_their_statistics() {
        for kind in CustomKind::ALL {
            assert_eq!(CustomKind::parse(kind.key()), Some(kind));
        }
        assert!(CustomKind::Trend.accepts(Metric::P95));
        assert!(!CustomKind::Trend.accepts(Metric::Count));
        assert!(CustomKind::Gauge.accepts(Metric::Max));
        assert!(!CustomKind::Rate.accepts(Metric::Failures));
        assert_eq!(
            CustomKind::Counter.notation(Metric::Throughput),
            Notation::Rate
        );
        assert_eq!(CustomKind::Rate.notation(Metric::Share), Notation::Percent);
        assert_eq!(CustomKind::Trend.notation(Metric::P95), Notation::Number);
    }

    #[test]
    fn numbers_and_tags_parse() {
        assert_eq!(crate::number("17"), Ok(17.0));
        assert_eq!(crate::number(" 0.5 "), Ok(0.5));
        assert_eq!(crate::number("50ms"), Ok(50.0));
        assert_eq!(crate::number("2s"), Ok(2000.0));
        assert!(crate::number("-3").is_err());
        assert!(crate::number("lots").is_err());
        assert_eq!(parse_tag("endpoint:search"), Ok(("endpoint", "search")));
        assert_eq!(parse_tag(" url : http://x "), Ok(("url", "http://x")));
        assert!(parse_tag("endpoint").is_err());
        assert!(parse_tag(":x").is_err());
        assert!(parse_tag("x:").is_err());
    }
}
