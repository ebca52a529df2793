//! Requests per second loadspec reaches against an in-process no-op handler, with 1 and 64
//! users (closed loop, keep-alive), and the latency it reports at each.
//!
//! Run with: `cargo bench --bench noop_throughput` (env: `LOADSPEC_HOLD`, default 5s;
//! `LOADSPEC_WORKERS`, default 1 so the server keeps the other core).
//! The server shares the machine, so quote ratios between runs of one invocation, not absolute
//! figures; `../shared/bench/` compares loadspec with wrk, oha and Goose against nginx.

use std::time::Duration;

use loadspec::engine::{self, Silent, StopHandle};
use loadspec::plan::{self, Mode, Overrides};
use loadspec::{Failure, Scenario, User};
use loadspec_suite::TestServer;

async fn noop(user: &mut User) -> Result<(), Failure> {
    user.get("/ok").send().await?;
    Ok(())
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
        out_dir: Some(std::env::temp_dir().join("loadspec-bench")),
        ..Default::default()
    };
    let scenario = Scenario::builder("noop").threads([1, 64]).build(noop);
    let plan = plan::resolve(&[scenario], &overrides)?;
    let results = engine::run(&plan, &mut Silent, &StopHandle::new())?;
    println!(
        "users  req/s      p50 ms  p99 ms  failures  (workers: {})",
        plan.workers
    );
    for step in &results.steps {
        let s = &step.scenarios[0];
        let t = &s.total_requests;
        println!(
            "{:>5}  {:>9.0}  {:>6.3}  {:>6.3}  {:>8}",
            s.users, t.throughput_per_s, t.p50_ms, t.p99_ms, t.failures
        );
    }
    Ok(())
}
