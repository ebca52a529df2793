//! A results directory on a small tmpfs that fills up: a run that finds it full, and one whose
//! disk fills while it runs. Each ends with one line naming the file and "No space left on
//! device", exit code 4, no panic; the previous run's files, and the last checkpoint that
//! could be written, stay whole (every file is written to a temporary file beside it, then
//! renamed). Mounting needs root: without it each test prints `SKIPPED …` and passes, unless
//! `LOADSPEC_REQUIRE_ROOT=1` (CI) makes that a failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loadspec::results::model::{RunStatus, StepStatus};

use crate::signals::{wait_exit, wait_for};
use crate::support::{insuree_flow, serial, shown};

/// A tmpfs of `size` mounted on a fresh directory, unmounted and removed when dropped.
pub(crate) struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or says why not: `None` (after printing `SKIPPED …`) when this process is
    /// not root or may not mount, unless `LOADSPEC_REQUIRE_ROOT=1`, which fails instead.
    pub(crate) fn mount(test: &str, size: &str) -> Option<Self> {
        let required = std::env::var("LOADSPEC_REQUIRE_ROOT").is_ok_and(|v| v == "1");
        let skip = |why: String| {
            assert!(!required, "{test}: {why} (LOADSPEC_REQUIRE_ROOT=1)");
            eprintln!("SKIPPED {test}: {why}");
            None
        };
        if !is_root() {
            return skip("mounting a tmpfs needs root".to_owned());
        }
        let dir =
            std::env::temp_dir().join(format!("loadspec-tmpfs-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .unwrap();
        if !output.status.success() {
            let _ = std::fs::remove_dir(&dir);
            return skip(format!("mount -t tmpfs failed: {}", shown(&output)));
        }
        Some(Self { dir })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes a filler file until the disk is full; returns its size.
    pub(crate) fn fill(&self) -> u64 {
        let mut file = std::fs::File::create(self.dir.join("filler")).unwrap();
        let chunk = vec![0u8; 64 << 10];
        let mut written = 0u64;
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling {}: {e}", self.dir.display()),
            }
        }
        // A last partial page, if any, is refused too.
        let _ = file.flush();
        written
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).output();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().next().map(|uid| uid == "0"))
            .unwrap_or(false)
    })
}

/// The run directories under `out` (`<scenario>/<timestamp>`), oldest first.
fn run_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|scenario| std::fs::read_dir(scenario.path()).into_iter().flatten())
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

fn flow(out: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(insuree_flow());
    command
        .args(["claims_search", "--out-dir", out.to_str().unwrap()])
        .args(["--cooldown", "0s"])
        .args(args)
        .env_remove("LOADSPEC_TARGET");
    command
}

/// A finished child's exit code and what it printed.
struct Printed {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Printed {
    fn shown(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// The lines of stderr that say the disk is full.
    fn no_space(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.to_lowercase().contains("no space left on device"))
            .collect()
    }

    fn assert_no_panic(&self) {
        assert!(!self.stderr.contains("panicked"), "{}", self.shown());
    }

    /// The checkpoint's warning (once: then no more checkpoints) and the final write's
    /// error, each one line on stderr.
    fn warning_and_error(&self) -> (&str, &str) {
        let lines = self.no_space();
        let [warning, error] = lines[..] else {
            panic!("a warning and an error: {}", self.shown());
        };
        assert!(
            warning.starts_with("warning: failed to write ")
                && warning.ends_with("; no more checkpoints, the run goes on"),
            "{warning}"
        );
        assert!(error.starts_with("error: failed to write "), "{error}");
        (warning, error)
    }
}

/// Where a child's output goes: files off the tmpfs (a pipe nobody reads would stop its
/// console).
fn logs(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("loadspec-diskfull-{name}-{}", std::process::id()))
}

fn spawn(mut command: Command, logs: &Path) -> Child {
    let file = |ext: &str| std::fs::File::create(logs.with_extension(ext)).unwrap();
    command
        .stdout(Stdio::from(file("stdout")))
        .stderr(Stdio::from(file("stderr")))
        .spawn()
        .unwrap()
}

