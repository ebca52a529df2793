//! loadspec as one generator of the peer benchmark (`../shared/bench/`): `GET <path of $URL>`
//! run through `loadspec::Harness` in full mode, then one `BENCH_JSON {...}` line for the
//! harness's parser.
//!
//! ```sh
//! cargo build --release --example peer_bench
//! URL=http://127.0.0.1:18080/ C=64 D=10 target/release/examples/peer_bench
//! # in the harness (it sets URL, C and D):
//! EXTRA_NAME=loadspec EXTRA_CMD="$PWD/target/release/examples/peer_bench" bench/peers/run.sh tp
//! # open model (the harness's stall phase): a constant arrival rate instead of $C users
//! URL=http://127.0.0.1:18081/stall D=20 target/release/examples/peer_bench --rate 1000/s
//! # HTTPS / HTTP/2 (benches/peers.sh tls, h2 …): loadspec's own variables pass through
//! URL=https://127.0.0.1:18443/ LOADSPEC_CA_CERT=ca.pem target/release/examples/peer_bench
//! ```
//!
//! The harness's variables become loadspec flags, each only when the command line does not set
//! it already: `--target` (scheme, host and port of `$URL`; the path is the request's),
//! `--threads $C` (not with `--rate`), `--hold ${D}s`, `--cooldown 0s`, `--workers 1` (the
//! harness pins the generator to one CPU), `--seed 1`, `--out-dir $BENCH_RUN_DIR/loadspec`
//! (or `target/peer_bench`) and, with `--rate`, `--max-users 4000` so a stalled target never
//! makes the open model drop arrivals. Every other argument goes to the harness unchanged, e.g.
//! `--samples jtl`, `--monitor-interval 0s` or `--expected-interval 1ms`.
//!
//! The request is recorded under the fixed label `bench` (`PEER_BENCH_LABEL=template` records
//! it under its templated method and path instead). `requests`, `rps` and the percentiles are
//! the step's `total_requests` over its measured window; in open-model runs (and closed ones
//! with `--expected-interval`) the percentiles are the ones corrected for coordinated omission
//! and the uncorrected ones are added as `service_*`. Requests sent by the direct client add
//! what its connections did over the measured window: `connects`, `tls_handshakes`,
//! `tls_resumed` (abbreviated handshakes) and `http2_requests`.

use std::process::ExitCode;
use std::sync::OnceLock;

use loadspec::results::model::{LabelSummary, RunResults};
use loadspec::results::phases::Phase;
use loadspec::{Failure, Harness, Mode, Scenario, User};

/// The request path (with its query), taken from `$URL`.
static PATH: OnceLock<String> = OnceLock::new();
/// Whether requests are recorded under the fixed label.
static FIXED_LABEL: OnceLock<bool> = OnceLock::new();

async fn bench(user: &mut User) -> Result<(), Failure> {
    let path = PATH.get().map_or("/", String::as_str);
    let request = user.get(path);
    let request = if FIXED_LABEL.get().copied().unwrap_or(true) {
        request.label("bench")
    } else {
        request
    };
    request.send().await?;
    Ok(())
}

