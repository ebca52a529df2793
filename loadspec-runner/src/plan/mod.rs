//! The run plan: scenario options layered with the environment and the CLI
//! (attribute < env < CLI), validated once, then handed to the engine.

mod arrivals;
pub(crate) mod overrides;
mod profile;
pub(crate) mod resolve;
pub mod shard;
pub(crate) mod sources;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use self::arrivals::Arrivals;
pub use self::overrides::{Overrides, env_vars};
pub use self::profile::{ProfileKind, user_start_offset, users_started_at};
pub use self::resolve::{SAMPLE_LOG, resolve};
pub use self::shard::{PlanShard, ShardSpec};
pub use self::sources::SourceAddresses;
use crate::scenario::Scenario;
pub use loadspec_results::Mode;
use loadspec_results::criteria::Criterion;

/// Defaults for options no layer sets; documented in `docs/configuration.md`.
pub mod defaults {
    use std::time::Duration;

    /// Users per step when `threads` is not given.
    pub const THREADS: &[u32] = &[1];
    /// Time at full load per step.
    pub const HOLD: Duration = Duration::from_secs(60);
    /// Pause between steps.
    pub const COOLDOWN: Duration = Duration::from_secs(10);
    /// A transaction running longer than this is cancelled and counted as hung.
    pub const HUNG_AFTER: Duration = Duration::from_secs(120);
    /// Timeout of one HTTP request, connection included.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// Time in-flight iterations get to finish when a step stops.
    pub const GRACEFUL_STOP: Duration = Duration::from_secs(5);
    /// Longest a fixed-iterations step may run when no `hold` bounds it.
    pub const ITERATIONS_MAX_DURATION: Duration = Duration::from_secs(600);
    /// Timeout of establishing a connection.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long the health gate waits for the target before a step (`--health-timeout`).
    pub const HEALTH_WAIT: Duration = Duration::from_secs(60);
    /// The longest health wait accepted.
    pub const HEALTH_WAIT_MAX: Duration = Duration::from_secs(3600);
    /// Time a recovery command (`--on-unhealthy`) may run before it is killed.
    pub const RECOVERY_TIMEOUT: Duration = Duration::from_secs(120);
    /// Above this many users per step, a target that is not loopback needs
    /// `--allow-remote-load`: a typo in `threads` must not take down production.
    pub const REMOTE_USERS_LIMIT: u32 = 50;
    /// How often this machine is sampled during steps.
    pub const MONITOR_INTERVAL: Duration = Duration::from_secs(1);
    /// How often the target's Prometheus endpoint is scraped.
    pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(5);
    /// Open model: the most concurrent users of a step when `max_users` is not given.
    pub const MAX_USERS: u32 = 1000;
    /// Time in-flight requests get to finish after Ctrl-C.
    pub const INTERRUPT_GRACE: Duration = Duration::from_secs(2);
    /// The largest response body a user reads (`--max-response-body`): more than any API
    /// answer, and where an endless body stops instead of at the machine's memory.
    pub const MAX_RESPONSE_BODY: u64 = 64 * 1024 * 1024;
}

/// Which HTTP client the users send their requests with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpClient {
    /// Each user's own keep-alive connection (HTTP/1.1, or HTTP/2 with its requests as
    /// streams; plain or TLS), driven by the user's task: about a quarter of reqwest's memory
    /// per user, less CPU per request. Streamed bodies go through reqwest.
    #[default]
    Direct,
    /// reqwest's pooled client for every request (HTTP/1.1 only).
    Reqwest,
}

impl HttpClient {
    /// The name used on the command line, in the environment and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Reqwest => "reqwest",
        }
    }
}

