//! Values from the environment or the command line that override a scenario's own options.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{HttpClient, Mode, ProfileKind};
use crate::error::ConfigError;

/// Options a layer above the attribute may set; `None` leaves the lower layer's value.
///
/// Build it with `..Default::default()` so new options do not break your code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Base URL of the target.
    pub target: Option<String>,
    /// Smoke or full.
    pub mode: Option<Mode>,
    /// Users per step.
    pub threads: Option<Vec<u32>>,
    /// Profile.
    pub profile: Option<ProfileKind>,
    /// Ramp-up per step.
    pub ramp_up: Option<Duration>,
    /// Warm-up per step: full load after the ramp-up, excluded from the statistics.
    pub warmup: Option<Duration>,
    /// Hold per step.
    pub hold: Option<Duration>,
    /// Pause between steps.
    pub cooldown: Option<Duration>,
    /// Pause between iterations.
    pub think_time: Option<(Duration, Duration)>,
    /// Iterations per user.
    pub iterations: Option<u32>,
    /// Seed of the users' random streams.
    pub seed: Option<u64>,
    /// Directory under which results are written.
    pub out_dir: Option<PathBuf>,
    /// Worker threads.
    pub workers: Option<usize>,
    /// A criteria CSV file applied to every scenario (rows may name their scenario).
    pub criteria_file: Option<PathBuf>,
    /// Log every request and transaction: `Some(true)` writes `samples.jtl` (JMeter's CSV).
    pub samples: Option<bool>,
    /// A health-check path polled before each step.
    pub health: Option<String>,
    /// How long the health gate waits.
    pub health_timeout: Option<Duration>,
    /// A command run once per outage of the target.
    pub on_unhealthy: Option<String>,
    /// Allow more than the safety limit of users against a target that is not loopback.
    pub allow_remote_load: Option<bool>,
    /// Mask secrets in error samples and logs (default on).
    pub redact: Option<bool>,
    /// How often this machine is sampled (`0s`: not at all).
    pub monitor_interval: Option<Duration>,
    /// A Prometheus endpoint of the target to scrape.
    pub scrape: Option<String>,
    /// Series to keep from it.
    pub scrape_series: Option<Vec<String>>,
    /// How often to scrape it.
    pub scrape_interval: Option<Duration>,
    /// Open model: iterations per second of each step.
    pub rates: Option<Vec<f64>>,
    /// Open model: the most concurrent users of a step.
    pub max_users: Option<u32>,
    /// Open model: users created when a step starts.
    pub pre_allocated_users: Option<u32>,
    /// Closed model: the expected interval for coordinated-omission correction.
    pub expected_interval: Option<Duration>,
    /// The HTTP client users send with (`direct` unless set).
    pub http_client: Option<HttpClient>,
    /// The HTTP version the direct client speaks (`auto` unless set).
    pub http_version: Option<crate::user::HttpVersion>,
    /// The local addresses users' connections come from (`--source-addresses`).
    pub source_addresses: Option<crate::plan::SourceAddresses>,
    /// A PEM file of extra trusted CA certificates for HTTPS targets.
    pub ca_cert: Option<PathBuf>,
    /// The largest response body a user reads, in bytes (`--max-response-body`).
    pub max_response_body: Option<u64>,
    /// Accept any TLS certificate (no verification at all; recorded in the results).
    pub insecure: Option<bool>,
    /// Run only this shard of the plan (`--shard i/n`, 0-based).
    pub shard: Option<crate::plan::shard::ShardSpec>,
    /// Start the first step at this time, to align shards (`--start-at`).
    pub start_at: Option<std::time::SystemTime>,
    /// Serve the live dashboard here (`--dashboard`; a loopback address).
    pub dashboard: Option<SocketAddr>,
    /// Serve the live dashboard here, whatever the interface (`--dashboard-bind`).
    pub dashboard_bind: Option<SocketAddr>,
    /// Serve the generator's metrics for Prometheus here (`--metrics-listen`).
    pub metrics_listen: Option<SocketAddr>,
    /// Push the generator's metrics to this OTLP/HTTP collector (`--otlp`).
    pub otlp: Option<String>,
    /// How often to push them.
    pub otlp_interval: Option<Duration>,
    /// Keep the dashboard and metrics endpoint up this long after the run.
    pub live_linger: Option<Duration>,
    /// A live output that cannot start is an error, not a warning.
    pub live_strict: Option<bool>,
}

