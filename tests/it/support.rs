//! What the modules of this binary share.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use loadspec::Harness;
use loadspec_runner::plan::{Mode, Overrides};

/// Held for its whole run by every test that measures time — rates, latencies, timeouts,
/// per-second series, start alignment — and by the two that load the machine from other
/// processes (a trybuild compile, a load run at full speed). libtest runs this binary's tests
/// on one thread per core and a loopback load test shares the machine with its own target:
/// beside another run or a compile on 2 cores its numbers would measure the neighbour. Tests
/// that only count, and short in-process computations, run beside them. A test that failed while holding it must not fail every later one, hence the
/// poison is ignored. (cargo-nextest runs each test in a process of its own, where this lock
/// does nothing: there, a test group with one thread would do its job.)
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `harness` with `args` (the program name first) and returns its exit code and its
/// libtest report (`running 1 test` … `test result: …`), for the caller's assertion messages.
/// libtest-mimic prints that report straight to the process's stdout, past the capture of the
/// test that runs it, so a run meant to fail would print "test result: FAILED" into a passing
/// suite's log: `--logfile`, libtest's own flag, sends it to a file instead. The run's console
/// tables go through `println!`, which libtest captures and shows only for a failed test.
pub(crate) fn run_harness<S: AsRef<str>>(harness: Harness, args: &[S]) -> (ExitCode, String) {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let log = std::env::temp_dir().join(format!(
        "loadspec-harness-{}-{}.log",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let args = args
        .iter()
        .map(|a| a.as_ref().to_owned())
        .chain(["--logfile".to_owned(), log.display().to_string()]);
    let code = harness.run_with_args(args);
    let report = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| format!("(no report in {}: {e})", log.display()));
    let _ = std::fs::remove_file(&log);
    (code, report)
}

/// A finished child process's status, stdout and stderr, for an assertion's message: children
/// run with `.output()`, never with inherited stdio, so what they print reaches the log only
/// when the test that ran them fails.
pub(crate) fn shown(output: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `cargo build <args>` (a no-op when `cargo test` already built it) with its output
/// captured; panics with that output when the build fails.
pub(crate) fn cargo_build(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .arg("build")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cargo build {args:?} did not start: {e}"));
    assert!(
        output.status.success(),
        "cargo build {args:?} failed: {}",
        shown(&output)
    );
}

/// This test binary's profile directory (`target/debug`), where examples and binaries land.
pub(crate) fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no current exe: {e}"));
    exe.parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} has no profile directory", exe.display()))
        .to_owned()
}

/// The `insuree_flow` example's binary, built once per test process.
pub(crate) fn insuree_flow() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        cargo_build(&["-p", "loadspec-suite", "--example", "insuree_flow"]);
        profile_dir().join("examples").join("insuree_flow")
    })
}

/// A full run against `target` on one worker, no cooldown, seed 1: what the fault tests
/// (`resilience`, `faults`) start from.
pub(crate) fn fault_overrides(target: &str) -> Overrides {
    Overrides {
        target: Some(target.to_owned()),
        mode: Some(Mode::Full),
        cooldown: Some(std::time::Duration::ZERO),
        workers: Some(1),
        seed: Some(1),
        ..Default::default()
    }
}

/// The peak resident memory of this process (`VmHWM`), in bytes.
pub(crate) fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_else(|e| panic!("/proc/self/status: {e}"));
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse::<u64>().ok());
    match kib {
        Some(kib) => kib * 1024,
        None => panic!("no VmHWM in /proc/self/status"),
    }
}

/// Sets the peak back to the current resident memory (`echo 5 > /proc/self/clear_refs`), so a
/// peak an earlier test reached does not hide this one's; where that is refused, the peak
/// stays and the memory checks can only miss growth, never invent it.
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
