//! `#[scenario]` with `#[assertion]` rows in an ordinary test crate: the scenarios are
//! registered, listed in the runner's order, and carry their options and criteria, which convert
//! to valid run-time `Criterion`s equal to the ones a criteria file would give.
//!
//! The facade does not re-export the runner's `registry` module, so the entries are read from
//! `inventory` the way `loadspec::registered()` reads them (and sorted the same way).

use loadspec::__private::{CriterionSpec, ScenarioEntry, inventory};
use loadspec::criteria::{Criterion, Metric, Scope, parse_value};
use loadspec::prelude::*;

// Defined out of order: the registry sorts by (module path, name).
#[scenario(
    threads = [1, 5, 10],
    profile = "ramp",
    ramp_up = "10s",
    criteria_file = "load/criteria.csv",
    abort_on_fail
)]
#[assertion(transaction = "login", p95 = "2s", threshold = "5s")]
#[assertion(transaction = "login", failures = "0.2%", threshold = "0.3%")]
#[assertion(peak_failures = "2x", threshold = "4x")]
#[assertion(http_5xx = "0.1%", threshold = "0.2%")]
#[assertion(deadlocks = 0)]
async fn zeta_checkout(user: &mut User) -> Result<(), Failure> {
    user.get("/checkout").send().await?.expect_status(200)?;
    Ok(())
}

#[scenario(threads = [2])]
#[loadspec::assertion(
    name = "Listing throughput",
    request = "GET /api/insurees",
    throughput = "50/s",
    threshold = "30/s"
)]
#[assertion(mean = "350ms")]
async fn alpha_browse(_user: &mut User) {}

// No rows: no criteria, no file, no abort.
#[scenario]
async fn middle_plain(_user: &mut User) {}

/// This file's entries, sorted like `loadspec::registered()`.
fn registered() -> Vec<&'static ScenarioEntry> {
    let mut entries: Vec<&'static ScenarioEntry> = inventory::iter::<ScenarioEntry>
        .into_iter()
        .filter(|entry| entry.module_path == module_path!())
        .collect();
    entries.sort_by_key(|entry| (entry.module_path, entry.name));
    entries
}

fn entry(name: &str) -> &'static ScenarioEntry {
    registered()
        .into_iter()
        .find(|entry| entry.name == name)
        .unwrap_or_else(|| panic!("{name} is not registered"))
}

fn criteria(entry: &ScenarioEntry) -> Vec<Criterion> {
    entry
        .options
        .criteria
        .iter()
        .map(CriterionSpec::to_criterion)
        .collect()
}

/// A value as a criteria file would parse it.
fn value(metric: Metric, text: &str) -> f64 {
    parse_value(metric, text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn scenarios_are_registered_in_the_runners_order() {
    let names: Vec<&str> = registered().iter().map(|entry| entry.name).collect();
    assert_eq!(names, ["alpha_browse", "middle_plain", "zeta_checkout"]);
    let checkout = entry("zeta_checkout");
    assert!(
        checkout.file.ends_with("registration.rs"),
        "{}",
        checkout.file
    );
    assert_eq!(checkout.line, 25);
}

#[test]
fn scenario_options_sit_next_to_the_criteria() {
    let options = entry("zeta_checkout").options;
    assert_eq!(options.threads, Some(&[1, 5, 10][..]));
    assert_eq!(options.profile, Some(loadspec::ProfileKind::Ramp));
    assert!(options.abort_on_fail);
    // Relative to this crate's root, resolved where the crate is compiled.
    assert_eq!(
        options.criteria_file,
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/load/criteria.csv"))
    );

    let plain = entry("middle_plain").options;
    assert!(plain.criteria.is_empty());
    assert_eq!(plain.criteria_file, None);
    assert!(!plain.abort_on_fail);
}

#[test]
fn rows_become_runtime_criteria_in_source_order() {
    let login = || Scope::Transaction("login".into());
    let expected = vec![
        Criterion::new(login(), Metric::P95, 2000.0).threshold(5000.0),
        Criterion::new(login(), Metric::Failures, value(Metric::Failures, "0.2%"))
            .threshold(value(Metric::Failures, "0.3%")),
        Criterion::new(Scope::All, Metric::PeakFailures, 2.0).threshold(4.0),
        Criterion::new(Scope::All, Metric::Http5xx, value(Metric::Http5xx, "0.1%"))
            .threshold(value(Metric::Http5xx, "0.2%")),
        Criterion::new(Scope::All, Metric::Deadlocks, 0.0),
    ];
    let checkout = criteria(entry("zeta_checkout"));
    assert_eq!(checkout, expected);
    assert!((checkout[1].target - 0.002).abs() < 1e-15);

    let browse = criteria(entry("alpha_browse"));
    assert_eq!(
        browse,
        vec![
            Criterion::new(
                Scope::Request("GET /api/insurees".into()),
                Metric::Throughput,
                50.0
            )
            .threshold(30.0)
            .named("Listing throughput"),
            Criterion::new(Scope::All, Metric::Mean, 350.0),
        ]
    );
    assert_eq!(browse[0].title(), "Listing throughput");
    assert_eq!(browse[1].title(), "mean");
}

#[test]
fn registered_criteria_pass_the_runners_validation() {
    for entry in registered() {
        for criterion in criteria(entry) {
            criterion
                .validate()
                .unwrap_or_else(|e| panic!("{}: {}: {e}", entry.name, criterion.title()));
        }
    }
}
