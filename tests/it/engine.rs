//! End-to-end tests of the engine against an in-process server on 127.0.0.1:0 with known
//! behaviour: what the results report must match what the server did.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::time::Duration;

use loadspec::results::model::{RunResults, RunStatus, ScenarioStepResult};
use loadspec::{ErrorKind, Failure, ProfileKind, Scenario, User};
use loadspec_runner::plan::{Mode, Overrides};
use loadspec_suite::{TestServer, run_silently};

use crate::support::serial;

fn run(scenario: Scenario, server: &TestServer, overrides: Overrides) -> RunResults {
    let overrides = Overrides {
        target: Some(server.base_url()),
        mode: Some(overrides.mode.unwrap_or(Mode::Full)),
        cooldown: Some(overrides.cooldown.unwrap_or(Duration::ZERO)),
        seed: Some(1),
        workers: Some(2),
        ..overrides
    };
    run_silently(&[scenario], &overrides).expect("run completes")
}

fn only(results: &RunResults) -> &ScenarioStepResult {
    assert_eq!(results.steps.len(), 1);
    &results.steps[0].scenarios[0]
}

fn hold(secs: f64) -> Overrides {
    Overrides {
        hold: Some(Duration::from_secs_f64(secs)),
        ..Default::default()
    }
}

#[test]
fn a_50ms_handler_reports_a_p50_between_50_and_60_ms() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("slow")
        .threads([4])
        .build(async |user: &mut User| {
            user.transaction("slow", async |tx| {
                tx.get("/delay/50").send().await?.expect_status(200)?;
                Ok(())
            })
            .await
        });
    let results = run(s, &server, hold(2.0));
    assert_eq!(results.run.status, RunStatus::Completed);
    let step = only(&results);
    let request = &step.requests[0];
    assert_eq!(request.label, "GET /delay/{id}");
    assert!(request.count > 40, "{} requests", request.count);
    assert!(
        (50.0..=60.0).contains(&request.p50_ms),
        "request p50 {}",
        request.p50_ms
    );
    let tx = &step.transactions[0];
    assert_eq!(tx.label, "slow");
    assert!(
        (50.0..=60.0).contains(&tx.p50_ms),
        "transaction p50 {}",
        tx.p50_ms
    );
    assert_eq!(tx.requests_per_transaction, Some(1.0));
    assert_eq!(request.failures, 0);
    assert!(
        request.throughput_per_s > 40.0,
        "{}",
        request.throughput_per_s
    );
}

#[test]
fn one_503_in_a_hundred_is_a_one_percent_5xx_rate() {
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("flaky")
        .threads([4])
        .iterations(100)
        .build(async |user: &mut User| {
            user.get("/fail-every/100").send().await?;
            Ok(())
        });
    let results = run(s, &server, Overrides::default());
    let total = &only(&results).total_requests;
    assert_eq!(total.count, 400);
    assert_eq!(total.failures, 4);
    assert!(
        (total.error_rate - 0.01).abs() < 1e-12,
        "{}",
        total.error_rate
    );
    assert_eq!(total.status_codes.get("503"), Some(&4));
    assert_eq!(total.status_codes.get("200"), Some(&396));
    assert_eq!(total.errors.len(), 1);
    assert_eq!(total.errors[0].kind, ErrorKind::Http5xx);
    assert!(
        total.errors[0].sample.contains("database is locked"),
        "{}",
        total.errors[0].sample
    );
}

#[test]
fn a_404_counts_as_4xx_and_fails_its_transaction() {
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("missing")
        .threads([1])
        .iterations(5)
        .build(async |user: &mut User| {
            user.transaction("lookup", async |tx| {
                tx.get("/ok").send().await?;
                tx.get("/status/404").send().await?;
                Ok(())
            })
            .await
        });
    let results = run(s, &server, Overrides::default());
    let step = only(&results);
    let missing = step
        .requests
        .iter()
        .find(|r| r.label == "GET /status/{id}")
        .unwrap();
    assert_eq!(missing.errors[0].kind, ErrorKind::Http4xx);
    assert_eq!(missing.failures, 5);
    let tx = &step.transactions[0];
    assert_eq!((tx.count, tx.failures), (5, 5));
    assert_eq!(tx.errors[0].kind, ErrorKind::Http4xx);
    assert_eq!(tx.requests_per_transaction, Some(2.0));
    // The transaction returned Ok, so the iterations themselves succeeded.
    assert_eq!(step.iterations.failures, 0);
}

#[test]
fn a_panicking_scenario_is_counted_and_the_run_completes() {
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("panicky")
        .threads([2])
        .iterations(9)
        .build(async |user: &mut User| {
            user.get("/ok").send().await?;
            if user.iteration() % 3 == 2 {
                panic!("boom at iteration {}", user.iteration());
            }
            Ok(())
        });
    let results = run(s, &server, Overrides::default());
    let step = only(&results);
    assert_eq!(results.run.status, RunStatus::Completed);
    assert_eq!(step.iterations.count, 18);
    assert_eq!(step.iterations.failures, 6);
    assert_eq!(step.iterations.errors[0].kind, ErrorKind::Panic);
    assert!(
        step.iterations.errors[0]
            .sample
            .contains("boom at iteration 2")
    );
    assert_eq!(step.total_requests.count, 18);
}