/// `http://host:port/path?q` → (`http://host:port`, `/path?q`).
fn split_url(url: &str) -> Result<(String, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("URL {url:?} has no scheme"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    Ok((format!("{scheme}://{authority}"), path))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn main() -> ExitCode {
    let url = env_or("URL", "http://127.0.0.1:18080/");
    let users = env_or("C", "64");
    let seconds = env_or("D", "10");
    let (target, path) = match split_url(&url) {
        Ok(parts) => parts,
        Err(e) => {
            eprintln!("peer_bench: {e}");
            return ExitCode::from(loadspec::exit_code::CONFIG);
        }
    };
    let _ = PATH.set(path);
    let _ = FIXED_LABEL.set(std::env::var("PEER_BENCH_LABEL").as_deref() != Ok("template"));

    let given: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| {
        given
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let open = has("--rate");
    // Open model, or the closed model with HdrHistogram's correction: report the corrected
    // percentiles (what the run claims about the target), the measured ones as `service_*`.
    let corrected = open || has("--expected-interval");
    let out_dir = std::env::var("BENCH_RUN_DIR").map_or_else(
        |_| "target/peer_bench".to_owned(),
        |dir| format!("{dir}/loadspec"),
    );
    let mut args = vec!["peer_bench".to_owned()];
    let mut default = |flag: &str, value: String| {
        if !has(flag) {
            args.push(flag.to_owned());
            args.push(value);
        }
    };
    default("--target", target);
    if !open {
        default("--threads", users);
    } else {
        default("--max-users", "4000".to_owned());
    }
    default("--hold", format!("{seconds}s"));
    default("--cooldown", "0s".to_owned());
    default("--workers", "1".to_owned());
    default("--seed", "1".to_owned());
    default("--out-dir", out_dir);
    args.extend(given);

    let scenario = Scenario::builder("peer_bench")
        .module_path("peer_bench")
        .build(bench);
    Harness::new()
        .scenarios([scenario])
        .default_mode(Mode::Full)
        .on_results(move |results| println!("{}", bench_json(results, corrected)))
        .run_with_args(args)
}

/// The harness's line: totals of the (last) step's requests.
fn bench_json(results: &RunResults, corrected: bool) -> String {
    let Some(step) = results.steps.last() else {
        return "BENCH_JSON {\"requests\":0,\"errors\":0}".to_owned();
    };
    let Some(scenario) = step.scenarios.first() else {
        return "BENCH_JSON {\"requests\":0,\"errors\":0}".to_owned();
    };
    let t: &LabelSummary = &scenario.total_requests;
    let corrected = t.corrected.as_ref().filter(|_| corrected);
    let (p50, p90, p99, p999, max) = match corrected {
        Some(c) => (c.p50_ms, c.p90_ms, c.p99_ms, c.p999_ms, c.max_ms),
        None => (t.p50_ms, t.p90_ms, t.p99_ms, t.p999_ms, t.max_ms),
    };
    let service = match corrected {
        Some(_) => format!(
            ",\"service_p50_ms\":{:.3},\"service_p99_ms\":{:.3},\"service_p999_ms\":{:.3},\"service_max_ms\":{:.3}",
            t.p50_ms, t.p99_ms, t.p999_ms, t.max_ms
        ),
        None => String::new(),
    };
    let rss = step.system.iter().map(|s| s.process_rss).max().unwrap_or(0);
    // Open model: how late iterations started, and how many ran at all over the window.
    let open = scenario.start_lag.as_ref().map_or_else(String::new, |lag| {
        format!(
            ",\"iterations_per_s\":{:.1},\"start_lag_p50_ms\":{:.3},\"start_lag_p99_ms\":{:.3},\"start_lag_max_ms\":{:.3}",
            scenario.iterations.throughput_per_s, lag.p50_ms, lag.p99_ms, lag.max_ms
        )
    });
    // The direct client's connection counts (none through reqwest's pooled client).
    let connections = t.phases.as_ref().map_or_else(String::new, |p| {
        let count = |phase| p.phases.get(&phase).map_or(0, |s| s.count);
        format!(
            ",\"connects\":{},\"tls_handshakes\":{},\"tls_resumed\":{},\"http2_requests\":{}",
            count(Phase::Connect),
            count(Phase::Tls),
            p.tls_resumed,
            p.http2
        )
    });
    format!(
        "BENCH_JSON {{\"requests\":{},\"errors\":{},\"duration_s\":{:.3},\"rps\":{:.1},\"mean_ms\":{:.3},\"p50_ms\":{p50:.3},\"p90_ms\":{p90:.3},\"p99_ms\":{p99:.3},\"p999_ms\":{p999:.3},\"max_ms\":{max:.3}{service}{connections}{open},\"dropped\":{},\"users\":{},\"sampled_rss_max_kb\":{}}}",
        t.count,
        t.failures,
        step.measured_s,
        t.throughput_per_s,
        t.mean_ms,
        scenario.dropped_iterations,
        scenario.users,
        rss / 1024,
    )
}
