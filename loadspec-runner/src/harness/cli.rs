//! The harness's command line: libtest's flags (so `cargo test` and nextest drive it) plus
//! loadspec's own. Every value is parsed by the same functions as the environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::plan::overrides::{THREADS_EXPECTED, parse_threads};
use crate::plan::{Overrides, ProfileKind};

#[derive(Debug, Parser)]
#[command(
    name = "loadspec",
    about = "Runs loadspec scenarios: smoke mode (1 user, 1 iteration) by default, --full for the load plan",
    disable_version_flag = true,
    after_help = super::env_help(),
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) libtest: libtest_mimic::Arguments,

    /// Run the full load plan instead of the smoke check (also LOADSPEC_MODE=full)
    #[arg(long, conflicts_with = "smoke")]
    pub(crate) full: bool,

    /// Run only the smoke check: 1 user, 1 iteration, no think time
    #[arg(long)]
    pub(crate) smoke: bool,

    /// Base URL of the target, e.g. http://127.0.0.1:8000
    #[arg(long, value_name = "URL")]
    pub(crate) target: Option<String>,

    /// Users per load step, e.g. 1,5,10,30
    #[arg(long, value_name = "LIST", value_parser = threads)]
    pub(crate) threads: Option<ThreadList>,

    /// spike, ramp or stress
    #[arg(long, value_name = "PROFILE", value_parser = profile)]
    pub(crate) profile: Option<ProfileKind>,

    /// Time to start all users of a step, e.g. 75s
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) ramp_up: Option<Duration>,

    /// Time at full load after the ramp-up whose requests are left out of the step's
    /// statistics (a slow first phase of the target), e.g. 5s
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) warmup: Option<Duration>,

    /// Time at full load per step, e.g. 60s
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) hold: Option<Duration>,

    /// Pause between steps, e.g. 10s
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) cooldown: Option<Duration>,

    /// Pause between iterations, e.g. 500ms..2s
    #[arg(long, value_name = "RANGE", value_parser = duration_range)]
    pub(crate) think_time: Option<(Duration, Duration)>,

    /// Iterations per user instead of a timed hold
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) iterations: Option<u32>,

    /// Seed of the users' random streams (reproduces a run's data)
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Directory for results (default: target/loadspec)
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,

    /// A criteria CSV file applied to every scenario (also LOADSPEC_CRITERIA)
    #[arg(long, value_name = "FILE")]
    pub(crate) criteria: Option<PathBuf>,

    /// Fail the run on warnings too, not only on failed criteria
    #[arg(long, value_name = "LEVEL", value_parser = ["warn", "fail"], default_value = "fail")]
    pub(crate) fail_on: String,

    /// Log every request and transaction to samples.jtl (JMeter's CSV format): jtl or none
    #[arg(long, value_name = "FORMAT", value_parser = samples)]
    pub(crate) samples: Option<bool>,

    /// A path polled before each step until the target answers 2xx, e.g. /health
    #[arg(long, value_name = "PATH", value_parser = health_path)]
    pub(crate) health: Option<String>,

    /// How long the health gate waits for the target before a step is skipped (default 60s)
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) health_timeout: Option<Duration>,

    /// A shell command run once per outage of the target (its output goes into the results)
    #[arg(long, value_name = "COMMAND")]
    pub(crate) on_unhealthy: Option<String>,

    /// Allow more than 50 users against a target that is not on this machine
    #[arg(long)]
    pub(crate) allow_remote_load: bool,

    /// HTTP client of the users: direct (each its own HTTP/1.1 connection) or reqwest (pooled)
    #[arg(long, value_name = "CLIENT", value_parser = http_client)]
    pub(crate) http_client: Option<crate::plan::HttpClient>,

    /// HTTP version of the direct client: auto (HTTP/2 where HTTPS servers choose it by ALPN), 1.1 or 2 (also h2c on cleartext)
    #[arg(long, value_name = "VERSION", value_parser = http_version)]
    pub(crate) http_version: Option<crate::user::HttpVersion>,

    /// Local addresses the users' connections come from: auto (enough of 127.0.0.0/8 when a step needs more connections than one address has ports), off, or a list such as 127.0.0.1-127.0.0.8
    #[arg(long, value_name = "LIST", value_parser = source_addresses)]
    pub(crate) source_addresses: Option<crate::plan::SourceAddresses>,

    /// The largest response body a user reads, e.g. 64MiB (the default), 500kB or 1048576;
    /// a larger one fails its request as io
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_response_body: Option<u64>,

    /// Also trust the CA certificates of this PEM file for HTTPS (a private CA, a self-signed server)
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,

    /// Accept any TLS certificate: no chain, host name or expiry check (recorded in the results)
    #[arg(long)]
    pub(crate) insecure: bool,

    /// Keep secrets (tokens, passwords, cookies) in error samples and logs
    #[arg(long)]
    pub(crate) no_redact: bool,

    /// How often this machine is sampled during steps (default 1s; 0s turns it off)
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) monitor_interval: Option<Duration>,

    /// A Prometheus endpoint of the target to scrape, e.g. http://127.0.0.1:9100/metrics
    #[arg(long, value_name = "URL", value_parser = url)]
    pub(crate) scrape: Option<String>,

    /// Series to keep from the scrape, comma-separated (default: all, up to 200)
    #[arg(long, value_name = "LIST")]
    pub(crate) scrape_series: Option<String>,

    /// How often to scrape (default 5s)
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) scrape_interval: Option<Duration>,

    /// Open model: iterations started per second in each step, e.g. 50/s,100/s (replaces
    /// --threads)
    #[arg(long, value_name = "LIST", value_parser = rates)]
    pub(crate) rate: Option<RateList>,

    /// Open model: the most concurrent users of a step; an arrival with none free is dropped
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_users: Option<u32>,

    /// Open model: users created when a step starts
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) pre_allocated_users: Option<u32>,

    /// Closed model: also report latencies corrected for coordinated omission, assuming
    /// requests are due every DURATION
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) expected_interval: Option<Duration>,

    /// Serve a live dashboard on this loopback address while the run goes (default
    /// 127.0.0.1:0, any free port); its URL and stop token are printed
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:0", value_parser = addr)]
    pub(crate) dashboard: Option<SocketAddr>,

    /// Serve the live dashboard on this address, whatever the interface
    #[arg(long, value_name = "ADDR", value_parser = addr)]
    pub(crate) dashboard_bind: Option<SocketAddr>,

    /// Serve the generator's metrics for Prometheus at http://ADDR/metrics
    #[arg(long, value_name = "ADDR", value_parser = addr)]
    pub(crate) metrics_listen: Option<SocketAddr>,

    /// Push the generator's metrics over OTLP/HTTP (protobuf) to URL/v1/metrics
    #[arg(long, value_name = "URL", value_parser = url)]
    pub(crate) otlp: Option<String>,

    /// How often metrics are pushed over OTLP (default 5s)
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) otlp_interval: Option<Duration>,

    /// Keep the dashboard and metrics endpoint up this long after the run (default 0s)
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) live_linger: Option<Duration>,

    /// A live output that cannot start (port taken, collector unreachable) is an error
    #[arg(long)]
    pub(crate) live_strict: bool,

    /// Fail the run when a step was generator-bound (its numbers measured loadspec itself)
    #[arg(long)]
    pub(crate) fail_on_saturation: bool,

    /// Run only shard I of N of the plan (0-based, like JOB_COMPLETION_INDEX): each step's
    /// users are split over the shards; `loadspec merge` adds their results up
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub(crate) shard: Option<crate::plan::shard::ShardSpec>,

    /// Start the first step at this RFC 3339 time, e.g. 2026-11-27T12:00:00Z (aligns shards)
    #[arg(long, value_name = "TIME", value_parser = start_at)]
    pub(crate) start_at: Option<std::time::SystemTime>,

    /// Worker threads driving the users (default: one per core)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) workers: Option<u32>,
}

