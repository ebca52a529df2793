//! The binary-wide `#[setup]` and `#[teardown]` (k6's `setup()` / `teardown()`): every
//! scenario of this test binary without hooks of its own gets them; several such scenarios
//! run together call each once and share the setup's value; a scenario's own `setup = ...`
//! wins. They are the only binary-wide hooks of the `it` binary (see main.rs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::Mutex;
use std::time::Duration;

use loadspec::Scenario;
use loadspec::prelude::*;
use loadspec::results::model::RunResults;
use loadspec_runner::plan::Overrides;
use loadspec_suite::{TestServer, full_run, run_silently};

static LOG: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// What the binary's setup hands to the users.
struct Seeded {
    token: String,
}

#[setup]
async fn seed_everything(user: &mut User) -> Result<Seeded, Failure> {
    user.get("/ok").send().await?.expect_status(200)?;
    LOG.lock().unwrap().push("binary setup");
    Ok(Seeded {
        token: "token-from-binary-setup".to_owned(),
    })
}

#[teardown]
async fn clean_everything(user: &mut User) -> Result<(), Failure> {
    // The teardown's user sees the run's setup value: the binary's, or the scenario's own.
    let entry = match user.setup_data::<Seeded>() {
        Ok(seeded) if seeded.token == "token-from-binary-setup" => {
            "binary teardown after binary setup"
        }
        _ => "binary teardown after another setup",
    };
    LOG.lock().unwrap().push(entry);
    Ok(())
}

async fn use_the_token(user: &mut User) -> Result<(), Failure> {
    let token = user.setup_data::<Seeded>()?.token.clone();
    user.session().bearer(&token)?;
    user.get("/echo-auth")
        .send()
        .await?
        .expect_body_contains("token-from-binary-setup")?;
    Ok(())
}

#[scenario(threads = [2], iterations = 2, profile = "stress")]
async fn searches(user: &mut User) -> Result<(), Failure> {
    use_the_token(user).await
}

#[scenario(threads = [3], iterations = 2, profile = "stress")]
async fn creates(user: &mut User) -> Result<(), Failure> {
    use_the_token(user).await
}

async fn own_setup(_user: &mut User) -> Result<u32, Failure> {
    LOG.lock().unwrap().push("own setup");
    Ok(7)
}

#[scenario(threads = [1], iterations = 1, setup = own_setup)]
async fn with_its_own_setup(user: &mut User) -> Result<(), Failure> {
    let value = *user.setup_data::<u32>()?;
    if value == 7 {
        Ok(())
    } else {
        Err(Failure::check(format!("own setup gave {value}")))
    }
}

/// This module's scenario `name`: the test binary registers other modules' scenarios too.
fn registered(name: &str) -> Scenario {
    loadspec::registered()
        .unwrap()
        .into_iter()
        .find(|s| s.module_path() == module_path!() && s.name() == name)
        .unwrap()
}

fn run(scenarios: &[Scenario], server: &TestServer) -> RunResults {
    let overrides = Overrides {
        monitor_interval: Some(Duration::ZERO),
        ..full_run(&server.base_url())
    };
    run_silently(scenarios, &overrides).unwrap()
}

// One test: the hooks log to one static, so the cases must not interleave.
#[test]
fn binary_hooks_run_once_per_run_and_a_scenarios_own_hook_wins() {
    let server = TestServer::start().unwrap();
    let (searches, creates) = (registered("searches"), registered("creates"));

    let results = run(&[searches, creates], &server);
    let iterations: Vec<(u64, u64)> = results.steps[0]
        .scenarios
        .iter()
        .map(|s| (s.iterations.count, s.iterations.failures))
        .collect();
    assert_eq!(iterations, [(4, 0), (6, 0)], "{:?}", results.lifecycle);
    assert_eq!(
        *LOG.lock().unwrap(),
        ["binary setup", "binary teardown after binary setup"],
        "two scenarios together: one setup, one teardown"
    );
    assert_eq!(results.lifecycle.len(), 2, "{:?}", results.lifecycle);

    LOG.lock().unwrap().clear();
    let results = run(&[registered("with_its_own_setup")], &server);
    let s = &results.steps[0].scenarios[0];
    assert_eq!((s.iterations.count, s.iterations.failures), (1, 0));
    assert_eq!(
        *LOG.lock().unwrap(),
        ["own setup", "binary teardown after another setup"],
        "its own setup replaces the binary's; the binary's teardown still applies"
    );
}
