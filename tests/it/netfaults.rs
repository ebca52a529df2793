//! Network faults made by the kernel, not by a server that misbehaves: each test makes a
//! network namespace of its own (`loadspec_suite::NetNs`), runs the target and the load in
//! it over its `127.0.0.1`, and puts the fault on that namespace's `lo` — a token bucket
//! (`tc qdisc … tbf`) for a slow link, netem for delay, jitter, loss, reordering,
//! duplication and corruption (where the kernel has it) and an NFQUEUE the test reads for the
//! same faults (on every kernel), nftables for random drops, duplicated packets and `reject
//! with tcp reset`. For each: the failures' kinds, every
//! request within its timeout, the run ending in bounded time, the peak memory up by less
//! than 256 MiB, every request in results.json, and the target's count of requests equal to
//! what the results say.
//!
//! Without root or network namespaces each test prints `SKIPPED netfaults: …` and passes,
//! unless `LOADSPEC_REQUIRE_NETNS=1` (CI); without netem the netem tests do the same unless
//! `LOADSPEC_REQUIRE_NETEM=1`. `cargo test --test it netfaults -- --nocapture` prints the
//! figures docs/resilience.md's table quotes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use loadspec::results::model::{LabelSummary, RunResults, StepStatus};
use loadspec::{ErrorKind, Failure, Scenario, User};
use loadspec_runner::plan::Overrides;
use loadspec_suite::{NetNs, PacketQueue, QueueFault, QueueStats, ServedRouter, run_silently};

use crate::support::{fault_overrides, peak_rss, reset_peak_rss, serial};

const USERS: u32 = 2;
/// The response body of most tests: a few dozen segments at the namespace's MTU of 1500.
const BODY: usize = 16 * 1024;

/// `/bytes/{n}`: `n` bytes (at most 1 MiB), each request counted once it reached the handler.
fn target(requests: Arc<AtomicU64>) -> Router {
    Router::new().route(
        "/bytes/{n}",
        get(move |Path(n): Path<usize>| {
            let requests = Arc::clone(&requests);
            async move {
                requests.fetch_add(1, Ordering::SeqCst);
                vec![b'x'; n.min(1 << 20)]
            }
        }),
    )
}

/// `USERS` users, each getting `/bytes/{body}` `iterations` times (or for `hold`, when set).
fn scenario(
    name: &str,
    body: usize,
    iterations: Option<u32>,
    request_timeout: Duration,
) -> Scenario {
    let path = format!("/bytes/{body}");
    let builder = Scenario::builder(name)
        .threads([USERS])
        .request_timeout(request_timeout);
    let builder = match iterations {
        Some(n) => builder.iterations(n),
        None => builder,
    };
    builder.build(async move |user: &mut User| -> Result<(), Failure> {
        user.get(&path).send().await?;
        Ok(())
    })
}

/// What one run in a namespace showed.
struct Outcome {
    results: RunResults,
    took: Duration,
    /// Requests the target's handler saw.
    server_requests: u64,
    /// What the peak resident memory of this process grew by during the run.
    rss_grown: u64,
}

impl Outcome {
    fn totals(&self) -> &LabelSummary {
        &self.results.steps[0].scenarios[0].total_requests
    }

    fn kinds(&self) -> Vec<(ErrorKind, u64)> {
        self.totals()
            .errors
            .iter()
            .map(|e| (e.kind, e.count))
            .collect()
    }

    fn failures_of(&self, kind: ErrorKind) -> u64 {
        self.kinds()
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }

    /// One line of figures, for the docs' table (`--nocapture` shows it).
    fn show(&self, fault: &str) {
        let t = self.totals();
        eprintln!(
            "netfaults: {fault}: {} requests, {} failures {:?}, min {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; the target saw {}; run {:.2} s; peak RSS +{} KiB",
            t.count,
            t.failures,
            self.kinds(),
            t.min_ms,
            t.p50_ms,
            t.p99_ms,
            t.max_ms,
            self.server_requests,
            self.took.as_secs_f64(),
            self.rss_grown >> 10
        );
        for error in &t.errors {
            eprintln!(
                "netfaults:   {:?} × {}: {}",
                error.kind, error.count, error.sample
            );
        }
    }

    /// Heavy loss: `USERS × iterations` requests, every failure a `timeout`, none past its
    /// timeout, the run within the timeouts it could take, the target's count between the
    /// successes and all requests, and results.json whole.
    fn assert_only_timeouts_within(&self, timeout: Duration, iterations: u32) {
        assert_eq!(self.totals().count, u64::from(USERS * iterations));
        self.assert_failures_are_timeouts_of(timeout);
        assert!(
            self.took < timeout * iterations + Duration::from_secs(3),
            "{:?}",
            self.took
        );
        self.assert_target_saw_the_successes_at_least();
        self.check_results_json();
    }

