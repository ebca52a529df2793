//! Mergeable statistics of one label (a transaction, a request label or the iterations) over
//! some time: a worker's current interval, a merged second, or a whole step.

use hdrhistogram::Histogram;

use loadspec_results::ErrorKind;
use loadspec_results::histogram::{self, LatencyHistogram};

use super::phases::{PhaseStats, PhaseTimes};

/// What kind of thing a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum LabelKind {
    Transaction,
    Request,
    Iteration,
}

/// One measured request, transaction or iteration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample<'a> {
    pub(crate) micros: u64,
    pub(crate) status: Option<u16>,
    pub(crate) error: Option<(ErrorKind, &'a str)>,
    /// Requests issued inside a transaction (0 for requests).
    pub(crate) requests: u32,
    pub(crate) bytes_received: u64,
    /// Server-Timing entries of the response (or summed over a transaction's responses).
    pub(crate) server_timing: &'a [(&'a str, f64)],
    /// Open model: the latency measured from when the iteration was due, not from when it
    /// could start (coordinated-omission correction).
    pub(crate) corrected_micros: Option<u64>,
    /// Where a request's time went, when its client measured it.
    pub(crate) phases: Option<&'a PhaseTimes>,
}

/// Failures of one kind, with the first message seen as an example.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorCount {
    pub(crate) kind: ErrorKind,
    pub(crate) count: u64,
    pub(crate) sample: String,
}

/// The sum of one Server-Timing entry over samples.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServerTiming {
    pub(crate) name: std::sync::Arc<str>,
    pub(crate) total_ms: f64,
    pub(crate) count: u64,
}

/// Longest example message kept per error kind; bodies can be large.
const SAMPLE_MESSAGE_LIMIT: usize = 300;

#[derive(Debug, Clone)]
pub(crate) struct LabelStats {
    pub(crate) histogram: LatencyHistogram,
    pub(crate) count: u64,
    pub(crate) failures: u64,
    pub(crate) sum_micros: u64,
    pub(crate) min_micros: u64,
    pub(crate) max_micros: u64,
    pub(crate) requests: u64,
    pub(crate) bytes_received: u64,
    /// (status, count), few entries: a linear scan beats hashing.
    pub(crate) statuses: Vec<(u16, u64)>,
    pub(crate) errors: Vec<ErrorCount>,
    pub(crate) server_timing: Vec<ServerTiming>,
    /// Latencies corrected for coordinated omission; only in runs that correct.
    pub(crate) corrected: Option<LatencyHistogram>,
    /// Failures whose message says an account was locked out, and the first such message.
    pub(crate) lockouts: u64,
    pub(crate) lockout_sample: Option<String>,
    /// The requests' phases, once a request measured them.
    pub(crate) phases: Option<Box<PhaseStats>>,
    /// (key, value) of every tag the samples were sent with, in order of first appearance.
    pub(crate) tags: Vec<(std::sync::Arc<str>, std::sync::Arc<str>)>,
}

impl LabelStats {
    pub(crate) fn new() -> Self {
        Self::with_histogram(histogram::new_histogram())
    }

