//! The insuree_flow example, run as its own binary (mostly in smoke mode) against a demo target
//! this test starts: the main demo keeps working as the code changes.
//!
//! Its flows are not compiled into this test binary because the example's `#[setup]` is
//! binary-wide: here it would be the setup of every other module's scenarios too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loadspec::results::model::RunResults;

use crate::support::{insuree_flow, serial, shown};

/// Runs the example against `target` with `args` into a fresh `out`; returns its output and
/// every scenario's results, by scenario name.
fn run_example(target: &str, out: &Path, args: &[&str]) -> (Output, Vec<RunResults>) {
    let _ = std::fs::remove_dir_all(out);
    let mut command = Command::new(insuree_flow());
    command.args(args).arg("--out-dir").arg(out);
    // Only the target comes from here: the runner's and the example's own settings of the
    // environment would change the plan.
    for (name, _) in std::env::vars() {
        if name.starts_with("LOADSPEC_") || name.starts_with("INSUREE_FLOW_") {
            command.env_remove(name);
        }
    }
    let output = command.env("LOADSPEC_TARGET", target).output().unwrap();
    let mut runs: Vec<RunResults> = results_files(out)
        .iter()
        .map(|path| loadspec::results::load(path).unwrap())
        .collect();
    runs.sort_by(|a, b| a.run.name.cmp(&b.run.name));
    let _ = std::fs::remove_dir_all(out);
    (output, runs)
}

/// Every `results.json` under `dir`.
fn results_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "results.json") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn every_flow_of_the_example_passes_its_smoke_run_against_the_demo() {
    let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()).unwrap();
    let (output, runs) = smoke(&demo.base_url(), "every");
    assert!(output.status.success(), "{}", shown(&output));
    let names: Vec<&str> = runs.iter().map(|r| r.run.name.as_str()).collect();
    assert_eq!(
        names,
        ["claims_search", "insuree_essential", "insuree_recorded"]
    );
    let requests_per_tx = |run: &RunResults, tx: &str| {
        let s = &run.steps[0].scenarios[0];
        s.transactions
            .iter()
            .find(|t| t.label == tx)
            .and_then(|t| t.requests_per_transaction)
            .unwrap()
    };
    // The recorded UI issues far more requests than the essential calls (the case study's
    // screenshots 3 and 4).
    // The essential creation: the mutation and one read of its log (the demo, like
    // openIMIS with ASYNC=False, has the outcome at once). The recorded one: the mutation,
    // the journal's poll, the reload of the log and of the insuree.
    assert_eq!(requests_per_tx(&runs[1], "create_insuree"), 2.0);
    assert_eq!(requests_per_tx(&runs[2], "create_insuree"), 4.0);
    assert_eq!(requests_per_tx(&runs[2], "login"), 5.0);
    assert_eq!(requests_per_tx(&runs[2], "open_insuree_form"), 8.0);
    for run in runs.iter() {
        let s = &run.steps[0].scenarios[0];
        assert_eq!(
            s.iterations.failures, 0,
            "{}: {:?}",
            run.run.name, s.iterations.errors
        );
        assert_eq!(s.total_requests.failures, 0, "{}", run.run.name);
    }
}

/// Runs the example's flows in smoke mode against `target`, returning its output and every
/// scenario's results.
fn smoke(target: &str, tag: &str) -> (Output, Vec<RunResults>) {
    let out = std::env::temp_dir().join(format!("loadspec-example-{tag}-{}", std::process::id()));
    run_example(target, &out, &["--smoke"])
}

#[test]
fn the_flows_wait_for_mutations_a_worker_runs_later() {
    // openIMIS with ASYNC=True: the log says "received" (0) until the worker is done.
    let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig {
        mutation_delay: Some(std::time::Duration::from_millis(300)),
        ..loadspec_demo::DemoConfig::small()
    })
    .unwrap();
    let (output, runs) = smoke(&demo.base_url(), "async");
    assert!(output.status.success(), "{}", shown(&output));
    let essential = runs
        .iter()
        .find(|r| r.run.name == "insuree_essential")
        .unwrap();
    let s = &essential.steps[0].scenarios[0];
    let create = s
        .transactions
        .iter()
        .find(|t| t.label == "create_insuree")
        .unwrap();
    // The mutation and at least two reads of its log, the last one after the worker ran.
    assert!(
        create.requests_per_transaction.unwrap() >= 3.0,
        "{create:?}"
    );
    assert!(create.min_ms >= 300.0, "{create:?}");
}