    /// Every failure a `timeout`, and no request past `timeout` (give or take a scheduler's
    /// delay).
    fn assert_failures_are_timeouts_of(&self, timeout: Duration) {
        let totals = self.totals();
        assert_eq!(
            self.failures_of(ErrorKind::Timeout),
            totals.failures,
            "only timeouts: {:?}",
            totals.errors
        );
        assert!(
            totals.max_ms < timeout.as_secs_f64() * 1000.0 + 300.0,
            "no request outlived its timeout: {} ms",
            totals.max_ms
        );
    }

    /// The target saw every request that succeeded, and at most all of them: a request whose
    /// answer was lost reached it and still failed.
    fn assert_target_saw_the_successes_at_least(&self) {
        let totals = self.totals();
        let succeeded = totals.count - totals.failures;
        assert!(
            (succeeded..=totals.count).contains(&self.server_requests),
            "the target saw {} of {} requests, {succeeded} succeeded",
            self.server_requests,
            totals.count
        );
    }

    /// The run ended as planned, and every request it counted is in its results.json:
    /// written, read back, the same totals.
    fn check_results_json(&self) {
        assert_eq!(
            self.results.steps[0].status,
            StepStatus::Completed,
            "{:?}",
            self.results.steps[0].status_reason
        );
        static WRITTEN: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "loadspec-netfaults-{}-{}",
            std::process::id(),
            WRITTEN.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("results.json");
        loadspec::results::write_json(&path, &self.results).unwrap();
        let back = loadspec::results::load(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let (stored, ran) = (&back.steps[0].scenarios[0].total_requests, self.totals());
        assert_eq!(
            (stored.count, stored.failures),
            (ran.count, ran.failures),
            "results.json holds every request"
        );
        let stored_errors: u64 = stored.errors.iter().map(|e| e.count).sum();
        assert_eq!(stored_errors, ran.failures, "every failure is classified");
    }
}

/// Starts the target and runs `scenario` in `ns`; `during` runs on a thread of its own
/// meanwhile (to change the fault in the middle of the run).
fn run_in(
    ns: &NetNs,
    scenario: Scenario,
    overrides: impl FnOnce(&str) -> Overrides + Send,
    during: impl FnOnce() + Send,
) -> Outcome {
    ns.enter(move || {
        let requests = Arc::new(AtomicU64::new(0));
        let server =
            ServedRouter::start("netfaults-target", target(Arc::clone(&requests))).unwrap();
        let overrides = overrides(&server.base_url());
        std::thread::scope(|scope| {
            let changes = scope.spawn(during);
            reset_peak_rss();
            let peak_before = peak_rss();
            let started = Instant::now();
            let results = run_silently(&[scenario], &overrides).expect("the run completes");
            let took = started.elapsed();
            let rss_grown = peak_rss().saturating_sub(peak_before);
            changes.join().unwrap();
            let outcome = Outcome {
                results,
                took,
                server_requests: requests.load(Ordering::SeqCst),
                rss_grown,
            };
            assert!(
                outcome.rss_grown < 256 << 20,
                "the peak resident memory grew by {} MiB",
                outcome.rss_grown >> 20
            );
            outcome
        })
    })
    .unwrap()
}

fn nothing() {}

/// The namespace's `lo` with an nftables table `netfaults` whose input chain holds `rules`:
/// every packet on `lo` crosses it once, on its way in.
fn input_rules(rules: &str) -> String {
    format!(
        "table inet netfaults {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n    {rules}\n  }}\n}}\n"
    )
}

fn drop_table(ns: &NetNs) {
    ns.nft_cmd(&["delete", "table", "inet", "netfaults"])
        .unwrap();
}

/// No failure, and the target saw each request the results count.
fn check_clean(outcome: &Outcome, fault: &str) {
    let totals = outcome.totals();
    assert_eq!(totals.failures, 0, "{fault}: {:?}", totals.errors);
    assert_eq!(
        outcome.server_requests, totals.count,
        "{fault}: the target saw every request the results count"
    );
    outcome.check_results_json();
}

/// A token bucket of 8 Mbit/s on `lo`: each 64 KiB response takes its transfer time, about
/// 65 ms, longer; both users share the link. The traffic really crosses the namespace's `lo`.
#[test]
fn a_slow_link_adds_each_response_s_transfer_time() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("slow link (tbf)") else {
        return;
    };
    const SLOW_BODY: usize = 64 * 1024;
    const ITERATIONS: u32 = 10;
    let run = |ns: &NetNs| {
        run_in(
            ns,
            scenario(
                "slow-link",
                SLOW_BODY,
                Some(ITERATIONS),
                Duration::from_secs(10),
            ),
            fault_overrides,
            nothing,
        )
    };
    let baseline = run(&ns);
    baseline.show("no fault, 64 KiB bodies");
    ns.set_qdisc("tbf rate 8mbit burst 16kb latency 2s")
        .unwrap();
    let slowed = run(&ns);
    slowed.show("tbf rate 8mbit, 64 KiB bodies");
    check_clean(&baseline, "baseline");
    check_clean(&slowed, "tbf");
    let transfer_ms = SLOW_BODY as f64 * 8.0 / 8e6 * 1000.0;
    let (before, after) = (baseline.totals(), slowed.totals());
    assert!(before.p50_ms < 30.0, "baseline p50 {} ms", before.p50_ms);
    // At least about one transfer time more (the bucket's 16 KiB burst comes free); at most both users' transfers and some.
    let added = after.p50_ms - before.p50_ms;
    assert!(
        added > 0.8 * transfer_ms && added < 2.0 * f64::from(USERS) * transfer_ms,
        "the slow link added {added:.1} ms to p50 ({transfer_ms:.1} ms per transfer)"
    );
    assert!(
        after.min_ms > 0.5 * transfer_ms,
        "even the fastest request waited for its bytes: {} ms",
        after.min_ms
    );
}

