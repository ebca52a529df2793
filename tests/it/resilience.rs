//! A failing target never breaks a run: each fault is classified and counted, steps wait for
//! the target to recover, unreachable steps stop early, bad output directories and heavy plans
//! against remote targets are refused with clear messages, and secrets stay out of the results.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use loadspec::results::model::{RunResults, StepStatus};
use loadspec::{ErrorKind, Failure, Harness, Scenario, User};
use loadspec_runner::plan::{self, Overrides};
use loadspec_suite::{Fault, FaultServer, run_silently};

use crate::support::{fault_overrides as overrides, run_harness, serial};

fn run(scenario: Scenario, overrides: &Overrides) -> RunResults {
    run_silently(&[scenario], overrides).expect("the run completes")
}

async fn get_root(user: &mut User) -> Result<(), Failure> {
    user.get("/work").send().await?;
    Ok(())
}

fn error_kinds(results: &RunResults, step: usize) -> Vec<(ErrorKind, u64)> {
    results.steps[step].scenarios[0]
        .total_requests
        .errors
        .iter()
        .map(|e| (e.kind, e.count))
        .collect()
}

#[test]
fn resets_stalls_slow_bodies_and_storms_get_their_own_kinds() {
    let _serial = serial();
    let server = FaultServer::start().unwrap();
    let target = server.base_url();
    let cases = [
        (Fault::ResetMidResponse, ErrorKind::Reset),
        (Fault::Stall, ErrorKind::Timeout),
        (
            Fault::SlowBody(Duration::from_millis(150)),
            ErrorKind::Timeout,
        ),
        (Fault::Status(504), ErrorKind::Http5xx),
    ];
    for (fault, kind) in cases {
        server.set(fault);
        let scenario = Scenario::builder("faults")
            .threads([2])
            .iterations(3)
            .request_timeout(Duration::from_millis(400))
            .read_timeout(Duration::from_millis(100))
            .build(get_root);
        let started = Instant::now();
        let results = run(scenario, &overrides(&target));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        assert_eq!(error_kinds(&results, 0), vec![(kind, 6)], "{fault:?}");
        if let Fault::Status(code) = fault {
            assert_eq!(
                results.steps[0].scenarios[0].total_requests.status_codes[&code.to_string()],
                6
            );
        }
    }
}

#[test]
fn an_unresolvable_host_is_a_dns_error() {
    let scenario = Scenario::builder("dns")
        .threads([1])
        .iterations(1)
        .build(get_root);
    let results = run(scenario, &overrides("http://loadspec-test.invalid:8080"));
    assert_eq!(error_kinds(&results, 0), vec![(ErrorKind::Dns, 1)]);
}

