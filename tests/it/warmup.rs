//! `warmup`: a phase at full load after the ramp-up whose requests stay out of the step's
//! statistics but not out of its time series. The target here is slow on its first requests
//! (lazy initialisation, like gunicorn workers on their first GraphQL request).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use loadspec::results::model::{RunResults, StepResult};
use loadspec::{Failure, Scenario, User};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{COLD_START_MS, TestServer, full_run, run_silently};

use crate::support::serial;

/// The first 6 requests take 300 ms; later ones 20 ms, so 300 ms is well above the p99 of a
/// measured window without the slow ones and shows up at p99 when they are in it.
const ROUTE: &str = "/cold-start/6/20";
const SLOW: f64 = COLD_START_MS as f64;

fn closed(users: u32) -> Scenario {
    Scenario::builder("cold")
        .threads([users])
        .build(async |user: &mut User| {
            user.get(ROUTE).send().await?;
            Ok::<(), Failure>(())
        })
}

fn run(scenario: Scenario, server: &TestServer, warmup: Duration, hold: Duration) -> RunResults {
    let overrides = Overrides {
        warmup: Some(warmup),
        hold: Some(hold),
        workers: Some(1),
        ..full_run(&server.base_url())
    };
    run_silently(&[scenario], &overrides).unwrap()
}

/// Requests the time series saw, warm-up ticks and measured ticks apart.
fn series_requests(step: &StepResult) -> (u64, u64) {
    let series = &step.scenarios[0].time_series;
    let warm = series.iter().filter(|p| p.warmup).map(|p| p.requests).sum();
    let measured = series
        .iter()
        .filter(|p| !p.warmup && !p.ramp_up)
        .map(|p| p.requests)
        .sum();
    (warm, measured)
}

#[test]
fn a_warmup_keeps_the_slow_first_requests_out_of_the_statistics_but_in_the_series() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    // 2 users × 3 slow requests each: the slow phase lasts about 0.9 s, the warm-up 1.5 s.
    let results = run(
        closed(2),
        &server,
        Duration::from_millis(1500),
        Duration::from_millis(1500),
    );
    assert_eq!(results.plan.steps[0].warmup_s, 1.5);
    let step = &results.steps[0];
    assert!(
        (step.measured_from_s - 1.5).abs() < 1e-9,
        "{}",
        step.measured_from_s
    );
    assert!(
        step.duration_s >= 3.0,
        "ramp-up + warm-up + hold: {}",
        step.duration_s
    );
    let total = &step.scenarios[0].total_requests;
    assert!(total.count > 20, "{total:?}");
    assert!(
        total.max_ms < SLOW && total.p99_ms < SLOW,
        "the slow first requests leaked into the statistics: p99 {} max {}",
        total.p99_ms,
        total.max_ms
    );
    // The series still shows them: warm-up ticks, marked, with a slow p95.
    let series = &step.scenarios[0].time_series;
    assert!(
        series.iter().all(|p| !p.ramp_up),
        "a spike step has no ramp-up"
    );
    let warm: Vec<_> = series.iter().filter(|p| p.warmup).collect();
    assert!(!warm.is_empty(), "{series:?}");
    assert!(
        warm.iter().any(|p| p.p95_ms >= SLOW),
        "the slow phase is visible in the warm-up ticks: {warm:?}"
    );
    assert!(warm.iter().all(|p| p.t_s <= step.offset_s + 1.5 + 1e-9));
    // Every request the server answered is in the series; the measured ones in the summary.
    let (in_warmup, measured) = series_requests(step);
    assert_eq!(total.count, measured);
    assert_eq!(
        in_warmup + measured,
        server.counters().cold_start.load(Ordering::SeqCst)
    );
    let html = loadspec::report::render_html(&results, &[]).unwrap();
    assert!(
        html.contains("class=\"band-warmup\"") && html.contains(">warm-up<"),
        "the report shades and labels the warm-up"
    );
}

#[test]
fn without_a_warmup_the_slow_first_requests_show_up() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let results = run(closed(2), &server, Duration::ZERO, Duration::from_secs(3));
    let step = &results.steps[0];
    assert_eq!(step.measured_from_s, 0.0);
    let total = &step.scenarios[0].total_requests;
    assert!(total.max_ms >= SLOW, "{total:?}");
    assert!(
        total.p99_ms >= SLOW,
        "6 slow of about 200 requests: {total:?}"
    );
    assert!(step.scenarios[0].time_series.iter().all(|p| !p.warmup));
}

#[test]
fn open_model_steps_leave_their_warmup_out_too() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let scenario = Scenario::builder("cold_open")
        .rates([20.0])
        .max_users(20)
        .build(async |user: &mut User| {
            user.get(ROUTE).send().await?;
            Ok::<(), Failure>(())
        });
    let results = run(
        scenario,
        &server,
        Duration::from_millis(1500),
        Duration::from_millis(1500),
    );
    let step = &results.steps[0];
    let s = &step.scenarios[0];
    assert!((step.measured_from_s - 1.5).abs() < 1e-9);
    assert!(s.total_requests.count >= 20, "{:?}", s.total_requests);
    assert!(
        s.total_requests.max_ms < SLOW,
        "slow warm-up requests in the open step's statistics: {:?}",
        s.total_requests
    );
    // Arrivals are due every 50 ms from the start: the warm-up's are in the series only.
    let (in_warmup, measured) = series_requests(step);
    assert!(in_warmup >= 20, "{in_warmup}");
    assert_eq!(s.total_requests.count, measured);
    assert_eq!(
        s.dropped_iterations, 0,
        "20 users serve 20/s of at most 300 ms"
    );
    assert!(
        s.iterations.count.abs_diff(measured) <= 2,
        "{} {measured}",
        s.iterations.count
    );
}
