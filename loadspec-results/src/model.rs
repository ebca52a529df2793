//! The results document: one JSON file per run, versioned, documented in `docs/results-schema.md`.
//! Every writer (console, JSON, later HTML and JUnit) renders from these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::criteria::{CriteriaReport, Criterion};
use crate::error_kind::ErrorKind;
use crate::mode::{Mode, ProfileKind};

/// The `schema` field of every results document.
pub const SCHEMA_NAME: &str = "loadspec.results";
/// Bumped on any change that an older reader would misread.
pub const SCHEMA_VERSION: u32 = 1;

/// One run: its identity, where it ran, what was planned and what each step measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// Always [`SCHEMA_NAME`].
    pub schema: String,
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Identity and outcome of the run.
    pub run: RunInfo,
    /// The machine that generated the load.
    pub environment: Environment,
    /// The resolved plan.
    pub plan: PlanInfo,
    /// Every step that started, in order.
    pub steps: Vec<StepResult>,
    /// The criteria judged at every step (full runs with criteria only).
    #[serde(default)]
    pub criteria: Option<CriteriaReport>,
    /// The scenarios' setup and teardown runs.
    #[serde(default)]
    pub lifecycle: Vec<LifecycleReport>,
    /// A merged run (`loadspec merge`): each shard's machine, with its system samples.
    #[serde(default)]
    pub hosts: Vec<HostResults>,
}

/// One run of a scenario's `setup` or `teardown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleReport {
    /// The scenario.
    pub scenario: String,
    /// `setup` or `teardown`.
    pub hook: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// How long it took.
    pub duration_s: f64,
    /// Why it failed.
    pub error: Option<String>,
}

/// Identity and outcome of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Unique id: the run name and its start time.
    pub id: String,
    /// The scenario's name, or `stress`.
    pub name: String,
    /// Smoke or full.
    pub mode: Mode,
    /// Base URL of the target.
    pub target: String,
    /// Seed of the users' random streams; `--seed <it>` reproduces the run's data.
    pub seed: u64,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: String,
    /// Wall time of the whole run, cooldowns included.
    pub duration_s: f64,
    /// How the run ended.
    pub status: RunStatus,
    /// Why the run ended early, if it did.
    pub status_reason: Option<String>,
    /// Problems that did not stop the run (e.g. a sample log that could not be written).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The shard this run was (`--shard i/n`), or `None` for a whole run.
    #[serde(default)]
    pub shard: Option<ShardInfo>,
    /// The sliding-window criterion that stopped the run mid-step, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort: Option<RunAbort>,
}

/// A mid-step abort by a criterion with `abort_on_fail` and a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunAbort {
    /// The scenario whose criterion failed.
    pub scenario: String,
    /// The criterion's title, e.g. `login p95`.
    pub criterion: String,
    /// Its scope, e.g. `transaction login` or `all`.
    pub scope: String,
    /// The step it stopped (0-based index).
    pub step: usize,
    /// Seconds from the step's start to the tick that breached.
    pub at_s: f64,
    /// RFC 3339 wall-clock time of that tick.
    pub at: String,
    /// The value measured over the window, in the metric's unit (ms, fraction, per second).
    pub value: f64,
    /// The threshold it went beyond.
    pub threshold: f64,
    /// The window the value was measured over, in seconds.
    pub window_s: f64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running: the file is a checkpoint written after a step (a run killed with
    /// `kill -9` leaves this).
    Running,
    /// Every planned step ran.
    Completed,
    /// Stopped by Ctrl-C / SIGTERM.
    Interrupted,
    /// Stopped early on purpose (e.g. a failed criterion with abort_on_fail).
    Aborted,
}

/// The machine that generated the load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Host name.
    pub hostname: String,
    /// Operating system and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// CPU model.
    pub cpu_model: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// Version of loadspec.
    pub loadspec_version: String,
    /// Worker threads that drove the users.
    pub workers: usize,
}