/// nftables drops 5 % of the packets at random: TCP retransmits them, which shows as a tail
/// (p99 up), never as a failure within a generous request timeout; the counts stay equal.
#[test]
fn random_loss_is_a_tail_of_retransmissions_not_failures() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("5 % loss (nft numgen)") else {
        return;
    };
    const ITERATIONS: u32 = 100;
    let run = |ns: &NetNs| {
        run_in(
            ns,
            scenario("loss", BODY, Some(ITERATIONS), Duration::from_secs(30)),
            fault_overrides,
            nothing,
        )
    };
    let baseline = run(&ns);
    baseline.show("no fault, 16 KiB bodies");
    let before = ns.tcp_counters().unwrap();
    ns.nft(&input_rules("numgen random mod 100 < 5 counter drop"))
        .unwrap();
    let lossy = run(&ns);
    let after = ns.tcp_counters().unwrap();
    lossy.show("nft 5 % random drop, 16 KiB bodies");
    let retransmitted = after["Tcp.RetransSegs"] - before["Tcp.RetransSegs"];
    eprintln!(
        "netfaults: 5 % loss: {retransmitted} segments retransmitted; {}",
        ns.nft_cmd(&["list", "table", "inet", "netfaults"])
            .unwrap()
            .lines()
            .find(|l| l.contains("counter"))
            .unwrap_or("")
            .trim()
    );
    check_clean(&baseline, "baseline");
    check_clean(&lossy, "5 % loss");
    assert_eq!(lossy.totals().count, u64::from(USERS * ITERATIONS));
    assert!(retransmitted > 0, "the drops were retransmitted");
    assert!(
        lossy.totals().p99_ms > baseline.totals().p99_ms + 5.0,
        "retransmissions make a tail: p99 {} ms against {} ms",
        lossy.totals().p99_ms,
        baseline.totals().p99_ms
    );
}

/// nftables duplicates a tenth of the packets (`dup to 127.0.0.1`): TCP drops the copies
/// (a DSACK says so), nothing fails, nothing is counted twice.
#[test]
fn duplicated_packets_are_not_duplicated_requests() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("duplication (nft dup)") else {
        return;
    };
    const ITERATIONS: u32 = 50;
    // In the output chain of the `ip` family: `dup` has no `inet` form. A copy passes the
    // chain again, so 10 % of copies are copied again: about 11 % extra packets in all.
    ns.nft(
        "table ip netfaults {\n  chain output {\n    type filter hook output priority 0; policy accept;\n    numgen random mod 100 < 10 counter dup to 127.0.0.1\n  }\n}\n",
    )
    .unwrap();
    let before = ns.tcp_counters().unwrap();
    let outcome = run_in(
        &ns,
        scenario("dup", BODY, Some(ITERATIONS), Duration::from_secs(30)),
        fault_overrides,
        nothing,
    );
    let after = ns.tcp_counters().unwrap();
    outcome.show("nft dup 10 % of packets, 16 KiB bodies");
    let dsacks = after["TcpExt.TCPDSACKOldSent"] - before["TcpExt.TCPDSACKOldSent"];
    eprintln!("netfaults: dup: TCP saw {dsacks} duplicate segments (DSACKs sent)");
    check_clean(&outcome, "dup");
    assert_eq!(outcome.totals().count, u64::from(USERS * ITERATIONS));
    assert!(dsacks > 0, "the copies reached TCP");
}

