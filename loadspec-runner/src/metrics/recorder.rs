//! The per-worker recorder: every user on a worker thread records into it without locks,
//! channels or allocations; the coordinator collects its interval once per tick.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::samples::SampleRow;
use super::stats::{LabelKind, LabelStats, Sample};
use loadspec_results::ErrorKind;

/// Index of a label in one worker's recorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LabelId(u32);

/// The identity of a label across workers: scenario, kind and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct LabelKey {
    pub(crate) scenario: usize,
    pub(crate) kind: LabelKind,
    pub(crate) name: Arc<str>,
}

/// What a worker hands over at each tick.
#[derive(Debug, Default)]
pub(crate) struct Interval {
    pub(crate) labels: Vec<(LabelKey, LabelStats)>,
    /// Users currently running, per scenario.
    pub(crate) active_users: Vec<u32>,
    /// Iterations cut off by a step's hard stop, per scenario.
    pub(crate) interrupted: Vec<u64>,
    /// Rows for the sample log, when it is on.
    pub(crate) samples: Vec<SampleRow>,
    /// Per scenario: requests in a row, up to now, that could not reach the target.
    pub(crate) consecutive_unreachable: Vec<u32>,
    /// How late the worker's probe timer fired (µs): scheduling lag.
    pub(crate) lag: Option<loadspec_results::histogram::LatencyHistogram>,
    /// Open model, per scenario: arrivals that found no free user.
    pub(crate) dropped: Vec<u64>,
    /// Open model, per scenario: how late iterations started after they were due (µs).
    pub(crate) start_lag: Vec<Option<loadspec_results::histogram::LatencyHistogram>>,
    /// Per scenario: the interval's first `429 Too Many Requests`, if any.
    pub(crate) rate_limits: Vec<Option<RateLimitSeen>>,
    /// Custom metrics recorded in the interval.
    pub(crate) custom: Vec<(super::custom::CustomKey, super::custom::CustomValue)>,
}

/// A `429 Too Many Requests` answer: when, to which request, and what the target said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RateLimitSeen {
    pub(crate) at: std::time::Instant,
    pub(crate) label: Arc<str>,
    pub(crate) message: String,
    pub(crate) retry_after: Option<String>,
    /// Rate-limit headers by lower-case name.
    pub(crate) headers: std::collections::BTreeMap<String, String>,
}

/// A fast, non-cryptographic hasher for short keys chosen by the scenario author (label names,
/// URLs): the FxHash of rustc. Every request looks its label up, and SipHash, built to resist
/// flooding by untrusted keys, costs more than the rest of recording the sample.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` hashed with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Entries of the cache of request routes without ids (a power of two).
const ROUTE_SLOTS: usize = 64;

/// A request route whose label is the route itself (nothing in it looked like an id).
#[derive(Debug)]
struct KnownRoute {
    scenario: usize,
    method: Box<str>,
    route: Box<str>,
    label: LabelId,
}

#[derive(Debug)]
pub(crate) struct Recorder {
    /// Per scenario, per kind: name → label.
    index: Vec<[FxHashMap<Box<str>, LabelId>; 3]>,
    labels: Vec<(LabelKey, LabelStats)>,
    active_users: Vec<u32>,
    interrupted: Vec<u64>,
    unreachable: super::unreachable::Streaks,
    dropped: Vec<u64>,
    /// Open model, per scenario: start lags, created by the first.
    start_lag: Vec<Option<loadspec_results::histogram::LatencyHistogram>>,
    /// Per scenario: the first 429 of the current interval.
    rate_limits: Vec<Option<RateLimitSeen>>,
    expected_interval: Option<u64>,
    /// Created on the first lag measurement: recorders in tests never need one.
    lag: Option<loadspec_results::histogram::LatencyHistogram>,
    /// `Some` when the per-sample log is on.
    samples: Option<Vec<SampleRow>>,
    /// Reused buffer for request-label templating.
    pub(crate) scratch: String,
    /// Request routes without ids, by hash: their label, without templating them again.
    routes: Vec<Option<KnownRoute>>,
    /// Whether the HTTP clients of the users recording here apply their scenario's request
    /// timeout themselves (a worker's clients do), so requests need not carry it one by one.
    clients_apply_request_timeout: bool,
    /// The scenarios' custom metrics (`user.counter(..)`, …).
    pub(crate) custom: super::custom::CustomRecorder,
}

