//! The smallest scenario: one request, against the embedded demo target.
//!
//! ```sh
//! cargo run --example hello                 # 1, then 10 users, 5 s each
//! cargo run --example hello -- --smoke      # one user, one request
//! ```

use loadspec::prelude::*;

#[scenario(threads = [1, 10], hold = "5s", cooldown = "1s")]
#[assertion(p95 = "200ms", threshold = "500ms")]
async fn health(user: &mut User) -> Result<(), Failure> {
    user.get("/health").send().await?.expect_status(200)?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let demo = match loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()) {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("error: failed to start the demo target: {e}");
            return std::process::ExitCode::from(loadspec::exit_code::RUN_ERROR);
        }
    };
    loadspec::Harness::new()
        .default_mode(loadspec::Mode::Full)
        .target(demo.base_url())
        .run()
}
