//! The real openIMIS backend (gunicorn, 4 sync workers, on 127.0.0.1:8000) killed in the
//! middle of a step — `kill -9` of its master, whose orphaned workers then shut down — and
//! restarted with `setup.sh start`, while the `insuree_flow` example's claims search runs
//! against it. The failures are `connect` and `reset`, all inside the outage; requests succeed
//! again after the restart; the run completes within its hold and the request timeout; every
//! request is in results.json and the sample log; the requests gunicorn logged equal those the
//! results say were answered.
//!
//! Ignored by default: it needs the backend up (`../shared/openimis/setup.sh`, or
//! `OPENIMIS_SETUP`), and CI's openIMIS stage runs it with `--include-ignored`. It restarts the
//! backend it kills, so it leaves it running.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use loadspec::ErrorKind;
use loadspec::results::model::{RunStatus, StepStatus};

use crate::signals::{run_dir, wait_exit, wait_for};
use crate::support::{insuree_flow, serial, shown};

const TARGET: &str = "http://127.0.0.1:8000";
const HOLD_S: u64 = 60;
/// How far into the step the master is killed.
const KILL_AFTER: Duration = Duration::from_secs(10);
/// The requests the example's `#[setup]` sends before the step (a login, two queries): the
/// server logs them, the step's results do not count them.
const SETUP_REQUESTS: u64 = 3;

