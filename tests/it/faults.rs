//! Faults of the target side, each made by a local server that misbehaves on purpose
//! (`loadspec_suite::Fault`): a reset after part of a body, a trickled head, a request body
//! never read, a connection closed after the headers, bodies shorter or longer than their
//! `content-length`, an endless chunked body and a 10 GiB one. Each ends in its own failure
//! kind within the request timeout, the same through the direct client and reqwest; the server
//! saw every request the direct client counts; no body (HTTP/2's streams too) is held past
//! `--max-response-body`. docs/resilience.md's table lists these figures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::routing::get;
use loadspec::results::model::{LabelSummary, RunResults};
use loadspec::{ErrorKind, Failure, HttpVersion, Scenario, User};
use loadspec_runner::plan::{HttpClient, Overrides};
use loadspec_suite::{Fault, FaultServer, HUGE_LENGTH, ServedRouter, run_silently};

use crate::support::{fault_overrides as overrides, peak_rss, reset_peak_rss, serial};

const USERS: u32 = 2;
const ITERATIONS: u32 = 3;
const REQUESTS: u64 = USERS as u64 * ITERATIONS as u64;
const REQUEST_TIMEOUT: Duration = Duration::from_millis(400);
const READ_TIMEOUT: Duration = Duration::from_millis(100);
/// The limit the endless and huge bodies meet (`--max-response-body 1MiB`).
const LIMIT: u64 = 1 << 20;
/// The request body [`Fault::IgnoreRequestBody`] is sent: far more than the sockets' buffers
/// on both sides of a loopback connection hold.
const LARGE_UPLOAD: usize = 16 << 20;

async fn get_work(user: &mut User) -> Result<(), Failure> {
    user.get("/work").send().await?;
    Ok(())
}

async fn upload(user: &mut User) -> Result<(), Failure> {
    user.post("/upload")
        .body(vec![b'x'; LARGE_UPLOAD])
        .send()
        .await?;
    Ok(())
}

fn scenario(upload_body: bool) -> Scenario {
    let builder = Scenario::builder("faults")
        .threads([USERS])
        .iterations(ITERATIONS)
        .request_timeout(REQUEST_TIMEOUT)
        .read_timeout(READ_TIMEOUT);
    if upload_body {
        builder.build(upload)
    } else {
        builder.build(get_work)
    }
}

fn requests(results: &RunResults) -> &LabelSummary {
    &results.steps[0].scenarios[0].total_requests
}

fn error_kinds(results: &RunResults) -> Vec<(ErrorKind, u64)> {
    requests(results)
        .errors
        .iter()
        .map(|e| (e.kind, e.count))
        .collect()
}

/// What a run against one fault showed.
struct Outcome {
    results: RunResults,
    took: Duration,
    server_requests: u64,
    server_connections: u64,
}

fn run_against(fault: Fault, upload_body: bool, overrides: impl Fn(&str) -> Overrides) -> Outcome {
    let server = FaultServer::start().unwrap();
    server.set(fault);
    let started = Instant::now();
    let results = run_silently(&[scenario(upload_body)], &overrides(&server.base_url()))
        .expect("the run completes");
    let took = started.elapsed();
    Outcome {
        results,
        took,
        server_requests: server.requests(),
        server_connections: server.connections(),
    }
}

/// The most a run of [`ITERATIONS`] requests per user that each end by the request timeout
/// may take, with the engine's own start and stop.
fn time_bound() -> Duration {
    REQUEST_TIMEOUT * ITERATIONS + Duration::from_secs(2)
}

/// One fault of the table: whether the scenario uploads [`LARGE_UPLOAD`] bytes, whether the
/// run's body limit is lowered to [`LIMIT`], the one kind every request must fail with, and a
/// phrase of the direct client's message.
struct Case {
    fault: Fault,
    upload: bool,
    limited: bool,
    kind: ErrorKind,
    phrase: String,
}