/// Every packet dropped from the start: no connection is ever made. Each request ends as a
/// `timeout` at the request timeout — not at the 10 s connect timeout, not hung — and the
/// target saw none.
#[test]
fn total_loss_ends_every_request_at_its_timeout() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("100 % loss (nft drop)") else {
        return;
    };
    const ITERATIONS: u32 = 3;
    let timeout = Duration::from_millis(500);
    ns.nft(&input_rules("counter drop")).unwrap();
    let outcome = run_in(
        &ns,
        scenario("blackhole", BODY, Some(ITERATIONS), timeout),
        fault_overrides,
        nothing,
    );
    outcome.show("nft drop every packet, request_timeout 500ms");
    let requests = u64::from(USERS * ITERATIONS);
    assert_eq!(
        outcome.kinds(),
        vec![(ErrorKind::Timeout, requests)],
        "{:?}",
        outcome.totals().errors
    );
    assert_eq!(outcome.server_requests, 0);
    assert!(
        outcome.totals().max_ms < timeout.as_secs_f64() * 1000.0 + 300.0,
        "no request outlived its timeout: {} ms",
        outcome.totals().max_ms
    );
    assert!(
        outcome.took < timeout * ITERATIONS + Duration::from_secs(3),
        "{:?}",
        outcome.took
    );
    outcome.check_results_json();
}

/// Every packet dropped for one second in the middle of a 3-second hold, then let through
/// again: the requests caught in the outage time out at the request timeout, the users go on
/// (over new connections) once it ends, and the target saw every request that succeeded.
#[test]
fn an_outage_of_the_link_times_out_its_requests_and_the_run_recovers() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("1 s of 100 % loss mid-run") else {
        return;
    };
    let timeout = Duration::from_millis(500);
    let hold = Duration::from_secs(3);
    let outcome = run_in(
        &ns,
        scenario("outage", BODY, None, timeout),
        |target| Overrides {
            hold: Some(hold),
            ..fault_overrides(target)
        },
        || {
            std::thread::sleep(Duration::from_millis(1000));
            ns.nft(&input_rules("counter drop")).unwrap();
            std::thread::sleep(Duration::from_millis(1000));
            drop_table(&ns);
        },
    );
    outcome.show("nft drop every packet from 1 s to 2 s of a 3 s hold, request_timeout 500ms");
    let totals = outcome.totals();
    let timeouts = outcome.failures_of(ErrorKind::Timeout);
    assert!(timeouts > 0, "{:?}", totals.errors);
    outcome.assert_failures_are_timeouts_of(timeout);
    // In one second, each user can meet at most a few timeouts of 500 ms.
    assert!(timeouts <= u64::from(USERS) * 4, "{timeouts} timeouts");
    let succeeded = totals.count - totals.failures;
    assert!(
        succeeded > 10,
        "the users went on after the outage: {succeeded}"
    );
    outcome.assert_target_saw_the_successes_at_least();
    assert!(
        outcome.took < hold + Duration::from_secs(3),
        "{:?}",
        outcome.took
    );
    outcome.check_results_json();
}

/// A firewall rule of the namespace, in one of the two tools.
#[derive(Clone, Copy)]
enum Rule<'a> {
    /// A rule of [`input_rules`]' chain.
    Nft(&'a str),
    /// `iptables -A INPUT <args>`.
    Iptables(&'a [&'a str]),
}

impl Rule<'_> {
    fn tool(self) -> &'static str {
        match self {
            Rule::Nft(_) => "nft",
            Rule::Iptables(_) => "iptables",
        }
    }

    /// Puts the rule in `ns`; where iptables is missing, says so ([`NetNs::unavailable`]) and
    /// returns false.
    fn apply(self, ns: &NetNs, test: &str) -> bool {
        match self {
            Rule::Nft(rule) => {
                ns.nft(&input_rules(rule)).unwrap();
                true
            }
            Rule::Iptables(args) => {
                let mut all = vec!["-A", "INPUT"];
                all.extend_from_slice(args);
                match ns.iptables(&all) {
                    Ok(_) => true,
                    Err(reason) => {
                        NetNs::unavailable(test, &reason);
                        false
                    }
                }
            }
        }
    }
}

/// Runs `check` in a namespace of its own under each of `rules` (`what` names the fault in
/// the skip lines): a rule whose tool this machine lacks is skipped with a visible line.
fn under_each_rule(what: &str, rules: &[Rule<'_>], mut check: impl FnMut(&NetNs, Rule<'_>, &str)) {
    for &rule in rules {
        let test = format!("{what} ({} reject)", rule.tool());
        let Some(ns) = NetNs::or_skip(&test) else {
            return;
        };
        if rule.apply(&ns, &test) {
            check(&ns, rule, &test);
        }
    }
}

