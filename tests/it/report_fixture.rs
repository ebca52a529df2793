//! Real runs for the report tests (`report_html`, `report_browser`): a tiny target whose
//! error bodies, request labels, transaction names and criterion names carry markup, and an
//! HTTPS target for the phases, run through `loadspec::Harness` in full mode.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as AxumPath, State};
use axum::http::{StatusCode, header};
use axum::routing::get;
use loadspec::criteria::{Criterion, Metric, Scope};
use loadspec::results::model::RunResults;
use loadspec::{Failure, Harness, Scenario, User};
use loadspec_suite::{ServedRouter, TestCa, Validity};

use crate::support::run_harness;

/// The body of every failing response.
pub(crate) const SCRIPT_BODY: &str = "<script>alert(1)</script>";
/// A request label: it would set `window.__pwned` if it ever ran.
pub(crate) const SCRIPT_LABEL: &str = "<script>window.__pwned=true</script>";
/// A transaction name.
pub(crate) const TAG_TRANSACTION: &str = "<img src=x onerror=alert(2)>";
/// A criterion's display name.
pub(crate) const BOLD_CRITERION: &str = "<b>checkout</b> errors";
/// A note given to the report.
pub(crate) const SCRIPT_NOTE: &str = "Assumption: <script>alert('note')</script> & \"quotes\"";

/// The target: `/ok`, `/xss` (every other response is a 500 with [`SCRIPT_BODY`]) and
/// `/capacity` (10 ms of work behind two permits: throughput stops growing past two users).
pub(crate) struct XssServer {
    served: ServedRouter,
}