/// A validated run: what the engine executes.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The run's name: the scenario's, or `stress` for a stress run of several.
    pub name: String,
    /// Smoke or full.
    pub mode: Mode,
    /// The profile of every step.
    pub profile: ProfileKind,
    /// The target's base URL, without a trailing slash.
    pub target: String,
    /// Seed of every user's random stream.
    pub seed: u64,
    /// The scenarios that run together in each step.
    pub scenarios: Vec<PlannedScenario>,
    /// The load steps, in order.
    pub steps: Vec<StepPlan>,
    /// Where results go: `<out_dir>/<name>/<timestamp>/`.
    pub out_dir: PathBuf,
    /// Worker threads driving the users.
    pub workers: usize,
    /// Time in-flight iterations get to finish when a step stops.
    pub graceful_stop: Duration,
    /// Where to write the per-sample JTL log, if at all (a relative path is put in the run's
    /// directory by the harness).
    pub sample_log: Option<PathBuf>,
    /// The health gate before each step, if any.
    pub health: Option<HealthGate>,
    /// Whether secrets are masked in error samples and logs (on unless `--no-redact`).
    pub redact: bool,
    /// System sampling and target scraping.
    pub monitor: crate::monitor::MonitorConfig,
    /// The shard this process runs (`--shard i/n`, full runs only): the steps' users are its
    /// share; the whole plan's users are in it.
    pub shard: Option<crate::plan::shard::PlanShard>,
    /// When the first step starts (`--start-at`), to align shards.
    pub start_at: Option<std::time::SystemTime>,
    /// Closed model: also record latencies corrected for coordinated omission with HdrHistogram's
    /// expected-interval method (`--expected-interval`). Open-model runs always record latencies
    /// from each iteration's intended start as well.
    pub expected_interval: Option<Duration>,
    /// The HTTP client the users send with.
    pub http_client: HttpClient,
    /// The HTTP version the direct client speaks.
    pub http_version: crate::user::HttpVersion,
    /// The local addresses the users' connections come from, user `i` from the `i % n`th
    /// (empty: the system chooses), from `--source-addresses`.
    pub source_addresses: std::sync::Arc<[std::net::IpAddr]>,
    /// The largest response body (or WebSocket message) a user reads, in bytes
    /// (`--max-response-body`); a larger one fails its request.
    pub max_response_body: u64,
    /// How HTTPS servers' certificates are checked.
    pub tls: crate::user::TlsOptions,
    /// The live dashboard, the Prometheus endpoint and OTLP push.
    pub live: loadspec_live::LiveSettings,
    /// The TLS configuration made from `tls` (its roots loaded, its CA file read).
    pub(crate) tls_client: std::sync::Arc<crate::user::TlsClient>,
}

impl RunPlan {
    /// A reqwest client with the run's TLS settings and no proxy, for what the run sends
    /// besides its load: health checks, OTLP pushes.
    pub(crate) fn control_client(&self) -> Result<reqwest::Client, crate::error::RunError> {
        self.tls_client
            .configure(reqwest::Client::builder())
            .no_proxy()
            .build()
            .map_err(crate::error::RunError::HttpClient)
    }
}

/// Before each step, wait until the target answers 2xx on `path`; run `on_unhealthy` once per
/// outage; skip the step (marked target unavailable) if the target stays down for `max_wait`.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthGate {
    /// The path polled, e.g. `/health`.
    pub path: String,
    /// How long to wait for the target.
    pub max_wait: Duration,
    /// A shell command run once per outage to bring the target back (its output is kept).
    pub on_unhealthy: Option<String>,
    /// Time the command may run.
    pub recovery_timeout: Duration,
}

/// One scenario of a plan with its resolved per-user settings.
#[derive(Debug, Clone)]
pub struct PlannedScenario {
    /// The scenario.
    pub scenario: Scenario,
    /// Users per step.
    pub threads: Vec<u32>,
    /// Pause between iterations, drawn uniformly from the range.
    pub think_time: Option<(Duration, Duration)>,
    /// A transaction running longer than this is cancelled and counted as hung.
    pub hung_after: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// Timeout of establishing a connection.
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of a response, if bounded.
    pub read_timeout: Option<Duration>,
    /// Stop a step after this many requests in a row could not reach the target.
    pub abort_after_consecutive_errors: Option<u32>,
    /// Open model: iterations per second of each step.
    pub rates: Option<Vec<f64>>,
    /// Criteria judged at every step of a full run: the attribute's rows, then its criteria
    /// file's, then those of `--criteria` / `LOADSPEC_CRITERIA`.
    pub criteria: Vec<Criterion>,
    /// Stop the sweep after the first step where a criterion fails.
    pub abort_on_fail: bool,
}

/// One load step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPlan {
    /// Position in the plan, from 0.
    pub index: usize,
    /// Users of each scenario, in the order of [`RunPlan::scenarios`].
    pub users: Vec<u32>,
    /// Time to start all users (zero: all at once).
    pub ramp_up: Duration,
    /// Time at full load after the ramp-up whose requests are not in the step's statistics
    /// (zero: none); the hold follows it.
    pub warmup: Duration,
    /// Time at full load after the ramp-up and the warm-up.
    pub hold: Duration,
    /// Pause after this step.
    pub cooldown: Duration,
    /// Iterations per user, for fixed-iteration steps.
    pub iterations: Option<u32>,
    /// Time after the step's start when users stop starting iterations.
    pub stop_at: Duration,
    /// Open model, per scenario: the arrival schedule (`None`: the scenario's users loop, the
    /// closed model). For an open scenario `users` is its most concurrent users.
    pub arrivals: Vec<Option<Arrivals>>,
    /// Open model, per scenario: users created when the step starts.
    pub pre_allocated: Vec<u32>,
}

impl StepPlan {
    /// All users of the step, every scenario together.
    pub fn total_users(&self) -> u32 {
        self.users.iter().sum()
    }

    /// Time after the step's start from which its statistics count: the end of the ramp-up
    /// (under profiles that ramp) and of the warm-up.
    pub fn measured_from(&self, profile: ProfileKind) -> Duration {
        let ramp_up = match profile {
            ProfileKind::Spike => Duration::ZERO,
            ProfileKind::Ramp | ProfileKind::Stress => self.ramp_up,
        };
        ramp_up + self.warmup
    }
}
