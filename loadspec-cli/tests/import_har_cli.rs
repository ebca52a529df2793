//! `loadspec import-har` through the binary: a recording becomes a scenario file, and a
//! missing or malformed recording is a one-line error with exit code 2.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::PathBuf;
use std::process::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/insuree_ui.har")
}

fn loadspec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loadspec"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_recording_becomes_a_scenario_file() {
    let out = std::env::temp_dir().join(format!("loadspec-import-{}.rs", std::process::id()));
    let output = loadspec(&[
        "import-har",
        fixture().to_str().unwrap(),
        "--name",
        "recorded_flow",
        "-o",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("imported `recorded_flow`: 3 transactions"),
        "{stderr}"
    );
    let code = std::fs::read_to_string(&out).unwrap();
    assert!(
        code.contains("async fn recorded_flow(user: &mut User)"),
        "{code}"
    );
    assert!(code.contains(".post(\"/api/auth/login\")"));
    let _ = std::fs::remove_file(&out);

    let help = loadspec(&["import-har", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--host-filter"));
}

#[test]
fn missing_or_malformed_recordings_are_one_line_errors() {
    for (path, needle) in [
        (
            "/nonexistent/recording.har",
            "cannot read /nonexistent/recording.har",
        ),
        (env!("CARGO_MANIFEST_PATH"), "not a valid HAR file"),
    ] {
        let output = loadspec(&["import-har", path]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}
