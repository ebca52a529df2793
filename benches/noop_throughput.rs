//! Requests per second loadspec reaches against an in-process no-op handler, with 1 and 64
//! users (closed loop, keep-alive), and what logging every sample to a JTL file costs.
//!
//! Run with: `cargo bench --bench noop_throughput` (env: `LOADSPEC_HOLD`, default 5s;
//! `LOADSPEC_WORKERS`, default 1 so the server keeps the other core).
//! The server shares the machine, so quote ratios between runs of one invocation, not absolute
//! figures; `../shared/bench/` compares loadspec with wrk, oha and Goose against nginx.

use std::time::Duration;

use loadspec::engine::{self, Silent, StopHandle};
use loadspec::plan::{self, Mode, Overrides};
use loadspec::results::model::RunResults;
use loadspec::{Failure, Scenario, User};
use loadspec_suite::TestServer;

async fn noop(user: &mut User) -> Result<(), Failure> {
    user.get("/ok").send().await?;
    Ok(())
}

fn run(overrides: &Overrides, threads: &[u32], jtl: bool) -> anyhow::Result<RunResults> {
    let scenario = Scenario::builder("noop")
        .threads(threads.iter().copied())
        .build(noop);
    let mut plan = plan::resolve(&[scenario], overrides)?;
    let dir = std::env::temp_dir().join(format!("loadspec-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    plan.sample_log = jtl.then(|| dir.join("samples.jtl"));
    Ok(engine::run(&plan, &mut Silent, &StopHandle::new())?)
}

fn main() -> anyhow::Result<()> {
    let server = TestServer::start()?;
    let env = Overrides::from_env(|k| std::env::var(k).ok())?;
    let overrides = Overrides {
        target: Some(server.base_url()),
        mode: Some(Mode::Full),
        hold: Some(env.hold.unwrap_or(Duration::from_secs(5))),
        cooldown: Some(Duration::from_secs(1)),
        workers: Some(env.workers.unwrap_or(1)),
        seed: Some(1),
        ..Default::default()
    };
    println!(
        "users  jtl  req/s      p50 ms  p99 ms  failures  (workers: {})",
        overrides.workers.unwrap_or(1)
    );
    let mut by_jtl = [Vec::new(), Vec::new()];
    let sweep = run(&overrides, &[1, 64], false)?;
    let mut rows: Vec<(u32, bool, RunResults)> = vec![(0, false, sweep)];
    // Alternate with and without the sample log so drift hits both equally.
    for rep in 0..4 {
        let jtl = rep % 2 == 1;
        rows.push((64, jtl, run(&overrides, &[64], jtl)?));
    }
    for (_, jtl, results) in &rows {
        for step in &results.steps {
            let s = &step.scenarios[0];
            let t = &s.total_requests;
            println!(
                "{:>5}  {:>3}  {:>9.0}  {:>6.3}  {:>6.3}  {:>8}",
                s.users,
                if *jtl { "on" } else { "off" },
                t.throughput_per_s,
                t.p50_ms,
                t.p99_ms,
                t.failures
            );
        }
    }
    for (users, jtl, results) in &rows[1..] {
        if *users == 64 {
            by_jtl[usize::from(*jtl)].push(
                results.steps[0].scenarios[0]
                    .total_requests
                    .throughput_per_s,
            );
        }
    }
    let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
    println!(
        "64 users: JTL sample log on / off throughput ratio = {:.3}",
        mean(&by_jtl[1]) / mean(&by_jtl[0])
    );
    Ok(())
}
