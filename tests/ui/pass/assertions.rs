// The case study's Table 1 as `#[assertion]` rows, plus `criteria_file` and `abort_on_fail`:
// every row is registered in source order with its values in the runner's units.
use loadspec::prelude::*;

#[scenario(
    threads = [1, 5, 10, 30, 50, 100, 150, 300],
    profile = "ramp",
    ramp_up = "75s",
    criteria_file = "load/criteria.csv",
    abort_on_fail
)]
#[assertion(transaction = "login", p95 = "2s", threshold = "5s")]
#[assertion(transaction = "search", p95 = "5s", threshold = "7s")]
#[assertion(transaction = "create_insuree", p95 = "3s", threshold = "5s")]
#[assertion(http_4xx = "0.5%", threshold = "1%")]
#[assertion(http_5xx = "0.1%", threshold = "0.2%")]
#[assertion(transaction = "login", failures = "0.2%", threshold = "0.3%")]
#[assertion(transaction = "search", failures = "0.5%", threshold = "0.7%")]
#[assertion(peak_failures = "2x", threshold = "4x")]
#[assertion(deadlocks = 0)]
#[assertion(request = "GET /api/insurees", throughput = "50/s", threshold = "30/s")]
#[assertion(
    name = "User authentication requests",
    transaction = "login",
    p99 = "4s"
)]
async fn insuree_flow(user: &mut User) -> Result<(), Failure> {
    user.get("/health").send().await?.expect_status(200)?;
    Ok(())
}

// The other forms: a full path, every time statistic (of requests and of their phases), a percentage `deadlocks`, a rate per
// minute, an absolute criteria file, `abort_on_fail = false`, a threshold equal to the target.
#[scenario(criteria_file = "/etc/loadspec/criteria.csv", abort_on_fail = false)]
#[loadspec::assertion(mean = "350ms", threshold = "1s 500ms")]
#[assertion(p50 = "100ms")]
#[assertion(p90 = "1s", threshold = "1s")]
#[assertion(p999 = "10s", threshold = "1m")]
#[assertion(max = "30s")]
#[assertion(deadlocks = "0%", threshold = "0.1%")]
#[assertion(throughput = "90/m", threshold = "60/m")]
#[assertion(request = "POST /api/login", http_5xx = "0%")]
#[assertion(request = "POST /api/login", failures = "1%")]
#[assertion(ttfb_p95 = "300ms", threshold = "500ms")]
#[assertion(request = "POST /api/login", tls_p95 = "50ms")]
#[assertion(connect_p95 = "10ms", threshold = "1s")]
async fn other_forms(_user: &mut User) {}

// Without rows, criteria and the new options stay at their defaults.
#[scenario]
async fn no_criteria(_user: &mut User) {}

// Sliding-window aborts: a window and a delay, or the default window without a delay.
#[scenario]
#[assertion(p95 = "100ms", abort_on_fail, window = "2s", delay = "1s")]
#[assertion(transaction = "login", failures = "5%", abort_on_fail)]
async fn window_aborts(_user: &mut User) {}