/// A `--rate` value (a newtype so clap takes the list as one value).
#[derive(Debug, Clone)]
pub(crate) struct RateList(Vec<f64>);

fn rates(text: &str) -> Result<RateList, String> {
    crate::plan::overrides::parse_rates(text).map(RateList)
}

/// A `--threads` value (a newtype so clap takes the list as one value).
#[derive(Debug, Clone)]
pub(crate) struct ThreadList(Vec<u32>);

fn threads(text: &str) -> Result<ThreadList, String> {
    parse_threads(text)
        .map(ThreadList)
        .map_err(|reason| format!("{reason}; expected {THREADS_EXPECTED}"))
}

fn shard(text: &str) -> Result<crate::plan::shard::ShardSpec, String> {
    crate::plan::shard::ShardSpec::parse(text).map_err(|e| format!("expected {}", e.expected()))
}

fn start_at(text: &str) -> Result<std::time::SystemTime, String> {
    crate::plan::shard::parse_start_at(text).map_err(|e| format!("expected {}", e.expected()))
}

fn http_version(text: &str) -> Result<crate::user::HttpVersion, String> {
    crate::user::HttpVersion::parse(text).map_err(|expected| format!("expected {expected}"))
}

fn source_addresses(text: &str) -> Result<crate::plan::SourceAddresses, String> {
    crate::plan::sources::parse(text).map_err(|expected| format!("expected {expected}"))
}

