//! HTTPS with default features, against real TLS servers whose certificates are made at test
//! time: keep-alive (one handshake per user, as the server counts them), session resumption
//! on reconnect, `--ca-cert`, `--insecure`, certificate and protocol errors as classified
//! failures, and the phases of each request.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::routing::get;
use loadspec::prelude::*;
use loadspec::results::model::{LabelSummary, RunResults};
use loadspec::results::phases::Phase;
use loadspec::{ErrorKind, Scenario};
use loadspec_runner::plan::{HttpClient, Overrides};
use loadspec_suite::{ServedRouter, TestCa, Validity, full_run, run_silently};

/// `/ok`, `/delay/{ms}` and `/close` (answers with `connection: close`), counting requests.
fn app(requests: Arc<AtomicU64>) -> Router {
    let counted = move || {
        requests.fetch_add(1, Ordering::Relaxed);
    };
    let (a, b, c) = (counted.clone(), counted.clone(), counted);
    Router::new()
        .route(
            "/ok",
            get(move || async move {
                a();
                "ok"
            }),
        )
        .route(
            "/delay/{ms}",
            get(move |Path(ms): Path<u64>| async move {
                b();
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "late"
            }),
        )
        .route(
            "/close",
            get(move || async move {
                c();
                ([(header::CONNECTION, "close")], "bye")
            }),
        )
}