/// The plan as resolved for this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInfo {
    /// The profile of every step.
    pub profile: ProfileKind,
    /// The scenarios that ran together.
    pub scenarios: Vec<PlannedScenarioInfo>,
    /// The planned steps.
    pub steps: Vec<PlannedStepInfo>,
    /// Time in-flight iterations got to finish at each step's stop.
    pub graceful_stop_s: f64,
    /// Which coordinated-omission correction the `corrected` figures use: `none`,
    /// `intended_start` (open model) or `expected_interval <duration>` (closed model).
    #[serde(default = "no_correction")]
    pub latency_correction: String,
    /// The HTTP client the users sent with: `direct` or `reqwest` (results written before
    /// the direct client existed: `reqwest`).
    #[serde(default = "pooled_client")]
    pub http_client: String,
    /// The HTTP version the direct client was set to speak: `auto` (HTTP/2 where an HTTPS
    /// server chose it), `1.1` or `2` (results written before HTTP/2 existed: `1.1`). What
    /// each label's requests spoke is in its `phases.http2`.
    #[serde(default = "http1")]
    pub http_version: String,
    /// How HTTPS servers were verified, when not the default (the system's roots alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    /// The local addresses the users' connections came from (`127.0.0.1–127.0.0.4`), when
    /// the run spread them (`--source-addresses`); absent when the system chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_addresses: Option<String>,
    /// The largest response body (or WebSocket message) a request could receive, in bytes
    /// (`--max-response-body`); a larger one failed as `io`. Absent in results written before
    /// the limit was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_body: Option<u64>,
}

/// How HTTPS servers' certificates were checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// `--insecure`: no certificate was verified.
    pub insecure: bool,
    /// `--ca-cert`: the file of extra trusted CA certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

fn http1() -> String {
    "1.1".to_owned()
}

fn pooled_client() -> String {
    "reqwest".to_owned()
}

fn no_correction() -> String {
    "none".to_owned()
}

/// One scenario of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedScenarioInfo {
    /// Name.
    pub name: String,
    /// Module path where it is defined.
    pub module_path: String,
    /// Users per step.
    pub threads: Vec<u32>,
    /// Pause between iterations, `[min, max]` in seconds.
    pub think_time_s: Option<[f64; 2]>,
    /// Tags.
    pub tags: Vec<String>,
    /// Transactions longer than this were cancelled as hung.
    pub hung_after_s: f64,
    /// Timeout of each request.
    pub request_timeout_s: f64,
    /// The scenario's criteria (what `criteria` judged; kept so stored runs can be re-judged).
    #[serde(default)]
    pub criteria: Vec<Criterion>,
}

/// One planned step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStepInfo {
    /// Position from 0.
    pub index: usize,
    /// Users per scenario name.
    pub users: BTreeMap<String, u32>,
    /// Ramp-up time.
    pub ramp_up_s: f64,
    /// Warm-up time: full load after the ramp-up, not in the step's statistics.
    #[serde(default)]
    pub warmup_s: f64,
    /// Hold time (after the ramp-up and the warm-up).
    pub hold_s: f64,
    /// Pause after the step.
    pub cooldown_s: f64,
    /// Iterations per user, for fixed-iteration steps.
    pub iterations: Option<u32>,
    /// Open model: iterations per second per scenario (scenarios in the closed model absent).
    #[serde(default)]
    pub rates: BTreeMap<String, f64>,
}

/// What one step measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// Position from 0.
    pub index: usize,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Seconds from the run's start to the step's start.
    pub offset_s: f64,
    /// Wall time from the step's start until its last user stopped.
    pub duration_s: f64,
    /// Seconds after the step's start from which statistics count (the end of the ramp-up
    /// and of the warm-up).
    pub measured_from_s: f64,
    /// Length of the window the statistics cover.
    pub measured_s: f64,
    /// Whether the step ran to its end.
    pub status: StepStatus,
    /// Why the step ended early or did not run, if it did.
    #[serde(default)]
    pub status_reason: Option<String>,
    /// The health gate before the step, when one is configured.
    #[serde(default)]
    pub health: Option<HealthReport>,
    /// Whether the load generator itself was the limit during the step.
    #[serde(default)]
    pub generator: Option<GeneratorHealth>,
    /// This machine's usage, one sample per monitor interval (what dstat showed).
    #[serde(default)]
    pub system: Vec<SystemSample>,
    /// Series scraped from the target's Prometheus endpoint.
    #[serde(default)]
    pub target_metrics: Vec<TargetSample>,
    /// Per scenario.
    pub scenarios: Vec<ScenarioStepResult>,
}

