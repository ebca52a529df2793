//! Watching a loadspec run while it goes: a dashboard in the browser (`--dashboard`), the
//! generator's metrics as a Prometheus endpoint (`--metrics-listen`) and pushed over
//! OTLP/HTTP (`--otlp`).
//!
//! The engine hands over one [`Tick`] per second and each finished step; everything is
//! served from its own thread with its own runtime, so a slow browser, scraper or collector
//! never slows the load. Failing to listen or to reach the collector is a warning (an error
//! with `strict`), never a reason to stop the run.
//!
//! ```no_run
//! use loadspec_live::{Kind, Live, LiveSettings, RunInfo, StepInfo, Tick, TickLabel};
//! use loadspec_results::histogram::{new_histogram, record};
//!
//! let settings = LiveSettings {
//!     metrics_listen: Some("127.0.0.1:9464".parse()?),
//!     ..LiveSettings::default()
//! };
//! let info = RunInfo {
//!     name: "insuree_flow".into(),
//!     target: "http://127.0.0.1:8000".into(),
//!     scenarios: vec!["insuree_flow".into()],
//!     steps: vec![StepInfo { users: 5, planned_s: 60.0 }],
//!     shard: None,
//! };
//! // OTLP pushes go through this client: give it the TLS settings an HTTPS collector needs.
//! let http = reqwest::Client::builder().build()?;
//! let (live, warnings) = Live::start(&settings, info, Box::new(|| {}), &http)?;
//! for warning in &warnings {
//!     eprintln!("warning: {warning}");
//! }
//! if let Some(live) = &live {
//!     let mut histogram = new_histogram();
//!     record(&mut histogram, 12_000);
//!     live.tick(&Tick {
//!         step: 0,
//!         t_s: 1.0,
//!         width_s: 1.0,
//!         elapsed_s: 1.0,
//!         planned_s: 60.0,
//!         phase: "measured",
//!         active_users: vec![5],
//!         labels: vec![TickLabel {
//!             scenario: 0,
//!             kind: Kind::Request,
//!             label: "login".into(),
//!             count: 1,
//!             failures: 0,
//!             errors: Vec::new(),
//!             histogram,
//!             sum_micros: 12_000,
//!             tags: vec![("endpoint".into(), "login".into())],
//!         }],
//!         custom: Vec::new(),
//!         system: None,
//!         lag_p99_ms: None,
//!     });
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod otlp;
mod prometheus;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use loadspec_results::criteria::CriteriaReport;
use loadspec_results::histogram::LatencyHistogram;
use loadspec_results::model::{StepResult, SystemSample};
use tokio::sync::{broadcast, oneshot};

pub use self::otlp::proto;

/// What to serve and where to push; all off by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    /// Where the dashboard listens (port 0: any free port).
    pub dashboard: Option<SocketAddr>,
    /// Where the Prometheus endpoint (`/metrics`) listens.
    pub metrics_listen: Option<SocketAddr>,
    /// The OTLP/HTTP collector (`/v1/metrics` is appended unless present).
    pub otlp: Option<String>,
    /// How often metrics are pushed to the collector.
    pub otlp_interval: Duration,
    /// How long the endpoints stay up after the run, so a last scrape sees the final figures.
    pub linger: Duration,
    /// A port that cannot be taken or a collector that cannot be reached is an error.
    pub strict: bool,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            dashboard: None,
            metrics_listen: None,
            otlp: None,
            otlp_interval: Duration::from_secs(5),
            linger: Duration::ZERO,
            strict: false,
        }
    }
}

impl LiveSettings {
    /// Whether any live output is asked for.
    pub fn is_on(&self) -> bool {
        self.dashboard.is_some() || self.metrics_listen.is_some() || self.otlp.is_some()
    }
}

/// Why the live outputs could not start (only with [`LiveSettings::strict`]).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A listening address could not be taken.
    #[error("{what}: cannot listen on {addr}: {source}")]
    Listen {
        /// `dashboard` or `metrics endpoint`.
        what: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The collector did not take the first push.
    #[error("OTLP: {url} did not take the first push: {reason}")]
    Otlp {
        /// Where metrics go.
        url: String,
        /// Why.
        reason: String,
    },
    /// The outputs' thread or runtime could not start.
    #[error("the live outputs could not start: {0}")]
    Start(std::io::Error),
}