    /// Empty stats that reuse the shape of `histogram` (cheaper than building new bounds).
    fn with_histogram(histogram: LatencyHistogram) -> Self {
        Self {
            histogram,
            count: 0,
            failures: 0,
            sum_micros: 0,
            min_micros: u64::MAX,
            max_micros: 0,
            requests: 0,
            bytes_received: 0,
            statuses: Vec::new(),
            errors: Vec::new(),
            server_timing: Vec::new(),
            corrected: None,
            lockouts: 0,
            lockout_sample: None,
            phases: None,
            tags: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0 && self.failures == 0
    }

    pub(crate) fn record(&mut self, sample: &Sample<'_>) {
        self.count += 1;
        histogram::record(&mut self.histogram, sample.micros);
        self.sum_micros = self.sum_micros.saturating_add(sample.micros);
        self.min_micros = self.min_micros.min(sample.micros);
        self.max_micros = self.max_micros.max(sample.micros);
        self.requests += u64::from(sample.requests);
        self.bytes_received += sample.bytes_received;
        if let Some(status) = sample.status {
            self.add_status(status, 1);
        }
        if let Some((kind, message)) = sample.error {
            self.failures += 1;
            self.add_error(kind, 1, message);
            self.check_lockout(kind, message);
        }
        for &(name, ms) in sample.server_timing {
            self.add_server_timing(name, ms, 1);
        }
        if let Some(times) = sample.phases {
            self.phases
                .get_or_insert_with(|| Box::new(PhaseStats::new()))
                .record(times);
        }
        if let Some(corrected) = sample.corrected_micros {
            histogram::record(
                self.corrected.get_or_insert_with(histogram::new_histogram),
                corrected,
            );
        }
    }

    /// Closed model: adds the samples HdrHistogram's expected-interval correction says a
    /// stalled request hid (`micros` was already recorded by [`record`](Self::record)).
    pub(crate) fn record_expected_interval(&mut self, micros: u64, interval_micros: u64) {
        let corrected = self.corrected.get_or_insert_with(histogram::new_histogram);
        let value = micros.clamp(1, histogram::HIGHEST_MICROS);
        let _ = corrected.record_correct(value, interval_micros.max(1));
    }

    /// Turns an already recorded success into a failure (a check failed after the response).
    pub(crate) fn record_late_failure(&mut self, kind: ErrorKind, message: &str) {
        self.failures += 1;
        self.add_error(kind, 1, message);
        self.check_lockout(kind, message);
    }

    /// Counts a failure that says an account was locked out: the error summary keeps only the
    /// first message per kind, and a lockout usually follows other failed logins of the same
    /// kind.
    fn check_lockout(&mut self, kind: ErrorKind, message: &str) {
        if loadspec_results::is_lockout(kind, message) {
            self.lockouts += 1;
            if self.lockout_sample.is_none() {
                self.lockout_sample = Some(truncate(message));
            }
        }
    }

    /// Adds a tag a sample was sent with (few per label: a linear scan).
    pub(crate) fn add_tag(&mut self, key: &str, value: &str) {
        if !self.tags.iter().any(|(k, v)| &**k == key && &**v == value) {
            self.tags.push((key.into(), value.into()));
        }
    }

    pub(crate) fn merge(&mut self, other: &LabelStats) {
        if other.is_empty() {
            return;
        }
        for (key, value) in &other.tags {
            self.add_tag(key, value);
        }
        // Both histograms share the same bounds, so `add` cannot fail; on the impossible
        // error the latencies of this interval are dropped rather than panicking.
        let _same_bounds = self.histogram.add(&other.histogram);
        self.count += other.count;
        self.failures += other.failures;
        self.sum_micros = self.sum_micros.saturating_add(other.sum_micros);
        self.min_micros = self.min_micros.min(other.min_micros);
        self.max_micros = self.max_micros.max(other.max_micros);
        self.requests += other.requests;
        self.bytes_received += other.bytes_received;
        for &(status, count) in &other.statuses {
            self.add_status(status, count);
        }
        for error in &other.errors {
            self.add_error(error.kind, error.count, &error.sample);
        }
        for timing in &other.server_timing {
            self.add_server_timing(&timing.name, timing.total_ms, timing.count);
        }
        if let Some(other_corrected) = &other.corrected {
            let corrected = self.corrected.get_or_insert_with(histogram::new_histogram);
            // Same bounds on both sides: `add` cannot fail.
            let _ = corrected.add(other_corrected);
        }
        if let Some(theirs) = &other.phases {
            self.phases
                .get_or_insert_with(|| Box::new(theirs.emptied()))
                .merge(theirs);
        }
        self.lockouts += other.lockouts;
        if self.lockout_sample.is_none() {
            self.lockout_sample.clone_from(&other.lockout_sample);
        }
    }

    /// Moves the accumulated stats out, leaving empty stats behind.
    pub(crate) fn take(&mut self) -> LabelStats {
        let mut empty = Self::with_histogram(Histogram::new_from(&self.histogram));
        empty.corrected = self.corrected.as_ref().map(Histogram::new_from);
        empty.phases = self.phases.as_ref().map(|p| Box::new(p.emptied()));
        std::mem::replace(self, empty)
    }

    pub(crate) fn reset(&mut self) {
        self.histogram.reset();
        self.count = 0;
        self.failures = 0;
        self.sum_micros = 0;
        self.min_micros = u64::MAX;
        self.max_micros = 0;
        self.requests = 0;
        self.bytes_received = 0;
        self.statuses.clear();
        self.errors.clear();
        self.server_timing.clear();
        if let Some(corrected) = &mut self.corrected {
            corrected.reset();
        }
        self.lockouts = 0;
        self.lockout_sample = None;
        self.tags.clear();
        if let Some(phases) = &mut self.phases {
            phases.reset();
        }
    }

    fn add_status(&mut self, status: u16, count: u64) {
        match self.statuses.iter_mut().find(|(s, _)| *s == status) {
            Some(entry) => entry.1 += count,
            None => self.statuses.push((status, count)),
        }
    }

    fn add_server_timing(&mut self, name: &str, ms: f64, count: u64) {
        match self.server_timing.iter_mut().find(|t| &*t.name == name) {
            Some(entry) => {
                entry.total_ms += ms;
                entry.count += count;
            }
            None => self.server_timing.push(ServerTiming {
                name: name.into(),
                total_ms: ms,
                count,
            }),
        }
    }

    fn add_error(&mut self, kind: ErrorKind, count: u64, message: &str) {
        match self.errors.iter_mut().find(|e| e.kind == kind) {
            Some(entry) => entry.count += count,
            None => self.errors.push(ErrorCount {
                kind,
                count,
                sample: truncate(message),
            }),
        }
    }
}

fn truncate(message: &str) -> String {
    if message.len() <= SAMPLE_MESSAGE_LIMIT {
        return message.to_owned();
    }
    let mut end = SAMPLE_MESSAGE_LIMIT;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(micros: u64, status: u16) -> Sample<'static> {
        Sample {
            micros,
            status: Some(status),
            error: None,
            requests: 0,
            bytes_received: 10,
            server_timing: &[],
            corrected_micros: None,
            phases: None,
        }
    }

