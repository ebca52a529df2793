//! Custom metrics and tags end to end: a scenario against the local test server records
//! counters, gauges, trends and rates with known values and sends tagged requests; the
//! stored `results.json` holds exactly those figures, and criteria on custom metrics and on
//! tags pass and fail as the figures say.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use loadspec::criteria::{Criterion, Metric, Scope, Verdict};
use loadspec::results::model::RunResults;
use loadspec::{Failure, Harness, Request, Scenario, User};
use loadspec_suite::TestServer;

use crate::support::run_harness;

/// Users and iterations per user: 2 × 10 iterations, all measured (no ramp-up).
const USERS: u32 = 2;
const ITERATIONS: u32 = 10;

/// One iteration with known figures: per user, the gauge goes 0..=9, the trend takes 10, 20,
/// … 100 ms, the rate is false on iterations 0, 4 and 8 (70 % true).
async fn claims(user: &mut User) -> Result<(), Failure> {
    let i = user.iteration() as u32;
    user.counter("claims_approved").add(1);
    user.counter("items").add(2.5);
    user.gauge("queue_depth").set(f64::from(i));
    user.trend("queue_wait")
        .add(Duration::from_millis(u64::from(10 * (i + 1))));
    user.trend("basket").add(3);
    user.rate("claims_ok").add(!i.is_multiple_of(4));
    user.get("/ok").tag("endpoint", "ok").send().await?;
    user.get("/ok?again=1")
        .label("ok again")
        .tag("endpoint", "ok")
        .tag("try", if i.is_multiple_of(2) { "even" } else { "odd" })
        .send()
        .await?;
    user.batch([Request::get("/delay/5")
        .label("slow")
        .tag("endpoint", "slow")])
        .await;
    user.transaction("review", async |tx| {
        tx.tag("flow", "claims");
        tx.counter("reviews").add(1);
        tx.get("/ok").label("review ok").send().await?;
        Ok(())
    })
    .await
}

fn criteria() -> Vec<Criterion> {
    let counter = Scope::Counter("claims_approved".into());
    let tag = |t: &str| Scope::Tag(t.into());
    vec![
        // 0: exactly 20 claims: a count is a lower bound.
        Criterion::new(counter.clone(), Metric::Count, 20.0),
        // 1: 25 wanted, 20 is beyond 22: fail.
        Criterion::new(counter, Metric::Count, 25.0).threshold(22.0),
        // 2: 70 % ok misses 90 % but stays within 60 %: warn.
        Criterion::new(Scope::Rate("claims_ok".into()), Metric::Share, 0.9).threshold(0.6),
        // 3: the gauge never went above 9.
        Criterion::new(Scope::Gauge("queue_depth".into()), Metric::Max, 9.0),
        // 4: p95 of 10..100 ms is 100 ms (3 significant digits): within 101 ms.
        Criterion::new(Scope::Trend("queue_wait".into()), Metric::P95, 101.0),
        // 5: ...and beyond 50 ms.
        Criterion::new(Scope::Trend("queue_wait".into()), Metric::P95, 50.0),
        // 6: a trend never recorded: no data, a fail.
        Criterion::new(Scope::Trend("never".into()), Metric::P95, 1000.0),
        // 7: every request tagged endpoint:ok succeeded.
        Criterion::new(tag("endpoint:ok"), Metric::Failures, 0.0),
        // 8: requests tagged endpoint:slow take at least 5 ms: a 1 ms median fails.
        Criterion::new(tag("endpoint:slow"), Metric::P50, 1.0),
        // 9: no label carries this tag: no data.
        Criterion::new(tag("endpoint:none"), Metric::Failures, 0.0),
        // 10: the transaction's tag (no request carries it): its failures.
        Criterion::new(tag("flow:claims"), Metric::Failures, 0.0),
    ]
}

fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadspec-custom-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn find_results(dir: &Path) -> PathBuf {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "results.json") {
                return path;
            }
        }
    }
    panic!("no results.json under {}", dir.display());
}

/// Runs the scenario in full mode (one step) and loads its `results.json` back.
fn run(server: &TestServer, out: &Path, extra: &[&str]) -> (std::process::ExitCode, RunResults) {
    let mut builder = Scenario::builder("claims")
        .threads([USERS])
        .iterations(ITERATIONS);
    for criterion in criteria() {
        builder = builder.criterion(criterion);
    }
    let target = server.base_url();
    let out_text = out.display().to_string();
    let mut args = vec![
        "load",
        "--full",
        "--cooldown",
        "0s",
        "--seed",
        "3",
        "--workers",
        "2",
        "--target",
        &target,
        "--out-dir",
        &out_text,
    ];
    args.extend_from_slice(extra);
    let harness = Harness::new().scenarios([builder.build(claims)]);
    let (code, log) = run_harness(harness, &args);
    let results =
        loadspec::results::load(&find_results(out)).unwrap_or_else(|e| panic!("{e}: {log}"));
    (code, results)
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= want * 1e-3
}