/// The run, as the outputs name it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The run's name.
    pub name: String,
    /// The target URL.
    pub target: String,
    /// Scenario names, in plan order (ticks refer to them by index).
    pub scenarios: Vec<String>,
    /// The planned steps.
    pub steps: Vec<StepInfo>,
    /// `i/n` when this run is one shard of several.
    pub shard: Option<String>,
}

/// One planned step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInfo {
    /// Users of all scenarios together.
    pub users: u32,
    /// Planned length in seconds.
    pub planned_s: f64,
}

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// An HTTP request (or a WebSocket message) under its label.
    Request,
    /// A named transaction.
    Transaction,
    /// A whole iteration of a scenario.
    Iteration,
}

impl Kind {
    /// The word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Transaction => "transaction",
            Self::Iteration => "iteration",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Request => "Request",
            Self::Transaction => "Transaction",
            Self::Iteration => "Iteration",
        }
    }

    /// Prometheus names of the count, the failures and the duration histogram.
    fn metric_names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Request => (
                "loadspec_requests_total",
                "loadspec_request_failures_total",
                "loadspec_request_duration_seconds",
            ),
            Self::Transaction => (
                "loadspec_transactions_total",
                "loadspec_transaction_failures_total",
                "loadspec_transaction_duration_seconds",
            ),
            Self::Iteration => (
                "loadspec_iterations_total",
                "loadspec_iteration_failures_total",
                "loadspec_iteration_duration_seconds",
            ),
        }
    }
}

/// One second of a step, merged over the workers.
#[derive(Debug, Clone)]
pub struct Tick {
    /// The step's index.
    pub step: usize,
    /// End of the tick, seconds from the run's start.
    pub t_s: f64,
    /// Length of the tick in seconds.
    pub width_s: f64,
    /// Time since the step started.
    pub elapsed_s: f64,
    /// Planned length of the step.
    pub planned_s: f64,
    /// `ramp-up`, `warm-up` or `measured`.
    pub phase: &'static str,
    /// Users running, per scenario.
    pub active_users: Vec<u32>,
    /// Every label with samples in the tick.
    pub labels: Vec<TickLabel>,
    /// Every custom metric recorded in the tick.
    pub custom: Vec<TickCustom>,
    /// The machine, when the monitor sampled it in this tick.
    pub system: Option<SystemSample>,
    /// How late the workers' timers fired (p99, ms).
    pub lag_p99_ms: Option<f64>,
}

/// One label's samples in one tick.
#[derive(Debug, Clone)]
pub struct TickLabel {
    /// Index into [`RunInfo::scenarios`].
    pub scenario: usize,
    /// What the label counts.
    pub kind: Kind,
    /// The label.
    pub label: String,
    /// Samples.
    pub count: u64,
    /// Failed samples.
    pub failures: u64,
    /// Failed samples by error kind (`http`, `timeout`, …).
    pub errors: Vec<(&'static str, u64)>,
    /// Durations in microseconds.
    pub histogram: LatencyHistogram,
    /// Sum of the durations in microseconds.
    pub sum_micros: u64,
    /// The tags the label's samples were sent with (`.tag(key, value)`).
    pub tags: Vec<(String, String)>,
}

/// One custom metric's values in one tick (`user.counter(..)`, `.gauge(..)`, `.trend(..)`,
/// `.rate(..)`).
#[derive(Debug, Clone)]
pub struct TickCustom {
    /// Index into [`RunInfo::scenarios`].
    pub scenario: usize,
    /// The metric's name.
    pub name: String,
    /// What was recorded.
    pub value: CustomSample,
}

/// A custom metric's values over some time.
#[derive(Debug, Clone)]
pub enum CustomSample {
    /// Added up.
    Counter(f64),
    /// The last value set, and the extremes.
    Gauge(loadspec_results::custom::GaugeStats),
    /// Every value, as a histogram.
    Trend(Box<loadspec_results::custom::TrendStats>),
    /// True samples among all.
    Rate {
        /// Samples added as `true`.
        trues: u64,
        /// All samples.
        total: u64,
    },
}

impl CustomSample {
    /// `counter`, `gauge`, `trend` or `rate`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Counter(_) => "counter",
            Self::Gauge(_) => "gauge",
            Self::Trend(_) => "trend",
            Self::Rate { .. } => "rate",
        }
    }

    /// Adds the same metric's values of a later time.
    fn merge(&mut self, later: &CustomSample) {
        match (self, later) {
            (Self::Counter(a), Self::Counter(b)) => *a += b,
            (Self::Gauge(a), Self::Gauge(b)) => a.merge(b),
            (Self::Trend(a), Self::Trend(b)) => a.merge(b),
            (Self::Rate { trues, total }, Self::Rate { trues: t, total: n }) => {
                *trues += t;
                *total += n;
            }
            // One name is one kind in a scenario: the recorder keys them by kind too.
            _ => {}
        }
    }
}

