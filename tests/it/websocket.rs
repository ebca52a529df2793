//! WebSocket from scenarios against a real server (plain and TLS): the upgrade and every
//! exchange recorded and timed (counts equal what the server counted), criteria on message
//! latencies, and the failures — a refused upgrade, a close from the server, a protocol error,
//! a silent server — classified with their messages, never a hang.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use loadspec::prelude::*;
use loadspec::results::model::{LabelSummary, RunResults};
use loadspec::results::phases::Phase;
use loadspec::{ErrorKind, Scenario};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{TestCa, Validity, WsServer, full_run, run_silently};

fn label<'r>(results: &'r RunResults, name: &str) -> &'r LabelSummary {
    results.steps[0].scenarios[0]
        .requests
        .iter()
        .find(|l| l.label == name)
        .unwrap_or_else(|| panic!("no label {name}"))
}

/// Each iteration: connect to `/echo`, three echoes, read nothing else, close.
fn echoes(users: u32, iterations: u32) -> Scenario {
    Scenario::builder("echoes")
        .threads([users])
        .iterations(iterations)
        .build(async |user: &mut User| {
            let mut socket = user.websocket("/echo").label("socket").connect().await?;
            for n in 0..3 {
                let text = format!("hello {n}");
                let answer = socket.exchange("echo", &text).await?;
                if answer.text() != Some(text.as_str()) {
                    return Err(Failure::check(format!("echoed {answer:?}")));
                }
            }
            socket.close().await
        })
}

#[test]
fn exchanges_are_recorded_like_requests_and_equal_the_servers_counts() {
    for tls in [false, true] {
        let ca = TestCa::new().unwrap();
        let ca_file =
            std::env::temp_dir().join(format!("loadspec-ws-{}-{tls}.pem", std::process::id()));
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let cert = tls.then(|| ca.issue(&["127.0.0.1"], Validity::Current).unwrap());
        let server = WsServer::start(cert).unwrap();
        let plan = Overrides {
            ca_cert: Some(ca_file.clone()),
            ..full_run(&server.base_url())
        };
        let results = run_silently(&[echoes(2, 3)], &plan).unwrap();
        let _ = std::fs::remove_file(&ca_file);
        let socket = label(&results, "socket");
        assert_eq!(
            (socket.count, socket.failures),
            (6, 0),
            "{tls}: {:?}",
            socket.errors
        );
        assert_eq!(socket.status_codes.get("101"), Some(&6));
        let echo = label(&results, "echo");
        assert_eq!(
            (echo.count, echo.failures),
            (18, 0),
            "{tls}: {:?}",
            echo.errors
        );
        assert_eq!(server.counters().upgrades.load(Ordering::Relaxed), 6);
        assert_eq!(server.counters().received.load(Ordering::Relaxed), 18);
        assert!(echo.p50_ms > 0.0);
        let phases = socket.phases.as_ref().unwrap();
        assert_eq!(phases.phases[&Phase::Connect].count, 6);
        assert_eq!(
            phases.phases.get(&Phase::Tls).map(|p| p.count),
            tls.then_some(6),
            "{tls}: a handshake per socket over TLS"
        );
        assert_eq!(phases.phases[&Phase::Wait].count, 6, "the upgrade's wait");
        let iterations = &results.steps[0].scenarios[0].iterations;
        assert_eq!(iterations.failures, 0, "{tls}: {:?}", iterations.errors);
    }
}

#[test]
fn messages_pushed_by_the_server_are_received_in_order_and_timed() {
    let server = WsServer::start(None).unwrap();
    let scenario =
        Scenario::builder("ticks")
            .threads([1])
            .iterations(1)
            .build(async |user: &mut User| {
                let mut socket = user.websocket("/ticks").connect().await?;
                for n in 0..5 {
                    let tick = socket.receive("tick").await?;
                    if tick.text() != Some(format!("tick {n}").as_str()) {
                        return Err(Failure::check(format!("got {tick:?}")));
                    }
                }
                socket.close().await
            });
    let results = run_silently(&[scenario], &full_run(&server.base_url())).unwrap();
    let tick = label(&results, "tick");
    assert_eq!((tick.count, tick.failures), (5, 0), "{:?}", tick.errors);
    // Ticks come 20 ms apart: the later receives wait about that long.
    assert!(tick.max_ms >= 15.0, "{}", tick.max_ms);
    assert!(label(&results, "WS /ticks").count == 1, "the default label");
}

/// One socket to `path`; `send` (if any) is exchanged, else one receive.
fn one(path: &'static str, send: Option<&'static str>) -> Scenario {
    Scenario::builder("faulty")
        .threads([1])
        .iterations(1)
        .request_timeout(Duration::from_millis(500))
        .build(async move |user: &mut User| {
            let mut socket = user.websocket(path).label("socket").connect().await?;
            match send {
                Some(text) => socket.exchange("message", text).await?,
                None => socket.receive("message").await?,
            };
            Ok(())
        })
}

