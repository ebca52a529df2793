//! The case study's audit in one command: an openIMIS-like target, its insuree and claims
//! flows swept over 1, 5, 10, 30, 50, 100, 150 and 300 users, judged against Table 1.
//!
//! ```sh
//! cargo run --example insuree_flow                         # embedded demo target, short steps (~3 min)
//! cargo run --example insuree_flow -- --full-durations     # the case study's timings: ramp profile, 75 s ramp-up, 60 s hold
//! cargo run --example insuree_flow -- --smoke              # one user, one iteration per flow
//! cargo run --example insuree_flow -- claims --threads 1,50 # one flow, other thread counts
//! LOADSPEC_TARGET=http://127.0.0.1:8000 cargo run --example insuree_flow   # an external deployment
//! ```
//!
//! Without `LOADSPEC_TARGET` it starts `loadspec-demo` in this process: axum over SQLite,
//! seeded with 20,000 insurees and 100,000 claims. Every other loadspec flag works too
//! (`--help`); `INSUREE_FLOW_FULL_DURATIONS=1` is the same as `--full-durations`.

mod data;
mod flows;

use std::process::ExitCode;
use std::time::Duration;

use loadspec::{Harness, Mode, Overrides, ProfileKind};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let before = args.len();
    args.retain(|a| a != "--full-durations");
    let full_durations = args.len() != before
        || std::env::var("INSUREE_FLOW_FULL_DURATIONS").is_ok_and(|v| v == "1");

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
                    "insuree_flow: embedded demo target at {} · seeded {} insurees, {} families, {} claims ({} rows) in {:.2} s",
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