fn http_client(text: &str) -> Result<crate::plan::HttpClient, String> {
    crate::plan::overrides::parse_http_client(text)
        .map_err(|expected| format!("expected {expected}"))
}

fn samples(text: &str) -> Result<bool, String> {
    crate::plan::overrides::parse_samples(text).map_err(|expected| format!("expected {expected}"))
}

fn health_path(text: &str) -> Result<String, String> {
    crate::plan::overrides::parse_health_path(text)
        .map_err(|expected| format!("expected {expected}"))
}

fn url(text: &str) -> Result<String, String> {
    crate::plan::resolve::validate_url(text).map_err(|expected| format!("expected {expected}"))
}

fn addr(text: &str) -> Result<SocketAddr, String> {
    crate::plan::overrides::parse_addr(text).map_err(|expected| format!("expected {expected}"))
}

fn profile(text: &str) -> Result<ProfileKind, String> {
    ProfileKind::parse(text).ok_or_else(|| "expected spike, ramp or stress".to_owned())
}

fn size(text: &str) -> Result<u64, String> {
    loadspec_units::size(text).map_err(|e| e.to_string())
}

fn duration(text: &str) -> Result<Duration, String> {
    loadspec_units::duration(text).map_err(|e| e.to_string())
}

fn duration_range(text: &str) -> Result<(Duration, Duration), String> {
    loadspec_units::duration_range(text).map_err(|e| e.to_string())
}

