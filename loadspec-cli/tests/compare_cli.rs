//! `loadspec compare`: two real runs against a local server, one slower; the binary flags the
//! regression, re-judges criteria, and refuses bad input with exit code 2.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::routing::get;
use loadspec_runner::criteria::{Criterion, Metric, Scope};
use loadspec_runner::engine::{self, Silent, StopHandle};
use loadspec_runner::plan::{self, Mode, Overrides};
use loadspec_runner::{Failure, Scenario, User, results};

fn server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new().route(
                "/delay/{ms}",
                get(|UrlPath(ms): UrlPath<u64>| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    "ok"
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

fn run(target: &str, delay_ms: u64, dir: &Path, name: &str) -> PathBuf {
    let path = format!("/delay/{delay_ms}");
    let scenario = Scenario::builder("flow")
        .threads([2])
        .iterations(15)
        .criterion(
            Criterion::new(Scope::Transaction("t".into()), Metric::P95, 30.0).threshold(60.0),
        )
        .build(async move |user: &mut User| {
            user.transaction("t", async |tx| {
                tx.get(&path).send().await?;
                Ok::<(), Failure>(())
            })
            .await
        });
    let overrides = Overrides {
        target: Some(target.to_owned()),
        mode: Some(Mode::Full),
        workers: Some(1),
        seed: Some(1),
        ..Default::default()
    };
    let plan = plan::resolve(&[scenario], &overrides).unwrap();
    let results = engine::run(&plan, &mut Silent, &StopHandle::new()).unwrap();
    let file = dir.join(name);
    results::write_json(&file, &results).unwrap();
    file
}

fn loadspec(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loadspec"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn compare_flags_a_slowdown_and_the_criteria_it_breaks() {
    let target = server();
    let dir = std::env::temp_dir().join(format!("loadspec-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fast = run(&target, 10, &dir, "fast.json");
    let slow = run(&target, 40, &dir, "slow.json");
    let (f, s) = (fast.to_str().unwrap(), slow.to_str().unwrap());

    let (code, out, _) = loadspec(&["compare", f, f]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 regression(s)"), "{out}");

    let (code, out, _) = loadspec(&["compare", f, s]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("flow · tx t") && out.contains("REGRESSION: p95"),
        "{out}"
    );
    assert!(
        out.contains("criterion flow · t p95 @ 2 threads: pass → warn"),
        "{out}"
    );

    let (code, out, _) = loadspec(&["compare", f, s, "--json", "--stat", "p50"]);
    assert_eq!(code, 3);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(json["regressions"].as_u64().unwrap() >= 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_refuses_bad_input_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("loadspec-compare-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.json");
    std::fs::write(
        &junk,
        "{\"schema\":\"loadspec.results\",\"schema_version\":7}",
    )
    .unwrap();
    let j = junk.to_str().unwrap();
    let (code, _, err) = loadspec(&["compare", j, j]);
    assert_eq!(code, 2);
    assert!(
        err.contains("schema version 7") && err.contains("junk.json"),
        "{err}"
    );
    let (code, _, err) = loadspec(&["compare", "/nonexistent.json", j]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent.json"), "{err}");
    let (code, _, err) = loadspec(&["compare", j, j, "--tolerance", "10"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--tolerance") && err.contains("`%` sign"),
        "{err}"
    );
    let (code, _, err) = loadspec(&["compare", j, j, "--stat", "p97"]);
    assert_eq!(code, 2);
    assert!(err.contains("p97"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
