//! Lifecycle hooks: setup once before the first step (its value shared with every user),
//! teardown once after the last step even after failures, on_start / on_stop once per user.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::{Arc, Mutex};

use loadspec::prelude::*;
use loadspec::results::model::{RunResults, RunStatus};
use loadspec::{ErrorKind, Scenario};
use loadspec_suite::{TestServer, full_run, run_silently};

type Log = Arc<Mutex<Vec<String>>>;

fn run(scenario: Scenario, server: &TestServer) -> RunResults {
    run_silently(&[scenario], &full_run(&server.base_url())).unwrap()
}

fn logged(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

fn with_hooks(log: &Log, setup_fails: bool, start_fails: bool) -> Scenario {
    let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
    Scenario::builder("hooks")
        .threads([2, 3])
        .iterations(2)
        .setup(async move |user: &mut User| {
            user.post("/login").send().await?.expect_status(200)?;
            l1.lock().unwrap().push("setup".into());
            if setup_fails {
                return Err(Failure::check("no seed data"));
            }
            Ok(vec![7u32, 8, 9])
        })
        .on_start(async move |user: &mut User| {
            l2.lock()
                .unwrap()
                .push(format!("start {}-{}", user.step(), user.index()));
            if start_fails {
                return Err(Failure::check("login refused"));
            }
            Ok(())
        })
        .on_stop(async move |user: &mut User| {
            l3.lock()
                .unwrap()
                .push(format!("stop {}-{}", user.step(), user.index()));
            Ok(())
        })
        .teardown(async move |user: &mut User| {
            let seen = user.setup_data::<Vec<u32>>().map(|d| d.len()).unwrap_or(0);
            l4.lock().unwrap().push(format!("teardown saw {seen}"));
            Ok(())
        })
        .build(async |user: &mut User| {
            let data = user.setup_data::<Vec<u32>>()?;
            if *data != [7, 8, 9] {
                return Err(Failure::check("wrong setup data"));
            }
            user.get("/ok").send().await?;
            Ok(())
        })
}

#[test]
fn hooks_run_in_order_and_users_share_the_setup_value() {
    let server = TestServer::start().unwrap();
    let log = Log::default();
    let results = run(with_hooks(&log, false, false), &server);
    let log = logged(&log);
    assert_eq!(log.first().map(String::as_str), Some("setup"));
    assert_eq!(log.last().map(String::as_str), Some("teardown saw 3"));
    assert_eq!(log.iter().filter(|l| l.starts_with("start")).count(), 5);
    assert_eq!(log.iter().filter(|l| l.starts_with("stop")).count(), 5);
    for step in &results.steps {
        let s = &step.scenarios[0];
        assert_eq!(s.iterations.failures, 0, "{:?}", s.iterations.errors);
        assert_eq!(s.iterations.count, u64::from(s.users) * 2);
        let on_start = s
            .transactions
            .iter()
            .find(|t| t.label == "on_start")
            .unwrap();
        assert_eq!((on_start.count, on_start.failures), (u64::from(s.users), 0));
    }
    let hooks: Vec<(&str, bool)> = results
        .lifecycle
        .iter()
        .map(|r| (r.hook.as_str(), r.ok))
        .collect();
    assert_eq!(hooks, [("setup", true), ("teardown", true)]);
    // The setup's own request is not part of any step.
    assert!(results.steps.iter().all(|s| {
        s.scenarios[0]
            .requests
            .iter()
            .all(|r| r.label != "POST /login")
    }));
}

#[test]
fn a_failed_setup_runs_no_step_but_still_tears_down() {
    let server = TestServer::start().unwrap();
    let log = Log::default();
    let results = run(with_hooks(&log, true, false), &server);
    assert!(results.steps.is_empty());
    assert_eq!(results.run.status, RunStatus::Aborted);
    assert!(
        results
            .run
            .status_reason
            .as_ref()
            .unwrap()
            .contains("setup of hooks failed"),
        "{:?}",
        results.run.status_reason
    );
    assert_eq!(logged(&log), ["setup", "teardown saw 0"]);
    assert!(
        !results.lifecycle[0].ok
            && results.lifecycle[0]
                .error
                .as_ref()
                .unwrap()
                .contains("no seed data")
    );
    assert!(results.lifecycle[1].ok);
}

#[test]
fn a_user_whose_on_start_fails_runs_no_iteration() {
    let server = TestServer::start().unwrap();
    let log = Log::default();
    let results = run(with_hooks(&log, false, true), &server);
    for step in &results.steps {
        let s = &step.scenarios[0];
        assert_eq!(s.iterations.count, 0);
        let on_start = s
            .transactions
            .iter()
            .find(|t| t.label == "on_start")
            .unwrap();
        assert_eq!(on_start.failures, u64::from(s.users));
        assert_eq!(on_start.errors[0].kind, ErrorKind::CheckFailed);
    }
    assert_eq!(
        logged(&log)
            .iter()
            .filter(|l| l.starts_with("stop"))
            .count(),
        5,
        "on_stop still runs"
    );
}

static MACRO_LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

async fn seed(user: &mut User) -> Result<String, Failure> {
    user.get("/ok").send().await?.expect_status(200)?;
    MACRO_LOG.lock().unwrap().push("seed");
    Ok("token-from-setup".to_owned())
}

async fn clean_up(_user: &mut User) -> Result<(), Failure> {
    MACRO_LOG.lock().unwrap().push("clean_up");
    Ok(())
}

#[scenario(threads = [1], iterations = 1, setup = seed, teardown = clean_up)]
async fn with_macro_hooks(user: &mut User) -> Result<(), Failure> {
    let token = user.setup_data::<String>()?;
    user.session().bearer(&token)?;
    user.get("/echo-auth")
        .send()
        .await?
        .expect_body_contains("token-from-setup")?;
    Ok(())
}

#[test]
fn macro_hooks_are_registered_and_run() {
    let server = TestServer::start().unwrap();
    // This module's: the test binary registers other modules' scenarios too.
    let scenario = loadspec::registered()
        .unwrap()
        .into_iter()
        .find(|s| s.module_path() == module_path!() && s.name() == "with_macro_hooks")
        .unwrap();
    let results = run(scenario, &server);
    let s = &results.steps[0].scenarios[0];
    assert_eq!(
        (s.iterations.count, s.iterations.failures),
        (1, 0),
        "{:?}",
        s.iterations.errors
    );
    assert_eq!(*MACRO_LOG.lock().unwrap(), ["seed", "clean_up"]);
}
