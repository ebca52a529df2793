//! HTTP/2 in the direct client, against real servers: chosen by ALPN on HTTPS, by prior
//! knowledge on cleartext with `--http-version 2`; one connection per user whose batches are
//! multiplexed streams (as the server counts them); HTTP/1.1 batches over six connections;
//! stream and connection errors (RST_STREAM, GOAWAY, a flow-control stall, a server without
//! HTTP/2) as classified failures that name the error code, never a hang.

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
use axum::extract::{Path, Request as HttpRequest, State};
use axum::http::Version;
use axum::routing::get;
use loadspec::prelude::*;
use loadspec::results::model::{LabelSummary, RunResults};
use loadspec::{ErrorKind, HttpVersion, Scenario};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{H2FaultServer, ServedRouter, TestCa, Validity, full_run, run_silently};

/// What the target saw: requests by protocol, and the most in flight at once.
#[derive(Default)]
struct Seen {
    http2: AtomicU64,
    http1: AtomicU64,
    in_flight: AtomicU64,
    most_in_flight: AtomicU64,
}

/// `/delay/{ms}`, counting requests by protocol and concurrency.
fn app(seen: Arc<Seen>) -> Router {
    Router::new()
        .route(
            "/delay/{ms}",
            get(
                |State(seen): State<Arc<Seen>>, Path(ms): Path<u64>, request: HttpRequest| async move {
                    match request.version() {
                        Version::HTTP_2 => seen.http2.fetch_add(1, Ordering::SeqCst),
                        _ => seen.http1.fetch_add(1, Ordering::SeqCst),
                    };
                    let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    seen.most_in_flight.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    seen.in_flight.fetch_sub(1, Ordering::SeqCst);
                    "late"
                },
            ),
        )
        .with_state(seen)
}

struct Target {
    server: ServedRouter,
    seen: Arc<Seen>,
    ca_file: Option<PathBuf>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(file) = &self.ca_file {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// An HTTPS target offering `h2` (or only `http/1.1`) by ALPN, or a cleartext one.
fn target(kind: &str) -> Target {
    let seen = Arc::new(Seen::default());
    if kind == "h2c" {
        let server = ServedRouter::start("h2c-target", app(Arc::clone(&seen))).unwrap();
        return Target {
            server,
            seen,
            ca_file: None,
        };
    }
    let ca = TestCa::new().unwrap();
    let ca_file =
        std::env::temp_dir().join(format!("loadspec-h2-{}-{kind}.pem", std::process::id()));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let cert = ca.issue(&["127.0.0.1"], Validity::Current).unwrap();
    let router = app(Arc::clone(&seen));
    let server = match kind {
        "h2" => ServedRouter::start_tls_h2("h2-target", router, cert),
        "no-alpn" => ServedRouter::start_tls_alpn("no-alpn-target", router, cert, &[]),
        _ => ServedRouter::start_tls("h1-target", router, cert),
    }
    .unwrap();
    Target {
        server,
        seen,
        ca_file: Some(ca_file),
    }
}

fn overrides(target: &Target, version: Option<HttpVersion>) -> Overrides {
    Overrides {
        ca_cert: target.ca_file.clone(),
        http_version: version,
        ..full_run(&target.server.base_url())
    }
}

/// `users` users, each running `iterations` batches of `size` requests to `/delay/{ms}`.
fn batches(users: u32, iterations: u32, size: usize, ms: u64) -> Scenario {
    Scenario::builder("batches")
        .threads([users])
        .iterations(iterations)
        .build(async move |user: &mut User| {
            let path = format!("/delay/{ms}");
            user.transaction("page", async |tx| {
                let answers = tx
                    .batch((0..size).map(|_| Request::get(&path).label("resource")))
                    .await;
                for answer in answers {
                    answer?.expect_ok()?;
                }
                Ok(())
            })
            .await
        })
}

fn label<'r>(results: &'r RunResults, name: &str) -> &'r LabelSummary {
    let scenario = &results.steps[0].scenarios[0];
    scenario
        .requests
        .iter()
        .chain(&scenario.transactions)
        .find(|l| l.label == name)
        .unwrap_or_else(|| panic!("no label {name}"))
}

