//! Interrupting a real run of the `insuree_flow` example: Ctrl-C stops gracefully and writes
//! everything, a second Ctrl-C exits at once, and `kill -9` leaves the last checkpoint and a
//! sample log whose lines are valid.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loadspec::results::model::{RunStatus, StepStatus};

use crate::support::{insuree_flow, serial, shown};

fn start(out: &Path, args: &[&str]) -> Child {
    let _ = std::fs::remove_dir_all(out);
    Command::new(insuree_flow())
        .args([
            "claims_search",
            "--out-dir",
            out.to_str().unwrap(),
            "--samples",
            "jtl",
            "--cooldown",
            "0s",
        ])
        .args(args)
        .env_remove("LOADSPEC_TARGET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

pub(crate) fn run_dir(out: &Path) -> Option<PathBuf> {
    let scenario = std::fs::read_dir(out).ok()?.flatten().next()?.path();
    Some(std::fs::read_dir(scenario).ok()?.flatten().next()?.path())
}

pub(crate) fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn signal(child: &Child, name: &str) {
    let output = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", shown(&output));
}

pub(crate) fn wait_exit(child: &mut Child, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the example did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn jtl_lines_are_valid(path: &Path, allow_cut_last: bool) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let columns = loadspec_runner::metrics::samples::JTL_HEADER
        .split(',')
        .count();
    let complete = if allow_cut_last && !text.ends_with('\n') {
        lines.len() - 1
    } else {
        lines.len()
    };
    let complete_text = lines[..complete].join("\n");
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(complete_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.iter().all(|r| r.len() == columns),
        "every complete line has {columns} fields"
    );
    rows.len()
}

fn out_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("loadspec-signals-{name}-{}", std::process::id()))
}

#[test]
fn ctrl_c_stops_gracefully_and_writes_every_file() {
    let _serial = serial();
    let out = out_dir("sigint");
    let mut child = start(&out, &["--threads", "3", "--hold", "30s"]);
    wait_for("samples", Duration::from_secs(60), || {
        run_dir(&out).is_some_and(|d| {
            std::fs::read_to_string(d.join("samples.jtl")).is_ok_and(|t| t.lines().count() > 20)
        })
    });
    let interrupted_at = Instant::now();
    signal(&child, "INT");
    let code = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(130), "exit code of an interrupted run");
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(10),
        "{:?}",
        interrupted_at.elapsed()
    );
    let dir = run_dir(&out).unwrap();
    let results = loadspec::results::load(&dir.join("results.json")).unwrap();
    assert_eq!(results.run.status, RunStatus::Interrupted);
    assert_eq!(results.steps.len(), 1);
    assert_eq!(results.steps[0].status, StepStatus::Interrupted);
    assert!(results.steps[0].scenarios[0].total_requests.count > 0);
    for file in ["summary.md", "stats.csv", "stats_history.csv", "junit.xml"] {
        assert!(dir.join(file).exists(), "{file} written");
    }
    assert!(jtl_lines_are_valid(&dir.join("samples.jtl"), false) > 20);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_second_ctrl_c_exits_at_once_and_kill_9_leaves_the_last_checkpoint() {
    let _serial = serial();
    for (name, signals) in [("double", &["INT", "INT"][..]), ("kill9", &["KILL"][..])] {
        let out = out_dir(name);
        let mut child = start(&out, &["--threads", "1,2", "--hold", "2s"]);
        // The checkpoint of step 1 appears when step 2 starts.
        wait_for("the first checkpoint", Duration::from_secs(60), || {
            run_dir(&out).is_some_and(|d| d.join("results.json").exists())
        });
        std::thread::sleep(Duration::from_millis(300));
        let sent = Instant::now();
        for s in signals {
            signal(&child, s);
            std::thread::sleep(Duration::from_millis(100));
        }
        let code = wait_exit(&mut child, Duration::from_secs(5));
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "{name}: exited after {:?}",
            sent.elapsed()
        );
        let dir = run_dir(&out).unwrap();
        let results = loadspec::results::load(&dir.join("results.json")).unwrap();
        assert_eq!(
            results.run.status,
            RunStatus::Running,
            "{name}: the checkpoint of step 1"
        );
        assert_eq!(results.steps.len(), 1);
        assert_eq!(results.steps[0].status, StepStatus::Completed);
        match name {
            "double" => assert_eq!(code, Some(130)),
            _ => assert_eq!(code, None, "killed by a signal"),
        }
        assert!(jtl_lines_are_valid(&dir.join("samples.jtl"), true) > 0);
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty() || name == "kill9", "{leftovers:?}");
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// The step headings and request counts of a report: `(step number, requests)` in order.
fn report_steps(html: &str) -> Vec<(usize, u64)> {
    let mut steps = Vec::new();
    for part in html.split("<span class=\"step-title\">Step ").skip(1) {
        let number: usize = part
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let requests = part
            .split(" requests at ")
            .next()
            .and_then(|before| before.rsplit(' ').next())
            .map(|n| n.replace(',', "").parse::<u64>().unwrap())
            .unwrap();
        steps.push((number, requests));
    }
    steps
}