    #[test]
    fn merging_equals_recording_into_one() {
        let samples: Vec<u64> = (1..=1000).map(|i| i * 37 % 5000 + 1).collect();
        let mut one = LabelStats::new();
        let mut a = LabelStats::new();
        let mut b = LabelStats::new();
        for (i, &v) in samples.iter().enumerate() {
            one.record(&ok(v, 200));
            if i % 3 == 0 {
                a.record(&ok(v, 200))
            } else {
                b.record(&ok(v, 200))
            }
        }
        a.merge(&b);
        assert_eq!(a.count, one.count);
        assert_eq!(a.sum_micros, one.sum_micros);
        assert_eq!(a.min_micros, one.min_micros);
        assert_eq!(a.max_micros, one.max_micros);
        assert_eq!(a.histogram, one.histogram);
        assert_eq!(a.statuses, vec![(200, 1000)]);
    }

    #[test]
    fn errors_keep_counts_and_a_truncated_first_message() {
        let mut stats = LabelStats::new();
        let long = "x".repeat(1000);
        let failed = Sample {
            error: Some((ErrorKind::Http5xx, long.as_str())),
            ..ok(5, 503)
        };
        stats.record(&failed);
        stats.record(&Sample {
            error: Some((ErrorKind::Http5xx, "second")),
            ..ok(5, 503)
        });
        stats.record_late_failure(ErrorKind::CheckFailed, "expected 200");
        assert_eq!(stats.count, 2);
        assert_eq!(stats.failures, 3);
        assert_eq!(stats.errors[0].count, 2);
        assert!(stats.errors[0].sample.len() < 400);
        assert_eq!(stats.errors[1].kind, ErrorKind::CheckFailed);
        let taken = stats.take();
        assert!(stats.is_empty());
        assert_eq!(taken.failures, 3);
    }

    #[test]
    fn lockouts_are_counted_though_their_kind_s_first_message_is_another() {
        let mut a = LabelStats::new();
        let failed = |message| Sample {
            error: Some((ErrorKind::Graphql, message)),
            ..ok(5, 200)
        };
        a.record(&failed("GraphQL error: Invalid credentials"));
        a.record(&failed(
            "GraphQL error: Too many failed attempts.Try again in 5 minutes.",
        ));
        let mut b = LabelStats::new();
        b.record(&failed("GraphQL error: too many failed attempts"));
        b.record_late_failure(ErrorKind::CheckFailed, "login: account locked");
        a.merge(&b);
        assert_eq!(a.errors[0].sample, "GraphQL error: Invalid credentials");
        assert_eq!(a.lockouts, 3);
        assert_eq!(
            a.lockout_sample.as_deref(),
            Some("GraphQL error: Too many failed attempts.Try again in 5 minutes.")
        );
        a.reset();
        assert_eq!((a.lockouts, a.lockout_sample.as_deref()), (0, None));
    }
}