/// A message to every connected dashboard: the SSE event name and its JSON.
type Event = Arc<(&'static str, String)>;

/// What the server tasks and the coordinator share.
struct Shared {
    state: Mutex<state::State>,
    events: broadcast::Sender<Event>,
    token: String,
    on_stop: Box<dyn Fn() + Send + Sync>,
    /// Dashboards connected now, and how many fetched the report after the run.
    viewers: AtomicUsize,
    report_fetches: AtomicUsize,
    otlp: Mutex<OtlpTally>,
}

#[derive(Debug, Default)]
struct OtlpTally {
    pushes: u64,
    failures: u64,
    first_error: Option<String>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, state::State> {
        // A panic while holding the lock leaves figures that are still whole numbers.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, name: &'static str, value: &serde_json::Value) {
        // No dashboard connected is not an error.
        let _ = self.events.send(Arc::new((name, value.to_string())));
    }
}

/// The running live outputs. Dropping it stops them at once; [`Live::finish`] lets the last
/// figures out first.
pub struct Live {
    shared: Arc<Shared>,
    settings: LiveSettings,
    dashboard_url: Option<String>,
    metrics_url: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    otlp_client: Option<(reqwest::Client, String)>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("dashboard_url", &self.dashboard_url)
            .field("metrics_url", &self.metrics_url)
            .finish_non_exhaustive()
    }
}