#[derive(Clone)]
struct Shared {
    seen: Arc<AtomicU64>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl XssServer {
    /// Starts the server on its own thread and runtime (never sharing the generator's).
    pub(crate) fn start() -> std::io::Result<Self> {
        let shared = Shared {
            seen: Arc::new(AtomicU64::new(0)),
            permits: Arc::new(tokio::sync::Semaphore::new(2)),
        };
        let app = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/xss", get(xss))
            .route("/capacity", get(capacity))
            .with_state(shared);
        Ok(Self {
            served: ServedRouter::start("xss-server", app)?,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn base_url(&self) -> String {
        self.served.base_url()
    }
}

async fn xss(State(shared): State<Shared>) -> (StatusCode, &'static str) {
    if shared.seen.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
        (StatusCode::INTERNAL_SERVER_ERROR, SCRIPT_BODY)
    } else {
        (StatusCode::OK, "fine")
    }
}

async fn capacity(State(shared): State<Shared>) -> &'static str {
    let _permit = shared.permits.acquire().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    "done"
}

async fn flow(user: &mut User) -> Result<(), Failure> {
    user.transaction("browse", async |tx| {
        tx.get("/ok").send().await?.expect_status(200)?;
        tx.get("/capacity").send().await?.expect_status(200)?;
        Ok(())
    })
    .await?;
    user.transaction(TAG_TRANSACTION, async |tx| {
        tx.get("/xss")
            .label(SCRIPT_LABEL)
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
    .await
}

/// Runs the scenario at `threads` in full mode into `out`; returns the results and the path
/// of their `results.json`.
pub(crate) fn run(
    server: &XssServer,
    out: &Path,
    threads: &[u32],
    hold: Duration,
) -> (RunResults, PathBuf) {
    let scenario = Scenario::builder("checkout")
        .threads(threads.iter().copied())
        .hold(hold)
        .criterion(
            Criterion::new(Scope::Transaction("browse".into()), Metric::P95, 200.0)
                .threshold(400.0)
                .named("browse p95"),
        )
        .criterion(
            Criterion::new(
                Scope::Transaction(TAG_TRANSACTION.into()),
                Metric::Failures,
                0.01,
            )
            .threshold(0.05)
            .named(BOLD_CRITERION),
        )
        .build(flow);
    harness_run(scenario, &server.base_url(), out, &[])
}

/// Runs `scenario` through the harness in full mode against `target` into `out`, with
/// `extra` flags; returns the results and the path of their `results.json`.
fn harness_run(
    scenario: Scenario,
    target: &str,
    out: &Path,
    extra: &[String],
) -> (RunResults, PathBuf) {
    let captured = Arc::new(std::sync::Mutex::new(None));
    let sink = Arc::clone(&captured);
    let mut args = vec![
        "report-test".to_owned(),
        "--full".to_owned(),
        "--cooldown".to_owned(),
        "0s".to_owned(),
        "--seed".to_owned(),
        "7".to_owned(),
        "--workers".to_owned(),
        "2".to_owned(),
        "--target".to_owned(),
        target.to_owned(),
        "--out-dir".to_owned(),
        out.display().to_string(),
    ];
    args.extend_from_slice(extra);
    let harness = Harness::new().scenarios([scenario]).on_results(move |r| {
        if let Ok(mut slot) = sink.lock() {
            *slot = Some(r.clone());
        }
    });
    // Its exit code is the failing criterion's, on purpose: the tests read the results.
    let (_code, log) = run_harness(harness, &args);
    let results = captured
        .lock()
        .ok()
        .and_then(|mut slot| slot.take())
        .unwrap_or_else(|| panic!("the run under {} produced no results: {log}", out.display()));
    let json = find(out, "results.json")
        .unwrap_or_else(|| panic!("no results.json under {}", out.display()));
    (results, json)
}

/// An HTTPS target whose certificate a test CA signed for `localhost`: `/delay/{ms}` answers
/// after `ms` milliseconds, `/close` answers with `connection: close` (the next request opens
/// a new connection and resumes its TLS session).
pub(crate) struct TlsTarget {
    served: ServedRouter,
    ca_file: PathBuf,
}

impl TlsTarget {
    /// Starts the server; the CA's certificate goes to `dir/ca.pem`.
    pub(crate) fn start(dir: &Path) -> std::io::Result<Self> {
        let ca = TestCa::new().map_err(std::io::Error::other)?;
        std::fs::create_dir_all(dir)?;
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem())?;
        let cert = ca
            .issue(&["localhost"], Validity::Current)
            .map_err(std::io::Error::other)?;
        let app = Router::new()
            .route(
                "/delay/{ms}",
                get(|AxumPath(ms): AxumPath<u64>| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    "late"
                }),
            )
            .route(
                "/close",
                get(|| async { ([(header::CONNECTION, "close")], "bye") }),
            );
        Ok(Self {
            served: ServedRouter::start_tls("tls-report-target", app, cert)?,
            ca_file,
        })
    }

    /// What the server's TLS listener counted: (handshakes, resumed, refused).
    pub(crate) fn handshakes(&self) -> (u64, u64, u64) {
        self.served.tls_counters().map_or((0, 0, 0), |c| c.get())
    }
}

/// Runs a scenario over HTTPS at `threads`: each iteration waits 20 ms for `/delay/20`, then
/// `/close` drops the connection. Judges `ttfb_p95` and `tls_p95`.
pub(crate) fn run_tls(
    target: &TlsTarget,
    out: &Path,
    threads: &[u32],
    hold: Duration,
) -> (RunResults, PathBuf) {
    let scenario = Scenario::builder("tls_checkout")
        .threads(threads.iter().copied())
        .hold(hold)
        .criterion(
            Criterion::new(Scope::All, Metric::TtfbP95, 2000.0)
                .threshold(4000.0)
                .named("time to first byte"),
        )
        .criterion(Criterion::new(Scope::All, Metric::TlsP95, 2000.0).named("TLS handshakes"))
        .build(async |user: &mut User| {
            user.get("/delay/20").send().await?.expect_status(200)?;
            user.get("/close").send().await?.expect_status(200)?;
            Ok(())
        });
    let extra = ["--ca-cert".to_owned(), target.ca_file.display().to_string()];
    harness_run(scenario, &target.served.url_via("localhost"), out, &extra)
}

/// The first file called `name` under `dir`.
pub(crate) fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                return Some(path);
            }
        }
    }
    None
}

/// A fresh, empty directory for one test.
pub(crate) fn fresh_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadspec-report-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
