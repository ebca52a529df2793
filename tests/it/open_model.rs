//! The open model: iterations start on a schedule whatever the target does, arrivals with no
//! free user are dropped and counted, and latencies are measured from when each iteration was
//! due — so a stalling target shows up in the percentiles (coordinated omission).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::time::Duration;

use loadspec::criteria::{Criterion, Metric, Scope, Verdict};
use loadspec::results::model::RunResults;
use loadspec::{Failure, Scenario, User};
use loadspec_runner::plan::{Mode, Overrides};
use loadspec_suite::{TestServer, run_silently};

use crate::support::serial;

fn run(scenario: Scenario, target: &str, extra: Overrides) -> RunResults {
    let overrides = Overrides {
        target: Some(target.to_owned()),
        mode: Some(Mode::Full),
        cooldown: Some(Duration::ZERO),
        seed: Some(1),
        monitor_interval: Some(Duration::ZERO),
        ..extra
    };
    run_silently(&[scenario], &overrides).unwrap()
}

async fn stall(user: &mut User) -> Result<(), Failure> {
    user.get("/stall").send().await?;
    Ok(())
}

#[test]
fn the_achieved_start_rate_is_within_one_percent_of_5000_per_second() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let scenario = Scenario::builder("rate")
        .rates([5000.0])
        .max_users(200)
        .build(async |_user: &mut User| Ok(()));
    let hold = Duration::from_secs(4);
    let results = run(
        scenario,
        &server.base_url(),
        Overrides {
            hold: Some(hold),
            workers: Some(2),
            ..Default::default()
        },
    );
    let s = &results.steps[0].scenarios[0];
    let achieved = s.iterations.count as f64 / hold.as_secs_f64();
    println!("open model: achieved {achieved:.1} starts/s for a target of 5000/s");
    assert!(
        (achieved - 5000.0).abs() / 5000.0 < 0.01,
        "achieved {achieved}/s"
    );
    assert_eq!(s.dropped_iterations, 0);
    assert_eq!(results.plan.latency_correction, "intended_start");
}

/// Iterations started so far by `a_blocked_worker_starts_the_next_arrivals_late_by_what_it_owed`.
static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[test]
fn a_blocked_worker_starts_the_next_arrivals_late_by_what_it_owed() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    // 100 arrivals/s on one worker; every 50th iteration blocks the worker's thread for 200 ms,
    // so the 19 arrivals due meanwhile start 190, 180, … 10 ms late and the other 31 on time:
    // 38 % late, the 90th percentile 140 ms (5 in 50 are later: 150 … 190), the latest 190 ms.
    let scenario = Scenario::builder("blocking")
        .rates([100.0])
        .max_users(100)
        .build(async |_user: &mut User| {
            if STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 50 == 49 {
                std::thread::sleep(Duration::from_millis(200));
            }
            Ok(())
        });
    let results = run(
        scenario,
        &server.base_url(),
        Overrides {
            hold: Some(Duration::from_secs(3)),
            workers: Some(1),
            ..Default::default()
        },
    );
    let s = &results.steps[0].scenarios[0];
    let lag = s
        .start_lag
        .as_ref()
        .expect("an open-model step has a start lag");
    println!(
        "start lag: p50 {:.2} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {}",
        lag.p50_ms, lag.p90_ms, lag.p99_ms, lag.max_ms, lag.count
    );
    assert_eq!(
        lag.count, s.iterations.count,
        "one lag per iteration started"
    );
    assert!(
        lag.p50_ms < 5.0,
        "most start on time: p50 {} ms",
        lag.p50_ms
    );
    assert!(
        (120.0..=160.0).contains(&lag.p90_ms),
        "p90 {} ms (140 ms expected)",
        lag.p90_ms
    );
    assert!(
        (175.0..=230.0).contains(&lag.max_ms),
        "max {} ms (190 ms expected)",
        lag.max_ms
    );
    // Closed-model steps have no schedule to be late for.
    let closed = Scenario::builder("closed")
        .threads([2])
        .iterations(3)
        .build(async |_user: &mut User| Ok(()));
    let results = run(closed, &server.base_url(), Overrides::default());
    assert_eq!(results.steps[0].scenarios[0].start_lag, None);
}

#[test]
fn a_stalling_target_shows_in_open_model_percentiles_and_not_in_a_closed_loop() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    // Constant arrivals: requests that arrive during the 1 s freeze all wait it out.
    let open = Scenario::builder("open")
        .rates([200.0])
        .max_users(400)
        .build(stall);
    let results = run(
        open,
        &server.base_url(),
        Overrides {
            hold: Some(Duration::from_secs(5)),
            ..Default::default()
        },
    );
    let request = &results.steps[0].scenarios[0].requests[0];
    let corrected = request.corrected.as_ref().unwrap();
    println!(
        "stall, open model at 200/s: p99 {:.1} ms, corrected p99 {:.1} ms",
        request.p99_ms, corrected.p99_ms
    );
    // The true p99 of a 20 % freeze of 1 s is about 0.96 s.
    assert!(
        (912.0..=1008.0).contains(&corrected.p99_ms),
        "open-model corrected p99 {} ms",
        corrected.p99_ms
    );
    assert_eq!(results.steps[0].scenarios[0].dropped_iterations, 0);

    // A closed loop of 4 users sends few requests during the freeze: its p99 hides it.
    let closed = Scenario::builder("closed").threads([4]).build(stall);
    let extra = Overrides {
        hold: Some(Duration::from_secs(5)),
        expected_interval: Some(Duration::from_millis(10)),
        ..Default::default()
    };
    let results = run(closed, &server.base_url(), extra);
    let request = &results.steps[0].scenarios[0].requests[0];
    assert!(
        request.p99_ms < 100.0,
        "closed-loop p99 {} ms hides the stall",
        request.p99_ms
    );
    let corrected = request.corrected.as_ref().unwrap();
    println!(
        "stall, closed loop of 4 users: p99 {:.1} ms, expected-interval corrected p99 {:.1} ms",
        request.p99_ms, corrected.p99_ms
    );
    assert!(
        corrected.p99_ms > 500.0,
        "expected-interval correction restores it: {} ms",
        corrected.p99_ms
    );
    assert_eq!(results.plan.latency_correction, "expected_interval 10ms");
}

