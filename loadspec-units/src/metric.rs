//! The metrics criteria judge: one vocabulary for `#[assertion]` keys (checked at compile
//! time by the macros), criteria files and results.

use std::fmt;

/// What a criterion measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Metric {
    /// Mean time.
    Mean,
    /// Median time.
    P50,
    /// 90th percentile time.
    P90,
    /// 95th percentile time.
    P95,
    /// 99th percentile time.
    P99,
    /// 99.9th percentile time.
    P999,
    /// Slowest time.
    Max,
    /// 95th percentile time to first byte: the `wait` phase, from the request written to the
    /// first byte of the response (k6's `http_req_waiting`). Measured by the direct client.
    TtfbP95,
    /// 95th percentile TLS handshake time over the requests that did one (k6's
    /// `http_req_tls_handshaking`). Measured by the direct client.
    TlsP95,
    /// 95th percentile TCP connect time over the requests that opened a connection (k6's
    /// `http_req_connecting`). Measured by the direct client.
    ConnectP95,
    /// Share of responses with a 4xx status.
    #[cfg_attr(feature = "serde", serde(rename = "http_4xx"))]
    Http4xx,
    /// Share of responses with a 5xx status.
    #[cfg_attr(feature = "serde", serde(rename = "http_5xx"))]
    Http5xx,
    /// Share of failed samples (transactions, requests).
    Failures,
    /// Share of transactions that hung (past `hung_after`) or were classified as deadlocks.
    Deadlocks,
    /// Samples per second: a lower bound.
    Throughput,
    /// Open model: share of arrivals dropped because no user was free.
    Dropped,
    /// Failure rates at the peak step, as a multiple of the `failures` targets.
    PeakFailures,
    /// A custom counter's total over the step (`counter = "…"` scopes only): a lower bound.
    Count,
    /// A custom rate's share of `true` values (`rate = "…"` scopes only): a lower bound.
    Share,
    /// A custom gauge's last value (`gauge = "…"` scopes only).
    Last,
    /// A custom gauge's smallest value (`gauge = "…"` scopes only).
    Min,
}

/// How a metric's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Millis,
    /// A fraction (shown as a percentage).
    Ratio,
    /// Per second.
    PerSecond,
    /// A plain number (custom metrics: counts, gauge values, trend values).
    Number,
}

impl Metric {
    /// Every metric, for listings and error messages.
    pub const ALL: [Metric; 21] = [
        Self::Mean,
        Self::P50,
        Self::P90,
        Self::P95,
        Self::P99,
        Self::P999,
        Self::Max,
        Self::TtfbP95,
        Self::TlsP95,
        Self::ConnectP95,
        Self::Http4xx,
        Self::Http5xx,
        Self::Failures,
        Self::Deadlocks,
        Self::Throughput,
        Self::Dropped,
        Self::PeakFailures,
        Self::Count,
        Self::Share,
        Self::Last,
        Self::Min,
    ];

    /// The key used in attributes and criteria files.
    pub fn key(self) -> &'static str {
        match self {
            Self::Mean => "mean",
            Self::P50 => "p50",
            Self::P90 => "p90",
            Self::P95 => "p95",
            Self::P99 => "p99",
            Self::P999 => "p999",
            Self::Max => "max",
            Self::TtfbP95 => "ttfb_p95",
            Self::TlsP95 => "tls_p95",
            Self::ConnectP95 => "connect_p95",
            Self::Http4xx => "http_4xx",
            Self::Http5xx => "http_5xx",
            Self::Failures => "failures",
            Self::Deadlocks => "deadlocks",
            Self::Throughput => "throughput",
            Self::Dropped => "dropped",
            Self::PeakFailures => "peak_failures",
            Self::Count => "count",
            Self::Share => "share",
            Self::Last => "last",
            Self::Min => "min",
        }
    }

    /// The metric of a key.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Whether the metric is a time statistic of the whole response time.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Self::Mean | Self::P50 | Self::P90 | Self::P95 | Self::P99 | Self::P999 | Self::Max
        )
    }

    /// Whether the metric is a time statistic of one phase of a request (`wait`, `tls`,
    /// `connect`), which only clients that time requests phase by phase measure.
    pub fn is_phase(self) -> bool {
        matches!(self, Self::TtfbP95 | Self::TlsP95 | Self::ConnectP95)
    }

    /// Whether the metric looks at requests only (all of them, or one request label), never
    /// at a transaction: status classes and request phases.
    pub fn requests_only(self) -> bool {
        matches!(self, Self::Http4xx | Self::Http5xx) || self.is_phase()
    }

    /// The unit of measured values (peak failures are judged on failure rates).
    pub fn unit(self) -> Unit {
        match self {
            m if m.is_time() || m.is_phase() => Unit::Millis,
            Self::Throughput => Unit::PerSecond,
            Self::Count | Self::Last | Self::Min => Unit::Number,
            _ => Unit::Ratio,
        }
    }

    /// Whether bigger measured values are better: throughput, and a custom counter's count
    /// and a custom rate's share.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Self::Throughput | Self::Count | Self::Share)
    }

    /// Whether the metric only applies to a custom metric's scope (`count`, `share`, `last`,
    /// `min`).
    pub fn custom_only(self) -> bool {
        matches!(self, Self::Count | Self::Share | Self::Last | Self::Min)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How a metric's target and threshold are written in attributes and criteria files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// `"2s"`, read in milliseconds.
    Duration,
    /// `"0.5%"`, read as a fraction.
    Percent,
    /// `"50/s"`, read per second.
    Rate,
    /// `"2x"`, read as the factor.
    Multiplier,
    /// `17`, `"0.5"`, or a duration read in milliseconds (`"50ms"`): custom metrics' values.
    Number,
}

impl Metric {
    /// How targets and thresholds of this metric are written.
    pub fn notation(self) -> Notation {
        match self {
            Self::Mean
            | Self::P50
            | Self::P90
            | Self::P95
            | Self::P99
            | Self::P999
            | Self::Max
            | Self::TtfbP95
            | Self::TlsP95
            | Self::ConnectP95 => Notation::Duration,
            Self::Http4xx
            | Self::Http5xx
            | Self::Failures
            | Self::Deadlocks
            | Self::Dropped
            | Self::Share => Notation::Percent,
            Self::Count | Self::Last | Self::Min => Notation::Number,
            Self::Throughput => Notation::Rate,
            Self::PeakFailures => Notation::Multiplier,
        }
    }

    /// Parses a target or threshold of this metric written in its [`Notation`]: milliseconds
    /// for times, a fraction for shares, per second for throughput, the factor for peaks.
    pub fn parse_value(self, text: &str) -> Result<f64, crate::UnitError> {
        self.notation().parse(text)
    }
}

impl Notation {
    /// Parses a value written in this notation (times into milliseconds, shares into
    /// fractions, rates per second).
    pub fn parse(self, text: &str) -> Result<f64, crate::UnitError> {
        match self {
            Notation::Duration => crate::duration(text).map(|d| d.as_secs_f64() * 1000.0),
            Notation::Percent => crate::percent(text),
            Notation::Rate => crate::rate(text),
            Notation::Multiplier => crate::multiplier(text),
            Notation::Number => crate::number(text),
        }
    }
}
