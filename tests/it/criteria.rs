//! Criteria end to end: a local server with known latencies and failures, criteria chosen to
//! pass, warn and fail, checked in the results, the capacity line, the exit code and JUnit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use loadspec::criteria::{Criterion, Metric, Scope, Verdict};
use loadspec::results::model::RunResults;
use loadspec::{Failure, Harness, Scenario, User};
use loadspec_suite::TestServer;

use crate::support::{run_harness, serial};

fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadspec-criteria-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `scenario` through the harness in full mode; returns the exit code, the results and
/// the harness's libtest report (for assertion messages).
fn run_full(
    scenario: Scenario,
    server: &TestServer,
    out: &Path,
    extra: &[&str],
) -> (ExitCode, RunResults, String) {
    let captured = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sink = std::sync::Arc::clone(&captured);
    let mut args = vec![
        "load",
        "--full",
        "--cooldown",
        "0s",
        "--seed",
        "3",
        "--workers",
        "2",
        "--target",
    ];
    let target = server.base_url();
    args.push(&target);
    args.push("--out-dir");
    let out_text = out.display().to_string();
    args.push(&out_text);
    args.extend_from_slice(extra);
    let harness = Harness::new()
        .scenarios([scenario])
        .on_results(move |r| *sink.lock().unwrap() = Some(r.clone()));
    let (code, log) = run_harness(harness, &args);
    let results = captured
        .lock()
        .unwrap()
        .take()
        .unwrap_or_else(|| panic!("the run produced no results: {log}"));
    (code, results, log)
}

fn find_file(dir: &Path, name: &str) -> PathBuf {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                return path;
            }
        }
    }
    panic!("no {name} under {}", dir.display());
}

/// A fast login and a slow search; criteria around them keep wide margins so a busy machine
/// cannot move a verdict.
async fn login_then_search(user: &mut User) -> Result<(), Failure> {
    user.transaction("login", async |tx| {
        tx.get("/delay/5").send().await?.expect_status(200)?;
        Ok(())
    })
    .await?;
    user.transaction("search", async |tx| {
        tx.get("/delay/100").send().await?.expect_status(200)?;
        Ok(())
    })
    .await
}

#[test]
fn one_criterion_passes_one_warns_one_fails() {
    let server = TestServer::start().unwrap();
    let out = out_dir("pass-warn-fail");
    let tx = |name: &str| Scope::Transaction(name.to_owned());
    let scenario = Scenario::builder("flow")
        .threads([1, 2])
        .hold(Duration::from_millis(1500))
        .criterion(
            Criterion::new(tx("login"), Metric::P95, 200.0)
                .threshold(400.0)
                .named("login p95"),
        )
        .criterion(
            Criterion::new(tx("search"), Metric::P95, 60.0)
                .threshold(900.0)
                .named("search p95"),
        )
        .criterion(
            Criterion::new(tx("search"), Metric::P50, 20.0)
                .threshold(40.0)
                .named("search p50"),
        )
        .build(login_then_search);
    let (code, results, log) = run_full(scenario, &server, &out, &[]);
    assert_eq!(
        code,
        ExitCode::from(3),
        "a failed criterion exits with 3: {log}"
    );
    let report = results.criteria.expect("criteria judged");
    let verdicts: Vec<(String, Vec<Verdict>)> = report
        .rows
        .iter()
        .map(|r| (r.title.clone(), r.cells.iter().map(|c| c.verdict).collect()))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("login p95".into(), vec![Verdict::Pass, Verdict::Pass]),
            ("search p95".into(), vec![Verdict::Warn, Verdict::Warn]),
            ("search p50".into(), vec![Verdict::Fail, Verdict::Fail]),
        ]
    );
    let login = &report.rows[0].cells[0];
    assert!(
        login.measured.unwrap() >= 5.0 && login.display.ends_with("ms"),
        "{login:?}"
    );
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.capacity.all_pass_up_to, None);
    assert_eq!(report.capacity.none_fail_up_to, None);
    assert_eq!(
        report.capacity.summary,
        "no step passes every criterion; search p50 fails from 1"
    );

    let junit = std::fs::read_to_string(find_file(&out, "junit.xml")).unwrap();
    assert!(
        junit.contains("tests=\"6\"") && junit.contains("failures=\"2\""),
        "{junit}"
    );
    assert!(junit.contains("search p50 @ 2 threads (step 2)"), "{junit}");
    let summary = std::fs::read_to_string(find_file(&out, "summary.md")).unwrap();
    assert!(
        summary.contains("❌ fail") && summary.contains("| search p95 | 60ms | 900ms | ⚠️"),
        "{summary}"
    );
    let stored = loadspec::results::load(&find_file(&out, "results.json")).unwrap();
    assert_eq!(stored.criteria.unwrap().rows.len(), 3);
}

#[test]
fn warnings_pass_unless_fail_on_warn() {
    let server = TestServer::start().unwrap();
    let scenario = || {
        Scenario::builder("flow")
            .threads([1])
            .hold(Duration::from_millis(800))
            .criterion(
                Criterion::new(Scope::Transaction("search".into()), Metric::P95, 60.0)
                    .threshold(900.0),
            )
            .build(login_then_search)
    };
    let (code, results, log) = run_full(scenario(), &server, &out_dir("warn"), &[]);
    assert_eq!(results.criteria.unwrap().verdict, Verdict::Warn);
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let (code, _, log) = run_full(
        scenario(),
        &server,
        &out_dir("fail-on-warn"),
        &["--fail-on", "warn"],
    );
    assert_eq!(code, ExitCode::from(3), "{log}");
}