/// A RST for every new connection (the SYN answered by it), by nftables' `reject with tcp
/// reset` and by iptables' `REJECT --reject-with tcp-reset`: `connect`, "connection
/// refused", and nothing reached the target.
#[test]
fn connections_reset_at_the_syn_are_refused_connects() {
    let _serial = serial();
    const ITERATIONS: u32 = 3;
    let rules = [
        Rule::Nft("tcp flags syn ct state new counter reject with tcp reset"),
        Rule::Iptables(&[
            "-p",
            "tcp",
            "--syn",
            "-j",
            "REJECT",
            "--reject-with",
            "tcp-reset",
        ]),
    ];
    under_each_rule("tcp reset of new connections", &rules, |ns, rule, test| {
        let outcome = run_in(
            ns,
            scenario("refused", BODY, Some(ITERATIONS), Duration::from_secs(2)),
            fault_overrides,
            nothing,
        );
        outcome.show(&format!(
            "{} reject new connections with tcp reset",
            rule.tool()
        ));
        let requests = u64::from(USERS * ITERATIONS);
        assert_eq!(
            outcome.kinds(),
            vec![(ErrorKind::Connect, requests)],
            "{test}: {:?}",
            outcome.totals().errors
        );
        let sample = &outcome.totals().errors[0].sample;
        assert!(
            sample.to_lowercase().contains("refused"),
            "{test}: {sample}"
        );
        assert_eq!(outcome.server_requests, 0, "{test}");
        assert!(
            outcome.took < Duration::from_secs(3),
            "{test}: {:?}",
            outcome.took
        );
        outcome.check_results_json();
    });
}

/// The same firewall, a 30 s hold and `abort_after_consecutive_errors = 20`: the step stops
/// as a worker's streak reaches 20, `aborted` with its reason, instead of hammering the
/// firewall for 30 s (or even for the second until the coordinator's next tick: thousands of
/// refused connects).
#[test]
fn a_firewall_that_resets_every_connection_aborts_the_step_with_its_reason() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("tcp reset of every connection, abort after 20") else {
        return;
    };
    ns.nft(&input_rules(
        "tcp flags syn ct state new counter reject with tcp reset",
    ))
    .unwrap();
    let path = format!("/bytes/{BODY}");
    let scenario = Scenario::builder("firewalled")
        .threads([USERS])
        .abort_after_consecutive_errors(20)
        .build(async move |user: &mut User| -> Result<(), Failure> {
            user.get(&path).send().await?;
            Ok(())
        });
    let outcome = run_in(
        &ns,
        scenario,
        |target| Overrides {
            hold: Some(Duration::from_secs(30)),
            ..fault_overrides(target)
        },
        nothing,
    );
    outcome.show("nft reject new connections with tcp reset, 30 s hold, abort after 20");
    let step = &outcome.results.steps[0];
    eprintln!(
        "netfaults:   step {:?}: {:?}",
        step.status, step.status_reason
    );
    assert_eq!(step.status, StepStatus::Aborted);
    assert!(
        step.status_reason
            .as_deref()
            .is_some_and(|r| r.contains("could not reach the target")),
        "{:?}",
        step.status_reason
    );
    assert!(
        outcome
            .kinds()
            .iter()
            .all(|(kind, _)| *kind == ErrorKind::Connect),
        "{:?}",
        outcome.totals().errors
    );
    assert_eq!(outcome.server_requests, 0);
    // Each user's worker stops at 20 in a row, give or take what was in flight then.
    assert!(
        outcome.totals().failures <= u64::from(2 * 20 * USERS),
        "{} attempts before the abort",
        outcome.totals().failures
    );
    assert!(step.duration_s < 0.5, "the step ran {} s", step.duration_s);
    assert!(outcome.took < Duration::from_secs(5), "{:?}", outcome.took);
}

/// A RST for every packet a client sends on a connection after its first 4000 bytes
/// (nftables' `ct original bytes`, iptables' `connbytes`): each connection carries a few
/// requests, then the one that crosses the line is answered by the RST instead of the
/// target. Those are `reset`; the users reconnect and go on; the target saw every other
/// request.
#[test]
fn connections_reset_in_the_middle_are_resets_and_the_users_reconnect() {
    let _serial = serial();
    const ITERATIONS: u32 = 30;
    let rules = [
        Rule::Nft("ct direction original ct original bytes > 4000 counter reject with tcp reset"),
        Rule::Iptables(&[
            "-p",
            "tcp",
            "-m",
            "connbytes",
            "--connbytes",
            "4001:",
            "--connbytes-dir",
            "original",
            "--connbytes-mode",
            "bytes",
            "-m",
            "conntrack",
            "--ctdir",
            "ORIGINAL",
            "-j",
            "REJECT",
            "--reject-with",
            "tcp-reset",
        ]),
    ];
    under_each_rule(
        "tcp reset of established connections",
        &rules,
        |ns, rule, test| {
            let outcome = run_in(
                ns,
                scenario("reset", BODY, Some(ITERATIONS), Duration::from_secs(5)),
                fault_overrides,
                nothing,
            );
            outcome.show(&format!(
                "{} reject with tcp reset after 4000 bytes of each connection",
                rule.tool()
            ));
            let totals = outcome.totals();
            let resets = outcome.failures_of(ErrorKind::Reset);
            assert!(resets > 0, "{test}: {:?}", totals.errors);
            assert_eq!(
                resets, totals.failures,
                "{test}: only resets: {:?}",
                totals.errors
            );
            assert_eq!(totals.count, u64::from(USERS * ITERATIONS), "{test}");
            // The request a RST answered never reached the target.
            assert_eq!(
                outcome.server_requests + resets,
                totals.count,
                "{test}: the target's requests and the resets add up to the results' count"
            );
            assert!(
                totals.errors[0].sample.to_lowercase().contains("reset"),
                "{test}: {}",
                totals.errors[0].sample
            );
            outcome.check_results_json();
        },
    );
}