fn main() {
    use loadspec::__private::{
        AbortWindow, CriterionSpec, Metric, ScenarioEntry, ScopeSpec, inventory,
    };

    let find = |name: &str| {
        inventory::iter::<ScenarioEntry>
            .into_iter()
            .find(|entry| entry.name == name)
            .unwrap_or_else(|| panic!("{name} is not registered"))
    };
    let spec = |scope, metric, target, threshold| CriterionSpec {
        name: None,
        scope,
        metric,
        target,
        threshold,
        abort: None,
    };
    // The attribute and a criteria file parse values with the same function.
    let value = |metric, text| loadspec::criteria::parse_value(metric, text).unwrap();

    let flow = find("insuree_flow");
    let login = ScopeSpec::Transaction("login");
    let search = ScopeSpec::Transaction("search");
    let expected = [
        spec(login, Metric::P95, 2000.0, 5000.0),
        spec(search, Metric::P95, 5000.0, 7000.0),
        spec(
            ScopeSpec::Transaction("create_insuree"),
            Metric::P95,
            3000.0,
            5000.0,
        ),
        spec(ScopeSpec::All, Metric::Http4xx, 0.005, 0.01),
        spec(
            ScopeSpec::All,
            Metric::Http5xx,
            value(Metric::Http5xx, "0.1%"),
            value(Metric::Http5xx, "0.2%"),
        ),
        spec(
            login,
            Metric::Failures,
            value(Metric::Failures, "0.2%"),
            value(Metric::Failures, "0.3%"),
        ),
        spec(
            search,
            Metric::Failures,
            0.005,
            value(Metric::Failures, "0.7%"),
        ),
        spec(ScopeSpec::All, Metric::PeakFailures, 2.0, 4.0),
        spec(ScopeSpec::All, Metric::Deadlocks, 0.0, 0.0),
        spec(
            ScopeSpec::Request("GET /api/insurees"),
            Metric::Throughput,
            50.0,
            30.0,
        ),
        CriterionSpec {
            name: Some("User authentication requests"),
            ..spec(login, Metric::P99, 4000.0, 4000.0)
        },
    ];
    assert_eq!(flow.options.criteria, expected);
    assert!((flow.options.criteria[4].target - 0.001).abs() < 1e-15);
    assert!((flow.options.criteria[5].threshold - 0.003).abs() < 1e-15);
    for spec in flow.options.criteria {
        let criterion = spec.to_criterion();
        criterion.validate().unwrap();
    }
    let file = flow.options.criteria_file.unwrap();
    assert!(file.ends_with("/load/criteria.csv"), "{file}");
    assert!(std::path::Path::new(file).is_absolute(), "{file}");
    assert!(flow.options.abort_on_fail);
    // The scenario's other options are unaffected by the rows.
    assert_eq!(flow.options.ramp_up, Some(Duration::from_secs(75)));
    assert_eq!(flow.line, 27);

    let other = find("other_forms");
    let post = ScopeSpec::Request("POST /api/login");
    let expected = [
        spec(ScopeSpec::All, Metric::Mean, 350.0, 1500.0),
        spec(ScopeSpec::All, Metric::P50, 100.0, 100.0),
        spec(ScopeSpec::All, Metric::P90, 1000.0, 1000.0),
        spec(ScopeSpec::All, Metric::P999, 10_000.0, 60_000.0),
        spec(ScopeSpec::All, Metric::Max, 30_000.0, 30_000.0),
        spec(ScopeSpec::All, Metric::Deadlocks, 0.0, 0.001),
        spec(ScopeSpec::All, Metric::Throughput, 1.5, 1.0),
        spec(post, Metric::Http5xx, 0.0, 0.0),
        spec(post, Metric::Failures, 0.01, 0.01),
        spec(ScopeSpec::All, Metric::TtfbP95, 300.0, 500.0),
        spec(post, Metric::TlsP95, 50.0, 50.0),
        spec(ScopeSpec::All, Metric::ConnectP95, 10.0, 1000.0),
    ];
    assert_eq!(other.options.criteria, expected);
    assert_eq!(
        other.options.criteria_file,
        Some("/etc/loadspec/criteria.csv")
    );
    assert!(!other.options.abort_on_fail);

    let windowed = find("window_aborts");
    let aborts: Vec<Option<AbortWindow>> =
        windowed.options.criteria.iter().map(|c| c.abort).collect();
    assert_eq!(
        aborts,
        [
            Some(AbortWindow {
                window_ms: 2000,
                delay_ms: 1000
            }),
            Some(AbortWindow::default()),
        ]
    );
    for spec in windowed.options.criteria {
        spec.to_criterion().validate().unwrap();
    }

    let bare = find("no_criteria");
    assert!(bare.options.criteria.is_empty());
    assert_eq!(bare.options.criteria_file, None);
    assert!(!bare.options.abort_on_fail);
}