#[test]
fn peak_failures_judge_only_the_top_step() {
    let server = TestServer::start().unwrap();
    // Only users 4..8 exist in the top step; each fails one login in 5.
    let scenario = Scenario::builder("peak")
        .threads([4, 8])
        .iterations(20)
        .criterion(
            Criterion::new(Scope::Transaction("login".into()), Metric::Failures, 0.02)
                .threshold(0.2),
        )
        .criterion(Criterion::new(Scope::All, Metric::PeakFailures, 2.0).threshold(4.0))
        .build(async |user: &mut User| {
            let fail = user.index() >= 4 && user.iteration().is_multiple_of(5);
            user.transaction("login", async |tx| {
                tx.get(if fail { "/status/503" } else { "/ok" })
                    .send()
                    .await?;
                Ok(())
            })
            .await
        });
    let (code, results, log) = run_full(scenario, &server, &out_dir("peak"), &[]);
    let report = results.criteria.unwrap();
    let failures = &report.rows[0];
    assert_eq!(
        failures.cells.iter().map(|c| c.verdict).collect::<Vec<_>>(),
        [Verdict::Pass, Verdict::Warn]
    );
    assert_eq!(
        failures.cells[1].measured,
        Some(0.1),
        "16 of 160 logins failed"
    );
    let peak = &report.rows[1];
    assert_eq!(peak.title, "peak failures: login failures");
    assert_eq!(peak.cells.len(), 1, "judged at the peak step only");
    assert_eq!((peak.cells[0].step, peak.cells[0].users), (1, 8));
    assert_eq!(peak.cells[0].verdict, Verdict::Fail, "10% is beyond 4 × 2%");
    assert_eq!(report.capacity.all_pass_up_to, Some(4));
    assert_eq!(report.capacity.none_fail_up_to, Some(4));
    assert!(
        report
            .capacity
            .summary
            .starts_with("all criteria pass up to 4 threads"),
        "{}",
        report.capacity.summary
    );
    assert_eq!(code, ExitCode::from(3), "{log}");
}

#[test]
fn hung_transactions_fail_the_deadlock_criterion_in_time() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let scenario = Scenario::builder("stuck")
        .threads([1])
        .iterations(1)
        .hung_after(Duration::from_millis(400))
        .criterion(Criterion::new(Scope::All, Metric::Deadlocks, 0.0))
        .build(async |user: &mut User| {
            user.transaction("save", async |tx| {
                tx.get("/never").send().await?;
                Ok(())
            })
            .await
        });
    let started = std::time::Instant::now();
    let (code, results, log) = run_full(scenario, &server, &out_dir("hung"), &[]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let report = results.criteria.unwrap();
    assert_eq!(report.rows[0].cells[0].measured, Some(1.0));
    assert_eq!(report.rows[0].verdict, Verdict::Fail);
    assert_eq!(code, ExitCode::from(3), "{log}");
}

#[test]
fn abort_on_fail_stops_the_sweep_and_says_why() {
    let server = TestServer::start().unwrap();
    let scenario = Scenario::builder("abort")
        .threads([1, 2, 4])
        .iterations(3)
        .abort_on_fail(true)
        .criterion(Criterion::new(
            Scope::Transaction("t".into()),
            Metric::P50,
            10.0,
        ))
        .build(async |user: &mut User| {
            user.transaction("t", async |tx| {
                tx.get("/delay/30").send().await?;
                Ok(())
            })
            .await
        });
    let (code, results, log) = run_full(scenario, &server, &out_dir("abort"), &[]);
    assert_eq!(results.steps.len(), 1);
    assert_eq!(
        results.run.status,
        loadspec::results::model::RunStatus::Aborted
    );
    let reason = results.run.status_reason.unwrap();
    assert!(reason.contains("t p50 failed at 1 threads"), "{reason}");
    assert_eq!(code, ExitCode::from(3), "{log}");
}

#[test]
fn a_criteria_file_is_loaded_and_a_bad_one_is_a_config_error() {
    let server = TestServer::start().unwrap();
    let dir = out_dir("file");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("criteria.csv");
    std::fs::write(
        &good,
        "criterion,scope,metric,target,threshold\nLogin,transaction:login,p95,2s,5s\n",
    )
    .unwrap();
    let scenario = || {
        Scenario::builder("flow")
            .threads([1])
            .hold(Duration::from_millis(500))
            .build(login_then_search)
    };
    let (code, results, log) = run_full(
        scenario(),
        &server,
        &dir,
        &["--criteria", good.to_str().unwrap()],
    );
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    assert_eq!(results.criteria.unwrap().rows[0].title, "Login");

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "metric,target\np95,2\n").unwrap();
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario()]),
        &[
            "load",
            "--full",
            "--target",
            &server.base_url(),
            "--criteria",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(code, ExitCode::from(2), "{log}");
}
