//! Monitoring during runs: this machine's usage per step (and its dstat-like CSV), the
//! generator-saturation guard, Server-Timing breakdowns, and the target's Prometheus series.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use loadspec::results::model::RunResults;
use loadspec::{Failure, Harness, Scenario, User};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{TestServer, full_run, run_silently};

use crate::support::{run_harness, serial};

fn run(scenario: Scenario, overrides: Overrides) -> RunResults {
    run_silently(&[scenario], &overrides).unwrap()
}

fn full(server: &TestServer) -> Overrides {
    full_run(&server.base_url())
}

#[test]
fn every_step_records_plausible_system_samples_and_a_dstat_like_csv() {
    // Every test here takes it: the starved generator must not run beside the light run that
    // checks it is not flagged.
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let out = std::env::temp_dir().join(format!("loadspec-monitoring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let scenario = Scenario::builder("sampled")
        .threads([1, 3])
        .hold(Duration::from_millis(2500))
        .build(async |user: &mut User| {
            user.get("/delay/5").send().await?;
            Ok::<(), Failure>(())
        });
    let results = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sink = std::sync::Arc::clone(&results);
    let args = [
        "load",
        "--full",
        "--target",
        &server.base_url(),
        "--out-dir",
        out.to_str().unwrap(),
        "--cooldown",
        "0s",
    ];
    let harness = Harness::new()
        .scenarios([scenario])
        .on_results(move |r| *sink.lock().unwrap() = Some(r.clone()));
    let (code, log) = run_harness(harness, &args);
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let results = results.lock().unwrap().take().unwrap();
    for step in &results.steps {
        assert!(
            step.system.len() >= 2,
            "one sample per second: {}",
            step.system.len()
        );
        for s in &step.system {
            let shares = s.cpu_user + s.cpu_system + s.cpu_iowait + s.cpu_idle;
            assert!((shares - 100.0).abs() < 1.5, "{shares}");
            assert!(s.process_rss > 1 << 20 && s.mem_available > 0);
            assert!(
                s.generator_cpu >= 0.0 && s.generator_cpu <= s.process_cpu + 5.0,
                "{s:?}"
            );
            assert!(
                s.net.iter().any(|n| n.interface == "lo" && n.rx_bps > 0.0),
                "loopback traffic is seen"
            );
        }
        // A light run does not saturate its worker, unless other processes really starved the
        // machine (busy shared runners): then a flag is right. Timer lag is measured lateness,
        // which a busy runner can cause at any CPU share; it may flag the step, but only when
        // the timers were late, and then a machine that was mostly idle is not called
        // saturated.
        let generator = step.generator.as_ref().unwrap();
        let idle = step.system.iter().map(|s| s.cpu_idle).sum::<f64>() / step.system.len() as f64;
        if idle >= 25.0 {
            assert!(
                generator.cpu_share_max < 0.9,
                "a light run saturated its worker while the machine was {idle:.0}% idle: {generator:?}"
            );
            assert!(
                !generator.bound || generator.lag_p99_ms > 5.0,
                "flagged for more than timer lag while the machine was {idle:.0}% idle: {generator:?}"
            );
            assert!(
                generator.reasons.iter().all(|r| !r.contains("saturated")),
                "a machine {idle:.0}% idle called saturated: {generator:?}"
            );
        }
    }
    let dir = std::fs::read_dir(out.join("sampled"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    for users in [1, 3] {
        let csv = std::fs::read_to_string(dir.join(format!("system_stats_sampled_{users}u.csv")))
            .unwrap();
        assert!(csv.starts_with("time_s,usr,sys,wai,idl"), "{csv}");
        assert!(csv.lines().count() >= 3);
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_starved_generator_marks_its_step_and_can_fail_the_run() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    // Synchronous work inside the scenario blocks its worker: the generator is the limit.
    let starving = || {
        Scenario::builder("starving")
            .threads([2])
            .hold(Duration::from_secs(3))
            .build(async |user: &mut User| {
                let busy_until = Instant::now() + Duration::from_millis(40);
                let mut spin = 0u64;
                while Instant::now() < busy_until {
                    spin = std::hint::black_box(spin.wrapping_add(1));
                }
                user.get("/ok").send().await?;
                Ok::<(), Failure>(())
            })
    };
    let results = run(
        starving(),
        Overrides {
            workers: Some(1),
            ..full(&server)
        },
    );
    let generator = results.steps[0].generator.as_ref().unwrap();
    assert!(generator.bound, "{generator:?}");
    assert!(generator.lag_p99_ms > 5.0, "{generator:?}");
    // The spinning scenario is loadspec's own work: the workers, not the machine, are named.
    assert_eq!(
        generator.cause,
        loadspec::results::model::SaturationCause::Generator,
        "{generator:?}"
    );
    let table = loadspec_runner::console::step_table(&results.steps[0]);
    assert!(
        table.contains("! GENERATOR-BOUND*: loadspec itself was the limit"),
        "{table}"
    );
    let args = [
        "load",
        "--full",
        "--fail-on-saturation",
        "--workers",
        "1",
        "--hold",
        "2s",
        "--target",
        &server.base_url(),
    ];
    let (code, log) = run_harness(Harness::new().scenarios([starving()]), &args);
    assert_eq!(code, ExitCode::from(3), "{log}");
}

#[test]
fn server_timing_is_aggregated_per_request_label_and_per_transaction() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let scenario =
        Scenario::builder("timed")
            .threads([2])
            .iterations(5)
            .build(async |user: &mut User| {
                user.transaction("report", async |tx| {
                    tx.get("/timed").send().await?;
                    tx.get("/timed").send().await?;
                    tx.get("/ok").send().await?;
                    Ok(())
                })
                .await
            });
    let results = run(scenario, full(&server));
    let s = &results.steps[0].scenarios[0];
    let request = s.requests.iter().find(|r| r.label == "GET /timed").unwrap();
    assert_eq!(request.server_timing["db"].count, 20);
    assert!((request.server_timing["db"].mean_ms - 12.5).abs() < 1e-9);
    assert!((request.server_timing["app"].mean_ms - 20.0).abs() < 1e-9);
    let tx = &s.transactions[0];
    assert_eq!(
        tx.server_timing["db"].count, 10,
        "one summed entry per transaction"
    );
    assert!((tx.server_timing["db"].mean_ms - 25.0).abs() < 1e-9);
    assert!(
        s.requests
            .iter()
            .find(|r| r.label == "GET /ok")
            .unwrap()
            .server_timing
            .is_empty()
    );
}

#[test]
fn the_targets_prometheus_series_are_scraped_during_steps() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let scenario = Scenario::builder("scraped")
        .threads([2])
        .hold(Duration::from_millis(2200))
        .build(async |user: &mut User| {
            user.get("/delay/10").send().await?;
            Ok::<(), Failure>(())
        });
    let overrides = Overrides {
        scrape: Some(format!("{}/metrics", server.base_url())),
        scrape_series: Some(vec!["test_requests_total".into(), "test_in_flight".into()]),
        scrape_interval: Some(Duration::from_millis(500)),
        ..full(&server)
    };
    let results = run(scenario, overrides);
    let samples = &results.steps[0].target_metrics;
    assert!(samples.len() >= 2, "{samples:?}");
    let last = samples.last().unwrap();
    assert!(last.series[r#"test_requests_total{route="delay"}"#] > 0.0);
    assert!(last.series.contains_key("test_in_flight"));
    assert!(!last.series.contains_key("other_series"));
}