impl Live {
    /// Starts what `settings` ask for; `None` when they ask for nothing. `on_stop` runs when
    /// the dashboard's stop button is pressed with the right token; OTLP pushes go through
    /// `http` (built with the run's TLS settings, so an HTTPS collector is checked the way
    /// the target is). Problems are warnings, or errors when `settings.strict`.
    pub fn start(
        settings: &LiveSettings,
        info: RunInfo,
        on_stop: Box<dyn Fn() + Send + Sync>,
        http: &reqwest::Client,
    ) -> Result<(Option<Self>, Vec<String>), LiveError> {
        if !settings.is_on() {
            return Ok((None, Vec::new()));
        }
        let mut warnings = Vec::new();
        let mut listen = |what: &'static str,
                          addr: Option<SocketAddr>|
         -> Result<Option<std::net::TcpListener>, LiveError> {
            let Some(addr) = addr else { return Ok(None) };
            let bound = std::net::TcpListener::bind(addr).and_then(|l| {
                l.set_nonblocking(true)?;
                Ok(l)
            });
            match bound {
                Ok(listener) => Ok(Some(listener)),
                Err(source) if settings.strict => Err(LiveError::Listen { what, addr, source }),
                Err(source) => {
                    warnings.push(format!(
                        "{}; the run goes on without it",
                        LiveError::Listen { what, addr, source }
                    ));
                    Ok(None)
                }
            }
        };
        let dashboard = listen("dashboard", settings.dashboard)?;
        let metrics = listen("metrics endpoint", settings.metrics_listen)?;
        let url_of = |l: &Option<std::net::TcpListener>, path: &str| {
            l.as_ref()
                .and_then(|l| l.local_addr().ok())
                .map(|a| format!("http://{a}{path}"))
        };
        let dashboard_url = url_of(&dashboard, "/");
        let metrics_url = url_of(&metrics, "/metrics");
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let (events, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            state: Mutex::new(state::State::new(info, started)),
            events,
            token: stop_token(),
            on_stop,
            viewers: AtomicUsize::new(0),
            report_fetches: AtomicUsize::new(0),
            otlp: Mutex::new(OtlpTally::default()),
        });
        let otlp_client = settings
            .otlp
            .as_ref()
            .map(|base| (http.clone(), otlp::metrics_url(base)));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(LiveError::Start)?;
        // The first push says at once whether the collector is there.
        if let Some((client, url)) = &otlp_client {
            let body = otlp::build(&shared.state());
            let outcome = runtime.block_on(otlp::push(client, url, &body));
            shared.tally(outcome.clone());
            if let Err(reason) = outcome {
                let error = LiveError::Otlp {
                    url: url.clone(),
                    reason,
                };
                if settings.strict {
                    return Err(error);
                }
                warnings.push(format!("{error}; pushes go on, and failures are counted"));
            }
        }
        let (shutdown, stopped) = oneshot::channel();
        let task_shared = Arc::clone(&shared);
        let task_otlp = otlp_client.clone();
        let interval = settings.otlp_interval.max(Duration::from_millis(100));
        let thread = std::thread::Builder::new()
            .name("loadspec-live".to_owned())
            .spawn(move || {
                runtime.block_on(server::serve(
                    task_shared,
                    dashboard,
                    metrics,
                    task_otlp.map(|(c, u)| (c, u, interval)),
                    stopped,
                ));
            })
            .map_err(LiveError::Start)?;
        Ok((
            Some(Self {
                shared,
                settings: settings.clone(),
                dashboard_url,
                metrics_url,
                shutdown: Some(shutdown),
                thread: Some(thread),
                otlp_client,
            }),
            warnings,
        ))
    }

    /// The dashboard's address, when it listens.
    pub fn dashboard_url(&self) -> Option<&str> {
        self.dashboard_url.as_deref()
    }

    /// The Prometheus endpoint's address, when it listens.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics_url.as_deref()
    }

    /// The token the dashboard's stop button asks for.
    pub fn stop_token(&self) -> &str {
        &self.shared.token
    }

    /// A step begins.
    pub fn step_started(&self, step: usize) {
        let mut state = self.shared.state();
        state.step = Some(step);
        drop(state);
        self.shared
            .send("step_started", &serde_json::json!({ "step": step }));
    }

    /// One tick of a step has been merged.
    pub fn tick(&self, tick: &Tick) {
        let event = self.shared.state().tick(tick);
        self.shared.send("tick", &event);
    }

    /// A step has ended, with the criteria judged over the steps so far.
    pub fn step_finished(&self, step: &StepResult, criteria: Option<CriteriaReport>) {
        let event = self.shared.state().step_finished(step, criteria);
        self.shared.send("step", &event);
    }

    /// The run has ended: the dashboards get `report_html` (the report) in place of the
    /// live page, a last push goes to the collector, the endpoints stay up for the linger
    /// time, then everything stops. Returns warnings for the results (failed pushes).
    pub fn finish(
        mut self,
        status: &str,
        criteria: Option<CriteriaReport>,
        report_html: Option<String>,
    ) -> Vec<String> {
        let viewers = self.shared.viewers.load(Ordering::SeqCst);
        {
            let mut state = self.shared.state();
            if criteria.is_some() {
                state.criteria = criteria;
            }
            state.finished = Some((status.to_owned(), report_html));
        }
        let criteria = self.shared.state().criteria.clone();
        self.shared.send(
            "finished",
            &serde_json::json!({ "status": status, "criteria": criteria, "report": "/report" }),
        );
        // Dashboards open now fetch the report; wait for them (bounded), since the process
        // may exit right after.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.dashboard_url.is_some()
            && self.shared.report_fetches.load(Ordering::SeqCst) < viewers
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some((client, url)) = &self.otlp_client
            && let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        {
            let body = otlp::build(&self.shared.state());
            let outcome = runtime.block_on(otlp::push(client, url, &body));
            self.shared.tally(outcome);
        }
        // Only a listener has anyone to linger for (a collector got its last push above).
        if self.dashboard_url.is_some() || self.metrics_url.is_some() {
            std::thread::sleep(self.settings.linger);
        }
        self.stop();
        let tally = self
            .shared
            .otlp
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut warnings = Vec::new();
        if tally.failures > 0
            && let Some((_, url)) = &self.otlp_client
        {
            warnings.push(format!(
                "OTLP: {} of {} pushes to {url} failed{}",
                tally.failures,
                tally.pushes,
                tally
                    .first_error
                    .as_deref()
                    .filter(|e| !e.is_empty())
                    .map(|e| format!(" (first: {e})"))
                    .unwrap_or_default()
            ));
        }
        warnings
    }

    fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

