//! CPU time per request of the hot path — a virtual user sending a request, timing and
//! recording it — end to end against an in-process no-op server: one worker thread, users in a
//! closed loop, keep-alive. Variants: 1 and 64 users with a fixed label, a templated label (a
//! path with an id), the JTL sample log on, reqwest's pooled client instead of the direct one,
//! and the open model at a fixed rate. The last lines give the cost ratios of templating, of
//! the sample log and of the reqwest client.
//!
//! Run with: `cargo bench --bench hot_path` (env: `LOADSPEC_HOLD`, default 5s).
//!
//! "worker µs/req" is the CPU time of loadspec's worker thread (from the run's own system
//! samples, `generator_cpu`) per request: the server runs in the same process, so the
//! process's CPU time would count it too. Compare variants within one invocation; the machine
//! is shared. `../shared/bench/` measures loadspec beside wrk, oha and Goose (see
//! docs/performance.md).

use std::time::Duration;

use loadspec::results::model::RunResults;
use loadspec::{Failure, Scenario, User};
use loadspec_runner::engine::{self, Silent, StopHandle};
use loadspec_runner::plan::{self, HttpClient, Mode, Overrides};
use loadspec_suite::TestServer;

async fn fixed_label(user: &mut User) -> Result<(), Failure> {
    user.get("/ok").label("ok").send().await?;
    Ok(())
}

async fn templated_label(user: &mut User) -> Result<(), Failure> {
    // Recorded as `GET /status/{id}`: the label is templated on every request.
    user.get("/status/200").send().await?;
    Ok(())
}

struct Variant {
    name: &'static str,
    users: u32,
    scenario: fn() -> Scenario,
    jtl: bool,
    rate: Option<f64>,
    client: HttpClient,
}

fn run(overrides: &Overrides, variant: &Variant) -> anyhow::Result<RunResults> {
    let mut overrides = overrides.clone();
    overrides.threads = Some(vec![variant.users]);
    overrides.http_client = Some(variant.client);
    if let Some(rate) = variant.rate {
        overrides.rates = Some(vec![rate]);
        overrides.threads = None;
    }
    let mut plan = plan::resolve(&[(variant.scenario)()], &overrides)?;
    let dir = std::env::temp_dir().join(format!("loadspec-hot-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    plan.sample_log = variant.jtl.then(|| dir.join("samples.jtl"));
    let results = engine::run(&plan, &mut Silent, &StopHandle::new())?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(results)
}

/// CPU seconds of the worker thread over the step, from the monitor's samples.
fn worker_cpu_seconds(results: &RunResults) -> f64 {
    let step = &results.steps[0];
    let mut previous = step.offset_s;
    let mut seconds = 0.0;
    for sample in &step.system {
        seconds += sample.generator_cpu / 100.0 * (sample.t_s - previous).max(0.0);
        previous = sample.t_s;
    }
    seconds
}

fn main() -> anyhow::Result<()> {
    let server = TestServer::start()?;
    let env = Overrides::from_env(|k| std::env::var(k).ok())?;
    let overrides = Overrides {
        target: Some(server.base_url()),
        mode: Some(Mode::Full),
        hold: Some(env.hold.unwrap_or(Duration::from_secs(5))),
        cooldown: Some(Duration::ZERO),
        workers: Some(1),
        seed: Some(1),
        monitor_interval: Some(Duration::from_millis(500)),
        max_users: Some(500),
        ..Default::default()
    };
    let variants = [
        Variant {
            name: "1 user",
            users: 1,
            scenario: || Scenario::builder("fixed").build(fixed_label),
            jtl: false,
            rate: None,
            client: HttpClient::Direct,
        },
        Variant {
            name: "fixed label",
            users: 64,
            scenario: || Scenario::builder("fixed").build(fixed_label),
            jtl: false,
            rate: None,
            client: HttpClient::Direct,
        },
        Variant {
            name: "templated label",
            users: 64,
            scenario: || Scenario::builder("templated").build(templated_label),
            jtl: false,
            rate: None,
            client: HttpClient::Direct,
        },
        Variant {
            name: "fixed label, JTL on",
            users: 64,
            scenario: || Scenario::builder("fixed").build(fixed_label),
            jtl: true,
            rate: None,
            client: HttpClient::Direct,
        },
        Variant {
            name: "fixed label, reqwest",
            users: 64,
            scenario: || Scenario::builder("fixed").build(fixed_label),
            jtl: false,
            rate: None,
            client: HttpClient::Reqwest,
        },
        Variant {
            name: "open model, 5000/s",
            users: 64,
            scenario: || Scenario::builder("fixed").build(fixed_label),
            jtl: false,
            rate: Some(5000.0),
            client: HttpClient::Direct,
        },
    ];
    println!(
        "{:<22} {:>10} {:>14} {:>9} {:>9}",
        "variant", "req/s", "worker µs/req", "p50 ms", "p99 ms"
    );
    // Worker µs per request of each variant, summed over the rounds.
    let mut cpu = vec![0.0; variants.len()];
    // Two rounds, interleaved, so drift hits every variant alike.
    for _round in 0..2 {
        for (variant, cpu) in variants.iter().zip(&mut cpu) {
            let results = run(&overrides, variant)?;
            let total = &results.steps[0].scenarios[0].total_requests;
            let per_request = worker_cpu_seconds(&results) * 1e6 / total.count.max(1) as f64;
            *cpu += per_request;
            println!(
                "{:<22} {:>10.0} {:>14.2} {:>9.3} {:>9.3}",
                variant.name, total.throughput_per_s, per_request, total.p50_ms, total.p99_ms
            );
        }
    }
    let ratio = |name: &str| {
        let of = |n: &str| variants.iter().position(|v| v.name == n).map(|i| cpu[i]);
        match (of(name), of("fixed label")) {
            (Some(a), Some(b)) if b > 0.0 => a / b,
            _ => f64::NAN,
        }
    };
    println!(
        "CPU per request, ratio to the fixed label: templated {:.3}, JTL on {:.3}, reqwest client {:.3}",
        ratio("templated label"),
        ratio("fixed label, JTL on"),
        ratio("fixed label, reqwest")
    );
    Ok(())
}