/// A CA, its PEM file, and an HTTPS server with a certificate it signed for `names`.
struct Fixture {
    server: ServedRouter,
    ca_file: PathBuf,
    requests: Arc<AtomicU64>,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(names: &[&str], validity: Validity) -> Fixture {
    // One directory per fixture: tests running in parallel with the same names must not
    // overwrite each other's CA file (a handshake then fails with `BadSignature`).
    static FIXTURES: AtomicU64 = AtomicU64::new(0);
    let ca = TestCa::new().unwrap();
    let dir = std::env::temp_dir().join(format!(
        "loadspec-https-{}-{}-{}",
        std::process::id(),
        FIXTURES.fetch_add(1, Ordering::Relaxed),
        names.join("-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let cert = ca.issue(names, validity).unwrap();
    let server = ServedRouter::start_tls("https-target", app(Arc::clone(&requests)), cert).unwrap();
    Fixture {
        server,
        ca_file,
        requests,
        _dir: TempDir(dir),
    }
}

fn gets(name: &str, users: u32, iterations: u32, path: &'static str) -> Scenario {
    Scenario::builder(name)
        .threads([users])
        .iterations(iterations)
        .build(async move |user: &mut User| {
            user.get(path).send().await?;
            Ok(())
        })
}

fn run(scenario: Scenario, overrides: Overrides) -> RunResults {
    run_silently(&[scenario], &overrides).unwrap()
}

fn total(results: &RunResults) -> &LabelSummary {
    &results.steps[0].scenarios[0].total_requests
}

#[test]
fn https_keeps_one_connection_per_user_and_times_its_phases() {
    let f = fixture(&["localhost", "127.0.0.1"], Validity::Current);
    let target = f.server.url_via("localhost");
    let results = run(
        gets("https", 3, 5, "/delay/20"),
        Overrides {
            ca_cert: Some(f.ca_file.clone()),
            ..full_run(&target)
        },
    );
    let total = total(&results);
    assert_eq!(total.failures, 0, "{:?}", total.errors);
    assert_eq!(total.count, 15);
    assert_eq!(f.requests.load(Ordering::Relaxed), 15, "the server's count");
    let (handshakes, _, refused) = f.server.tls_counters().unwrap().get();
    assert_eq!((handshakes, refused), (3, 0), "one handshake per user");
    assert_eq!(results.plan.http_client, "direct");
    let tls = results.plan.tls.as_ref().unwrap();
    assert!(!tls.insecure);
    assert_eq!(tls.ca_cert.as_deref(), f.ca_file.to_str());

    let phases = total
        .phases
        .as_ref()
        .expect("the direct client times phases");
    assert_eq!(phases.requests, 15);
    for (phase, count) in [
        (Phase::Dns, 3),
        (Phase::Connect, 3),
        (Phase::Tls, 3),
        (Phase::Send, 15),
        (Phase::Wait, 15),
        (Phase::Receive, 15),
    ] {
        assert_eq!(phases.phases[&phase].count, count, "{phase:?}");
    }
    // The server sleeps 20 ms before its first byte.
    assert!(phases.phases[&Phase::Wait].p50_ms >= 20.0);
    assert!(phases.phases[&Phase::Tls].p50_ms > 0.0);
    // The phases add up to the request's time, bar the client's own bookkeeping.
    let sum: f64 = Phase::ALL
        .into_iter()
        .map(|p| phases.mean_per_request_ms(p))
        .sum();
    assert!(
        sum <= total.mean_ms && sum > total.mean_ms * 0.9,
        "phases {sum} ms of {} ms",
        total.mean_ms
    );
}

#[test]
fn a_user_that_reconnects_resumes_its_tls_session() {
    let f = fixture(&["127.0.0.1"], Validity::Current);
    let results = run(
        gets("resume", 1, 4, "/close"),
        Overrides {
            ca_cert: Some(f.ca_file.clone()),
            ..full_run(&f.server.base_url())
        },
    );
    let total = total(&results);
    assert_eq!((total.count, total.failures), (4, 0), "{:?}", total.errors);
    let (handshakes, resumed, _) = f.server.tls_counters().unwrap().get();
    assert_eq!(handshakes, 4, "the server closes after every answer");
    assert_eq!(resumed, 3, "every reconnect resumes");
    let phases = total.phases.as_ref().unwrap();
    assert_eq!(phases.phases[&Phase::Tls].count, 4);
    assert_eq!(phases.tls_resumed, resumed, "as the server counted");
    assert!(
        !phases.phases.contains_key(&Phase::Dns),
        "an IP needs no lookup"
    );
}

/// The first failure of a one-request run.
fn failure_of(results: &RunResults) -> (ErrorKind, String) {
    let total = total(results);
    assert_eq!(total.failures, 1, "{total:?}");
    let error = &total.errors[0];
    (error.kind, error.sample.clone())
}

#[test]
fn certificate_problems_are_tls_failures_that_say_what_was_wrong() {
    let unknown = fixture(&["127.0.0.1"], Validity::Current);
    let results = run(
        gets("unknown-ca", 1, 1, "/ok"),
        full_run(&unknown.server.base_url()),
    );
    let (kind, message) = failure_of(&results);
    assert_eq!(kind, ErrorKind::Tls);
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(
        message.contains("TLS handshake with 127.0.0.1:"),
        "{message}"
    );

    let expired = fixture(&["127.0.0.1", "expired"], Validity::Expired);
    let results = run(
        gets("expired", 1, 1, "/ok"),
        Overrides {
            ca_cert: Some(expired.ca_file.clone()),
            ..full_run(&expired.server.base_url())
        },
    );
    let (kind, message) = failure_of(&results);
    assert_eq!(kind, ErrorKind::Tls);
    assert!(message.contains("expired"), "{message}");

    let other_host = fixture(&["other.example"], Validity::Current);
    let results = run(
        gets("wrong-host", 1, 1, "/ok"),
        Overrides {
            ca_cert: Some(other_host.ca_file.clone()),
            ..full_run(&other_host.server.base_url())
        },
    );
    let (kind, message) = failure_of(&results);
    assert_eq!(kind, ErrorKind::Tls);
    assert!(message.contains("not valid for name"), "{message}");
    assert!(message.contains("other.example"), "{message}");

    // Nothing hung, nothing was answered: every handshake was refused by the client.
    for f in [&unknown, &expired, &other_host] {
        assert_eq!(f.requests.load(Ordering::Relaxed), 0);
    }
}

#[test]
fn insecure_accepts_any_certificate_and_says_so() {
    let f = fixture(&["other.example"], Validity::Expired);
    let results = run(
        gets("insecure", 1, 2, "/ok"),
        Overrides {
            insecure: Some(true),
            ..full_run(&f.server.base_url())
        },
    );
    let total = total(&results);
    assert_eq!((total.count, total.failures), (2, 0), "{:?}", total.errors);
    assert!(results.plan.tls.as_ref().unwrap().insecure);
    assert!(
        results
            .run
            .warnings
            .iter()
            .any(|w| w.starts_with("--insecure: ")),
        "{:?}",
        results.run.warnings
    );
}

#[test]
fn reqwest_verifies_with_the_same_configuration() {
    let f = fixture(&["127.0.0.1"], Validity::Current);
    let with_ca = run(
        gets("reqwest", 2, 3, "/ok"),
        Overrides {
            ca_cert: Some(f.ca_file.clone()),
            http_client: Some(HttpClient::Reqwest),
            ..full_run(&f.server.base_url())
        },
    );
    let total = total(&with_ca);
    assert_eq!((total.count, total.failures), (6, 0), "{:?}", total.errors);
    assert!(total.phases.is_none(), "reqwest does not tell its phases");

    let without = run(
        gets("reqwest-unknown", 1, 1, "/ok"),
        Overrides {
            http_client: Some(HttpClient::Reqwest),
            ..full_run(&f.server.base_url())
        },
    );
    let (kind, message) = failure_of(&without);
    assert_eq!(kind, ErrorKind::Tls);
    assert!(message.contains("UnknownIssuer"), "{message}");
}

#[test]
fn https_to_a_server_that_speaks_no_tls_is_a_tls_failure() {
    let plain = ServedRouter::start("plain", app(Arc::new(AtomicU64::new(0)))).unwrap();
    let target = plain.base_url().replace("http://", "https://");
    let results = run(gets("no-tls", 1, 1, "/ok"), full_run(&target));
    let (kind, message) = failure_of(&results);
    assert_eq!(kind, ErrorKind::Tls);
    assert!(
        message.starts_with("TLS handshake with 127.0.0.1:"),
        "{message}"
    );
}

#[test]
fn a_ca_file_that_is_not_pem_is_refused_before_the_run() {
    let dir = std::env::temp_dir().join(format!("loadspec-bad-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempDir(dir.clone());
    let bad = dir.join("ca.pem");
    std::fs::write(&bad, "not a certificate\n").unwrap();
    let error = run_silently(
        &[gets("bad-ca", 1, 1, "/ok")],
        &Overrides {
            ca_cert: Some(bad.clone()),
            ..full_run("https://127.0.0.1:9")
        },
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        format!(
            "--ca-cert {}: no certificate in it (expected a PEM file of CA certificates)",
            bad.display()
        )
    );
}