impl Cli {
    /// The loadspec values given on the command line.
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            target: self.target.clone(),
            mode: None,
            threads: self.threads.as_ref().map(|t| t.0.clone()),
            profile: self.profile,
            ramp_up: self.ramp_up,
            warmup: self.warmup,
            hold: self.hold,
            cooldown: self.cooldown,
            think_time: self.think_time,
            iterations: self.iterations,
            seed: self.seed,
            out_dir: self.out_dir.clone(),
            workers: self.workers.map(|n| n as usize),
            criteria_file: self.criteria.clone(),
            samples: self.samples,
            health: self.health.clone(),
            health_timeout: self.health_timeout,
            on_unhealthy: self.on_unhealthy.clone(),
            allow_remote_load: self.allow_remote_load.then_some(true),
            redact: self.no_redact.then_some(false),
            http_client: self.http_client,
            http_version: self.http_version,
            source_addresses: self.source_addresses.clone(),
            ca_cert: self.ca_cert.clone(),
            max_response_body: self.max_response_body,
            insecure: self.insecure.then_some(true),
            monitor_interval: self.monitor_interval,
            scrape: self.scrape.clone(),
            scrape_series: self
                .scrape_series
                .as_deref()
                .map(crate::plan::overrides::parse_list),
            scrape_interval: self.scrape_interval,
            dashboard: self.dashboard,
            dashboard_bind: self.dashboard_bind,
            metrics_listen: self.metrics_listen,
            otlp: self.otlp.clone(),
            otlp_interval: self.otlp_interval,
            live_linger: self.live_linger,
            live_strict: self.live_strict.then_some(true),
            rates: self.rate.as_ref().map(|r| r.0.clone()),
            max_users: self.max_users,
            pre_allocated_users: self.pre_allocated_users,
            expected_interval: self.expected_interval,
            shard: self.shard,
            start_at: self.start_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("load").chain(args.iter().copied()))
    }

    #[test]
    fn libtest_and_loadspec_flags_mix() {
        let cli = parse(&[
            "insuree",
            "--exact",
            "--full",
            "--threads",
            "1,5",
            "--hold",
            "2s",
            "--warmup",
            "1500ms",
            "--seed",
            "9",
        ])
        .unwrap();
        assert_eq!(cli.libtest.filter.as_deref(), Some("insuree"));
        assert!(cli.libtest.exact && cli.full);
        let o = cli.overrides();
        assert_eq!(o.threads, Some(vec![1, 5]));
        assert_eq!(o.hold, Some(Duration::from_secs(2)));
        assert_eq!(o.warmup, Some(Duration::from_millis(1500)));
        assert_eq!(o.seed, Some(9));
        assert!(
            parse(&["--list", "--format", "terse"])
                .unwrap()
                .libtest
                .list
        );
    }

    #[test]
    fn bad_values_name_the_value_and_what_was_expected() {
        let e = parse(&["--hold", "forever"]).unwrap_err().to_string();
        assert!(e.contains("forever") && e.contains("--hold"), "{e}");
        let e = parse(&["--warmup", "soon"]).unwrap_err().to_string();
        assert!(e.contains("soon") && e.contains("--warmup"), "{e}");
        let e = parse(&["--threads", "1,0"]).unwrap_err().to_string();
        assert!(e.contains("0 users"), "{e}");
        let e = parse(&["--profile", "soak"]).unwrap_err().to_string();
        assert!(e.contains("spike, ramp or stress"), "{e}");
        let e = parse(&["--source-addresses", "127.0.0.1,localhost"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--source-addresses") && e.contains("\"localhost\" is not an IP address"),
            "{e}"
        );
        let o = parse(&["--source-addresses", "127.0.0.2-127.0.0.3"])
            .unwrap()
            .overrides();
        assert_eq!(
            o.source_addresses,
            Some(crate::plan::SourceAddresses::List(vec![
                std::net::Ipv4Addr::new(127, 0, 0, 2).into(),
                std::net::Ipv4Addr::new(127, 0, 0, 3).into(),
            ]))
        );
        let e = parse(&["--max-response-body=-1MiB"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--max-response-body") && e.contains("negative"),
            "{e}"
        );
        let o = parse(&["--max-response-body", "500kB"])
            .unwrap()
            .overrides();
        assert_eq!(o.max_response_body, Some(500_000));
        assert!(parse(&["--full", "--smoke"]).is_err());
        assert!(parse(&["--iterations", "0"]).is_err());
    }

    #[test]
    fn the_flags_are_the_documented_ones() {
        use clap::CommandFactory as _;
        use std::collections::BTreeSet;
        let longs = |command: clap::Command| -> BTreeSet<String> {
            command
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect()
        };
        let libtest = longs(libtest_mimic::Arguments::command());
        let ours: BTreeSet<String> = longs(Cli::command())
            .difference(&libtest)
            .cloned()
            .collect();
        let documented: BTreeSet<String> = loadspec_units::options::OPTIONS
            .iter()
            .flat_map(|o| o.flags())
            .map(str::to_owned)
            .filter(|flag| !libtest.contains(flag))
            .collect();
        assert_eq!(
            ours, documented,
            "the harness's flags differ from loadspec-units' options table"
        );
    }
}