fn cases() -> Vec<Case> {
    let case = |fault, kind, phrase: &str| Case {
        fault,
        upload: false,
        limited: false,
        kind,
        phrase: phrase.to_owned(),
    };
    let too_large = "response body larger than 1 MiB (--max-response-body)";
    vec![
        case(
            Fault::ResetAfterBody(100),
            ErrorKind::Reset,
            "reset by peer",
        ),
        // A byte every 20 ms never lets the 100 ms read timeout fire: the request timeout
        // ends it.
        case(
            Fault::TrickleHead(Duration::from_millis(20)),
            ErrorKind::Timeout,
            "timed out after 400ms",
        ),
        Case {
            upload: true,
            ..case(
                Fault::IgnoreRequestBody,
                ErrorKind::Timeout,
                "timed out after 400ms",
            )
        },
        case(
            Fault::CloseAfterHeaders,
            ErrorKind::Reset,
            "connection closed before the body was complete",
        ),
        case(
            Fault::ShortBody,
            ErrorKind::Timeout,
            "nothing received for 100ms",
        ),
        Case {
            limited: true,
            ..case(Fault::EndlessChunked, ErrorKind::Io, too_large)
        },
        Case {
            limited: true,
            ..case(
                Fault::HugeLength,
                ErrorKind::Io,
                &format!("{too_large}: its content-length is {HUGE_LENGTH} bytes"),
            )
        },
    ]
}

/// Runs `case` through `client`, and what the peak resident memory grew by meanwhile.
fn run_case(case: &Case, client: HttpClient) -> (Outcome, u64) {
    reset_peak_rss();
    let before = peak_rss();
    let outcome = run_against(case.fault, case.upload, |target: &str| Overrides {
        http_client: Some(client),
        max_response_body: case.limited.then_some(LIMIT),
        ..overrides(target)
    });
    (outcome, peak_rss().saturating_sub(before))
}

/// What holds for a case through either client: its kind for every request, within the
/// timeouts, with bounded memory; a body past the limit closes its connection (the rest of it
/// is still coming), so each request had a connection of its own.
fn check(case: &Case, client: HttpClient, outcome: &Outcome, grown: u64) {
    let fault = case.fault;
    let totals = requests(&outcome.results);
    assert_eq!(outcome.results.plan.http_client, client.as_str());
    assert!(
        outcome.took < time_bound(),
        "{client:?} {fault:?} took {:?}",
        outcome.took
    );
    assert_eq!(
        error_kinds(&outcome.results),
        vec![(case.kind, REQUESTS)],
        "{client:?} {fault:?}: {:?}",
        totals.errors
    );
    assert_eq!(totals.count, REQUESTS, "{client:?} {fault:?}");
    // No request outlived its timeout (failures are in the latencies too).
    assert!(
        totals.max_ms < REQUEST_TIMEOUT.as_secs_f64() * 1000.0 + 200.0,
        "{client:?} {fault:?}: the slowest request took {} ms",
        totals.max_ms
    );
    assert!(
        grown < 256 << 20,
        "{client:?} {fault:?}: the peak resident memory grew by {} MiB",
        grown >> 20
    );
    if case.kind == ErrorKind::Io {
        assert!(
            totals.errors[0].sample.contains(&case.phrase),
            "{client:?} {fault:?}: {}",
            totals.errors[0].sample
        );
        assert_eq!(outcome.server_connections, REQUESTS, "{client:?} {fault:?}");
    }
}

#[test]
fn each_target_fault_gets_its_kind_within_the_request_timeout_and_every_request_counted() {
    let _serial = serial();
    for case in cases() {
        let (outcome, grown) = run_case(&case, HttpClient::Direct);
        check(&case, HttpClient::Direct, &outcome, grown);
        let totals = requests(&outcome.results);
        assert!(
            totals.errors[0].sample.contains(&case.phrase),
            "{:?}: {}",
            case.fault,
            totals.errors[0].sample
        );
        assert_eq!(
            outcome.server_requests, totals.count,
            "{:?}: the server saw every request the results count",
            case.fault
        );
    }
}

/// reqwest's messages are its own, and its `read_timeout` bounds the wait for a whole response
/// head from the request's start (the direct client's bounds each wait for bytes): a trickled
/// head or an unread upload end at 100 ms there, at the request timeout here. The kinds are the
/// same. (The server's count is not compared: a request that times out within 100 ms of its
/// connect may not have reached the server yet.)
#[test]
fn reqwest_meets_each_fault_with_the_same_kind() {
    let _serial = serial();
    for case in cases() {
        let (outcome, grown) = run_case(&case, HttpClient::Reqwest);
        check(&case, HttpClient::Reqwest, &outcome, grown);
    }
}