#[test]
fn arrivals_without_a_free_user_are_dropped_counted_and_judged() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    // 2 users of 100 ms iterations can start 20 iterations a second, not 100.
    let scenario = Scenario::builder("dropping")
        .rates([100.0])
        .max_users(2)
        .pre_allocated_users(2)
        .criterion(Criterion::new(Scope::All, Metric::Dropped, 0.01).threshold(0.05))
        .build(async |user: &mut User| {
            user.get("/delay/100").send().await?;
            Ok(())
        });
    let results = run(
        scenario,
        &server.base_url(),
        Overrides {
            hold: Some(Duration::from_secs(2)),
            workers: Some(1),
            ..Default::default()
        },
    );
    let s = &results.steps[0].scenarios[0];
    assert!(s.iterations.count <= 45, "{}", s.iterations.count);
    assert!(s.dropped_iterations >= 150, "{}", s.dropped_iterations);
    assert_eq!(
        s.iterations.count + s.dropped_iterations,
        200,
        "every arrival is either started or dropped"
    );
    assert!(s.time_series.iter().map(|p| p.dropped).sum::<u64>() == s.dropped_iterations);
    let report = loadspec::criteria::evaluate(
        &results,
        &[(
            "dropping".to_owned(),
            vec![Criterion::new(Scope::All, Metric::Dropped, 0.01).threshold(0.05)],
        )],
    );
    assert_eq!(report.rows[0].cells[0].verdict, Verdict::Fail);
}

#[test]
fn open_steps_ramp_between_rates() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    let scenario = Scenario::builder("ramping")
        .rates([50.0, 150.0])
        .profile(loadspec::ProfileKind::Ramp)
        .ramp_up(Duration::from_secs(2))
        .build(async |user: &mut User| {
            user.get("/ok").send().await?;
            Ok(())
        });
    let results = run(
        scenario,
        &server.base_url(),
        Overrides {
            hold: Some(Duration::from_secs(1)),
            ..Default::default()
        },
    );
    // Step 2 ramps from 50/s to 150/s over 2 s (200 arrivals) then holds 150/s for 1 s; only
    // the hold is measured, the ramp shows in the time series.
    let step = &results.steps[1];
    let per_second: Vec<u64> = step.scenarios[0]
        .time_series
        .iter()
        .filter(|p| p.width_s > 0.9)
        .map(|p| p.requests)
        .collect();
    // 50→100/s averages 75 in the first second, 100→150/s 125 in the second, then 150.
    assert!(per_second.len() >= 3, "{per_second:?}");
    assert!(
        (65..=85).contains(&per_second[0]) && (115..=135).contains(&per_second[1]),
        "{per_second:?}"
    );
    let measured = step.scenarios[0].iterations.count;
    assert!((140..=160).contains(&measured), "{measured}");
    assert_eq!(results.plan.steps[1].rates["ramping"], 150.0);
}

#[test]
fn shards_of_an_open_model_run_start_exactly_the_whole_runs_arrivals() {
    let _serial = serial();
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    let server = TestServer::start().unwrap();
    let scenario = |indexes: Arc<Mutex<Vec<u64>>>| {
        Scenario::builder("rate")
            .rates([300.0])
            .max_users(50)
            .build(move |user: &mut User| {
                let indexes = Arc::clone(&indexes);
                let index = user.index();
                async move {
                    indexes.lock().unwrap().push(index);
                    Ok(())
                }
            })
    };
    let hold = Some(Duration::from_secs(2));
    let whole = run(
        scenario(Arc::new(Mutex::new(Vec::new()))),
        &server.base_url(),
        Overrides {
            hold,
            workers: Some(2),
            ..Default::default()
        },
    );
    let whole_count = whole.steps[0].scenarios[0].iterations.count;
    let mut shard_counts = Vec::new();
    let mut shard_users: Vec<BTreeSet<u64>> = Vec::new();
    for index in 0..3 {
        let shard = loadspec::ShardSpec::new(index, 3).unwrap();
        let indexes = Arc::new(Mutex::new(Vec::new()));
        let results = run(
            scenario(Arc::clone(&indexes)),
            &server.base_url(),
            Overrides {
                hold,
                workers: Some(2),
                shard: Some(shard),
                ..Default::default()
            },
        );
        assert_eq!(results.steps[0].scenarios[0].dropped_iterations, 0);
        shard_counts.push(results.steps[0].scenarios[0].iterations.count);
        shard_users.push(indexes.lock().unwrap().iter().copied().collect());
    }
    println!("open model: whole run {whole_count} arrivals; shards {shard_counts:?}");
    // Arrival k runs on shard k % 3: the shares differ by at most one and add up exactly.
    assert_eq!(shard_counts.iter().sum::<u64>(), whole_count);
    assert!(shard_counts.iter().max().unwrap() - shard_counts.iter().min().unwrap() <= 1);
    // Users on different shards never share an index (and so never share a seed).
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        assert!(
            shard_users[a].is_disjoint(&shard_users[b]),
            "shards {a} and {b} share user indexes: {:?} / {:?}",
            shard_users[a],
            shard_users[b]
        );
    }
}