#[test]
fn websocket_failures_are_classified_with_their_reasons() {
    for (path, send, failed_label, kind, words) in [
        (
            "/reject",
            None,
            "socket",
            ErrorKind::Http4xx,
            "answered 403 instead of switching protocols (101)",
        ),
        (
            "/echo",
            Some("bye"),
            "message",
            ErrorKind::Reset,
            "the server closed the WebSocket (1011 Error: going away)",
        ),
        (
            "/garbage",
            None,
            "message",
            ErrorKind::Io,
            "WebSocket protocol error",
        ),
        (
            "/silent",
            None,
            "message",
            ErrorKind::Timeout,
            "receiving: no message within 500ms",
        ),
    ] {
        let server = WsServer::start(None).unwrap();
        let started = std::time::Instant::now();
        let results = run_silently(&[one(path, send)], &full_run(&server.base_url())).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path}: no hang"
        );
        let failed = label(&results, failed_label);
        assert_eq!(failed.failures, 1, "{path}: {failed:?}");
        let error = &failed.errors[0];
        assert_eq!(error.kind, kind, "{path}: {}", error.sample);
        assert!(error.sample.contains(words), "{path}: {}", error.sample);
        assert_eq!(results.steps[0].scenarios[0].iterations.failures, 1);
    }
}

#[test]
fn criteria_judge_message_latencies() {
    use loadspec::criteria::{Criterion, Metric, Scope, Verdict};
    let server = WsServer::start(None).unwrap();
    let scenario = Scenario::builder("judged")
        .threads([1])
        .iterations(2)
        .criterion(
            Criterion::new(Scope::Request("tick".to_owned()), Metric::Max, 2.0)
                .threshold(4.0)
                .named("tick max"),
        )
        .criterion(
            Criterion::new(Scope::Request("echo".to_owned()), Metric::P95, 500.0)
                .threshold(1000.0)
                .named("echo p95"),
        )
        .build(async |user: &mut User| {
            let mut socket = user.websocket("/ticks").connect().await?;
            for _ in 0..5 {
                socket.receive("tick").await?;
            }
            socket.close().await?;
            let mut echo = user.websocket("/echo").connect().await?;
            echo.exchange("echo", "ping").await?;
            echo.close().await
        });
    let criteria = vec![("judged".to_owned(), scenario.criteria())];
    let results = run_silently(&[scenario], &full_run(&server.base_url())).unwrap();
    let report = loadspec::criteria::evaluate(&results, &criteria);
    let verdicts: Vec<(String, Verdict)> = report
        .rows
        .iter()
        .map(|r| (r.title.clone(), r.cells[0].verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("tick max".to_owned(), Verdict::Fail),
            ("echo p95".to_owned(), Verdict::Pass)
        ],
        "ticks 20 ms apart fail a 2 ms max; a loopback echo passes 500 ms"
    );
}

/// A message larger than `--max-response-body` fails its receive as `io` naming the flag, and
/// is never held whole: the echo of 1 MiB + 1 byte at a 1 MiB limit fails, one of exactly
/// 1 MiB passes. The results record the limit (`plan.max_response_body`).
#[test]
fn a_message_larger_than_the_body_limit_fails_as_io_naming_the_flag() {
    const LIMIT: u64 = 1 << 20;
    for (size, fails) in [(LIMIT, false), (LIMIT + 1, true), (4 * LIMIT, true)] {
        let server = WsServer::start(None).unwrap();
        let scenario = Scenario::builder("large")
            .threads([1])
            .iterations(1)
            .request_timeout(Duration::from_secs(5))
            .build(async move |user: &mut User| {
                let mut socket = user.websocket("/echo").label("socket").connect().await?;
                let bytes = vec![b'x'; usize::try_from(size).unwrap()];
                socket.send_binary(&bytes).await?;
                let echoed = socket.receive("echo").await?;
                drop(echoed);
                socket.close().await
            });
        let plan = Overrides {
            max_response_body: Some(LIMIT),
            ..full_run(&server.base_url())
        };
        let started = std::time::Instant::now();
        let results = run_silently(&[scenario], &plan).unwrap();
        let took = started.elapsed();
        assert_eq!(results.plan.max_response_body, Some(LIMIT));
        let echo = label(&results, "echo");
        assert_eq!(echo.count, 1, "{size}");
        eprintln!(
            "websocket message of {size} bytes at a {LIMIT}-byte limit: {} failure(s) {:?}, run {took:?}",
            echo.failures,
            echo.errors.first().map(|e| (e.kind, e.sample.as_str()))
        );
        if fails {
            assert_eq!(echo.failures, 1, "{size}: {:?}", echo.errors);
            let error = &echo.errors[0];
            assert_eq!(error.kind, ErrorKind::Io, "{size}: {}", error.sample);
            assert!(
                error
                    .sample
                    .contains("larger than 1 MiB (--max-response-body"),
                "{size}: {}",
                error.sample
            );
        } else {
            assert_eq!(echo.failures, 0, "{size}: {:?}", echo.errors);
        }
        assert_eq!(server.counters().received.load(Ordering::Relaxed), 1);
        assert!(took < Duration::from_secs(5), "{size}: {took:?}");
    }
}