fn setup_script() -> PathBuf {
    if let Ok(path) = std::env::var("OPENIMIS_SETUP") {
        return PathBuf::from(path);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/openimis/setup.sh");
    [beside, PathBuf::from("/work/shared/openimis/setup.sh")]
        .into_iter()
        .find(|p| p.exists())
        .expect("openIMIS' setup.sh: ../shared/openimis/setup.sh, or set OPENIMIS_SETUP")
}

fn setup(args: &[&str]) -> String {
    let output = Command::new(setup_script()).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "setup.sh {args:?}: {}",
        shown(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The gunicorn master's PID, from `setup.sh status`.
fn master_pid() -> u32 {
    let status = setup(&["status"]);
    status
        .lines()
        .find_map(|l| l.strip_prefix("gunicorn: running (pid "))
        .and_then(|rest| rest.split(')').next())
        .map(|pid| pid.parse().unwrap())
        .unwrap_or_else(|| panic!("gunicorn is not running: {status}"))
}

/// gunicorn's access log: in the logs directory `setup.sh env` names.
fn access_log() -> PathBuf {
    let env = setup(&["env"]);
    let debug_log = env
        .lines()
        .find_map(|l| l.strip_prefix("export DEBUG_LOG_FILE="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no DEBUG_LOG_FILE in setup.sh env: {env}"));
    Path::new(&debug_log).with_file_name("access.log")
}

fn up() -> bool {
    Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{TARGET}/api/graphql"))
        .output()
        .is_ok_and(|o| o.stdout == b"400")
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// One request of the sample log: start (ms since the epoch), duration, success.
struct Sample {
    start_ms: u64,
    elapsed_ms: u64,
    success: bool,
}

fn requests_of(jtl: &Path) -> Vec<Sample> {
    let mut reader = csv::Reader::from_path(jtl).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (start, elapsed, kind, success) = (
        column("timeStamp"),
        column("elapsed"),
        column("dataType"),
        column("success"),
    );
    reader
        .records()
        .map(Result::unwrap)
        // Requests have a data type; transactions (JMeter's parent samples) none.
        .filter(|r| !r[kind].is_empty())
        .map(|r| Sample {
            start_ms: r[start].parse().unwrap(),
            elapsed_ms: r[elapsed].parse().unwrap(),
            success: &r[success] == "true",
        })
        .collect()
}

/// The lines gunicorn appended to its access log from `offset`, without the ones of the
/// restart's smoke test (curl's).
fn logged_since(log: &Path, offset: u64) -> u64 {
    let mut file = std::fs::File::open(log).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text.lines()
        .filter(|l| l.contains("/api/graphql") && !l.contains("curl/"))
        .count() as u64
}

#[test]
#[ignore = "needs the real openIMIS on 127.0.0.1:8000 (../shared/openimis/setup.sh), then cargo test --test it openimis_outage -- --include-ignored"]
fn gunicorn_killed_and_restarted_mid_step_fails_only_the_outage() {
    let _serial = serial();
    if !up() {
        setup(&[]);
    }
    assert!(up(), "openIMIS answers on {TARGET}");
    let log = access_log();
    let offset = std::fs::metadata(&log).unwrap().len();
    let out = std::env::temp_dir().join(format!("loadspec-openimis-outage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let binary = insuree_flow();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["claims_search", "--threads", "2", "--hold"])
        .arg(format!("{HOLD_S}s"))
        .args(["--warmup", "0s", "--cooldown", "0s", "--samples", "jtl"])
        .arg("--out-dir")
        .arg(&out)
        .env("LOADSPEC_TARGET", TARGET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The step is under way once requests are in the sample log.
    wait_for("the step's first samples", Duration::from_secs(60), || {
        run_dir(&out).is_some_and(|d| {
            std::fs::read_to_string(d.join("samples.jtl")).is_ok_and(|t| t.lines().count() > 5)
        })
    });
    std::thread::sleep(KILL_AFTER);
    let pid = master_pid();
    let killed_ms = now_ms();
    let kill = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .output()
        .unwrap();
    assert!(kill.status.success(), "{}", shown(&kill));
    // The orphaned workers notice their parent is gone and exit; the restart binds the port
    // again once they have.
    wait_for("the workers to exit", Duration::from_secs(30), || !up());
    let refused_ms = now_ms();
    setup(&["start"]);
    let restarted_ms = now_ms();
    assert!(up(), "openIMIS is back");
    let code = wait_exit(&mut child, Duration::from_secs(HOLD_S + 120));
    let took = started.elapsed();

    let dir = run_dir(&out).unwrap();
    let results = loadspec::results::load(&dir.join("results.json")).unwrap();
    let step = &results.steps[0];
    let totals = &step.scenarios[0].total_requests;
    let kinds: Vec<(ErrorKind, u64)> = totals.errors.iter().map(|e| (e.kind, e.count)).collect();
    let samples = requests_of(&dir.join("samples.jtl"));
    let failed: Vec<&Sample> = samples.iter().filter(|s| !s.success).collect();
    let after: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.start_ms > restarted_ms)
        .collect();
    let slowest = samples.iter().map(|s| s.elapsed_ms).max().unwrap_or(0);
    let (first_failure, last_failure) = (
        failed.iter().map(|s| s.start_ms + s.elapsed_ms).min(),
        failed.iter().map(|s| s.start_ms).max(),
    );
    // The first answer after the last failure: when the restarted workers served again.
    let served_again = samples
        .iter()
        .filter(|s| s.success && last_failure.is_some_and(|t| s.start_ms > t))
        .map(|s| s.start_ms + s.elapsed_ms)
        .min();
    let rel = |ms: Option<u64>| ms.map(|ms| (ms as f64 - killed_ms as f64) / 1000.0);
    let logged = logged_since(&log, offset);
    let unanswered: u64 = totals
        .errors
        .iter()
        .filter(|e| matches!(e.kind, ErrorKind::Connect | ErrorKind::Reset))
        .map(|e| e.count)
        .sum();
    eprintln!(
        "openIMIS gunicorn master killed: exit {code:?} after {took:?}; refusing {:.1} s after the kill, back {:.1} s after it (setup.sh start); \
         {} requests, {} failed {kinds:?}; failures from +{:?} s to +{:?} s, answered again from +{:?} s; {} requests after the restart, {} failed; slowest {slowest} ms; \
         gunicorn logged {logged} (the results' answered {} + setup {SETUP_REQUESTS})",
        (refused_ms - killed_ms) as f64 / 1000.0,
        (restarted_ms - killed_ms) as f64 / 1000.0,
        totals.count,
        totals.failures,
        rel(first_failure),
        rel(last_failure),
        rel(served_again),
        after.len(),
        after.iter().filter(|s| !s.success).count(),
        totals.count - unanswered,
    );
    // The generator's resident memory, each second: before the kill and at its highest.
    let rss: Vec<(f64, u64)> = step.system.iter().map(|s| (s.t_s, s.process_rss)).collect();
    let rss_before = rss
        .iter()
        .filter(|(t, _)| *t < KILL_AFTER.as_secs_f64())
        .map(|(_, r)| *r)
        .max()
        .unwrap_or(0);
    let rss_max = rss.iter().map(|(_, r)| *r).max().unwrap_or(0);
    eprintln!(
        "  loadspec's RSS: {} MiB before the kill, at most {} MiB ({} samples)",
        rss_before >> 20,
        rss_max >> 20,
        rss.len()
    );
    for e in &totals.errors {
        eprintln!("  {} × {}: {}", e.count, e.kind, e.sample);
    }
    // A clear end: completed, the criteria judged (the outage fails the login criterion: 3).
    assert!(matches!(code, Some(0 | 3)), "exit code {code:?}");
    assert_eq!(results.run.status, RunStatus::Completed);
    assert_eq!(step.status, StepStatus::Completed);
    assert!(
        took < Duration::from_secs(HOLD_S + 60),
        "the run ended {took:?} after its start"
    );
    // Only the outage's kinds, and some of them.
    assert!(totals.failures > 0, "the outage was seen");
    assert!(
        kinds
            .iter()
            .all(|(k, _)| matches!(k, ErrorKind::Connect | ErrorKind::Reset)),
        "{kinds:?}"
    );
    // Every request is in the results and the sample log, and no request hung.
    assert_eq!(samples.len() as u64, totals.count);
    assert_eq!(failed.len() as u64, totals.failures);
    assert!(slowest < 60_000, "no request outlived the 60 s timeout");
    assert!(!rss.is_empty(), "system samples");
    assert!(
        rss_max < rss_before + (64 << 20),
        "the outage grew the generator's memory from {rss_before} to {rss_max} bytes"
    );
    // The failures are inside the outage: none ended before the kill, none started after
    // the restart; requests succeed again after it.
    assert!(
        first_failure.is_some_and(|t| t >= killed_ms),
        "{:?}",
        rel(first_failure)
    );
    assert!(
        last_failure.is_some_and(|t| t <= restarted_ms),
        "{:?}",
        rel(last_failure)
    );
    assert!(
        after.len() >= 10,
        "{} requests after the restart",
        after.len()
    );
    assert!(after.iter().all(|s| s.success));
    // gunicorn logged every request the results say it answered, and the setup's.
    assert_eq!(logged, totals.count - unanswered + SETUP_REQUESTS);
    let _ = std::fs::remove_dir_all(&out);
}