#[test]
fn a_target_that_dies_mid_step_is_waited_for_and_recovered_before_the_next_step() {
    let _serial = serial();
    let mut server = FaultServer::start().unwrap();
    let dir = std::env::temp_dir().join(format!("loadspec-recovery-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flag = dir.join("restart-requested");
    let _ = std::fs::remove_file(&flag);
    let target = server.base_url();
    let command = format!("echo restarting target; touch {}", flag.display());
    let run = std::thread::spawn(move || {
        let scenario = Scenario::builder("outage")
            .threads([2, 3])
            .health("/health")
            .build(get_root);
        let overrides = Overrides {
            hold: Some(Duration::from_secs(2)),
            on_unhealthy: Some(command),
            health_timeout: Some(Duration::from_secs(20)),
            ..overrides(&target)
        };
        run(scenario, &overrides)
    });
    // Kill the target in the middle of step 1; bring it back only when the recovery command
    // asks for it.
    std::thread::sleep(Duration::from_millis(1200));
    server.kill();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !flag.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(flag.exists(), "the recovery command ran");
    server.revive().unwrap();
    let results = run.join().unwrap();

    let first = &results.steps[0];
    assert_eq!(first.status, StepStatus::Completed);
    let kinds = error_kinds(&results, 0);
    assert!(
        kinds
            .iter()
            .any(|(k, n)| matches!(k, ErrorKind::Connect | ErrorKind::Reset) && *n > 0),
        "{kinds:?}"
    );
    assert!(first.health.as_ref().unwrap().healthy);
    let second = &results.steps[1];
    assert_eq!(second.status, StepStatus::Completed);
    let health = second.health.as_ref().unwrap();
    assert!(health.healthy && health.down_s.unwrap() > 0.0, "{health:?}");
    let recovery = health.recovery.as_ref().unwrap();
    assert_eq!(recovery.exit_code, Some(0));
    assert!(recovery.output.contains("restarting target"));
    assert_eq!(
        second.scenarios[0].total_requests.failures, 0,
        "the second step ran against a healthy target"
    );
    assert!(second.scenarios[0].total_requests.count > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_step_whose_target_stays_down_is_marked_unavailable_and_skipped() {
    let _serial = serial();
    let mut server = FaultServer::start().unwrap();
    let target = server.base_url();
    server.kill();
    let scenario = Scenario::builder("down")
        .threads([1, 2])
        .health("/health")
        .build(get_root);
    let overrides = Overrides {
        hold: Some(Duration::from_secs(30)),
        health_timeout: Some(Duration::from_millis(600)),
        ..overrides(&target)
    };
    let started = Instant::now();
    let results = run(scenario, &overrides);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(results.steps.len(), 2);
    for step in &results.steps {
        assert_eq!(step.status, StepStatus::TargetUnavailable);
        assert!(
            step.status_reason
                .as_ref()
                .unwrap()
                .contains("health check")
        );
        assert_eq!(step.scenarios[0].total_requests.count, 0);
    }
    assert_eq!(server.requests(), 0, "no load was sent to a dead target");
}

#[test]
fn a_step_that_only_produces_connection_errors_stops_early() {
    let _serial = serial();
    let mut server = FaultServer::start().unwrap();
    let target = server.base_url();
    server.kill();
    let scenario = Scenario::builder("refused")
        .threads([2])
        .abort_after_consecutive_errors(20)
        .build(get_root);
    let started = Instant::now();
    let results = run(
        scenario,
        &Overrides {
            hold: Some(Duration::from_secs(30)),
            ..overrides(&target)
        },
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let step = &results.steps[0];
    assert_eq!(step.status, StepStatus::Aborted);
    assert!(
        step.status_reason
            .as_ref()
            .unwrap()
            .contains("could not reach the target"),
        "{:?}",
        step.status_reason
    );
    assert!(
        error_kinds(&results, 0)
            .iter()
            .all(|(k, _)| *k == ErrorKind::Connect)
    );
    // The step stops as a worker's streak reaches 20, not at the coordinator's next tick:
    // at most 2 users x 20, doubled for the connects already under way when it stops.
    let attempts = step.scenarios[0].total_requests.failures;
    assert!(
        attempts <= 2 * 20 * 2,
        "{attempts} attempts before the abort"
    );
    assert!(step.duration_s < 0.5, "the step ran {} s", step.duration_s);
}

#[test]
fn secrets_are_masked_in_error_samples_unless_asked_not_to() {
    let server = FaultServer::start().unwrap();
    server.set(Fault::Secrets);
    let scenario = || {
        Scenario::builder("secrets")
            .threads([1])
            .iterations(1)
            .build(get_root)
    };
    let results = run(scenario(), &overrides(&server.base_url()));
    let sample = &results.steps[0].scenarios[0].total_requests.errors[0].sample;
    assert!(
        sample.contains(r#""password": "***""#) && sample.contains(r#""access": "***""#),
        "{sample}"
    );
    assert!(
        !sample.contains("hunter2") && !sample.contains("tok-123"),
        "{sample}"
    );
    let results = run(
        scenario(),
        &Overrides {
            redact: Some(false),
            ..overrides(&server.base_url())
        },
    );
    assert!(
        results.steps[0].scenarios[0].total_requests.errors[0]
            .sample
            .contains("hunter2")
    );
}

#[test]
fn heavy_plans_against_remote_targets_need_an_explicit_flag() {
    let scenario = || {
        Scenario::builder("remote")
            .threads([10, 300])
            .build(get_root)
    };
    let remote = overrides("http://staging.example.org");
    let error = plan::resolve(&[scenario()], &remote)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("refusing to send 300 users to http://staging.example.org")
            && error.contains("--allow-remote-load"),
        "{error}"
    );
    assert!(
        plan::resolve(
            &[scenario()],
            &Overrides {
                allow_remote_load: Some(true),
                ..remote
            }
        )
        .is_ok()
    );
    assert!(plan::resolve(&[scenario()], &overrides("http://localhost:9")).is_ok());
    let light = Scenario::builder("remote").threads([5]).build(get_root);
    assert!(plan::resolve(&[light], &overrides("http://staging.example.org")).is_ok());
}

#[test]
fn an_unwritable_output_directory_is_one_clear_error_before_any_load() {
    let server = FaultServer::start().unwrap();
    let file = std::env::temp_dir().join(format!("loadspec-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "a file where a directory should be").unwrap();
    let scenario = Scenario::builder("out")
        .threads([1])
        .iterations(1)
        .build(get_root);
    let args = [
        "load",
        "--full",
        "--target",
        &server.base_url(),
        "--out-dir",
        file.to_str().unwrap(),
    ];
    let (code, log) = run_harness(Harness::new().scenarios([scenario]), &args);
    assert_eq!(code, ExitCode::from(4), "{log}");
    assert_eq!(server.requests(), 0);
    std::fs::remove_file(&file).unwrap();
}