/// Whether the load generator could keep up during a step, and if not, who took the CPU. A
/// step marked `bound` measured the generator (or its machine) as much as the target: its
/// verdicts are unreliable, whatever the [`cause`](Self::cause).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    /// loadspec's worker threads' CPU time as a share of the cores they may use, mean over the
    /// step.
    pub cpu_share_mean: f64,
    /// The same, highest sample.
    pub cpu_share_max: f64,
    /// How late the workers' timers fired, 99th percentile (scheduling lag).
    pub lag_p99_ms: f64,
    /// Latest timer.
    pub lag_max_ms: f64,
    /// Whether a limit was exceeded: the step's numbers are unreliable.
    pub bound: bool,
    /// Which limits, for people.
    pub reasons: Vec<String>,
    /// Who took the CPU when `bound` (results written before the cause was recorded say
    /// `none`; read them with [`saturation`](Self::saturation)).
    #[serde(default)]
    pub cause: SaturationCause,
    /// loadspec's worker threads, percent of one core, mean over the step.
    #[serde(default)]
    pub generator_cpu_mean: f64,
    /// The rest of the loadspec process (its other threads, e.g. a target embedded in it),
    /// percent of one core, mean over the step.
    #[serde(default)]
    pub process_rest_cpu_mean: f64,
    /// Every other process on the machine, percent of one core, mean over the step.
    #[serde(default)]
    pub other_processes_cpu_mean: f64,
    /// The machine's CPU busy (user and system time, iowait not included), percent of all its
    /// cores, mean over the step.
    #[serde(default)]
    pub machine_busy_mean: f64,
}

impl GeneratorHealth {
    /// One sentence on an unreliable step for people, without its flag: who was the limit and
    /// what was measured, e.g. "loadspec itself was the limit: the workers used 95% of …". Empty
    /// for a step that is not marked.
    pub fn describe(&self) -> String {
        let reasons = if self.reasons.is_empty() {
            "a limit was exceeded".to_owned()
        } else {
            self.reasons.join("; ")
        };
        match self.saturation() {
            SaturationCause::None => String::new(),
            SaturationCause::Generator => format!("loadspec itself was the limit: {reasons}"),
            SaturationCause::SameProcess | SaturationCause::OtherProcesses => reasons,
        }
    }

    /// Why the step is unreliable, `None` when it is not. A bound step without a recorded
    /// cause comes from results written before causes were told apart, when every mark meant
    /// the generator.
    pub fn saturation(&self) -> SaturationCause {
        match (self.bound, self.cause) {
            (false, _) => SaturationCause::None,
            (true, SaturationCause::None) => SaturationCause::Generator,
            (true, cause) => cause,
        }
    }
}

/// Who took the CPU during a step whose numbers are unreliable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaturationCause {
    /// No limit was exceeded.
    #[default]
    None,
    /// Other processes on the machine: loadspec shared a saturated CPU with them.
    OtherProcesses,
    /// The rest of the loadspec process (threads besides its workers, such as a target
    /// embedded in it): loadspec shared a saturated CPU with them.
    SameProcess,
    /// loadspec's workers themselves: they used up their cores or could not keep time.
    Generator,
}

impl SaturationCause {
    /// The name in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::OtherProcesses => "other_processes",
            Self::SameProcess => "same_process",
            Self::Generator => "generator",
        }
    }

    /// The mark a step gets in criteria matrices (console, Markdown, HTML); empty for none.
    pub fn mark(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Generator => "*",
            Self::SameProcess => "†",
            Self::OtherProcesses => "‡",
        }
    }

    /// What the mark means, for the footnote under a matrix.
    pub fn footnote(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Generator => Some(
                "generator-bound step: loadspec itself was the limit, its verdicts are unreliable",
            ),
            Self::SameProcess => Some(
                "machine-saturated step: the rest of this process (e.g. a target embedded in it), \
                 not loadspec's workers, took the CPU; its verdicts are unreliable",
            ),
            Self::OtherProcesses => Some(
                "machine-saturated step: other processes on this machine, not loadspec's \
                 workers, took the CPU; its verdicts are unreliable",
            ),
        }
    }

    /// The flag on the console and in messages: `GENERATOR-BOUND` or `MACHINE-SATURATED`.
    pub fn flag(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Generator => "GENERATOR-BOUND",
            Self::SameProcess | Self::OtherProcesses => "MACHINE-SATURATED",
        }
    }

    /// The footnotes of these causes, one per cause present, `*` first: `* generator-bound …`.
    pub fn footnotes(causes: impl IntoIterator<Item = SaturationCause>) -> Vec<String> {
        let mut present: Vec<SaturationCause> = causes.into_iter().collect();
        present.sort_by(|a, b| b.cmp(a));
        present.dedup();
        present
            .into_iter()
            .filter_map(|c| c.footnote().map(|text| format!("{} {text}", c.mark())))
            .collect()
    }
}

