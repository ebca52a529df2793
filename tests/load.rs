//! A `harness = false` load suite, as an application repository would have one: scenarios are
//! annotated functions in the test file, registered by `#[scenario]` and run by
//! `loadspec::Harness`.
//!
//! `cargo test --test load` runs each scenario once (smoke mode) against an in-process server;
//! `cargo test --test load -- --full` runs the whole plan; `-- --list` lists the scenarios.

use loadspec::prelude::*;
use loadspec_suite::TestServer;

#[derive(serde::Deserialize)]
struct Token {
    access: String,
}

#[scenario(threads = [1, 4], hold = "2s", cooldown = "1s", tags = ["session"])]
async fn login_and_browse(user: &mut User) -> Result<(), Failure> {
    user.transaction("login", async |tx| {
        let token: Token = tx.post("/login").send().await?.expect_status(200)?.json()?;
        tx.session().bearer(&token.access)?;
        Ok(())
    })
    .await?;
    user.transaction("browse", async |tx| {
        tx.get("/whoami").send().await?.expect_status(200)?;
        tx.get("/delay/5").send().await?.expect_status(200)?;
        Ok(())
    })
    .await
}

#[scenario(threads = [2], profile = "ramp", ramp_up = "1s", hold = "1s", think_time = "10ms..50ms")]
async fn slow_endpoint(user: &mut User) -> Result<(), Failure> {
    user.get("/delay/20").send().await?.expect_status(200)?;
    Ok(())
}

#[scenario(threads = [1], ignore)]
async fn broken_on_purpose(user: &mut User) -> Result<(), Failure> {
    user.get("/status/500").send().await?.expect_status(200)?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let server = match TestServer::start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: failed to start the test server: {e}");
            return std::process::ExitCode::from(loadspec::exit_code::RUN_ERROR);
        }
    };
    loadspec::Harness::new().target(server.base_url()).run()
}
