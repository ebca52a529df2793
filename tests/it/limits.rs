//! Rate limits and account lockouts as findings: against an in-process target with a known
//! fixed-window limit and a login that locks after 5 failures, the findings' numbers must be
//! the ones the server counted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use loadspec::{Failure, Scenario, User};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{LOCKOUT_AFTER, TestServer, full_run, run_silently};

use crate::support::serial;

#[test]
fn a_fixed_window_limit_is_named_with_the_numbers_the_server_counted() {
    let _serial = serial();
    let server = TestServer::start().unwrap();
    // 30 requests per 3 s window, from the first request; about 130 requests a second offered
    // over 4 s: the first window's 30 get through, then 429s until the second window's 30.
    let scenario = Scenario::builder("throttled")
        .threads([2])
        .think_time(Duration::from_millis(5), Duration::from_millis(10))
        .build(async |user: &mut User| {
            let _ = user.get("/limited/30/3000").send().await;
            Ok::<(), Failure>(())
        });
    let overrides = Overrides {
        hold: Some(Duration::from_secs(4)),
        workers: Some(1),
        ..full_run(&server.base_url())
    };
    let results = run_silently(&[scenario], &overrides).unwrap();
    let c = server.counters();
    let accepted = c.limited_accepted.load(Ordering::SeqCst);
    let rejected = c.limited_rejected.load(Ordering::SeqCst);
    let before_first = c.limited_before_first_rejection.load(Ordering::SeqCst);
    assert_eq!(before_first, 30, "the server's own count");
    assert!(rejected > 100, "the load was over the limit: {rejected}");
    assert!(
        (60..=90).contains(&accepted),
        "two or three windows: {accepted}"
    );

    // What was recorded: every 429 in the time series, the first one's answer and headers.
    let step = &results.steps[0];
    let s = &step.scenarios[0];
    let series_requests: u64 = s.time_series.iter().map(|p| p.requests).sum();
    let series_limited: u64 = s.time_series.iter().map(|p| p.rate_limited).sum();
    assert_eq!(series_requests, accepted + rejected);
    assert_eq!(series_limited, rejected);
    let first = s.rate_limit.as_ref().expect("the first 429 is kept");
    assert!(first.message.contains("Rate limit exceeded"), "{first:?}");
    assert_eq!(
        first.headers.get("x-ratelimit-limit").map(String::as_str),
        Some("30")
    );
    assert!(first.retry_after.is_some(), "{first:?}");
    assert!(
        first.at_s >= step.offset_s && first.at_s < step.offset_s + 1.0,
        "{first:?}"
    );

    // The finding states the server's numbers.
    let findings = loadspec::report::limit_findings(&results);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let text = &findings[0];
    let total = accepted + rejected;
    assert!(
        text.starts_with(&format!(
            "The target rate-limited this load generator: {rejected} of {total} requests ("
        )),
        "{text}"
    );
    assert!(
        text.contains("were answered 429 Too Many Requests (\"Rate limit exceeded\"), first ")
            && text.contains("into the run in step 1 (2 threads)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "; {before_first} requests got through in the "
        )) && text.contains(&format!(
            "from the start of the run up to the first 429 — a limit of about {before_first} requests from this address"
        )),
        "{text}"
    );
    assert!(
        text.contains("Its answer carried Retry-After: ") && text.contains("X-RateLimit-Limit: 30"),
        "{text}"
    );
    assert!(
        text.ends_with("spread the load over several source addresses."),
        "{text}"
    );

    // The same sentence in summary.md and the report; the step's own line on the console.
    let markdown = loadspec::report::markdown_summary(&results, None);
    assert!(markdown.contains(&format!("- ⚠️ {text}")), "{markdown}");
    let html = loadspec::report::render_html(&results, &[]).unwrap();
    assert!(
        html.contains(&format!("{rejected} of {total} requests"))
            && html.contains(&format!("{before_first} requests got through")),
        "the report's findings"
    );
    let table = loadspec_runner::console::step_table(step);
    assert!(
        table.contains(&format!(
            "  ! RATE-LIMITED: {rejected} of {total} requests of this step"
        )),
        "{table}"
    );
}

#[test]
fn a_login_lockout_is_named_though_the_first_failures_said_something_else() {
    let server = TestServer::start().unwrap();
    // 2 users × 4 logins: the server's first 5 attempts fail with "Invalid credentials", the
    // last 3 with the lockout.
    let scenario = Scenario::builder("logins")
        .threads([2])
        .iterations(4)
        .build(async |user: &mut User| {
            user.transaction("login", async |tx| {
                tx.graphql("mutation Login { tokenAuth }", serde_json::json!({}))
                    .send()
                    .await?;
                Ok(())
            })
            .await
        });
    let results = run_silently(&[scenario], &full_run(&server.base_url())).unwrap();
    let logins = server.counters().logins.load(Ordering::SeqCst);
    assert_eq!(logins, 8);
    let locked = logins - LOCKOUT_AFTER;
    let s = &results.steps[0].scenarios[0];
    let tx = &s.transactions[0];
    assert_eq!(tx.failures, 8);
    // A transaction's error names the request that failed it.
    assert_eq!(
        tx.errors[0].sample,
        "GraphQL Login (POST /graphql): GraphQL error: Invalid credentials"
    );
    assert_eq!(tx.lockouts.as_ref().map(|l| l.count), Some(locked));
    assert_eq!(
        s.requests[0].lockouts.as_ref().map(|l| l.count),
        Some(locked)
    );
    let findings = loadspec::report::limit_findings(&results);
    assert_eq!(
        findings,
        [format!(
            "Logins were locked out: {locked} transactions failed with \"Too many failed \
             attempts.Try again in 5 minutes.\" (transaction login, from step 1) — the target \
             locks an account after repeated failed logins; a load test must log in with valid \
             credentials, one account per user or few enough logins per account to stay below \
             the lockout, and the locked accounts stay locked until their lockout expires or is \
             reset."
        )]
    );
    let table = loadspec_runner::console::step_table(&results.steps[0]);
    assert!(
        table.contains(&format!(
            "! LOCKED OUT · login · {locked} failures say an account was locked"
        )),
        "{table}"
    );
}
