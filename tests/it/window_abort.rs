//! Sliding-window aborts (`abort_on_fail` with a `window` and a `delay` on one criterion): a
//! local server whose latency jumps from 10 ms to 300 ms at a known moment, and a 3-step
//! sweep with `p95 < 100ms` judged every tick over the last 2 s.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use loadspec::criteria::{Criterion, Metric, Scope};
use loadspec::results::model::{RunResults, RunStatus, StepStatus};
use loadspec::{Failure, Harness, Scenario, User};
use loadspec_suite::ServedRouter;

use crate::support::{run_harness, serial};

/// A target answering `GET /lat` in 10 ms, except from `slow_from` to `slow_until` after its
/// first request, when it takes 300 ms.
struct Jump {
    slow_from: Duration,
    slow_until: Duration,
    first: Mutex<Option<Instant>>,
    /// Wall time of the first slow answer's arrival: the jump.
    jumped_at: Mutex<Option<SystemTime>>,
    requests: AtomicU64,
}

async fn lat(State(jump): State<Arc<Jump>>) -> &'static str {
    jump.requests.fetch_add(1, Ordering::SeqCst);
    let elapsed = {
        let mut first = jump.first.lock().unwrap();
        first.get_or_insert_with(Instant::now).elapsed()
    };
    let slow = elapsed >= jump.slow_from && elapsed < jump.slow_until;
    if slow {
        jump.jumped_at
            .lock()
            .unwrap()
            .get_or_insert_with(SystemTime::now);
    }
    tokio::time::sleep(Duration::from_millis(if slow { 300 } else { 10 })).await;
    "ok"
}

fn serve(slow_from: Duration, slow_until: Duration) -> (ServedRouter, Arc<Jump>) {
    let jump = Arc::new(Jump {
        slow_from,
        slow_until,
        first: Mutex::new(None),
        jumped_at: Mutex::new(None),
        requests: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/lat", get(lat))
        .with_state(Arc::clone(&jump));
    (ServedRouter::start("jump", app).unwrap(), jump)
}

/// One user in step 1, two in step 2, …, `hold` each, no ramp-up; `p95 < 100ms` aborting over `window` after
/// `delay`.
fn scenario(steps: usize, hold: Duration, window: Duration, delay: Duration) -> Scenario {
    Scenario::builder("window_abort")
        .threads(1..=u32::try_from(steps).unwrap())
        .ramp_up(Duration::ZERO)
        .hold(hold)
        .criterion(Criterion::new(Scope::All, Metric::P95, 100.0).abort_window(window, delay))
        .build(async |user: &mut User| -> Result<(), Failure> {
            user.get("/lat").send().await?.expect_status(200)?;
            Ok(())
        })
}

fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadspec-window-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs through the harness in full mode (so results.json and the report are written);
/// returns the results, the run directory and the libtest report.
fn run(scenario: Scenario, target: &str, out: &std::path::Path) -> (ExitCode, RunResults, String) {
    let captured = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&captured);
    let out_text = out.display().to_string();
    let args = [
        "load",
        "--full",
        "--cooldown",
        "0s",
        "--workers",
        "2",
        "--target",
        target,
        "--out-dir",
        &out_text,
    ];
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

/// Requests the client recorded over every tick of every step (all phases).
fn recorded(results: &RunResults) -> u64 {
    results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .flat_map(|s| &s.time_series)
        .map(|p| p.requests)
        .sum()
}

fn find(dir: &std::path::Path, name: &str) -> Option<PathBuf> {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                return Some(path);
            }
        }
    }
    None
}