/// 60 % of the packets dropped at random, a 1 s request timeout: most requests cannot finish
/// (a lost SYN is sent again only after 1 s); the failures are all timeouts, none outlives
/// its timeout, and the run ends in bounded time with every request in the results.
#[test]
fn heavy_random_loss_ends_in_timeouts_within_the_request_timeout() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("60 % loss (nft numgen)") else {
        return;
    };
    const ITERATIONS: u32 = 5;
    let timeout = Duration::from_secs(1);
    ns.nft(&input_rules("numgen random mod 100 < 60 counter drop"))
        .unwrap();
    let outcome = run_in(
        &ns,
        scenario("heavy-loss", BODY, Some(ITERATIONS), timeout),
        fault_overrides,
        nothing,
    );
    outcome.show("nft 60 % random drop, request_timeout 1s");
    assert!(outcome.totals().failures > 0, "60 % loss failed nothing");
    outcome.assert_only_timeouts_within(timeout, ITERATIONS);
}

/// A firewall rule added while the run is in flight — `reject with tcp reset` of every packet
/// a client sends on an established connection — and removed half a second later: the open
/// connections are reset, so are the new ones the users make meanwhile (in their
/// handshake), and once the rule is gone the users go on. A request on an open connection
/// answered by the RST is a `reset`; a new connection reset in its handshake fails its
/// connect (ECONNRESET) and is a `connect`, its request never sent — so is the request of a
/// connection found reset before it was written, sent again over a new connection.
#[test]
fn a_reset_rule_added_mid_run_resets_the_open_connections_and_the_run_recovers() {
    let _serial = serial();
    let Some(ns) = NetNs::or_skip("tcp reset rule added mid-run (nft reject)") else {
        return;
    };
    let hold = Duration::from_millis(1500);
    let outcome = run_in(
        &ns,
        scenario("reset-mid-run", BODY, None, Duration::from_secs(2)),
        |target| Overrides {
            hold: Some(hold),
            ..fault_overrides(target)
        },
        || {
            std::thread::sleep(Duration::from_millis(500));
            ns.nft(&input_rules(
                "ct direction original ct state established counter reject with tcp reset",
            ))
            .unwrap();
            std::thread::sleep(Duration::from_millis(500));
            drop_table(&ns);
        },
    );
    outcome.show(
        "nft reject established connections with tcp reset from 0.5 s to 1 s of a 1.5 s hold",
    );
    let totals = outcome.totals();
    let resets = outcome.failures_of(ErrorKind::Reset);
    let connects = outcome.failures_of(ErrorKind::Connect);
    assert!(totals.failures > 0, "the rule reset nothing");
    assert_eq!(
        resets + connects,
        totals.failures,
        "only resets and connects: {:?}",
        totals.errors
    );
    let succeeded = totals.count - totals.failures;
    assert!(succeeded > 10, "the users went on: {succeeded}");
    // A connection reset in its handshake carried no request; one reset while its answer
    // was coming had reached the target.
    assert!(
        (succeeded..=succeeded + resets).contains(&outcome.server_requests),
        "the target saw {} requests: {succeeded} succeeded, {resets} reset",
        outcome.server_requests
    );
    assert!(
        outcome.took < hold + Duration::from_secs(3),
        "{:?}",
        outcome.took
    );
    outcome.check_results_json();
}

// Delay, jitter, reordering, loss and corruption, each made twice: by netem where the kernel
// has it (`LinkFault::Netem`; the kernel these figures come from has none, no
// `CONFIG_NET_SCH_NETEM`, so those skip there with a visible line), and by an NFQUEUE the test
// reads (`LinkFault::Queue`, `loadspec_suite::PacketQueue`), which every kernel with
// netfilter queueing runs. On `lo` both hold every packet, the request's and the response's
// alike: a delay of d adds about 2d to a request over an open connection.