#[test]
fn custom_metrics_and_tags_reach_the_results_and_their_criteria() {
    let server = TestServer::start().unwrap();
    let out = out_dir("run");
    let (code, results) = run(&server, &out, &[]);
    let scenario = &results.steps[0].scenarios[0];
    let iterations = u64::from(USERS * ITERATIONS);
    assert_eq!(scenario.iterations.count, iterations);
    let custom = &scenario.custom;
    let measured_s = results.steps[0].measured_s;

    let claims = &custom.counters["claims_approved"];
    assert_eq!(claims.total, 20.0, "one per iteration");
    assert!((claims.per_s - 20.0 / measured_s).abs() < 1e-9);
    assert_eq!(custom.counters["items"].total, 50.0);
    assert_eq!(
        custom.counters["reviews"].total, 20.0,
        "from the transaction"
    );

    let depth = &custom.gauges["queue_depth"];
    assert_eq!(
        (depth.min, depth.max, depth.last, depth.count),
        (0.0, 9.0, 9.0, 20)
    );

    let wait = &custom.trends["queue_wait"];
    assert_eq!((wait.count, wait.min, wait.max), (20, 10.0, 100.0));
    assert!((wait.mean - 55.0).abs() < 1e-9, "{wait:?}");
    for (got, want) in [
        (wait.p50, 50.0),
        (wait.p90, 90.0),
        (wait.p95, 100.0),
        (wait.p99, 100.0),
    ] {
        assert!(close(got, want), "{got} vs {want}: {wait:?}");
    }
    let basket = &custom.trends["basket"];
    assert_eq!((basket.count, basket.p50, basket.max), (20, 3.0, 3.0));

    let ok = &custom.rates["claims_ok"];
    assert_eq!((ok.trues, ok.total, ok.share), (14, 20, 0.7));
    // The per-second series add up to the step's figures.
    let series = &scenario.time_series;
    let counted: f64 = series
        .iter()
        .filter_map(|p| p.custom.counters.get("claims_approved"))
        .sum();
    assert_eq!(counted, 20.0);
    let waits: u64 = series
        .iter()
        .filter_map(|p| p.custom.trends.get("queue_wait"))
        .map(|t| t.count)
        .sum();
    assert_eq!(waits, 20);
    let oks: u64 = series
        .iter()
        .filter_map(|p| p.custom.rates.get("claims_ok"))
        .map(|r| r.trues)
        .sum();
    assert_eq!(oks, 14);

    let label = |name: &str| {
        scenario
            .requests
            .iter()
            .chain(&scenario.transactions)
            .find(|l| l.label == name)
            .unwrap_or_else(|| panic!("no label {name}"))
    };
    assert_eq!(label("GET /ok").tags["endpoint"], ["ok"]);
    let again = label("ok again");
    assert_eq!(again.tags["endpoint"], ["ok"]);
    let mut tries = again.tags["try"].clone();
    tries.sort();
    assert_eq!(tries, ["even", "odd"], "every value a key was sent with");
    assert_eq!(label("slow").tags["endpoint"], ["slow"]);
    assert_eq!(label("review").tags["flow"], ["claims"]);
    assert!(label("review ok").tags.is_empty());

    let report = results.criteria.as_ref().unwrap();
    let verdicts: Vec<(Verdict, Option<f64>)> = report
        .rows
        .iter()
        .map(|r| (r.cells[0].verdict, r.cells[0].measured))
        .collect();
    use Verdict::{Fail, Pass, Warn};
    assert_eq!(verdicts[0], (Pass, Some(20.0)));
    assert_eq!(verdicts[1], (Fail, Some(20.0)));
    assert_eq!(verdicts[2], (Warn, Some(0.7)));
    assert_eq!(verdicts[3], (Pass, Some(9.0)));
    assert_eq!(verdicts[4].0, Pass);
    assert_eq!(verdicts[5].0, Fail);
    assert_eq!(
        verdicts[6],
        (Fail, None),
        "a trend never recorded has no data"
    );
    assert_eq!(verdicts[7], (Pass, Some(0.0)));
    assert_eq!(verdicts[8].0, Fail);
    assert!(verdicts[8].1.unwrap() >= 5.0);
    assert_eq!(verdicts[9], (Fail, None));
    assert_eq!(verdicts[10], (Pass, Some(0.0)));
    assert_eq!(report.rows[0].title, "counter claims_approved count");
    assert_eq!(report.rows[2].target_display, "90%");
    assert_eq!(report.rows[0].target_display, "20");
    assert_eq!(code, std::process::ExitCode::from(3));

    // The report shows the custom metrics.
    let html = std::fs::read_to_string(find_results(&out).with_file_name("report.html")).unwrap();
    assert!(html.contains("Custom metrics"), "no custom metrics table");
    assert!(html.contains("queue_wait"));
    let summary = std::fs::read_to_string(find_results(&out).with_file_name("summary.md")).unwrap();
    assert!(
        summary.contains("| 1 | claims | claims_ok | rate | 70.00% (14 of 20) |"),
        "{summary}"
    );
}

