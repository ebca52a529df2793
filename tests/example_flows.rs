//! The insuree_flow example's scenarios, compiled into this test and run in smoke mode against
//! the embedded demo target: the main demo keeps working as the code changes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

#[path = "../examples/insuree_flow/data.rs"]
mod data;
#[path = "../examples/insuree_flow/flows.rs"]
mod flows;

use std::process::ExitCode;

use loadspec::Harness;
use loadspec::results::model::RunResults;

#[test]
fn every_flow_of_the_example_passes_its_smoke_run_against_the_demo() {
    let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()).unwrap();
    let out = std::env::temp_dir().join(format!("loadspec-example-{}", std::process::id()));
    let runs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<RunResults>::new()));
    let sink = std::sync::Arc::clone(&runs);
    let args = ["example", "--smoke", "--out-dir", out.to_str().unwrap()];
    let code = Harness::new()
        .target(demo.base_url())
        .on_results(move |r| sink.lock().unwrap().push(r.clone()))
        .run_with_args(args.map(str::to_owned));
    assert_eq!(code, ExitCode::SUCCESS);
    let runs = runs.lock().unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r.run.name.as_str()).collect();
    assert_eq!(
        names,
        ["claims_search", "insuree_essential", "insuree_recorded"]
    );
    let requests_per_tx = |run: &RunResults, tx: &str| {
        let s = &run.steps[0].scenarios[0];
        s.transactions
            .iter()
            .find(|t| t.label == tx)
            .and_then(|t| t.requests_per_transaction)
            .unwrap()
    };
    // The recorded UI issues far more requests than the essential calls (the case study's
    // screenshots 3 and 4).
    assert_eq!(requests_per_tx(&runs[1], "create_insuree"), 1.0);
    assert_eq!(requests_per_tx(&runs[2], "create_insuree"), 3.0);
    assert_eq!(requests_per_tx(&runs[2], "open_insuree_form"), 11.0);
    let _ = std::fs::remove_dir_all(&out);
}