/// This machine at one moment of a step (rates over the interval before it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemSample {
    /// Seconds from the run's start.
    pub t_s: f64,
    /// CPU time shares of all cores, in percent: user (with nice), system (with irq), iowait,
    /// idle.
    pub cpu_user: f64,
    /// See `cpu_user`.
    pub cpu_system: f64,
    /// See `cpu_user`.
    pub cpu_iowait: f64,
    /// See `cpu_user`.
    pub cpu_idle: f64,
    /// Busy percent of each core.
    pub cpu_per_core: Vec<f64>,
    /// Memory in use (total minus available), bytes.
    pub mem_used: u64,
    /// Memory available for new work, bytes.
    pub mem_available: u64,
    /// Swap in use, bytes.
    pub swap_used: u64,
    /// Disk reads, bytes per second (all disks).
    pub disk_read_bps: f64,
    /// Disk writes, bytes per second.
    pub disk_write_bps: f64,
    /// Network, per interface (loopback included): received and sent bytes per second.
    pub net: Vec<NetSample>,
    /// Load average over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// The loadspec process: CPU percent of one core over the interval (a target embedded in
    /// the same process counts here too).
    pub process_cpu: f64,
    /// loadspec's worker threads only: CPU percent of one core (the generator's own work).
    #[serde(default)]
    pub generator_cpu: f64,
    /// The loadspec process's resident memory, bytes.
    pub process_rss: u64,
}

/// One network interface over one interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetSample {
    /// Interface name.
    pub interface: String,
    /// Received bytes per second.
    pub rx_bps: f64,
    /// Sent bytes per second.
    pub tx_bps: f64,
}

/// Series scraped from the target at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSample {
    /// Seconds from the run's start.
    pub t_s: f64,
    /// Series (name with labels, as exposed) → value.
    pub series: BTreeMap<String, f64>,
}

/// What the health gate saw before a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// Whether the target answered 2xx in time.
    pub healthy: bool,
    /// Time spent waiting for it.
    pub waited_s: f64,
    /// Health requests sent.
    pub attempts: u32,
    /// How long the target was seen down (from the first failed check), if it was.
    pub down_s: Option<f64>,
    /// The first failed check's answer or error.
    pub first_error: Option<String>,
    /// The recovery command run during this outage, if any.
    pub recovery: Option<RecoveryReport>,
}

/// A recovery command (`--on-unhealthy`) and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryReport {
    /// The command line.
    pub command: String,
    /// Its exit code (`None` if killed or not started).
    pub exit_code: Option<i32>,
    /// Whether it was killed at its timeout.
    pub timed_out: bool,
    /// How long it ran.
    pub duration_s: f64,
    /// Its standard output and error (the last 8 KiB).
    pub output: String,
}

/// Whether a step ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Ran to its planned end.
    Completed,
    /// Cut short by an interrupt.
    Interrupted,
    /// Stopped early on purpose (e.g. `abort_after_consecutive_errors`).
    Aborted,
    /// Not run: the target did not answer its health check in time.
    TargetUnavailable,
}

