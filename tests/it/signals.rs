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

fn run_dir(out: &Path) -> Option<PathBuf> {
    let scenario = std::fs::read_dir(out).ok()?.flatten().next()?.path();
    Some(std::fs::read_dir(scenario).ok()?.flatten().next()?.path())
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, name: &str) {
    let output = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", shown(&output));
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<i32> {
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

fn jtl_lines_are_valid(path: &Path, allow_cut_last: bool) -> usize {
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
