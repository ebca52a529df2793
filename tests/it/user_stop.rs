//! `User::stop`: a user ends after its current iteration (Locust's `StopUser`), e.g. when a
//! sequential feeder has no row left; its `on_stop` still runs and the step goes on. In the
//! open model a stopped user leaves the pool, so later arrivals are dropped once every user
//! has stopped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use loadspec::feeder::{Feeder, FeederError};
use loadspec::results::model::RunResults;
use loadspec::{Failure, Scenario, ScenarioBuilder, User};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{TestServer, full_run, run_silently};

use crate::support::serial;

const CSV: &str = "tests/fixtures/insurees.csv";
const ROWS: u64 = 20;

fn run(scenario: Scenario, target: &str, hold: Duration) -> RunResults {
    let overrides = Overrides {
        hold: Some(hold),
        monitor_interval: Some(Duration::ZERO),
        ..full_run(target)
    };
    run_silently(&[scenario], &overrides).unwrap()
}

/// Counts the users whose `on_stop` ran.
fn counting_on_stop(builder: ScenarioBuilder, stops: &Arc<AtomicU64>) -> ScenarioBuilder {
    let stops = Arc::clone(stops);
    builder.on_stop(async move |_user: &mut User| -> Result<(), Failure> {
        stops.fetch_add(1, Ordering::Relaxed);
        Ok(())
    })
}

#[test]
fn users_stop_when_the_sequential_feeder_runs_dry() {
    let server = TestServer::start().unwrap();
    let feeder = Arc::new(Feeder::csv(CSV).sequential());
    let stops = Arc::new(AtomicU64::new(0));
    let scenario = counting_on_stop(Scenario::builder("dry").threads([4]), &stops).build(
        async move |user: &mut User| -> Result<(), Failure> {
            let row = match feeder.next(user) {
                Ok(row) => row,
                Err(FeederError::Exhausted { .. }) => {
                    user.stop();
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            user.post("/login")
                .json(&row.to_json())
                .send()
                .await?
                .expect_status(200)?;
            Ok(())
        },
    );
    // Without the stop the 4 users would loop for the whole second (thousands of iterations).
    let results = run(scenario, &server.base_url(), Duration::from_secs(1));
    let s = &results.steps[0].scenarios[0];
    assert_eq!(
        s.total_requests.count, ROWS,
        "one request per row, then nothing"
    );
    assert_eq!(s.total_requests.failures, 0);
    assert_eq!(
        s.iterations.count,
        ROWS + 4,
        "each user ran one more iteration, found no row and stopped"
    );
    assert_eq!(s.iterations.failures, 0);
    assert_eq!(stops.load(Ordering::Relaxed), 4, "every user's on_stop ran");
}

#[test]
fn stopped_users_leave_the_open_model_pool_and_later_arrivals_are_dropped() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let stops = Arc::new(AtomicU64::new(0));
    let scenario = counting_on_stop(
        Scenario::builder("retiring")
            .rates([100.0])
            .pre_allocated_users(3)
            .max_users(3),
        &stops,
    )
    .build(async |user: &mut User| -> Result<(), Failure> {
        user.get("/ok").send().await?;
        // Each user serves two arrivals, then leaves.
        if user.iteration() == 1 {
            user.stop();
        }
        Ok(())
    });
    let results = run(scenario, &server.base_url(), Duration::from_secs(1));
    let s = &results.steps[0].scenarios[0];
    assert_eq!(s.iterations.count, 6, "3 users × 2 iterations");
    assert_eq!(s.total_requests.count, 6);
    assert!(
        s.dropped_iterations >= 90,
        "the other arrivals of the second found no user: {} dropped",
        s.dropped_iterations
    );
    assert_eq!(
        stops.load(Ordering::Relaxed),
        3,
        "each stopped user's on_stop ran once"
    );
}

#[test]
fn a_user_that_stops_in_on_start_runs_no_iteration() {
    let server = TestServer::start().unwrap();
    let stops = Arc::new(AtomicU64::new(0));
    let scenario = counting_on_stop(
        Scenario::builder("unneeded").threads([3]).on_start(
            async |user: &mut User| -> Result<(), Failure> {
                // User 0 finds nothing to do for this run.
                if user.index() == 0 {
                    user.stop();
                }
                Ok(())
            },
        ),
        &stops,
    )
    .iterations(2)
    .build(async |user: &mut User| -> Result<(), Failure> {
        user.get("/ok").send().await?;
        Ok(())
    });
    let results = run(scenario, &server.base_url(), Duration::from_secs(1));
    let s = &results.steps[0].scenarios[0];
    assert_eq!(
        s.iterations.count, 4,
        "users 1 and 2 run their 2 iterations, user 0 none"
    );
    assert_eq!(
        stops.load(Ordering::Relaxed),
        3,
        "on_stop runs for all three"
    );
}