fn printed(code: Option<i32>, logs: &Path) -> Printed {
    let read = |ext: &str| std::fs::read_to_string(logs.with_extension(ext)).unwrap_or_default();
    let printed = Printed {
        code,
        stdout: read("stdout"),
        stderr: read("stderr"),
    };
    let _ = std::fs::remove_file(logs.with_extension("stdout"));
    let _ = std::fs::remove_file(logs.with_extension("stderr"));
    printed
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

#[test]
fn a_full_results_disk_is_one_clear_error_and_the_previous_results_stay_whole() {
    let _serial = serial();
    let Some(disk) = Tmpfs::mount("full", "16m") else {
        return;
    };
    let out = disk.path();
    let first = flow(out, &["--threads", "1", "--hold", "1s"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", shown(&first));
    let [previous] = &run_dirs(out)[..] else {
        panic!("one run directory: {:?}", run_dirs(out));
    };
    let json_before = std::fs::read(previous.join("results.json")).unwrap();
    let html_before = std::fs::read(previous.join("report.html")).unwrap();
    let filler = disk.fill();

    let started = Instant::now();
    let log = logs("second");
    let mut child = spawn(flow(out, &["--threads", "1,2", "--hold", "1s"]), &log);
    let code = wait_exit(&mut child, Duration::from_secs(90));
    let took = started.elapsed();
    let second = printed(code, &log);
    second.assert_no_panic();
    assert_eq!(second.code, Some(4), "{}", second.shown());
    let dirs = run_dirs(out);
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let new = &dirs[1];
    let (warning, error) = second.warning_and_error();
    eprintln!(
        "full disk ({} MiB filler): exit {code:?} after {took:?}\n  {warning}\n  {error}",
        filler >> 20,
    );
    let results_json = new.join("results.json");
    assert!(
        error.contains(&format!(
            "{}: No space left on device",
            results_json.display()
        )),
        "the error names the file: {error}"
    );
    assert!(
        error.ends_with("nothing of this run was saved but the step tables on the console"),
        "{error}"
    );
    assert!(!results_json.exists(), "no half-written results.json");
    assert!(leftovers(new).is_empty(), "{:?}", leftovers(new));
    // The previous run's files are as they were.
    assert_eq!(
        std::fs::read(previous.join("results.json")).unwrap(),
        json_before
    );
    assert_eq!(
        std::fs::read(previous.join("report.html")).unwrap(),
        html_before
    );
    let loaded = loadspec::results::load(&previous.join("results.json")).unwrap();
    assert_eq!(loaded.run.status, RunStatus::Completed);

    // Rendering the previous run's report again over the full disk fails the same way and
    // leaves its report.html whole.
    let report = Command::new(crate::sharding::loadspec_cli())
        .arg("report")
        .arg(previous.join("results.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert!(!stderr.contains("panicked"), "{}", shown(&report));
    assert_eq!(report.status.code(), Some(2), "{}", shown(&report));
    eprintln!(
        "loadspec report on the full disk: exit {:?}; {}",
        report.status.code(),
        stderr.trim()
    );
    let html = previous.join("report.html");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: failed to write the HTML report {}: No space left on device (os error 28)",
            html.display()
        ),
        "one line"
    );
    assert_eq!(std::fs::read(&html).unwrap(), html_before);
    assert!(leftovers(previous).is_empty(), "{:?}", leftovers(previous));
    drop(disk);
}

#[test]
fn a_disk_that_fills_during_the_run_warns_once_and_keeps_the_last_checkpoint() {
    let _serial = serial();
    let Some(disk) = Tmpfs::mount("filling", "16m") else {
        return;
    };
    let out = disk.path().to_owned();
    let _built = insuree_flow();
    let started = Instant::now();
    let log = logs("filling");
    let mut child = spawn(flow(&out, &["--threads", "1,2,3", "--hold", "2s"]), &log);
    wait_for("the first checkpoint", Duration::from_secs(90), || {
        run_dirs(&out)
            .first()
            .is_some_and(|d| d.join("results.json").exists())
    });
    let filled_at = started.elapsed();
    let filler = disk.fill();
    let code = wait_exit(&mut child, Duration::from_secs(60));
    let took = started.elapsed();
    let output = printed(code, &log);
    output.assert_no_panic();
    assert_eq!(code, Some(4), "{}", output.shown());
    let dir = &run_dirs(&out)[0];
    let (warning, error) = output.warning_and_error();
    eprintln!(
        "disk filled ({} MiB) {filled_at:?} into the run, after the first checkpoint: exit {code:?} after {took:?}\n  {warning}\n  {error}",
        filler >> 20
    );
    assert!(warning.contains("results.json"), "{warning}");
    assert!(
        error.ends_with("results.json: No space left on device (os error 28); it still holds the checkpoint written after step 1 of 3 (status running)"),
        "{error}"
    );
    // Every step ran, and the checkpoint of step 1 is whole.
    assert!(output.stdout.contains("step 3/3"), "{}", output.shown());
    let checkpoint = loadspec::results::load(&dir.join("results.json")).unwrap();
    assert_eq!(checkpoint.run.status, RunStatus::Running);
    assert_eq!(checkpoint.steps.len(), 1);
    assert_eq!(checkpoint.steps[0].status, StepStatus::Completed);
    assert!(leftovers(dir).is_empty(), "{:?}", leftovers(dir));
    drop(disk);
}