/// What one scenario measured in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioStepResult {
    /// Scenario name.
    pub scenario: String,
    /// Users of this step.
    pub users: u32,
    /// Iterations started and their outcome (failures by kind).
    pub iterations: LabelSummary,
    /// Iterations cut off at the step's hard stop (not failures).
    pub interrupted_iterations: u64,
    /// Open model: arrivals that found no free user (never queued).
    #[serde(default)]
    pub dropped_iterations: u64,
    /// Open model: how late the measured window's iterations started after they were due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_lag: Option<StartLagSummary>,
    /// Per transaction, in order of first appearance.
    pub transactions: Vec<LabelSummary>,
    /// Per request label (method and path template), in order of first appearance.
    pub requests: Vec<LabelSummary>,
    /// All requests together (JMeter's "Total" row).
    pub total_requests: LabelSummary,
    /// One point per tick (normally one second), ramp-up and warm-up included.
    pub time_series: Vec<TimePoint>,
    /// The first `429 Too Many Requests` answer of the step (ramp-up and warm-up included),
    /// with the target's rate-limit headers.
    #[serde(default)]
    pub rate_limit: Option<RateLimitSample>,
    /// The custom metrics the scenario recorded in the measured window (absent when none).
    #[serde(
        default,
        skip_serializing_if = "crate::custom::CustomMetrics::is_empty"
    )]
    pub custom: crate::custom::CustomMetrics,
}

/// The first `429 Too Many Requests` answer a scenario got in a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitSample {
    /// Seconds from the run's start to the answer.
    pub at_s: f64,
    /// The request's label.
    pub label: String,
    /// The answer as error samples show it (`unexpected status 429: <body>`), secrets masked.
    pub message: String,
    /// Its `Retry-After` header, as sent.
    #[serde(default)]
    pub retry_after: Option<String>,
    /// Its rate-limit headers as sent, by lower-case name: `ratelimit-limit`,
    /// `ratelimit-policy`, `ratelimit-remaining`, `ratelimit-reset`, `x-ratelimit-limit`, …
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Failures of a label whose message says an account was locked out ("too many failed
/// attempts", "account locked", …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockoutSummary {
    /// How many.
    pub count: u64,
    /// The first such message (at most 300 characters).
    pub sample: String,
}

/// Statistics of one label over a step's measured window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSummary {
    /// Transaction name, request label, or the scenario name for iterations.
    pub label: String,
    /// Samples (requests, transactions or iterations).
    pub count: u64,
    /// Failed samples.
    pub failures: u64,
    /// `failures / count` (0 when there are no samples).
    pub error_rate: f64,
    /// Samples per second over the measured window.
    pub throughput_per_s: f64,
    /// Mean time in milliseconds.
    pub mean_ms: f64,
    /// Fastest sample.
    pub min_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest sample.
    pub max_ms: f64,
    /// Responses per HTTP status (requests only).
    pub status_codes: BTreeMap<String, u64>,
    /// Failures per kind, with an example message.
    pub errors: Vec<ErrorSummary>,
    /// Mean requests issued per transaction (transactions only).
    pub requests_per_transaction: Option<f64>,
    /// Bytes of response bodies received (requests only).
    pub bytes_received: u64,
    /// Server-Timing entries the target reported (e.g. `db`, `app`): mean duration per sample
    /// that carried them, and how many did.
    #[serde(default)]
    pub server_timing: BTreeMap<String, ServerTimingSummary>,
    /// All samples' times: HdrHistogram V2, base64, in microseconds.
    pub histogram: String,
    /// Latencies corrected for coordinated omission (open model: from when each iteration was
    /// due; closed model with `--expected-interval`: HdrHistogram's correction).
    #[serde(default)]
    pub corrected: Option<CorrectedSummary>,
    /// Failures that say an account was locked out (counted whatever their kind's first
    /// message in `errors` is).
    #[serde(default)]
    pub lockouts: Option<LockoutSummary>,
    /// Where the requests' time went, phase by phase (requests sent by the direct client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<crate::phases::PhasesSummary>,
    /// The tags the label's samples were sent with: key → every value seen, in order of
    /// first appearance (absent without tags).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, Vec<String>>,
}

/// Percentiles of the latencies corrected for coordinated omission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectedSummary {
    /// Samples (with the closed-model correction, more than were measured).
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// The corrected latencies: HdrHistogram V2, base64, microseconds.
    pub histogram: String,
}

/// Open model: how late iterations started after they were due (the generator's own delay in
/// keeping the schedule; every latency also counts it, from when its iteration was due).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartLagSummary {
    /// Iterations started.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Latest start.
    pub max_ms: f64,
    /// The lags: HdrHistogram V2, base64, microseconds.
    pub histogram: String,
}