#[test]
fn a_criteria_file_judges_custom_metrics_and_tags() {
    let server = TestServer::start().unwrap();
    let out = out_dir("file");
    std::fs::create_dir_all(&out).unwrap();
    let file = out.join("criteria.csv");
    std::fs::write(
        &file,
        "criterion,scope,metric,target,threshold\n\
         Claims,counter:claims_approved,count,20,10\n\
         Claims per second,counter:claims_approved,throughput,1000000/s,\n\
         Depth,gauge:queue_depth,last,9,\n\
         Wait,trend:queue_wait,p50,60ms,80ms\n\
         Basket,trend:basket,max,2,\n\
         Ok share,rate:claims_ok,share,70%,\n\
         Ok requests,tag:endpoint:ok,failures,0%,\n",
    )
    .unwrap();
    let (_, results) = run(&server, &out, &["--criteria", file.to_str().unwrap()]);
    let report = results.criteria.unwrap();
    let got: Vec<(&str, Verdict)> = report
        .rows
        .iter()
        .filter(|r| r.criterion.name.is_some())
        .map(|r| (r.title.as_str(), r.cells[0].verdict))
        .collect();
    assert_eq!(
        got,
        [
            ("Claims", Verdict::Pass),
            ("Claims per second", Verdict::Fail),
            ("Depth", Verdict::Pass),
            ("Wait", Verdict::Pass),
            ("Basket", Verdict::Fail),
            ("Ok share", Verdict::Pass),
            ("Ok requests", Verdict::Pass),
        ]
    );
}

#[test]
fn criteria_files_refuse_a_statistic_the_kind_lacks() {
    let bad = "metric,target,scope\ncount,5,trend:queue_wait\n";
    let e = loadspec::criteria::parse_file(Path::new("c.csv"), bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field `metric`") && e.contains("a trend has no `count`"),
        "{e}"
    );
    let bad = "metric,target,scope\np95,2s,tag:endpoint\n";
    let e = loadspec::criteria::parse_file(Path::new("c.csv"), bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid tag"), "{e}");
}

#[test]
fn two_shards_merge_their_custom_metrics_and_tags() {
    let server = TestServer::start().unwrap();
    let shards: Vec<loadspec_cli::merge::ShardResults> = ["0/2", "1/2"]
        .into_iter()
        .map(|shard| {
            let out = out_dir(&format!("shard-{}", &shard[..1]));
            let (_, results) = run(&server, &out, &["--shard", shard]);
            // One user each: half of every figure.
            let custom = &results.steps[0].scenarios[0].custom;
            assert_eq!(custom.counters["claims_approved"].total, 10.0);
            loadspec_cli::merge::ShardResults {
                path: find_results(&out),
                results,
            }
        })
        .collect();
    let merged = loadspec_cli::merge::merge(&shards).unwrap();
    let scenario = &merged.steps[0].scenarios[0];
    let custom = &scenario.custom;
    assert_eq!(custom.counters["claims_approved"].total, 20.0);
    assert_eq!(custom.counters["reviews"].total, 20.0);
    let depth = &custom.gauges["queue_depth"];
    assert_eq!(
        (depth.min, depth.max, depth.last, depth.count),
        (0.0, 9.0, 9.0, 20)
    );
    let wait = &custom.trends["queue_wait"];
    assert_eq!((wait.count, wait.min, wait.max), (20, 10.0, 100.0));
    assert!((wait.mean - 55.0).abs() < 1e-9);
    assert!(close(wait.p50, 50.0) && close(wait.p90, 90.0), "{wait:?}");
    let ok = &custom.rates["claims_ok"];
    assert_eq!((ok.trues, ok.total), (14, 20));
    let counted: f64 = scenario
        .time_series
        .iter()
        .filter_map(|p| p.custom.counters.get("claims_approved"))
        .sum();
    assert_eq!(
        counted, 20.0,
        "the merged series holds both shards' increments"
    );
    let again = scenario
        .requests
        .iter()
        .find(|l| l.label == "ok again")
        .unwrap();
    assert_eq!(again.tags["try"].len(), 2);
    // The criteria are judged again on the merged figures.
    let report = merged.criteria.unwrap();
    let first: Vec<(Verdict, Option<f64>)> = report
        .rows
        .iter()
        .take(4)
        .map(|r| (r.cells[0].verdict, r.cells[0].measured))
        .collect();
    assert_eq!(
        first,
        [
            (Verdict::Pass, Some(20.0)),
            (Verdict::Fail, Some(20.0)),
            (Verdict::Warn, Some(0.7)),
            (Verdict::Pass, Some(9.0)),
        ]
    );
}
