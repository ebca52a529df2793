//! The generator's own open-files limit: a run whose largest step needs more connections than
//! the process may open says so before any load is sent, and the connects that fail on this
//! machine's side are `io` failures naming the limit — never `connect` failures blamed on a
//! target that is up. The limit is lowered for one child run with util-linux's `prlimit`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::process::Command;

use loadspec::ErrorKind;
use loadspec_suite::TestServer;

use crate::support::{cargo_build, profile_dir, serial, shown};

#[test]
fn a_step_beyond_the_open_files_limit_is_told_and_blames_no_target() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        // util-linux is part of every Debian system; say so where it is missing.
        eprintln!("skipped: no prlimit (util-linux) on this machine");
        return;
    }
    let _serial = serial();
    cargo_build(&["-p", "loadspec-suite", "--example", "peer_bench"]);
    let binary = profile_dir().join("examples").join("peer_bench");
    let server = TestServer::start().unwrap();
    let out = std::env::temp_dir().join(format!("loadspec-open-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    // 400 users, at most 200 files: about half the users cannot open their connection.
    let output = Command::new("prlimit")
        .arg("--nofile=200:200")
        .arg(&binary)
        .args(["--monitor-interval", "0s"])
        .env("URL", format!("{}/delay/20", server.base_url()))
        .env("C", "400")
        .env("D", "2")
        .env("BENCH_RUN_DIR", &out)
        .env_remove("LOADSPEC_TARGET")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("needs about 656 open files") && stderr.contains("may open 200"),
        "{}",
        shown(&output)
    );
    let scenario_dir = out.join("loadspec").join("peer_bench");
    let run = std::fs::read_dir(&scenario_dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let results = loadspec::results::load(&run.join("results.json")).unwrap();
    assert!(
        results
            .run
            .warnings
            .iter()
            .any(|w| w.contains("open files")),
        "{:?}",
        results.run.warnings
    );
    let total = &results.steps[0].scenarios[0].total_requests;
    let io: u64 = total
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Io)
        .map(|e| e.count)
        .sum();
    assert!(io > 0, "some connects hit the limit: {:?}", total.errors);
    let sample = &total
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::Io)
        .unwrap()
        .sample;
    assert!(
        sample.contains("EMFILE") && sample.contains("ulimit -n"),
        "{sample}"
    );
    assert!(
        total.errors.iter().all(|e| e.kind != ErrorKind::Connect),
        "a target that is up is never blamed: {:?}",
        total.errors
    );
    // The users that got a connection kept going, and the server counted their requests.
    assert!(total.count > total.failures);
    let served = server
        .counters()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    let recorded: u64 = results.steps[0].scenarios[0]
        .time_series
        .iter()
        .map(|p| p.requests - p.failures)
        .sum();
    assert_eq!(
        served, recorded,
        "every request that reached the server is in the results"
    );
    let _ = std::fs::remove_dir_all(&out);
}