impl StartLagSummary {
    /// The summary of `lags` (microseconds); `None` when it is empty.
    pub fn of(lags: &crate::histogram::LatencyHistogram) -> Option<Self> {
        let ms = |micros: u64| micros as f64 / 1000.0;
        (!lags.is_empty()).then(|| Self {
            count: lags.len(),
            p50_ms: ms(lags.value_at_quantile(0.5)),
            p90_ms: ms(lags.value_at_quantile(0.9)),
            p99_ms: ms(lags.value_at_quantile(0.99)),
            max_ms: ms(lags.max()),
            histogram: crate::histogram::encode(lags),
        })
    }
}

/// One Server-Timing entry over a label's samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerTimingSummary {
    /// Mean duration in milliseconds.
    pub mean_ms: f64,
    /// Samples that reported it.
    pub count: u64,
}

/// Failures of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    /// The kind.
    pub kind: ErrorKind,
    /// How many.
    pub count: u64,
    /// The first message seen.
    pub sample: String,
}

/// One tick of a step's time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimePoint {
    /// Seconds from the run's start to the end of this tick.
    pub t_s: f64,
    /// Length of the tick.
    pub width_s: f64,
    /// Whether the tick fell in the ramp-up (not in the step's statistics).
    pub ramp_up: bool,
    /// Whether the tick fell in the warm-up after the ramp-up (not in the step's statistics
    /// either).
    #[serde(default)]
    pub warmup: bool,
    /// Users running at the end of the tick.
    pub active_users: u32,
    /// Requests completed in the tick.
    pub requests: u64,
    /// Failed requests in the tick.
    pub failures: u64,
    /// Open model: arrivals dropped in the tick.
    #[serde(default)]
    pub dropped: u64,
    /// Requests answered `429 Too Many Requests` in the tick.
    #[serde(default)]
    pub rate_limited: u64,
    /// Median request time in the tick.
    pub p50_ms: f64,
    /// 95th percentile request time in the tick.
    pub p95_ms: f64,
    /// Per transaction name.
    pub transactions: BTreeMap<String, TransactionPoint>,
    /// The custom metrics recorded in the tick (absent when none).
    #[serde(default, skip_serializing_if = "crate::custom::CustomPoint::is_empty")]
    pub custom: crate::custom::CustomPoint,
}

/// One transaction in one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionPoint {
    /// Transactions completed.
    pub count: u64,
    /// Failed transactions.
    pub failures: u64,
    /// Median time.
    pub p50_ms: f64,
    /// 95th percentile time.
    pub p95_ms: f64,
}

/// One shard of a sharded run (`--shard i/n`): where it fits and when it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This shard, from 0.
    pub index: u32,
    /// The number of shards.
    pub count: u32,
    /// Users per step (scenario name → users) of the whole plan, all shards together; the
    /// shard's own are in `plan.steps[].users`.
    pub total_users: Vec<BTreeMap<String, u32>>,
    /// The aligned start time asked for (`--start-at`), RFC 3339.
    #[serde(default)]
    pub start_at: Option<String>,
    /// Seconds between `start_at` and this shard's first step (a few milliseconds when on
    /// time; more for a shard that started late or whose clock is off).
    #[serde(default)]
    pub late_by_s: Option<f64>,
    /// The run's start in seconds since the Unix epoch (millisecond precision; `started_at`
    /// has whole seconds), to align shards' time series.
    pub started_unix_s: f64,
}

/// One load generator of a merged run: a shard's identity, machine and system samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostResults {
    /// The shard it ran.
    pub shard: ShardInfo,
    /// The shard's own run id.
    pub run_id: String,
    /// How the shard's run ended.
    pub status: RunStatus,
    /// Its machine.
    pub environment: Environment,
    /// Its problems that did not stop it.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Per step it ran.
    pub steps: Vec<HostStep>,
}

/// One step on one load generator of a merged run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostStep {
    /// Step index.
    pub index: usize,
    /// Users this generator ran (all scenarios).
    pub users: u32,
    /// Seconds from the merged run's start to this generator's step start.
    pub offset_s: f64,
    /// Whether this generator could keep up.
    #[serde(default)]
    pub generator: Option<GeneratorHealth>,
    /// Its system samples, `t_s` from the merged run's start.
    #[serde(default)]
    pub system: Vec<SystemSample>,
}