#[test]
fn a_body_longer_than_its_content_length_is_not_taken_for_the_next_answer() {
    let _serial = serial();
    for client in [HttpClient::Direct, HttpClient::Reqwest] {
        let outcome = run_against(Fault::LongBody, false, |target: &str| Overrides {
            http_client: Some(client),
            ..overrides(target)
        });
        let totals = requests(&outcome.results);
        assert_eq!(totals.failures, 0, "{client:?}: {:?}", totals.errors);
        assert_eq!(totals.count, REQUESTS);
        assert_eq!(totals.status_codes.get("200"), Some(&REQUESTS));
        assert_eq!(outcome.server_requests, REQUESTS);
        // The bytes after `ok` would have answered the next request as a 500: each request
        // went over a fresh connection instead.
        assert_eq!(outcome.server_connections, REQUESTS, "{client:?}");
        assert!(
            outcome.took < time_bound(),
            "{client:?}: {:?}",
            outcome.took
        );
    }
}

#[test]
fn the_default_limit_refuses_a_10_gib_body_at_its_head() {
    let _serial = serial();
    for client in [HttpClient::Direct, HttpClient::Reqwest] {
        let outcome = run_against(Fault::HugeLength, false, |target: &str| Overrides {
            http_client: Some(client),
            ..overrides(target)
        });
        let totals = requests(&outcome.results);
        assert_eq!(
            error_kinds(&outcome.results),
            vec![(ErrorKind::Io, REQUESTS)],
            "{client:?}"
        );
        assert!(
            totals.errors[0]
                .sample
                .contains("response body larger than 64 MiB (--max-response-body)"),
            "{client:?}: {}",
            totals.errors[0].sample
        );
        // Not waited for: a read timeout (100 ms) per request would show.
        assert!(
            outcome.took < Duration::from_secs(2),
            "{client:?}: {:?}",
            outcome.took
        );
    }
}

/// `/sized/{n}`: `n` bytes with their `content-length`; `/streamed`: 2 MiB in 64 KiB pieces
/// without one.
fn bodies() -> Router {
    Router::new()
        .route(
            "/sized/{n}",
            get(|Path(n): Path<usize>| async move {
                ([(header::CONTENT_LENGTH, n.to_string())], vec![b'x'; n])
            }),
        )
        .route(
            "/streamed",
            get(|| async {
                let pieces = (0..32).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024]));
                axum::body::Body::from_stream(futures::stream::iter(pieces))
            }),
        )
}

#[test]
fn http2_bodies_past_the_limit_fail_their_stream() {
    let _serial = serial();
    let server = ServedRouter::start("h2c-bodies", bodies()).unwrap();
    let at_limit = format!("/sized/{LIMIT}");
    let past_limit = format!("/sized/{}", LIMIT + 1);
    let cases = [
        (at_limit, None),
        (
            past_limit,
            Some(format!("its content-length is {} bytes", LIMIT + 1)),
        ),
        (
            "/streamed".to_owned(),
            Some("response body larger than 1 MiB (--max-response-body)".to_owned()),
        ),
    ];
    for (path, phrase) in cases {
        let target = path.clone();
        let scenario = Scenario::builder("h2-bodies")
            .threads([1])
            .iterations(ITERATIONS)
            .request_timeout(Duration::from_secs(5))
            .build(async move |user: &mut User| -> Result<(), Failure> {
                user.get(&target).send().await?;
                Ok(())
            });
        let overrides = Overrides {
            http_version: Some(HttpVersion::Http2),
            max_response_body: Some(LIMIT),
            ..overrides(&server.base_url())
        };
        let results = run_silently(&[scenario], &overrides).expect("the run completes");
        assert_eq!(results.plan.http_version, "2");
        let totals = requests(&results);
        assert_eq!(totals.count, u64::from(ITERATIONS), "{path}");
        match phrase {
            None => {
                assert_eq!(totals.failures, 0, "{path}: {:?}", totals.errors);
                assert_eq!(
                    totals.bytes_received,
                    u64::from(ITERATIONS) * LIMIT,
                    "{path}"
                );
            }
            Some(phrase) => {
                assert_eq!(
                    error_kinds(&results),
                    vec![(ErrorKind::Io, u64::from(ITERATIONS))],
                    "{path}: {:?}",
                    totals.errors
                );
                assert!(
                    totals.errors[0].sample.contains(&phrase),
                    "{path}: {}",
                    totals.errors[0].sample
                );
            }
        }
    }
}