impl Recorder {
    pub(crate) fn new(scenarios: usize, sampling: bool) -> Self {
        Self {
            index: (0..scenarios).map(|_| Default::default()).collect(),
            labels: Vec::new(),
            active_users: vec![0; scenarios],
            interrupted: vec![0; scenarios],
            unreachable: super::unreachable::Streaks::new(scenarios),
            dropped: vec![0; scenarios],
            start_lag: vec![None; scenarios],
            rate_limits: vec![None; scenarios],
            expected_interval: None,
            lag: None,
            samples: sampling.then(Vec::new),
            scratch: String::with_capacity(128),
            routes: Vec::new(),
            clients_apply_request_timeout: false,
            custom: super::custom::CustomRecorder::new(scenarios),
        }
    }

    /// Declares that the clients of the users recording here were built with their scenario's
    /// request timeout as the client's default (see [`Self::clients_apply_request_timeout`]).
    pub(crate) fn set_clients_apply_request_timeout(&mut self, applied: bool) {
        self.clients_apply_request_timeout = applied;
    }

    /// Whether the users' clients time requests out by themselves: a request then needs no
    /// timeout of its own (setting one costs an allocation per request in reqwest).
    #[inline]
    pub(crate) fn clients_apply_request_timeout(&self) -> bool {
        self.clients_apply_request_timeout
    }

    /// The label for `name`, interned on first use.
    #[inline]
    pub(crate) fn label(&mut self, scenario: usize, kind: LabelKind, name: &str) -> LabelId {
        let slot = kind as usize;
        if let Some(id) = self.index[scenario][slot].get(name) {
            return *id;
        }
        self.new_label(scenario, kind, name)
    }

    #[cold]
    #[inline(never)]
    fn new_label(&mut self, scenario: usize, kind: LabelKind, name: &str) -> LabelId {
        let slot = kind as usize;
        let id = LabelId(self.labels.len() as u32);
        let key = LabelKey {
            scenario,
            kind,
            name: Arc::from(name),
        };
        self.index[scenario][slot].insert(name.into(), id);
        self.labels.push((key, LabelStats::new()));
        id
    }