#[test]
fn a_latency_jump_in_step_two_aborts_within_two_ticks() {
    let _serial = serial();
    // Steps of 5 s: the jump comes 6.5 s after the first request, ~1.5 s into step 2.
    let (server, jump) = serve(Duration::from_millis(6500), Duration::from_secs(3600));
    let out = out_dir("jump");
    let hold = Duration::from_secs(5);
    let (code, results, log) = run(
        scenario(3, hold, Duration::from_secs(2), Duration::from_secs(1)),
        &server.base_url(),
        &out,
    );
    assert_eq!(results.run.status, RunStatus::Aborted, "{log}");
    assert_eq!(results.steps.len(), 2, "step 3 must not run: {log}");
    assert_eq!(results.steps[0].status, StepStatus::Completed);
    let step = &results.steps[1];
    assert_eq!(step.status, StepStatus::Aborted);
    let reason = step.status_reason.as_deref().unwrap();
    for part in [
        "window_abort",
        "p95",
        "(all)",
        "over the last 2 s",
        "100ms",
        "step 2",
    ] {
        assert!(reason.contains(part), "{part:?} missing from {reason}");
    }
    assert_eq!(results.run.status_reason.as_deref(), Some(reason));
    // Failed, although the whole step 2 (mostly fast) would pass its p95.
    assert_eq!(code, ExitCode::from(3), "{log}");

    let abort = results.run.abort.clone().expect("run.abort");
    assert_eq!((abort.step, abort.criterion.as_str()), (1, "p95"));
    assert_eq!(abort.scope, "all");
    assert!(abort.value > 100.0 && abort.threshold == 100.0, "{abort:?}");
    // After the delay, and within two ticks (plus a flush) of the jump.
    assert!(
        abort.at_s >= 2.0 && abort.at_s <= hold.as_secs_f64(),
        "{abort:?}"
    );
    let jumped = jump
        .jumped_at
        .lock()
        .unwrap()
        .expect("the server never slowed down");
    let jumped = loadspec::results::unix_seconds(jumped);
    let at = loadspec::results::parse_unix_seconds(&abort.at).unwrap();
    assert!(
        (0.0..=2.6).contains(&(at - jumped)),
        "aborted {:.2} s after the jump: {abort:?}",
        at - jumped
    );
    // The step stopped within a tick of the breach (in-flight requests get their grace).
    assert!(
        step.duration_s <= abort.at_s + 1.5,
        "step ran {} s, breach at {} s",
        step.duration_s,
        abort.at_s
    );
    // Everything measured before the abort is in the results, and written.
    assert_eq!(recorded(&results), jump.requests.load(Ordering::SeqCst));
    let json = find(&out, "results.json").expect("results.json");
    let stored = loadspec::results::load(&json).unwrap();
    assert_eq!(stored.run.abort, Some(abort));
    assert!(find(&out, "report.html").is_some());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_target_that_stays_fast_completes_the_sweep() {
    let _serial = serial();
    let (server, jump) = serve(Duration::from_secs(3600), Duration::from_secs(3600));
    let out = out_dir("fast");
    let (code, results, log) = run(
        scenario(
            3,
            Duration::from_secs(2),
            Duration::from_secs(2),
            Duration::from_secs(1),
        ),
        &server.base_url(),
        &out,
    );
    assert_eq!(results.run.status, RunStatus::Completed, "{log}");
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    assert_eq!(results.steps.len(), 3);
    assert!(
        results
            .steps
            .iter()
            .all(|s| s.status == StepStatus::Completed)
    );
    assert_eq!(results.run.abort, None);
    assert_eq!(recorded(&results), jump.requests.load(Ordering::SeqCst));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_breach_during_the_delay_does_not_abort() {
    let _serial = serial();
    let window = Duration::from_secs(2);
    // Slow for the first 1.5 s after the first request, fast after.
    let slow_start = || serve(Duration::ZERO, Duration::from_millis(1500));
    // Without a delay the slow start aborts the run: the test can tell.
    let (server, _) = slow_start();
    let out = out_dir("no-delay");
    let (_, results, log) = run(
        scenario(1, Duration::from_secs(5), window, Duration::ZERO),
        &server.base_url(),
        &out,
    );
    assert_eq!(results.run.status, RunStatus::Aborted, "{log}");
    let _ = std::fs::remove_dir_all(&out);
    drop(server);
    // With a 3 s delay the slow ticks are neither judged nor counted.
    let (server, _) = slow_start();
    let out = out_dir("delay");
    let (_, results, log) = run(
        scenario(1, Duration::from_secs(5), window, Duration::from_secs(3)),
        &server.base_url(),
        &out,
    );
    assert_eq!(results.run.status, RunStatus::Completed, "{log}");
    assert_eq!(results.run.abort, None);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_window_criterion_on_a_custom_trend_aborts_too() {
    let _serial = serial();
    // One step of 6 s; the server slows down 2 s in; the scenario records each wait itself.
    let (server, jump) = serve(Duration::from_millis(2000), Duration::from_secs(3600));
    let out = out_dir("trend");
    let scenario = Scenario::builder("window_trend")
        .threads([1])
        .ramp_up(Duration::ZERO)
        .hold(Duration::from_secs(6))
        .criterion(
            Criterion::new(Scope::Trend("wait".into()), Metric::P95, 100.0)
                .abort_window(Duration::from_secs(2), Duration::from_secs(1)),
        )
        .build(async |user: &mut User| -> Result<(), Failure> {
            let response = user.get("/lat").send().await?;
            user.trend("wait").add(response.elapsed());
            Ok(())
        });
    let (code, results, log) = run(scenario, &server.base_url(), &out);
    assert_eq!(results.run.status, RunStatus::Aborted, "{log}");
    assert_eq!(code, ExitCode::from(3), "{log}");
    let abort = results.run.abort.clone().expect("run.abort");
    assert_eq!(abort.scope, "trend wait", "{abort:?}");
    assert!(abort.value > 100.0, "{abort:?}");
    // Within two ticks of the jump, well before the 6 s hold ends.
    assert!(abort.at_s < 5.0, "{abort:?}");
    assert!(jump.jumped_at.lock().unwrap().is_some());
    let _ = std::fs::remove_dir_all(&out);
}
