//! The files a run writes besides `results.json`: the JMeter-compatible sample log and the
//! Locust-style CSV statistics.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use loadspec::{Failure, Harness, Scenario, User};
use loadspec_suite::TestServer;

use crate::support::run_harness;

fn run_dir(out: &std::path::Path) -> PathBuf {
    let scenario_dir = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::read_dir(scenario_dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
}

#[test]
fn a_run_with_samples_writes_a_jtl_jmeter_can_read_and_locust_style_csvs() {
    let server = TestServer::start().unwrap();
    let out = std::env::temp_dir().join(format!("loadspec-outputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let scenario =
        Scenario::builder("jtl")
            .threads([2])
            .iterations(5)
            .build(async |user: &mut User| {
                user.transaction("login", async |tx| {
                    tx.post("/login").send().await?;
                    tx.get("/status/503").send().await?;
                    Ok(())
                })
                .await?;
                user.get("/ok").send().await?;
                Ok::<(), Failure>(())
            });
    let args = [
        "load",
        "--full",
        "--samples",
        "jtl",
        "--target",
        &server.base_url(),
        "--out-dir",
        out.to_str().unwrap(),
    ];
    let (code, log) = run_harness(Harness::new().scenarios([scenario]), &args);
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let dir = run_dir(&out);

    let jtl = std::fs::read_to_string(dir.join("samples.jtl")).unwrap();
    let mut reader = csv::Reader::from_reader(jtl.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header.join(","),
        loadspec_runner::metrics::samples::JTL_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // 10 iterations × (2 requests + 1 transaction + 1 request outside it).
    assert_eq!(rows.len(), 40);
    let label = |r: &csv::StringRecord| r[2].to_owned();
    let transactions: Vec<&csv::StringRecord> =
        rows.iter().filter(|r| label(r) == "login").collect();
    assert_eq!(transactions.len(), 10);
    for tx in &transactions {
        assert_eq!(
            &tx[4],
            "Number of samples in transaction : 2, number of failing samples : 1"
        );
        assert_eq!((&tx[3], &tx[7], &tx[6]), ("503", "false", ""));
    }
    let failed: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| label(r) == "GET /status/{id}")
        .collect();
    assert!(
        failed
            .iter()
            .all(|r| &r[3] == "503" && &r[7] == "false" && r[8].contains("unexpected status 503"))
    );
    let ok: Vec<&csv::StringRecord> = rows.iter().filter(|r| label(r) == "GET /ok").collect();
    assert!(
        ok.iter()
            .all(|r| &r[3] == "200" && &r[4] == "OK" && &r[7] == "true" && r[13].ends_with("/ok"))
    );
    assert!(rows.iter().all(|r| r[0].parse::<u64>().unwrap() > 1_700_000_000_000 && r[5].starts_with("jtl 1-")));

    let stats = std::fs::read_to_string(dir.join("stats.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(stats.as_bytes());
    assert_eq!(&reader.headers().unwrap()[5], "Request Count");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let total = rows.iter().find(|r| &r[4] == "Total").unwrap();
    assert_eq!((&total[5], &total[6]), ("30", "10"));
    let history = std::fs::read_to_string(dir.join("stats_history.csv")).unwrap();
    assert!(history.lines().count() > 1);
    std::fs::remove_dir_all(&out).unwrap();
}