/// A fault on the namespace's `lo` made by netem or by the packet queue.
#[derive(Clone, Copy)]
enum LinkFault {
    /// A netem qdisc, e.g. `netem delay 50ms 10ms`.
    Netem(&'static str),
    /// The packet queue with these settings.
    Queue(QueueFault),
}

/// The namespace for a test of `fault`: netem's tests need a kernel with netem.
fn link_namespace(test: &str, fault: LinkFault) -> Option<NetNs> {
    match fault {
        LinkFault::Netem(_) => NetNs::with_netem_or_skip(test),
        LinkFault::Queue(_) => {
            let ns = NetNs::or_skip(test)?;
            // No iptables, or a kernel without NFQUEUE: said, like a missing namespace.
            match PacketQueue::start(&ns, QueueFault::delay(Duration::ZERO), 0)
                .and_then(PacketQueue::stop)
            {
                Ok(_) => Some(ns),
                Err(reason) => {
                    NetNs::unavailable(test, &format!("no packet queue: {reason}"));
                    None
                }
            }
        }
    }
}

/// A run of `iterations` requests per user for `body` bytes with `fault` on `lo` (none: the
/// baseline), and what the packet queue did, when it made the fault.
fn link_run(
    ns: &NetNs,
    fault: Option<LinkFault>,
    body: usize,
    iterations: u32,
    timeout: Duration,
) -> (Outcome, Option<QueueStats>) {
    let _ = ns.tc(&["qdisc", "del", "dev", "lo", "root"]);
    let queue = match fault {
        Some(LinkFault::Netem(qdisc)) => {
            ns.set_qdisc(qdisc).unwrap();
            None
        }
        Some(LinkFault::Queue(fault)) => Some(PacketQueue::start(ns, fault, 20).unwrap()),
        None => None,
    };
    let outcome = run_in(
        ns,
        scenario("link", body, Some(iterations), timeout),
        fault_overrides,
        nothing,
    );
    let stats = queue.map(|queue| queue.stop().unwrap());
    let shown = match fault {
        Some(LinkFault::Netem(qdisc)) => qdisc.to_owned(),
        Some(LinkFault::Queue(fault)) => fault.describe(),
        None => "no fault (link baseline)".to_owned(),
    };
    outcome.show(&shown);
    if let Some(stats) = stats {
        eprintln!("netfaults:   the queue: {stats:?}");
        assert!(stats.packets > 0, "the packets went through the queue");
    }
    (outcome, stats)
}

/// A delay of 50 ms ± 10 ms under responses of one segment: p50 moves by the added round
/// trip, 100 ms ± 20, and even the fastest request waits 2 × 40 ms more; nothing fails; the
/// counts are equal. (A response of many segments waits for TCP's acknowledgements too: over
/// this link a 16 KiB one takes 2–4 round trips, which the loss test below shows.)
fn check_delay_moves_the_median(test: &str, fault: LinkFault) {
    let _serial = serial();
    let Some(ns) = link_namespace(test, fault) else {
        return;
    };
    const SMALL: usize = 256;
    let (baseline, _) = link_run(&ns, None, SMALL, 10, Duration::from_secs(10));
    let (delayed, _) = link_run(&ns, Some(fault), SMALL, 10, Duration::from_secs(10));
    check_clean(&baseline, "baseline");
    check_clean(&delayed, test);
    let (base, late) = (baseline.totals(), delayed.totals());
    let added = late.p50_ms - base.p50_ms;
    assert!(
        (80.0..140.0).contains(&added),
        "{test}: 2 × (50 ± 10) ms added {added:.1} ms to p50"
    );
    assert!(
        late.min_ms >= base.min_ms + 80.0,
        "{test}: the fastest request took {} ms, against {} ms without the delay",
        late.min_ms,
        base.min_ms
    );
}

#[test]
fn netem_delay_moves_the_median_by_the_added_round_trip() {
    check_delay_moves_the_median(
        "netem delay 50ms 10ms",
        LinkFault::Netem("netem delay 50ms 10ms"),
    );
}

#[test]
fn a_queued_delay_moves_the_median_by_the_added_round_trip() {
    check_delay_moves_the_median(
        "nfqueue delay 50ms 10ms",
        LinkFault::Queue(
            QueueFault::delay(Duration::from_millis(50)).jitter(Duration::from_millis(10)),
        ),
    );
}

/// 5 % loss on a link of 50 ms: retransmissions make a tail (p99 well past the median),
/// nothing fails within a 30 s request timeout, the counts are equal.
fn check_loss_with_delay_is_a_tail(test: &str, fault: LinkFault) {
    let _serial = serial();
    let Some(ns) = link_namespace(test, fault) else {
        return;
    };
    let before = ns.tcp_counters().unwrap();
    let (lossy, stats) = link_run(&ns, Some(fault), BODY, 20, Duration::from_secs(30));
    let after = ns.tcp_counters().unwrap();
    let retransmitted = after["Tcp.RetransSegs"] - before["Tcp.RetransSegs"];
    eprintln!("netfaults:   {retransmitted} segments retransmitted");
    check_clean(&lossy, test);
    let totals = lossy.totals();
    assert!(
        totals.p99_ms > totals.p50_ms + 50.0,
        "a tail of retransmissions: p50 {} ms, p99 {} ms",
        totals.p50_ms,
        totals.p99_ms
    );
    if let Some(stats) = stats {
        assert!(stats.dropped > 0, "{stats:?}");
        assert!(retransmitted > 0, "the drops were retransmitted");
    }
}

#[test]
fn netem_loss_with_delay_is_a_tail_not_failures() {
    check_loss_with_delay_is_a_tail(
        "netem loss 5% delay 50ms",
        LinkFault::Netem("netem delay 50ms 10ms loss 5%"),
    );
}

#[test]
fn queued_loss_with_delay_is_a_tail_not_failures() {
    check_loss_with_delay_is_a_tail(
        "nfqueue loss 5% delay 50ms 10ms",
        LinkFault::Queue(
            QueueFault::delay(Duration::from_millis(50))
                .jitter(Duration::from_millis(10))
                .loss(0.05),
        ),
    );
}

/// Jitter with reordering and corruption (a corrupted segment fails its checksum and is
/// dropped, then retransmitted), and with netem duplication too: failures, if any, are
/// classified, and the counts add up.
fn check_reordering_and_corruption_stay_classified(test: &str, fault: LinkFault) {
    let _serial = serial();
    let Some(ns) = link_namespace(test, fault) else {
        return;
    };
    let before = ns.tcp_counters().unwrap();
    let (outcome, stats) = link_run(&ns, Some(fault), BODY, 20, Duration::from_secs(30));
    // The last verdicts reach TCP through the loopback's backlog, a softirq after the queue
    // has stopped: the checksum counter may catch up a moment later.
    let corrupted = stats.map_or(0, |stats| stats.corrupted);
    let settle = Instant::now() + Duration::from_secs(2);
    let mut after = ns.tcp_counters().unwrap();
    while after["Tcp.InCsumErrors"] - before["Tcp.InCsumErrors"] < corrupted
        && Instant::now() < settle
    {
        std::thread::sleep(Duration::from_millis(10));
        after = ns.tcp_counters().unwrap();
    }
    let grown = |name: &str| after[name] - before[name];
    eprintln!(
        "netfaults:   TCP: {} checksum errors, {} segments queued out of order, {} retransmitted",
        grown("Tcp.InCsumErrors"),
        grown("TcpExt.TCPOFOQueue"),
        grown("Tcp.RetransSegs")
    );
    let totals = outcome.totals();
    assert!(
        outcome
            .kinds()
            .iter()
            .all(|(k, _)| matches!(k, ErrorKind::Timeout | ErrorKind::Reset | ErrorKind::Io)),
        "{:?}",
        totals.errors
    );
    assert!(totals.failures * 20 <= totals.count, "{:?}", totals.errors);
    outcome.assert_target_saw_the_successes_at_least();
    outcome.check_results_json();
    if let Some(stats) = stats {
        assert!(stats.reordered > 0 && stats.corrupted > 0, "{stats:?}");
        assert_eq!(
            grown("Tcp.InCsumErrors"),
            stats.corrupted,
            "the kernel dropped each corrupted segment on its checksum"
        );
        assert!(
            grown("TcpExt.TCPOFOQueue") > 0,
            "TCP reassembled out-of-order segments"
        );
    }
}

#[test]
fn netem_jitter_reordering_duplication_and_corruption_stay_classified() {
    check_reordering_and_corruption_stay_classified(
        "netem reorder duplicate corrupt",
        LinkFault::Netem("netem delay 10ms 5ms reorder 25% 50% duplicate 5% corrupt 1%"),
    );
}

#[test]
fn queued_jitter_reordering_and_corruption_stay_classified() {
    check_reordering_and_corruption_stay_classified(
        "nfqueue reorder corrupt",
        LinkFault::Queue(
            QueueFault::delay(Duration::from_millis(10))
                .jitter(Duration::from_millis(5))
                .reorder(0.25)
                .corrupt(0.02),
        ),
    );
}

/// 60 % loss with a 1 s request timeout: the failures are timeouts, no request outlives its
/// timeout, the run ends in bounded time with every request in the results.
#[test]
fn netem_heavy_loss_ends_in_timeouts_within_the_request_timeout() {
    let _serial = serial();
    let Some(ns) = NetNs::with_netem_or_skip("netem loss 60%") else {
        return;
    };
    const ITERATIONS: u32 = 5;
    let timeout = Duration::from_secs(1);
    let (outcome, _) = link_run(
        &ns,
        Some(LinkFault::Netem("netem loss 60%")),
        BODY,
        ITERATIONS,
        timeout,
    );
    outcome.assert_only_timeouts_within(timeout, ITERATIONS);
}