/// Every environment variable loadspec reads, with what it sets, from the one list of
/// options ([`loadspec_units::options::OPTIONS`]).
pub fn env_vars() -> Vec<(&'static str, String)> {
    loadspec_units::options::OPTIONS
        .iter()
        .flat_map(|o| o.env_vars().into_iter().map(|var| (var, o.plain_meaning())))
        .collect()
}

impl Overrides {
    /// Reads the `LOADSPEC_*` variables through `lookup` (pass `|k| std::env::var(k).ok()`).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (name, v))
        };
        let mut o = Self::default();
        if let Some((_, v)) = get("LOADSPEC_TARGET") {
            o.target = Some(v);
        }
        if let Some((name, v)) = get("LOADSPEC_MODE") {
            o.mode =
                Some(parse_mode(&v).map_err(|expected| ConfigError::invalid(name, &v, expected))?);
        }
        if let Some((name, v)) = get("LOADSPEC_THREADS") {
            o.threads =
                Some(parse_threads(&v).map_err(|reason| ConfigError::invalid(name, &v, &reason))?);
        }
        if let Some((name, v)) = get("LOADSPEC_PROFILE") {
            o.profile = Some(
                ProfileKind::parse(&v)
                    .ok_or_else(|| ConfigError::invalid(name, &v, "spike, ramp or stress"))?,
            );
        }
        o.ramp_up = env_duration(&get, "LOADSPEC_RAMP_UP")?;
        o.warmup = env_duration(&get, "LOADSPEC_WARMUP")?;
        o.hold = env_duration(&get, "LOADSPEC_HOLD")?;
        o.cooldown = env_duration(&get, "LOADSPEC_COOLDOWN")?;
        if let Some((name, v)) = get("LOADSPEC_THINK_TIME") {
            o.think_time =
                Some(loadspec_units::duration_range(&v).map_err(|e| ConfigError::unit(name, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_ITERATIONS") {
            o.iterations = Some(parse_positive(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_SEED") {
            o.seed = Some(
                v.trim()
                    .parse()
                    .map_err(|_| ConfigError::invalid(name, &v, "an unsigned integer"))?,
            );
        }
        if let Some((_, v)) = get("LOADSPEC_OUT_DIR") {
            o.out_dir = Some(PathBuf::from(v));
        }
        if let Some((name, v)) = get("LOADSPEC_SAMPLES") {
            o.samples = Some(
                parse_samples(&v).map_err(|expected| ConfigError::invalid(name, &v, expected))?,
            );
        }
        if let Some((name, v)) = get("LOADSPEC_HEALTH") {
            o.health = Some(parse_health_path(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        o.health_timeout = env_duration(&get, "LOADSPEC_HEALTH_TIMEOUT")?;
        if let Some((_, v)) = get("LOADSPEC_ON_UNHEALTHY") {
            o.on_unhealthy = Some(v);
        }
        if let Some((name, v)) = get("LOADSPEC_ALLOW_REMOTE_LOAD") {
            o.allow_remote_load =
                Some(parse_switch(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_REDACT") {
            o.redact = Some(parse_switch(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_HTTP_CLIENT") {
            o.http_client = Some(
                parse_http_client(&v)
                    .map_err(|expected| ConfigError::invalid(name, &v, expected))?,
            );
        }
        if let Some((name, v)) = get("LOADSPEC_HTTP_VERSION") {
            o.http_version = Some(
                crate::user::HttpVersion::parse(&v)
                    .map_err(|expected| ConfigError::invalid(name, &v, expected))?,
            );
        }
        if let Some((name, v)) = get("LOADSPEC_SOURCE_ADDRESSES") {
            o.source_addresses = Some(
                crate::plan::sources::parse(&v)
                    .map_err(|expected| ConfigError::invalid(name, &v, &expected))?,
            );
        }
        if let Some((name, v)) = get("LOADSPEC_MAX_RESPONSE_BODY") {
            o.max_response_body =
                Some(loadspec_units::size(&v).map_err(|e| ConfigError::unit(name, e))?);
        }
        if let Some((_, v)) = get("LOADSPEC_CA_CERT") {
            o.ca_cert = Some(PathBuf::from(v));
        }
        if let Some((name, v)) = get("LOADSPEC_INSECURE") {
            o.insecure = Some(parse_switch(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        o.monitor_interval = env_duration(&get, "LOADSPEC_MONITOR_INTERVAL")?;
        if let Some((name, v)) = get("LOADSPEC_SCRAPE") {
            o.scrape = Some(
                crate::plan::resolve::validate_url(&v)
                    .map_err(|e| ConfigError::invalid(name, &v, &e))?,
            );
        }
        if let Some((_, v)) = get("LOADSPEC_SCRAPE_SERIES") {
            o.scrape_series = Some(parse_list(&v));
        }
        o.scrape_interval = env_duration(&get, "LOADSPEC_SCRAPE_INTERVAL")?;
        if let Some((name, v)) = get("LOADSPEC_RATE") {
            o.rates =
                Some(parse_rates(&v).map_err(|reason| ConfigError::invalid(name, &v, &reason))?);
        }
        if let Some((name, v)) = get("LOADSPEC_MAX_USERS") {
            o.max_users = Some(parse_positive(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_PRE_ALLOCATED_USERS") {
            o.pre_allocated_users =
                Some(parse_positive(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        o.expected_interval = env_duration(&get, "LOADSPEC_EXPECTED_INTERVAL")?;
        if let Some((name, v)) = get("LOADSPEC_DASHBOARD") {
            o.dashboard = parse_dashboard(&v).map_err(|e| ConfigError::invalid(name, &v, e))?;
        }
        if let Some((name, v)) = get("LOADSPEC_DASHBOARD_BIND") {
            o.dashboard_bind = Some(parse_addr(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_METRICS_LISTEN") {
            o.metrics_listen = Some(parse_addr(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        if let Some((name, v)) = get("LOADSPEC_OTLP") {
            o.otlp = Some(
                crate::plan::resolve::validate_url(&v)
                    .map_err(|e| ConfigError::invalid(name, &v, &e))?,
            );
        }
        o.otlp_interval = env_duration(&get, "LOADSPEC_OTLP_INTERVAL")?;
        o.live_linger = env_duration(&get, "LOADSPEC_LIVE_LINGER")?;
        if let Some((name, v)) = get("LOADSPEC_LIVE_STRICT") {
            o.live_strict = Some(parse_switch(&v).map_err(|e| ConfigError::invalid(name, &v, e))?);
        }
        o.shard = crate::plan::shard::ShardSpec::from_env(&lookup)?;
        if let Some((name, v)) = get(crate::plan::shard::ENV_START_AT) {
            let at = crate::plan::shard::parse_start_at(&v);
            o.start_at = Some(at.map_err(|e| ConfigError::invalid(name, &v, &e.expected()))?);
        }
        if let Some((_, v)) = get("LOADSPEC_CRITERIA") {
            o.criteria_file = Some(PathBuf::from(v));
        }
        if let Some((name, v)) = get("LOADSPEC_WORKERS") {
            let n: u32 = parse_positive(&v).map_err(|e| ConfigError::invalid(name, &v, e))?;
            o.workers = Some(n as usize);
        }
        Ok(o)
    }

    /// `self` with every value `higher` sets replaced by it.
    pub fn overlay(self, higher: Overrides) -> Overrides {
        Overrides {
            target: higher.target.or(self.target),
            mode: higher.mode.or(self.mode),
            threads: higher.threads.or(self.threads),
            profile: higher.profile.or(self.profile),
            ramp_up: higher.ramp_up.or(self.ramp_up),
            warmup: higher.warmup.or(self.warmup),
            hold: higher.hold.or(self.hold),
            cooldown: higher.cooldown.or(self.cooldown),
            think_time: higher.think_time.or(self.think_time),
            iterations: higher.iterations.or(self.iterations),
            seed: higher.seed.or(self.seed),
            out_dir: higher.out_dir.or(self.out_dir),
            workers: higher.workers.or(self.workers),
            criteria_file: higher.criteria_file.or(self.criteria_file),
            samples: higher.samples.or(self.samples),
            health: higher.health.or(self.health),
            health_timeout: higher.health_timeout.or(self.health_timeout),
            on_unhealthy: higher.on_unhealthy.or(self.on_unhealthy),
            allow_remote_load: higher.allow_remote_load.or(self.allow_remote_load),
            redact: higher.redact.or(self.redact),
            monitor_interval: higher.monitor_interval.or(self.monitor_interval),
            scrape: higher.scrape.or(self.scrape),
            scrape_series: higher.scrape_series.or(self.scrape_series),
            scrape_interval: higher.scrape_interval.or(self.scrape_interval),
            rates: higher.rates.or(self.rates),
            max_users: higher.max_users.or(self.max_users),
            pre_allocated_users: higher.pre_allocated_users.or(self.pre_allocated_users),
            expected_interval: higher.expected_interval.or(self.expected_interval),
            http_client: higher.http_client.or(self.http_client),
            http_version: higher.http_version.or(self.http_version),
            source_addresses: higher.source_addresses.or(self.source_addresses),
            ca_cert: higher.ca_cert.or(self.ca_cert),
            max_response_body: higher.max_response_body.or(self.max_response_body),
            insecure: higher.insecure.or(self.insecure),
            shard: higher.shard.or(self.shard),
            start_at: higher.start_at.or(self.start_at),
            dashboard: higher.dashboard.or(self.dashboard),
            dashboard_bind: higher.dashboard_bind.or(self.dashboard_bind),
            metrics_listen: higher.metrics_listen.or(self.metrics_listen),
            otlp: higher.otlp.or(self.otlp),
            otlp_interval: higher.otlp_interval.or(self.otlp_interval),
            live_linger: higher.live_linger.or(self.live_linger),
            live_strict: higher.live_strict.or(self.live_strict),
        }
    }
}

fn env_duration(
    get: &impl Fn(&'static str) -> Option<(&'static str, String)>,
    name: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    get(name)
        .map(|(name, v)| loadspec_units::duration(&v).map_err(|e| ConfigError::unit(name, e)))
        .transpose()
}

/// Parses a comma-separated list of rates, e.g. `50/s,100/s,3000/m`, into per-second values.
pub(crate) fn parse_rates(text: &str) -> Result<Vec<f64>, String> {
    text.split(',')
        .map(|part| loadspec_units::rate(part.trim()).map_err(|e| e.to_string()))
        .collect()
}

/// Splits a comma-separated list, dropping empty items.
pub(crate) fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses a health-check path: it must start with `/`.
pub(crate) fn parse_health_path(text: &str) -> Result<String, &'static str> {
    let path = text.trim();
    if path.starts_with('/') {
        Ok(path.to_owned())
    } else {
        Err("a path starting with /, like /health")
    }
}

/// Parses an on/off switch.
/// Where the dashboard listens when `--dashboard` is given without an address.
pub(crate) const DASHBOARD_DEFAULT: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// `LOADSPEC_DASHBOARD`: on (the default address), off, or an address.
pub(crate) fn parse_dashboard(text: &str) -> Result<Option<SocketAddr>, &'static str> {
    match parse_switch(text) {
        Ok(true) => Ok(Some(DASHBOARD_DEFAULT)),
        Ok(false) => Ok(None),
        Err(_) => parse_addr(text)
            .map(Some)
            .map_err(|_| "on, off or an address such as 127.0.0.1:5665"),
    }
}

/// An address to listen on, e.g. `127.0.0.1:9464` or `[::1]:0`.
pub(crate) fn parse_addr(text: &str) -> Result<SocketAddr, &'static str> {
    text.trim()
        .parse()
        .map_err(|_| "an address with a port, such as 127.0.0.1:9464 or [::1]:9464")
}

pub(crate) fn parse_switch(text: &str) -> Result<bool, &'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Ok(true),
        "0" | "off" | "false" | "no" => Ok(false),
        _ => Err("on or off (1/0, true/false)"),
    }
}

/// Parses a sample-log choice: `jtl` (on) or `none` (off).
pub(crate) fn parse_samples(text: &str) -> Result<bool, &'static str> {
    match text.trim() {
        "jtl" => Ok(true),
        "none" => Ok(false),
        _ => Err("jtl or none"),
    }
}

/// Parses `direct` or `reqwest`.
pub(crate) fn parse_http_client(text: &str) -> Result<HttpClient, &'static str> {
    match text.trim() {
        "direct" => Ok(HttpClient::Direct),
        "reqwest" => Ok(HttpClient::Reqwest),
        _ => Err("direct or reqwest"),
    }
}

/// Parses `smoke` or `full`.
pub(crate) fn parse_mode(text: &str) -> Result<Mode, &'static str> {
    match text.trim() {
        "smoke" => Ok(Mode::Smoke),
        "full" => Ok(Mode::Full),
        _ => Err("smoke or full"),
    }
}

/// What a user-count list looks like, for error messages.
pub(crate) const THREADS_EXPECTED: &str = "distinct whole numbers above 0, like 1,5,10";

/// Parses a comma-separated list of distinct positive user counts, e.g. `1,5,10`; the error
/// says what is wrong with it.
pub(crate) fn parse_threads(text: &str) -> Result<Vec<u32>, String> {
    let mut threads = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let n: u32 = part
            .parse()
            .map_err(|_| format!("{part:?} is not a whole number"))?;
        if n == 0 {
            return Err("a step cannot have 0 users".into());
        }
        if threads.contains(&n) {
            return Err(format!("{n} appears twice"));
        }
        threads.push(n);
    }
    Ok(threads)
}

fn parse_positive(text: &str) -> Result<u32, &'static str> {
    match text.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a whole number above 0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<Overrides, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Overrides::from_env(move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn reads_every_variable() {
        let o = env(&[
            ("LOADSPEC_TARGET", "http://127.0.0.1:1"),
            ("LOADSPEC_MODE", "full"),
            ("LOADSPEC_THREADS", "1, 5,10"),
            ("LOADSPEC_PROFILE", "ramp"),
            ("LOADSPEC_RAMP_UP", "75s"),
            ("LOADSPEC_WARMUP", "5s"),
            ("LOADSPEC_HOLD", "1m"),
            ("LOADSPEC_COOLDOWN", "0s"),
            ("LOADSPEC_THINK_TIME", "1s..2s"),
            ("LOADSPEC_ITERATIONS", "3"),
            ("LOADSPEC_SEED", "42"),
            ("LOADSPEC_WORKERS", "2"),
        ])
        .unwrap();
        assert_eq!(o.threads, Some(vec![1, 5, 10]));
        assert_eq!(o.profile, Some(ProfileKind::Ramp));
        assert_eq!(o.ramp_up, Some(Duration::from_secs(75)));
        assert_eq!(o.warmup, Some(Duration::from_secs(5)));
        assert_eq!(o.hold, Some(Duration::from_secs(60)));
        assert_eq!(o.mode, Some(Mode::Full));
        assert_eq!(o.seed, Some(42));
        assert_eq!(o.workers, Some(2));
    }

    #[test]
    fn bad_values_name_the_variable_the_value_and_what_was_expected() {
        let e = env(&[("LOADSPEC_HOLD", "forever")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("LOADSPEC_HOLD") && e.contains("\"forever\""),
            "{e}"
        );
        let e = env(&[("LOADSPEC_WARMUP", "5")]).unwrap_err().to_string();
        assert!(e.contains("LOADSPEC_WARMUP") && e.contains("\"5\""), "{e}");
        let e = env(&[("LOADSPEC_THREADS", "1,0")]).unwrap_err().to_string();
        assert!(
            e.contains("LOADSPEC_THREADS") && e.contains("0 users"),
            "{e}"
        );
        let e = env(&[("LOADSPEC_THREADS", "5,5")]).unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
        let e = env(&[("LOADSPEC_PROFILE", "soak")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("spike, ramp or stress"), "{e}");
        let e = env(&[("LOADSPEC_MODE", "fast")]).unwrap_err().to_string();
        assert!(e.contains("smoke or full"), "{e}");
        let e = env(&[("LOADSPEC_MAX_RESPONSE_BODY", "0")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("LOADSPEC_MAX_RESPONSE_BODY") && e.contains("\"0\"") && e.contains("64MiB"),
            "{e}"
        );
        let o = env(&[("LOADSPEC_MAX_RESPONSE_BODY", "2MiB")]).unwrap();
        assert_eq!(o.max_response_body, Some(2 << 20));
    }

    #[test]
    fn higher_layers_win_value_by_value() {
        let env = Overrides {
            hold: Some(Duration::from_secs(1)),
            seed: Some(1),
            ..Default::default()
        };
        let cli = Overrides {
            seed: Some(2),
            ..Default::default()
        };
        let merged = env.overlay(cli);
        assert_eq!(merged.hold, Some(Duration::from_secs(1)));
        assert_eq!(merged.seed, Some(2));
    }

    #[test]
    fn the_environment_read_is_the_documented_one() {
        use std::cell::RefCell;
        use std::collections::BTreeSet;
        let asked = RefCell::new(BTreeSet::new());
        // A Kubernetes index and count: the shard's variables are then all asked for.
        let lookup = |name: &str| {
            asked.borrow_mut().insert(name.to_owned());
            match name {
                "JOB_COMPLETION_INDEX" => Some("0".to_owned()),
                "LOADSPEC_SHARD_COUNT" => Some("2".to_owned()),
                _ => None,
            }
        };
        let _ = Overrides::from_env(lookup);
        let documented: BTreeSet<String> = env_vars()
            .into_iter()
            .map(|(var, _)| var.to_owned())
            .collect();
        assert_eq!(
            *asked.borrow(),
            documented,
            "the variables Overrides::from_env reads differ from loadspec-units' options table"
        );
    }
}