#[test]
fn https_negotiates_http2_and_a_batch_is_streams_on_the_users_one_connection() {
    let t = target("h2");
    let results = run_silently(&[batches(2, 3, 5, 100)], &overrides(&t, None)).unwrap();
    let resource = label(&results, "resource");
    assert_eq!(
        (resource.count, resource.failures),
        (30, 0),
        "{:?}",
        resource.errors
    );
    assert_eq!(
        t.seen.http2.load(Ordering::SeqCst),
        30,
        "the server's count"
    );
    assert_eq!(t.seen.http1.load(Ordering::SeqCst), 0);
    let (handshakes, _, refused) = t.server.tls_counters().unwrap().get();
    assert_eq!((handshakes, refused), (2, 0), "one connection per user");
    assert!(
        t.seen.most_in_flight.load(Ordering::SeqCst) >= 5,
        "a batch's five requests were in flight at once"
    );
    let phases = resource.phases.as_ref().unwrap();
    assert_eq!(phases.http2, 30, "every request recorded as HTTP/2");
    assert_eq!(
        phases.phases[&loadspec::results::phases::Phase::Tls].count,
        2,
        "the handshake is timed once per user, on the request that opened it"
    );
    let page = label(&results, "page");
    assert_eq!((page.count, page.failures), (6, 0));
    assert_eq!(page.requests_per_transaction, Some(5.0));
    assert_eq!(results.plan.http_version, "auto");
}

#[test]
fn http1_batches_spread_over_six_connections_the_user_keeps() {
    let t = target("h1");
    let results = run_silently(&[batches(1, 3, 8, 50)], &overrides(&t, None)).unwrap();
    let resource = label(&results, "resource");
    assert_eq!(
        (resource.count, resource.failures),
        (24, 0),
        "{:?}",
        resource.errors
    );
    assert_eq!(t.seen.http1.load(Ordering::SeqCst), 24);
    let (handshakes, _, _) = t.server.tls_counters().unwrap().get();
    assert_eq!(handshakes, 6, "six connections, kept from batch to batch");
    assert_eq!(t.seen.most_in_flight.load(Ordering::SeqCst), 6);
    assert_eq!(resource.phases.as_ref().unwrap().http2, 0);
}

#[test]
fn cleartext_speaks_http2_by_prior_knowledge_only_when_asked() {
    let t = target("h2c");
    let results = run_silently(
        &[batches(1, 2, 3, 10)],
        &overrides(&t, Some(HttpVersion::Http2)),
    )
    .unwrap();
    let resource = label(&results, "resource");
    assert_eq!(
        (resource.count, resource.failures),
        (6, 0),
        "{:?}",
        resource.errors
    );
    assert_eq!(t.seen.http2.load(Ordering::SeqCst), 6);
    assert_eq!(results.plan.http_version, "2");

    let results = run_silently(&[batches(1, 1, 2, 10)], &overrides(&t, None)).unwrap();
    assert_eq!(label(&results, "resource").failures, 0);
    assert_eq!(
        t.seen.http1.load(Ordering::SeqCst),
        2,
        "auto is HTTP/1.1 on cleartext"
    );
}

#[test]
fn requiring_http2_from_a_server_without_it_is_a_tls_failure_naming_alpn() {
    for (kind, words) in [
        // The server's ALPN list has no h2: it refuses the handshake.
        (
            "h1",
            "the server speaks none of the protocols ALPN offered (h2)",
        ),
        // The server takes no part in ALPN: the handshake succeeds on HTTP/1.1.
        (
            "no-alpn",
            "does not speak HTTP/2: ALPN offered h2, the server chose none",
        ),
    ] {
        let t = target(kind);
        let plan = overrides(&t, Some(HttpVersion::Http2));
        let results = run_silently(&[batches(1, 1, 1, 1)], &plan).unwrap();
        let resource = label(&results, "resource");
        assert_eq!(resource.failures, 1, "{kind}");
        let error = &resource.errors[0];
        assert_eq!(error.kind, ErrorKind::Tls, "{kind}: {}", error.sample);
        assert!(error.sample.contains(words), "{kind}: {}", error.sample);
        assert_eq!(
            t.seen.http1.load(Ordering::SeqCst),
            0,
            "{kind}: nothing was sent"
        );
    }
    // Without --http-version 2 the same server is spoken to in HTTP/1.1.
    let t = target("no-alpn");
    let results = run_silently(&[batches(1, 1, 2, 1)], &overrides(&t, None)).unwrap();
    assert_eq!(label(&results, "resource").failures, 0);
    assert_eq!(t.seen.http1.load(Ordering::SeqCst), 2);
}

