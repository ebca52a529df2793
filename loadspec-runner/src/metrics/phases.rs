//! A request's phases as the direct client measures them, and their statistics per label.

use hdrhistogram::Histogram;

use loadspec_results::histogram::{self, LatencyHistogram};
use loadspec_results::phases::{Phase, PhaseSummary, PhasesSummary};

/// Where one request's time went, in µs (summed over the hops of a redirect chain). The
/// connection phases are `None` for a request that reused its connection (and `dns` for an IP
/// address, which needs no lookup).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PhaseTimes {
    pub(crate) dns: Option<u64>,
    pub(crate) connect: Option<u64>,
    pub(crate) tls: Option<u64>,
    /// The handshake resumed an earlier TLS session.
    pub(crate) tls_resumed: bool,
    /// The (last hop's) exchange went over HTTP/2.
    pub(crate) http2: bool,
    pub(crate) send: u64,
    pub(crate) wait: u64,
    pub(crate) receive: u64,
}

impl PhaseTimes {
    /// Each phase the request went through, with its time.
    fn each(&self) -> [(Phase, Option<u64>); 6] {
        [
            (Phase::Dns, self.dns),
            (Phase::Connect, self.connect),
            (Phase::Tls, self.tls),
            (Phase::Send, Some(self.send)),
            (Phase::Wait, Some(self.wait)),
            (Phase::Receive, Some(self.receive)),
        ]
    }

    /// Adds a later hop's phases (a redirect), so the chain's phases add up to its time.
    pub(crate) fn add(&mut self, later: &PhaseTimes) {
        let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.dns = sum(self.dns, later.dns);
        self.connect = sum(self.connect, later.connect);
        self.tls = sum(self.tls, later.tls);
        self.tls_resumed |= later.tls_resumed;
        self.http2 = later.http2;
        self.send += later.send;
        self.wait += later.wait;
        self.receive += later.receive;
    }
}

/// One phase over some requests.
#[derive(Debug, Clone)]
struct PhaseStat {
    histogram: LatencyHistogram,
    sum_micros: u64,
}

/// The phases of one label's requests over some time (mergeable like `LabelStats`).
#[derive(Debug, Clone)]
pub(crate) struct PhaseStats {
    requests: u64,
    tls_resumed: u64,
    http2: u64,
    /// Indexed like [`Phase::ALL`].
    phases: [PhaseStat; 6],
}

impl PhaseStats {
    pub(crate) fn new() -> Self {
        Self::shaped_like(None)
    }

    fn shaped_like(other: Option<&PhaseStats>) -> Self {
        let stat = |i: usize| PhaseStat {
            histogram: match other {
                Some(other) => Histogram::new_from(&other.phases[i].histogram),
                None => histogram::new_phase_histogram(),
            },
            sum_micros: 0,
        };
        Self {
            requests: 0,
            tls_resumed: 0,
            http2: 0,
            phases: std::array::from_fn(stat),
        }
    }

    pub(crate) fn record(&mut self, times: &PhaseTimes) {
        self.requests += 1;
        self.tls_resumed += u64::from(times.tls_resumed);
        self.http2 += u64::from(times.http2);
        for (stat, (_, micros)) in self.phases.iter_mut().zip(times.each()) {
            if let Some(micros) = micros {
                histogram::record(&mut stat.histogram, micros);
                stat.sum_micros = stat.sum_micros.saturating_add(micros);
            }
        }
    }

    pub(crate) fn merge(&mut self, other: &PhaseStats) {
        self.requests += other.requests;
        self.tls_resumed += other.tls_resumed;
        self.http2 += other.http2;
        for (stat, theirs) in self.phases.iter_mut().zip(&other.phases) {
            // Same bounds on both sides: `add` cannot fail.
            let _same_bounds = stat.histogram.add(&theirs.histogram);
            stat.sum_micros = stat.sum_micros.saturating_add(theirs.sum_micros);
        }
    }

    /// Empty stats of the same shape (cheaper than new bounds).
    pub(crate) fn emptied(&self) -> Self {
        Self::shaped_like(Some(self))
    }

    pub(crate) fn reset(&mut self) {
        self.requests = 0;
        self.tls_resumed = 0;
        self.http2 = 0;
        for stat in &mut self.phases {
            stat.histogram.reset();
            stat.sum_micros = 0;
        }
    }

    pub(crate) fn summary(&self) -> Option<PhasesSummary> {
        (self.requests > 0).then(|| PhasesSummary {
            requests: self.requests,
            tls_resumed: self.tls_resumed,
            http2: self.http2,
            phases: Phase::ALL
                .into_iter()
                .zip(&self.phases)
                .filter(|(_, stat)| !stat.histogram.is_empty())
                .map(|(phase, stat)| (phase, PhaseSummary::of(&stat.histogram, stat.sum_micros)))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_connection_adds_no_handshake_and_hops_add_up() {
        let opened = PhaseTimes {
            connect: Some(300),
            tls: Some(2000),
            send: 10,
            wait: 1000,
            receive: 50,
            ..PhaseTimes::default()
        };
        let reused = PhaseTimes {
            send: 10,
            wait: 3000,
            receive: 50,
            ..PhaseTimes::default()
        };
        let mut stats = PhaseStats::new();
        stats.record(&opened);
        stats.record(&reused);
        let mut other = stats.emptied();
        let mut chain = reused;
        chain.add(&opened);
        other.record(&chain);
        stats.merge(&other);
        let summary = stats.summary().unwrap();
        assert_eq!(summary.requests, 3);
        assert_eq!(summary.phases[&Phase::Tls].count, 2);
        assert_eq!(summary.phases[&Phase::Wait].count, 3);
        assert!(!summary.phases.contains_key(&Phase::Dns));
        // 1000 + 3000 + 4000 µs of waiting over three requests.
        assert!((summary.mean_per_request_ms(Phase::Wait) - 8.0 / 3.0).abs() < 1e-9);
        stats.reset();
        assert_eq!(stats.summary(), None);
    }
}