/// `kill -9` in the middle of step 3 of a sweep against a server that counts what it got:
/// the checkpoint holds steps 1 and 2, says the run did not finish, and `loadspec report`
/// renders it with every completed step's count — equal to the checkpoint's and to what the
/// server counted up to each checkpoint (the 1 s cooldown after each one sends nothing).
#[test]
fn after_kill_9_mid_step_loadspec_report_shows_every_completed_step_with_the_servers_counts() {
    let _serial = serial();
    let server = loadspec_suite::TestServer::start().unwrap();
    let served = || {
        server
            .counters()
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    let out = out_dir("kill9-report");
    let _ = std::fs::remove_dir_all(&out);
    let probe = crate::sharding::probe();
    let started = Instant::now();
    let mut child = Command::new(probe)
        .args(["--full", "--target", &server.base_url()])
        .args([
            "--threads",
            "2,3,4",
            "--iterations",
            "100",
            "--cooldown",
            "1s",
        ])
        .args(["--out-dir", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The server's count when each checkpoint appeared.
    let mut at_checkpoint: Vec<u64> = Vec::new();
    wait_for("two checkpoints", Duration::from_secs(60), || {
        let steps = run_dir(&out)
            .and_then(|d| loadspec::results::load(&d.join("results.json")).ok())
            .map_or(0, |r| r.steps.len());
        if steps > at_checkpoint.len() {
            at_checkpoint.push(served());
        }
        steps >= 2
    });
    assert_eq!(at_checkpoint.len(), 2, "a checkpoint after each step");
    // Step 3 is under way once the server gets more than the first two steps' requests.
    wait_for("step 3", Duration::from_secs(10), || {
        served() > at_checkpoint[1] + 20
    });
    signal(&child, "KILL");
    let code = wait_exit(&mut child, Duration::from_secs(5));
    assert_eq!(code, None, "killed by a signal");
    let killed_at = started.elapsed();
    let dir = run_dir(&out).unwrap();
    let json = dir.join("results.json");
    let checkpoint = loadspec::results::load(&json).unwrap();
    assert_eq!(checkpoint.run.status, RunStatus::Running, "not finished");
    assert_eq!(checkpoint.plan.steps.len(), 3);
    let counts: Vec<u64> = checkpoint
        .steps
        .iter()
        .map(|s| s.scenarios[0].total_requests.count)
        .collect();
    let server_counts = vec![at_checkpoint[0], at_checkpoint[1] - at_checkpoint[0]];
    eprintln!(
        "kill -9 at {killed_at:?} in step 3: checkpoint counts {counts:?}, server counts {server_counts:?}, server total {}",
        served()
    );
    assert_eq!(counts, [200, 300], "every iteration of steps 1 and 2");
    assert_eq!(
        counts, server_counts,
        "the server saw what the checkpoint counts"
    );
    assert!(
        checkpoint
            .steps
            .iter()
            .all(|s| s.status == StepStatus::Completed)
    );

    let report = Command::new(crate::sharding::loadspec_cli())
        .arg("report")
        .arg(&json)
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", shown(&report));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(
        report_steps(&html),
        [(1, counts[0]), (2, counts[1])],
        "the report's steps and their counts"
    );
    assert!(
        html.contains("did not finish (it was killed after step 2 of 3)"),
        "the report says the run did not finish"
    );
    assert!(html.contains("Unfinished"));
    drop(server);
    let _ = std::fs::remove_dir_all(&out);
}