#[test]
fn a_target_that_is_not_openimis_fails_the_setup_with_one_clear_line() {
    let html_404 = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::NOT_FOUND,
            [("content-type", "text/html; charset=utf-8")],
            "<!doctype html>\n<html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>",
        )
    });
    let server = loadspec_suite::ServedRouter::start("not-openimis", html_404).unwrap();
    let (output, runs) = smoke(&server.base_url(), "foreign");
    assert!(!output.status.success(), "{}", shown(&output));
    assert_eq!(runs.len(), 3, "{}", shown(&output));
    for run in &runs {
        assert!(run.steps.is_empty(), "no load after a failed setup");
        let setup = run.lifecycle.iter().find(|h| h.hook == "setup").unwrap();
        let error = setup.error.as_deref().unwrap();
        assert_eq!(
            error,
            "http_4xx: GraphQL tokenAuth (POST /api/graphql): unexpected status 404: an HTML page \"Not Found\" (text/html; charset=utf-8) — is the target an openIMIS backend (POST /api/graphql)?",
        );
        assert!(!error.contains('\n'));
    }
}

/// A Prometheus counter of the demo's `/metrics`, read with a plain HTTP/1.0 GET.
fn demo_counter(base: &str, series: &str) -> u64 {
    use std::io::{Read as _, Write as _};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {text}"))
}

#[test]
fn a_rate_limited_target_is_named_with_the_numbers_its_limiter_counted() {
    let _serial = serial();
    // openIMIS' MODE=PROD limiter, with a window longer than the run: 20 requests, then 429s.
    let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig {
        rate_limit: Some(loadspec_demo::RateLimit {
            requests: 20,
            window: std::time::Duration::from_secs(3600),
        }),
        ..loadspec_demo::DemoConfig::small()
    })
    .unwrap();
    let out = std::env::temp_dir().join(format!("loadspec-example-limit-{}", std::process::id()));
    // The example warms up for 2 s against a target it did not start; the finding's numbers
    // are checked here for a run measured from its first request.
    let args = [
        "insuree_essential",
        "--full",
        "--threads",
        "2",
        "--hold",
        "3s",
        "--warmup",
        "0s",
        "--cooldown",
        "0s",
    ];
    let (output, runs) = run_example(&demo.base_url(), &out, &args);
    let [results] = runs.as_slice() else {
        panic!("one run expected, got {}: {}", runs.len(), shown(&output));
    };
    let accepted = demo_counter(
        &demo.base_url(),
        "demo_rate_limit_requests_total{outcome=\"accepted\"}",
    );
    let rejected = demo_counter(
        &demo.base_url(),
        "demo_rate_limit_requests_total{outcome=\"rejected\"}",
    );
    assert_eq!(accepted, 20);
    let s = &results.steps[0].scenarios[0];
    assert_eq!(
        s.total_requests.status_codes.get("429").copied(),
        Some(rejected)
    );
    let findings = loadspec::report::limit_findings(results);
    let finding = findings
        .iter()
        .find(|f| f.starts_with("The target rate-limited this load generator"))
        .unwrap_or_else(|| panic!("{findings:?}"));
    assert!(finding.contains(&format!("{rejected} of ")), "{finding}");
    // The setup's 3 requests (login and two queries) came before the step's.
    assert!(
        finding.contains(&format!("{} requests got through", accepted - 3)),
        "{finding}"
    );
    assert!(finding.contains("\"Rate limit exceeded\""), "{finding}");
    assert!(finding.contains("The setup hook's requests"), "{finding}");
}
