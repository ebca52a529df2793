//! Where a request's time goes, phase by phase (k6's `http_req_connecting`,
//! `http_req_tls_handshaking`, `http_req_waiting`, …): the lookup, the TCP connect and the TLS
//! handshake of a request that opened a connection, then sending, waiting for the first byte
//! and receiving, for every request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::histogram::{self, HistogramDecodeError, LatencyHistogram};

/// One phase of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Resolving the host name (not for IP addresses).
    Dns,
    /// The TCP connect.
    Connect,
    /// The TLS handshake.
    Tls,
    /// Writing the request.
    Send,
    /// From the request written to the first byte of the response (time to first byte).
    Wait,
    /// From the first byte of the response to its last.
    Receive,
}

impl Phase {
    /// Every phase, in the order a request goes through them.
    pub const ALL: [Phase; 6] = [
        Self::Dns,
        Self::Connect,
        Self::Tls,
        Self::Send,
        Self::Wait,
        Self::Receive,
    ];

    /// The name in results and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Send => "send",
            Self::Wait => "wait",
            Self::Receive => "receive",
        }
    }

    /// Whether the phase happens only when a request opens a connection.
    pub fn is_connection_setup(self) -> bool {
        matches!(self, Self::Dns | Self::Connect | Self::Tls)
    }
}

/// One phase over a label's requests. Connection phases count only the requests that opened
/// a connection (k6 counts a reused connection's as 0, which hides the handshake's real
/// percentiles behind the reused ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    /// Requests that went through the phase.
    pub count: u64,
    /// Mean over those requests.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// The phase's times: HdrHistogram V2, base64, microseconds.
    pub histogram: String,
}

impl PhaseSummary {
    /// The summary of `histogram`, whose values add up to `sum_micros`.
    pub fn of(histogram: &LatencyHistogram, sum_micros: u64) -> Self {
        let count = histogram.len();
        let ms = |micros: u64| micros as f64 / 1000.0;
        let quantile = |q: f64| {
            if count == 0 {
                0.0
            } else {
                ms(histogram.value_at_quantile(q)).min(ms(histogram.max()))
            }
        };
        Self {
            count,
            mean_ms: if count == 0 {
                0.0
            } else {
                sum_micros as f64 / count as f64 / 1000.0
            },
            p50_ms: quantile(0.5),
            p95_ms: quantile(0.95),
            p99_ms: quantile(0.99),
            max_ms: if count == 0 { 0.0 } else { ms(histogram.max()) },
            histogram: histogram::encode(histogram),
        }
    }

    /// The phase's total time in microseconds (mean × count).
    pub fn total_micros(&self) -> f64 {
        self.mean_ms * 1000.0 * self.count as f64
    }
}

/// The phases of a label's requests, where the client measured them (the direct client does;
/// reqwest's pooled client does not say).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhasesSummary {
    /// Requests measured phase by phase.
    pub requests: u64,
    /// TLS handshakes that resumed an earlier session (abbreviated handshakes).
    #[serde(default)]
    pub tls_resumed: u64,
    /// Requests that went over HTTP/2 (the rest spoke HTTP/1.1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub http2: u64,
    /// Each phase that occurred.
    pub phases: BTreeMap<Phase, PhaseSummary>,
}

impl PhasesSummary {
    /// The phase's mean time per measured request in milliseconds (a connection phase counts
    /// as 0 for requests that reused a connection): the "where the time goes" breakdown,
    /// whose phases add up to the mean request time.
    pub fn mean_per_request_ms(&self, phase: Phase) -> f64 {
        match self.phases.get(&phase) {
            Some(p) if self.requests > 0 => p.total_micros() / self.requests as f64 / 1000.0,
            _ => 0.0,
        }
    }

    /// Adds the phases of several parts (shards) of one label: counts add up, percentiles come
    /// from the added histograms.
    pub fn merge<'a>(
        parts: impl IntoIterator<Item = &'a PhasesSummary>,
    ) -> Result<Option<PhasesSummary>, HistogramDecodeError> {
        let mut requests = 0;
        let mut tls_resumed = 0;
        let mut http2 = 0;
        let mut any = false;
        let mut added: BTreeMap<Phase, (LatencyHistogram, f64)> = BTreeMap::new();
        for part in parts {
            any = true;
            requests += part.requests;
            tls_resumed += part.tls_resumed;
            http2 += part.http2;
            for (phase, summary) in &part.phases {
                let decoded = histogram::decode(&summary.histogram)?;
                let (hist, total) = added
                    .entry(*phase)
                    .or_insert_with(|| (histogram::new_histogram(), 0.0));
                // Both have loadspec's bounds: `add` cannot fail.
                let _same_bounds = hist.add(&decoded);
                *total += summary.total_micros();
            }
        }
        if !any {
            return Ok(None);
        }
        let phases = added
            .into_iter()
            .map(|(phase, (hist, total))| (phase, PhaseSummary::of(&hist, total.round() as u64)))
            .collect();
        Ok(Some(PhasesSummary {
            requests,
            tls_resumed,
            http2,
            phases,
        }))
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary_of(values: &[u64]) -> PhaseSummary {
        let mut h = histogram::new_histogram();
        for &v in values {
            histogram::record(&mut h, v);
        }
        PhaseSummary::of(&h, values.iter().sum())
    }

    #[test]
    fn connection_phases_count_only_the_requests_that_opened_one() {
        let summary = PhasesSummary {
            requests: 10,
            tls_resumed: 1,
            http2: 0,
            phases: BTreeMap::from([
                (Phase::Tls, summary_of(&[4000, 6000])),
                (Phase::Wait, summary_of(&[1000; 10])),
            ]),
        };
        assert_eq!(summary.phases[&Phase::Tls].mean_ms, 5.0);
        // Two handshakes of 5 ms over ten requests: 1 ms per request.
        assert!((summary.mean_per_request_ms(Phase::Tls) - 1.0).abs() < 1e-9);
        assert!((summary.mean_per_request_ms(Phase::Wait) - 1.0).abs() < 1e-9);
        assert_eq!(summary.mean_per_request_ms(Phase::Dns), 0.0);
    }

    #[test]
    fn merged_parts_equal_one_recording_of_all() {
        let a = PhasesSummary {
            requests: 3,
            tls_resumed: 0,
            http2: 2,
            phases: BTreeMap::from([(Phase::Wait, summary_of(&[1000, 2000, 3000]))]),
        };
        let b = PhasesSummary {
            requests: 2,
            tls_resumed: 1,
            http2: 0,
            phases: BTreeMap::from([
                (Phase::Wait, summary_of(&[4000, 5000])),
                (Phase::Tls, summary_of(&[7000])),
            ]),
        };
        let merged = PhasesSummary::merge([&a, &b]).unwrap().unwrap();
        assert_eq!(
            (merged.requests, merged.tls_resumed, merged.http2),
            (5, 1, 2)
        );
        assert_eq!(
            merged.phases[&Phase::Wait],
            summary_of(&[1000, 2000, 3000, 4000, 5000])
        );
        assert_eq!(merged.phases[&Phase::Tls].count, 1);
        assert_eq!(PhasesSummary::merge([]).unwrap(), None);
    }

    #[test]
    fn phases_are_written_by_name() {
        let json = serde_json::to_string(&Phase::Wait).unwrap();
        assert_eq!(json, "\"wait\"");
        for phase in Phase::ALL {
            assert_eq!(
                serde_json::to_string(&phase).unwrap(),
                format!("\"{}\"", phase.as_str())
            );
        }
    }
}