/// 128 random bits: std's `RandomState` is seeded from the operating system's randomness.
fn stop_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

impl Shared {
    fn tally(&self, outcome: Result<(), String>) {
        let mut tally = self.otlp.lock().unwrap_or_else(PoisonError::into_inner);
        tally.pushes += 1;
        if let Err(e) = outcome {
            tally.failures += 1;
            tally.first_error.get_or_insert(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RunInfo {
        RunInfo {
            name: "stop".into(),
            target: "http://127.0.0.1:1".into(),
            scenarios: vec!["s".into()],
            steps: vec![StepInfo {
                users: 1,
                planned_s: 1.0,
            }],
            shard: None,
        }
    }

    fn client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    /// `(status, body)` of one request to the live thread's server.
    fn call(method: reqwest::Method, url: &str) -> (u16, String) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let response = client().request(method, url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    }

    #[test]
    fn the_stop_button_needs_the_token_and_the_page_becomes_the_report() {
        let stops = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&stops);
        let settings = LiveSettings {
            dashboard: Some("127.0.0.1:0".parse().unwrap()),
            ..LiveSettings::default()
        };
        let (live, warnings) = Live::start(
            &settings,
            info(),
            Box::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
            &client(),
        )
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let live = live.unwrap();
        let base = live
            .dashboard_url()
            .unwrap()
            .trim_end_matches('/')
            .to_owned();
        assert_eq!(live.stop_token().len(), 32);

        let (status, body) = call(reqwest::Method::GET, &format!("{base}/"));
        assert_eq!(status, 200);
        assert!(
            body.contains("loadspec — live") && body.contains("EventSource"),
            "{body}"
        );
        assert_eq!(call(reqwest::Method::POST, &format!("{base}/stop")).0, 400);
        let (status, body) = call(reqwest::Method::POST, &format!("{base}/stop?token=guess"));
        assert_eq!((status, body.starts_with("wrong token")), (403, true));
        assert_eq!(
            stops.load(Ordering::SeqCst),
            0,
            "a wrong token stops nothing"
        );
        let token = live.stop_token().to_owned();
        assert_eq!(
            call(reqwest::Method::POST, &format!("{base}/stop?token={token}")).0,
            202
        );
        assert_eq!(stops.load(Ordering::SeqCst), 1);
        assert_eq!(
            call(reqwest::Method::GET, &format!("{base}/report")).0,
            404,
            "no report before the end"
        );

        // A dashboard connected when the run ends fetches the report before the server goes.
        let events = std::thread::spawn({
            let base = base.clone();
            move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let mut response = reqwest::Client::new()
                        .get(format!("{base}/events"))
                        .send()
                        .await
                        .unwrap();
                    let mut text = String::new();
                    while let Ok(Some(chunk)) = response.chunk().await {
                        text.push_str(&String::from_utf8_lossy(&chunk));
                        if text.contains("event: finished") {
                            break;
                        }
                    }
                    let report = reqwest::get(format!("{base}/report"))
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    (text, report)
                })
            }
        });
        while live.shared.viewers.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let warnings = live.finish("aborted", None, Some("<html>the report</html>".into()));
        assert!(warnings.is_empty());
        let (stream, report) = events.join().unwrap();
        assert!(stream.starts_with("event: snapshot"), "{stream}");
        assert!(stream.contains("\"status\":\"aborted\""), "{stream}");
        assert_eq!(report, "<html>the report</html>");
        assert!(
            std::net::TcpStream::connect(base.trim_start_matches("http://")).is_err(),
            "the server stops with the run"
        );
    }
}