/// One request to `path` of the faulty server, then `/ok`, by one user.
fn against_faults(path: &'static str, body: bool) -> Scenario {
    Scenario::builder("faults")
        .threads([1])
        .iterations(1)
        .read_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(5))
        .build(async move |user: &mut User| {
            let request = if body {
                user.post(path).body(vec![b'x'; 100_000])
            } else {
                user.get(path)
            };
            let _expected_failure = request.label("faulty").send().await;
            user.get("/ok").label("after").send().await?.expect_ok()?;
            Ok(())
        })
}

#[test]
fn stream_and_connection_errors_are_classified_failures_that_name_the_code() {
    for (path, body, kind, words) in [
        (
            "/refuse",
            false,
            ErrorKind::Reset,
            "the server reset the HTTP/2 stream (RST_STREAM REFUSED_STREAM",
        ),
        (
            "/reset-mid-body",
            false,
            ErrorKind::Reset,
            "RST_STREAM INTERNAL_ERROR",
        ),
        (
            "/goaway",
            false,
            ErrorKind::Reset,
            "the server closed the HTTP/2 connection (GOAWAY ENHANCE_YOUR_CALM",
        ),
        (
            "/upload",
            true,
            ErrorKind::Timeout,
            "HTTP/2 flow control stalled",
        ),
    ] {
        let server = H2FaultServer::start().unwrap();
        let plan = Overrides {
            http_version: Some(HttpVersion::Http2),
            ..full_run(&server.base_url())
        };
        let started = std::time::Instant::now();
        let results = run_silently(&[against_faults(path, body)], &plan).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path}: no hang"
        );
        let faulty = label(&results, "faulty");
        assert_eq!(faulty.failures, 1, "{path}: {faulty:?}");
        let error = &faulty.errors[0];
        assert_eq!(error.kind, kind, "{path}: {}", error.sample);
        assert!(error.sample.contains(words), "{path}: {}", error.sample);
        let after = label(&results, "after");
        assert_eq!(
            (after.count, after.failures),
            (1, 0),
            "{path}: {:?}",
            after.errors
        );
        let connections = server.counters().connections.load(Ordering::Relaxed);
        let expected = if path == "/goaway" { 2 } else { 1 };
        assert_eq!(
            connections, expected,
            "{path}: a stream error leaves the connection to the next request; GOAWAY does not"
        );
    }
}

#[test]
fn cookies_set_in_a_batch_go_with_the_users_next_requests() {
    use axum::http::{HeaderMap, header};
    for kind in ["h2", "h1"] {
        let ca = TestCa::new().unwrap();
        let ca_file = std::env::temp_dir().join(format!(
            "loadspec-h2-cookies-{}-{kind}.pem",
            std::process::id()
        ));
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let cert = ca.issue(&["127.0.0.1"], Validity::Current).unwrap();
        let router = Router::new()
            .route(
                "/set/{name}",
                get(|Path(name): Path<String>| async move {
                    ([(header::SET_COOKIE, format!("{name}=1; Path=/"))], "set")
                }),
            )
            .route(
                "/cookies",
                get(|headers: HeaderMap| async move {
                    headers
                        .get(header::COOKIE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                }),
            );
        let server = match kind {
            "h2" => ServedRouter::start_tls_h2("cookie-target", router, cert),
            _ => ServedRouter::start_tls("cookie-target", router, cert),
        }
        .unwrap();
        let seen = Arc::new(std::sync::Mutex::new(String::new()));
        let noted = Arc::clone(&seen);
        let scenario = Scenario::builder("cookies")
            .threads([1])
            .iterations(1)
            .build(async move |user: &mut User| {
                for answer in user
                    .batch([Request::get("/set/a"), Request::get("/set/b")])
                    .await
                {
                    answer?.expect_ok()?;
                }
                let answer = user.get("/cookies").send().await?.expect_ok()?;
                *noted.lock().unwrap() = answer.text()?.to_owned();
                Ok(())
            });
        let plan = Overrides {
            ca_cert: Some(ca_file.clone()),
            ..full_run(&server.base_url())
        };
        let results = run_silently(&[scenario], &plan).unwrap();
        let _ = std::fs::remove_file(&ca_file);
        let total = &results.steps[0].scenarios[0].total_requests;
        assert_eq!(
            (total.count, total.failures),
            (3, 0),
            "{kind}: {:?}",
            total.errors
        );
        let mut cookies: Vec<String> = seen
            .lock()
            .unwrap()
            .split("; ")
            .map(str::to_owned)
            .collect();
        cookies.sort();
        assert_eq!(cookies, ["a=1", "b=1"], "{kind}");
    }
}
