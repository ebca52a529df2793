//! A tiny suite for trying sharding (and for `tests/it/sharding.rs`): one transaction that calls
//! `GET /delay/20` on the target given with `--target`, 3 then 6 users, 10 iterations each.
//!
//! ```sh
//! # the whole run, then the same as three shards starting together, then merged
//! cargo run --example shard_probe -- --full --target http://127.0.0.1:8000 --seed 7
//! at=$(date -u -d '+10 seconds' +%Y-%m-%dT%H:%M:%SZ)
//! for i in 0 1 2; do
//!   cargo run --example shard_probe -- --full --target http://127.0.0.1:8000 --seed 7 \
//!     --shard $i/3 --start-at "$at" --out-dir shards/$i &
//! done; wait
//! cargo run -p loadspec-cli --bin loadspec -- merge shards -o merged
//! ```
//!
//! With `SHARD_PROBE_LOG=<file>`, each user appends `step index first-random-number` to the
//! file on its first iteration: the data a sharded run issues can be compared with the whole
//! run's.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use loadspec::criteria::{Criterion, Metric, Scope};
use loadspec::prelude::*;
use loadspec::{ErrorKind, Harness, Mode, Scenario};

async fn probe(user: &mut User) -> Result<(), Failure> {
    if user.iteration() == 0
        && let Ok(path) = std::env::var("SHARD_PROBE_LOG")
    {
        let draw: u64 = user.rng().random();
        let line = format!("{} {} {draw}\n", user.step(), user.index());
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            return Err(Failure::new(
                ErrorKind::Scenario,
                format!("cannot write {path}: {e}"),
            ));
        }
    }
    user.transaction("delay", async |tx| {
        tx.get("/delay/20").send().await?.expect_status(200)?;
        Ok(())
    })
    .await
}

fn main() -> ExitCode {
    let delay = || Scope::Transaction("delay".into());
    let scenario = Scenario::builder("shard_probe")
        .threads([3, 6])
        .iterations(10)
        .cooldown(Duration::from_secs(1))
        // One criterion per verdict, with wide margins around a 20 ms endpoint.
        .criterion(Criterion::new(delay(), Metric::P95, 200.0).threshold(400.0))
        .criterion(Criterion::new(delay(), Metric::P50, 5.0).threshold(150.0))
        .criterion(Criterion::new(delay(), Metric::Max, 2.0).threshold(4.0))
        .criterion(Criterion::new(Scope::All, Metric::Failures, 0.01))
        .build(probe);
    Harness::new()
        .scenarios([scenario])
        .default_mode(Mode::Full)
        .run()
}