#[test]
fn each_step_runs_its_own_number_of_users() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("steps")
        .threads([1, 4, 8])
        .build(async |user: &mut User| {
            user.get("/concurrency/100")
                .send()
                .await?
                .expect_status(200)?;
            Ok(())
        });
    let results = run(s, &server, hold(1.5));
    assert_eq!(results.steps.len(), 3);
    for (step, users) in results.steps.iter().zip([1u32, 4, 8]) {
        let s = &step.scenarios[0];
        assert_eq!(s.users, users);
        let peak = s.time_series.iter().map(|p| p.active_users).max().unwrap();
        assert_eq!(peak, users, "step {}", step.index);
        // Closed loop on a 100 ms endpoint: about 10 requests per user per second.
        let per_user = s.total_requests.throughput_per_s / f64::from(users);
        assert!(
            (4.0..=10.5).contains(&per_user),
            "step {}: {per_user} req/s per user",
            step.index
        );
    }
    assert_eq!(
        server
            .counters()
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        8
    );
}

#[test]
fn ramp_up_starts_users_gradually_and_is_excluded_from_the_statistics() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("ramp")
        .threads([3])
        .profile(ProfileKind::Ramp)
        .ramp_up(Duration::from_millis(2000))
        .build(async |user: &mut User| {
            user.get("/delay/20").send().await?;
            Ok(())
        });
    let results = run(s, &server, hold(1.0));
    let step = &results.steps[0];
    assert!(
        (step.measured_from_s - 2.0).abs() < 1e-9,
        "{}",
        step.measured_from_s
    );
    assert!((step.measured_s - 1.0).abs() < 0.3, "{}", step.measured_s);
    let series = &step.scenarios[0].time_series;
    let ramp: Vec<u32> = series
        .iter()
        .filter(|p| p.ramp_up)
        .map(|p| p.active_users)
        .collect();
    assert_eq!(ramp, vec![2, 3], "users start at 0, 0.67 and 1.33 s");
    let measured_requests: u64 = series
        .iter()
        .filter(|p| !p.ramp_up)
        .map(|p| p.requests)
        .sum();
    assert_eq!(step.scenarios[0].total_requests.count, measured_requests);
}

#[test]
fn sessions_keep_bearer_tokens_and_cookies_per_user() {
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("session")
        .threads([2])
        .iterations(2)
        .build(async |user: &mut User| {
            #[derive(serde::Deserialize)]
            struct Token {
                access: String,
            }
            let token: Token = user
                .post("/login")
                .send()
                .await?
                .expect_status(200)?
                .json()?;
            user.session().bearer(&token.access)?;
            let echoed = user.get("/echo-auth").send().await?;
            if echoed.text()? != "Bearer token-123" {
                return Err(Failure::check(format!(
                    "bearer not sent: {:?}",
                    echoed.text()?
                )));
            }
            let me = user.get("/whoami").send().await?.expect_status(200)?;
            if me.text()? != "s3cr3t" {
                return Err(Failure::check("cookie not sent"));
            }
            Ok(())
        });
    let results = run(s, &server, Overrides::default());
    let step = only(&results);
    assert_eq!(step.iterations.count, 4);
    assert_eq!(step.iterations.failures, 0, "{:?}", step.iterations.errors);
}

#[test]
fn a_transaction_past_hung_after_is_cancelled_and_counted_as_hung() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("hang")
        .threads([1])
        .iterations(2)
        .hung_after(Duration::from_millis(300))
        .build(async |user: &mut User| {
            user.transaction("stuck", async |tx| {
                tx.get("/never").send().await?;
                Ok(())
            })
            .await
        });
    let started = std::time::Instant::now();
    let results = run(s, &server, Overrides::default());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let tx = &only(&results).transactions[0];
    assert_eq!((tx.count, tx.failures), (2, 2));
    assert_eq!(tx.errors[0].kind, ErrorKind::Hung);
    assert!((300.0..400.0).contains(&tx.p50_ms), "{}", tx.p50_ms);
}

#[test]
fn smoke_mode_runs_one_user_once() {
    let server = TestServer::start().unwrap();
    let s = Scenario::builder("smoke")
        .threads([50, 100])
        .build(async |user: &mut User| {
            user.get("/ok").send().await?.expect_status(200)?;
            Ok(())
        });
    let results = run(
        s,
        &server,
        Overrides {
            mode: Some(Mode::Smoke),
            ..Default::default()
        },
    );
    let step = only(&results);
    assert_eq!(
        (step.users, step.iterations.count, step.total_requests.count),
        (1, 1, 1)
    );
}

#[test]
fn a_refused_connection_is_a_connect_error_not_a_crash() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let s = Scenario::builder("refused")
        .threads([2])
        .iterations(3)
        .build(async |user: &mut User| {
            user.get("/ok").send().await?;
            Ok(())
        });
    let overrides = Overrides {
        target: Some(format!("http://127.0.0.1:{port}")),
        mode: Some(Mode::Full),
        workers: Some(1),
        ..Default::default()
    };
    let results = run_silently(&[s], &overrides).unwrap();
    let step = only(&results);
    assert_eq!(step.total_requests.count, 6);
    assert_eq!(step.total_requests.errors[0].kind, ErrorKind::Connect);
    assert_eq!(step.iterations.failures, 6);
}