    /// The label of a request, templated from its method and path (uses the scratch buffer).
    ///
    /// Routes without ids (whose label is their path) are remembered in a small direct-mapped
    /// cache, so a request to one of them skips the templating; paths with ids vary from
    /// request to request and are templated each time, like routes that find their slot taken.
    pub(crate) fn request_label(&mut self, scenario: usize, method: &str, path: &str) -> LabelId {
        // The query and fragment never reach the label.
        let route = super::label::route_part(path);
        let slot = {
            let mut hasher = FxHasher::default();
            hasher.write_usize(scenario);
            hasher.write(method.as_bytes());
            hasher.write_u8(b' ');
            hasher.write(route.as_bytes());
            (hasher.finish() >> (64 - ROUTE_SLOTS.trailing_zeros())) as usize
        };
        if let Some(Some(known)) = self.routes.get(slot)
            && known.scenario == scenario
            && *known.method == *method
            && *known.route == *route
        {
            return known.label;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let templated = super::label::write_request_label(&mut scratch, method, path);
        let id = self.label(scenario, LabelKind::Request, &scratch);
        self.scratch = scratch;
        if !templated {
            if self.routes.is_empty() {
                self.routes.resize_with(ROUTE_SLOTS, || None);
            }
            // First come keeps the slot: two routes sharing one never evict each other (which
            // would allocate on every request), the second is just templated each time.
            if self.routes[slot].is_some() {
                return id;
            }
            self.routes[slot] = Some(KnownRoute {
                scenario,
                method: method.into(),
                route: route.into(),
                label: id,
            });
        }
        id
    }

    #[inline]
    pub(crate) fn record(&mut self, label: LabelId, sample: &Sample<'_>) {
        let stats = &mut self.labels[label.0 as usize].1;
        stats.record(sample);
        if let (None, Some(interval)) = (sample.corrected_micros, self.expected_interval) {
            stats.record_expected_interval(sample.micros, interval);
        }
    }

    /// Closed model: correct latencies for coordinated omission with this interval (µs).
    pub(crate) fn set_expected_interval(&mut self, interval_micros: Option<u64>) {
        self.expected_interval = interval_micros;
    }

    /// Whether a 429 of `scenario` should be described: only the interval's first is kept, so
    /// later ones cost nothing.
    pub(crate) fn wants_rate_limit(&self, scenario: usize) -> bool {
        self.rate_limits.get(scenario).is_some_and(Option::is_none)
    }

    /// Keeps the interval's first 429 of `scenario`.
    pub(crate) fn rate_limited(&mut self, scenario: usize, seen: RateLimitSeen) {
        if let Some(slot) = self.rate_limits.get_mut(scenario) {
            slot.get_or_insert(seen);
        }
    }

    /// Records how late (µs) an open-model iteration of `scenario` started after it was due.
    pub(crate) fn start_lag(&mut self, scenario: usize, micros: u64) {
        if let Some(slot) = self.start_lag.get_mut(scenario) {
            let lags = slot.get_or_insert_with(loadspec_results::histogram::new_histogram);
            loadspec_results::histogram::record(lags, micros);
        }
    }

    /// Counts an open-model arrival that found no free user.
    pub(crate) fn dropped(&mut self, scenario: usize) {
        self.dropped[scenario] += 1;
    }

    /// Adds the tags a sample of `label` was sent with.
    pub(crate) fn tag(&mut self, label: LabelId, tags: &[(&str, &str)]) {
        let stats = &mut self.labels[label.0 as usize].1;
        for &(key, value) in tags {
            stats.add_tag(key, value);
        }
    }

    pub(crate) fn record_late_failure(&mut self, label: LabelId, kind: ErrorKind, message: &str) {
        self.labels[label.0 as usize]
            .1
            .record_late_failure(kind, message);
    }

    /// Whether requests and transactions should be logged one by one.
    pub(crate) fn sampling(&self) -> bool {
        self.samples.is_some()
    }

    /// The name of a label (shared, not copied).
    pub(crate) fn label_name(&self, label: LabelId) -> Arc<str> {
        Arc::clone(&self.labels[label.0 as usize].0.name)
    }

    /// Users running now: (of `scenario`, of all scenarios).
    pub(crate) fn running(&self, scenario: usize) -> (u32, u32) {
        (self.active_users[scenario], self.active_users.iter().sum())
    }

    /// Records how late the worker's probe timer fired.
    pub(crate) fn record_lag(&mut self, micros: u64) {
        let lag = self
            .lag
            .get_or_insert_with(loadspec_results::histogram::new_histogram);
        loadspec_results::histogram::record(lag, micros);
    }

    /// Counts a request that could not reach the target, or resets the count on any answer.
    #[inline]
    pub(crate) fn reachability(&mut self, scenario: usize, unreachable: bool) {
        self.unreachable.record(scenario, unreachable);
    }

    /// Raises `alarm` when a scenario's unreachable streak reaches its entry in `limits`.
    pub(crate) fn arm_unreachable_alarm(
        &mut self,
        limits: Vec<Option<u32>>,
        alarm: Arc<super::unreachable::UnreachableAlarm>,
    ) {
        self.unreachable.arm(limits, alarm);
    }

    pub(crate) fn push_sample(&mut self, row: SampleRow) {
        if let Some(samples) = &mut self.samples {
            samples.push(row);
        }
    }

    pub(crate) fn user_started(&mut self, scenario: usize) {
        self.active_users[scenario] += 1;
    }

    pub(crate) fn user_stopped(&mut self, scenario: usize) {
        self.active_users[scenario] = self.active_users[scenario].saturating_sub(1);
    }

    pub(crate) fn iteration_interrupted(&mut self, scenario: usize) {
        self.interrupted[scenario] += 1;
    }

    /// Hands over everything recorded since the last call.
    pub(crate) fn take_interval(&mut self) -> Interval {
        let labels = self
            .labels
            .iter_mut()
            .filter(|(_, stats)| !stats.is_empty())
            .map(|(key, stats)| (key.clone(), stats.take()))
            .collect();
        let interrupted = self.interrupted.iter_mut().map(std::mem::take).collect();
        // The next interval likely logs as many rows: reserve them now rather than grow the
        // log by doubling (and copying) it again in every interval.
        let samples = self
            .samples
            .as_mut()
            .map(|rows| std::mem::replace(rows, Vec::with_capacity(rows.len())))
            .unwrap_or_default();
        Interval {
            labels,
            active_users: self.active_users.clone(),
            interrupted,
            samples,
            consecutive_unreachable: self.unreachable.current(),
            dropped: self.dropped.iter_mut().map(std::mem::take).collect(),
            start_lag: self
                .start_lag
                .iter_mut()
                .map(|slot| {
                    slot.as_mut().filter(|lags| !lags.is_empty()).map(|lags| {
                        std::mem::replace(lags, hdrhistogram::Histogram::new_from(lags))
                    })
                })
                .collect(),
            rate_limits: self.rate_limits.iter_mut().map(Option::take).collect(),
            custom: self.custom.take(),
            lag: self
                .lag
                .as_mut()
                .filter(|lag| !lag.is_empty())
                .map(|lag| std::mem::replace(lag, hdrhistogram::Histogram::new_from(lag))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_interned_per_scenario_and_kind() {
        let mut r = Recorder::new(2, false);
        let a = r.label(0, LabelKind::Transaction, "login");
        assert_eq!(a, r.label(0, LabelKind::Transaction, "login"));
        assert_ne!(a, r.label(1, LabelKind::Transaction, "login"));
        assert_ne!(a, r.label(0, LabelKind::Request, "login"));
        let b = r.request_label(0, "GET", "/api/insurees/7");
        assert_eq!(b, r.request_label(0, "GET", "/api/insurees/8?x=1"));
        // Routes without ids come from the route cache: the same labels, per scenario and
        // method, whatever the query.
        let health = r.request_label(0, "GET", "/health");
        assert_eq!(health, r.request_label(0, "GET", "/health?probe=1"));
        assert_eq!(health, r.request_label(0, "GET", "/health"));
        assert_ne!(health, r.request_label(1, "GET", "/health"));
        assert_ne!(health, r.request_label(0, "POST", "/health"));
        assert_eq!(health, r.label(0, LabelKind::Request, "GET /health"));
        assert_eq!(&*r.label_name(health), "GET /health");
        // Many routes, most finding their slot taken: the labels stay right.
        let routes: Vec<String> = (0..500).map(|i| format!("/route/r{i}")).collect();
        let first: Vec<LabelId> = routes
            .iter()
            .map(|p| r.request_label(0, "GET", p))
            .collect();
        for (route, id) in routes.iter().zip(&first).rev() {
            assert_eq!(r.request_label(0, "GET", route), *id);
            assert_eq!(&*r.label_name(*id), format!("GET {route}"));
        }
    }

    #[test]
    fn intervals_only_carry_labels_with_activity() {
        let mut r = Recorder::new(1, false);
        let a = r.label(0, LabelKind::Request, "GET /a");
        let _unused = r.label(0, LabelKind::Request, "GET /b");
        r.user_started(0);
        let sample = Sample {
            micros: 10,
            status: Some(200),
            error: None,
            requests: 0,
            bytes_received: 0,
            server_timing: &[],
            corrected_micros: None,
            phases: None,
        };
        r.record(a, &sample);
        let interval = r.take_interval();
        assert_eq!(interval.labels.len(), 1);
        assert_eq!(&*interval.labels[0].0.name, "GET /a");
        assert_eq!(interval.active_users, vec![1]);
        assert!(r.take_interval().labels.is_empty());
    }
}
