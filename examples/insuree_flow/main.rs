//! The case study's audit in one command: openIMIS' insuree and claims flows, in its own
//! GraphQL API, swept over 1, 5, 10, 30, 50, 100, 150 and 300 users and judged against
//! Table 1.
//!
//! ```sh
//! cargo run --example insuree_flow                         # embedded demo target, short steps (~3 min)
//! cargo run --example insuree_flow -- --smoke              # one user, one iteration per flow
//! cargo run --example insuree_flow -- claims --threads 1,50 # one flow, other thread counts
//! cargo run --example insuree_flow -- --full-durations     # the case study's timings: ramp profile, 75 s ramp-up, 60 s hold
//! LOADSPEC_TARGET=http://127.0.0.1:8000 cargo run --example insuree_flow -- --threads 1,5,10,30
//!                                                          # a real openIMIS backend
//! ```
//!
//! Without `LOADSPEC_TARGET` it starts `loadspec-demo` in this process: openIMIS' GraphQL
//! API (the operations these flows use, with openIMIS' shapes, errors and statuses) over
//! SQLite, seeded with 20,000 insurees and 100,000 claims. The flows are the same code for
//! both targets. Users log in with the accounts of `examples/insuree_flow/users.csv`
//! (`Admin` / `admin123`, openIMIS' demo administrator) or of the CSV file
//! `INSUREE_FLOW_USERS` names; the names to search for and the families to add members to
//! are read from the target once, before the first step. Against an external target every
//! step starts with a 2 s warm-up at full load that the statistics leave out (`--warmup 0s`
//! turns it off). Every other loadspec flag works too (`--help`);
//! `INSUREE_FLOW_FULL_DURATIONS=1` is the same as `--full-durations`.

mod data;
mod flows;
mod openimis;

use std::process::ExitCode;
use std::time::Duration;

use loadspec::prelude::*;
use loadspec::{Harness, Mode, Overrides, ProfileKind};

/// Reads the target's reference data once for every flow (k6's `setup()`).
#[setup]
async fn reference(user: &mut User) -> Result<data::Reference, Failure> {
    data::reference(user).await
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let before = args.len();
    args.retain(|a| a != "--full-durations");
    let full_durations = args.len() != before
        || std::env::var("INSUREE_FLOW_FULL_DURATIONS").is_ok_and(|v| v == "1");

    // A missing or malformed accounts file is reported before any load is sent.
    if let Err(e) = data::ACCOUNTS.load() {
        eprintln!("error: {e}");
        return ExitCode::from(loadspec::exit_code::RUN_ERROR);
    }

    let external = std::env::var("LOADSPEC_TARGET")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let demo = match external {
        Some(target) => {
            println!("insuree_flow: load-testing {target} (LOADSPEC_TARGET)");
            None
        }
        None => match loadspec_demo::start_in_background(loadspec_demo::DemoConfig::default()) {
            Ok(demo) => {
                let stats = demo.stats();
                println!(
                    "insuree_flow: embedded openIMIS demo target at {} · seeded {} insurees, {} families, {} claims ({} rows) in {:.2} s",
                    demo.base_url(),
                    stats.insurees,
                    stats.families,
                    stats.claims,
                    stats.total_rows(),
                    demo.seeding_time().as_secs_f64()
                );
                Some(demo)
            }
            Err(e) => {
                eprintln!("error: failed to start the embedded demo target: {e}");
                return ExitCode::from(loadspec::exit_code::RUN_ERROR);
            }
        },
    };

    let mut defaults = Overrides::default();
    if let Some(demo) = &demo {
        // The demo exposes Prometheus series: request rates, requests in flight, DB pool use.
        defaults.target = Some(demo.base_url());
        defaults.scrape = Some(format!("{}/metrics", demo.base_url()));
        defaults.scrape_series = Some(
            [
                "demo_http_requests_in_flight",
                "demo_db_pool_connections_in_use",
                "demo_db_pool_waiting",
                "demo_db_busy_errors_total",
                "demo_http_timeouts_total",
            ]
            .map(str::to_owned)
            .to_vec(),
        );
    }
    if demo.is_none() {
        // A real backend's workers answer their first requests slowly (openIMIS' gunicorn
        // workers initialise lazily): each step's first 2 s run at full load unmeasured.
        defaults.warmup = Some(Duration::from_secs(2));
    }
    if full_durations {
        defaults.profile = Some(ProfileKind::Ramp);
        defaults.ramp_up = Some(Duration::from_secs(75));
        defaults.hold = Some(Duration::from_secs(60));
        defaults.cooldown = Some(Duration::from_secs(10));
    }
    let harness = Harness::new().default_mode(Mode::Full).defaults(defaults);
    let code = harness.run_with_args(args);
    if let Some(demo) = demo {
        demo.stop();
    }
    code
}
