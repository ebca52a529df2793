//! Rate limits and account lockouts as findings: a target that throttles this load generator
//! or locks the accounts it logs in with answers quickly and wrongly, and its error rate alone
//! does not say why. Every figure comes from the results: the 429s per tick, the first 429 of
//! each step and its headers, and the failures whose message says an account was locked.

use super::charts::threads;
use super::format;
use loadspec_results::lockout_phrase;
use loadspec_results::model::{RateLimitSample, RunResults, StepResult};

/// How far before the first 429 requests are counted: limits are usually per minute.
const LIMIT_WINDOW_S: f64 = 60.0;
/// The longest quote of a target's answer in a sentence.
const QUOTE_LIMIT: usize = 160;

/// The findings on rate limits and account lockouts, as sentences; empty when the target did
/// neither. The HTML report, `summary.md` and the console after a run print the same ones.
pub fn limit_findings(results: &RunResults) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(rate_limit(results));
    out.extend(lockouts(results));
    out
}

/// The step's own line on the console: how many of its requests were answered 429, if any.
pub fn step_rate_limit_line(step: &StepResult) -> Option<String> {
    let (mut requests, mut limited) = (0, 0);
    for point in step.scenarios.iter().flat_map(|s| &s.time_series) {
        requests += point.requests;
        limited += point.rate_limited;
    }
    if limited == 0 {
        return None;
    }
    let first = step
        .scenarios
        .iter()
        .filter_map(|s| s.rate_limit.as_ref())
        .min_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let mut line = format!(
        "RATE-LIMITED: {} of {} requests of this step ({}{}) were answered 429 Too Many Requests",
        format::count(limited),
        format::count(requests),
        format::percent(limited as f64 / requests.max(1) as f64),
        if step.measured_from_s > 0.0 {
            ", its ramp-up and warm-up included"
        } else {
            ""
        }
    );
    if let Some(first) = first {
        if let Some(reason) = reason(&first.message) {
            line.push_str(&format!(" (\"{reason}\")"));
        }
        line.push_str(&format!(
            ", first {} into the run{}",
            format::duration(first.at_s),
            headers_clause(first)
        ));
    }
    Some(line)
}

/// One tick of any scenario: its span on the run's clock and its counts.
struct Tick {
    start: f64,
    end: f64,
    requests: u64,
    limited: u64,
}

fn rate_limit(results: &RunResults) -> Option<String> {
    let ticks: Vec<Tick> = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .flat_map(|s| &s.time_series)
        .map(|p| Tick {
            start: p.t_s - p.width_s.max(0.0),
            end: p.t_s,
            requests: p.requests,
            limited: p.rate_limited,
        })
        .collect();
    let limited: u64 = ticks.iter().map(|t| t.limited).sum();
    if limited == 0 {
        return rate_limit_from_status_codes(results);
    }
    let requests: u64 = ticks.iter().map(|t| t.requests).sum();
    let limited_steps: Vec<usize> = results
        .steps
        .iter()
        .filter(|s| {
            s.scenarios
                .iter()
                .flat_map(|x| &x.time_series)
                .any(|p| p.rate_limited > 0)
        })
        .map(|s| s.index)
        .collect();
    let first = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .filter_map(|s| s.rate_limit.as_ref())
        .min_by(|a, b| a.at_s.total_cmp(&b.at_s));
    // Without the first answer itself (it is kept once per worker and tick), the end of the
    // first tick with a 429 bounds when it came.
    let (first_at, exact) = match first {
        Some(f) => (f.at_s, true),
        None => (
            ticks
                .iter()
                .filter(|t| t.limited > 0)
                .map(|t| t.end)
                .fold(f64::INFINITY, f64::min),
            false,
        ),
    };
    let step = results
        .steps
        .iter()
        .find(|s| first_at >= s.offset_s && first_at <= s.offset_s + s.duration_s + 1e-9)
        .or_else(|| results.steps.iter().find(|s| s.index == limited_steps[0]));
    let mut text = format!(
        "The target rate-limited this load generator: {} of {} requests ({}) were answered 429 \
         Too Many Requests",
        format::count(limited),
        format::count(requests),
        format::percent(limited as f64 / requests.max(1) as f64),
    );
    if let Some(reason) = first.and_then(|f| reason(&f.message)) {
        text.push_str(&format!(" (\"{reason}\")"));
    }
    text.push_str(&format!(
        ", first {}{} into the run",
        if exact { "" } else { "within " },
        format::duration(first_at)
    ));
    if let Some(step) = step {
        let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
        text.push_str(&format!(" in step {} ({})", step.index + 1, threads(users)));
    }
    // Requests answered otherwise in the window before the first 429, counted by tick: in a
    // fixed-window limiter that is the limit (no request gets through after the first 429
    // until the window ends).
    let from = (first_at - LIMIT_WINDOW_S).max(0.0);
    let through: u64 = ticks
        .iter()
        .filter(|t| t.end > from && t.start < first_at)
        .map(|t| t.requests - t.limited.min(t.requests))
        .sum();
    if first_at - from >= LIMIT_WINDOW_S - 0.5 {
        text.push_str(&format!(
            "; {} requests got through in the 60 s up to the first 429 — a limit of about {} \
             requests per minute from this address.",
            format::count(through),
            format::count(through)
        ));
    } else {
        text.push_str(&format!(
            "; {} requests got through in the {} from the start of the run up to the first 429 \
             — a limit of about {} requests from this address in a window of at least {} (the \
             run had not lasted a minute by then).",
            format::count(through),
            format::duration(first_at),
            format::count(through),
            format::duration(first_at)
        ));
    }
    // The setup hook sends requests of its own before the first step, which no step counts
    // but a limiter does.
    if results.lifecycle.iter().any(|h| h.hook == "setup") {
        text.push_str(
            " The setup hook's requests, sent before the first step, are not in these counts; \
             the target's limiter counted them too.",
        );
    }
    match first {
        Some(f) if f.retry_after.is_some() || !f.headers.is_empty() => {
            text.push_str(&format!(" Its answer carried{}.", header_list(f)));
        }
        Some(_) => text.push_str(" Its answer carried no Retry-After or RateLimit header."),
        None => {}
    }
    text.push_str(&format!(
        " The latencies of {} describe a throttled target: test below the limit, raise it for \
         the test, or spread the load over several source addresses.",
        steps_phrase(&limited_steps)
    ));
    Some(text)
}

/// Results written before the ticks counted 429s: the measured windows' status codes.
fn rate_limit_from_status_codes(results: &RunResults) -> Option<String> {
    let (mut requests, mut limited, mut steps) = (0, 0, Vec::new());
    for step in &results.steps {
        let mut here = 0;
        for s in &step.scenarios {
            requests += s.total_requests.count;
            here += s
                .requests
                .iter()
                .filter_map(|l| l.status_codes.get("429"))
                .sum::<u64>();
        }
        if here > 0 {
            steps.push(step.index);
        }
        limited += here;
    }
    (limited > 0).then(|| {
        format!(
            "The target rate-limited this load generator: {} of {} requests ({}) in the steps' \
             measured windows were answered 429 Too Many Requests, from step {} on. The \
             latencies of {} describe a throttled target: test below the limit, raise it for \
             the test, or spread the load over several source addresses.",
            format::count(limited),
            format::count(requests),
            format::percent(limited as f64 / requests.max(1) as f64),
            steps[0] + 1,
            steps_phrase(&steps)
        )
    })
}

/// `, with Retry-After: 30` … for a console line; empty without such headers.
fn headers_clause(first: &RateLimitSample) -> String {
    if first.retry_after.is_none() && first.headers.is_empty() {
        String::new()
    } else {
        format!(", with{}", header_list(first))
    }
}

/// ` Retry-After: 30, RateLimit-Limit: 150` (with its leading space).
fn header_list(first: &RateLimitSample) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &first.retry_after {
        parts.push(format!("Retry-After: {v}"));
    }
    for (name, value) in &first.headers {
        parts.push(format!("{}: {value}", header_case(name)));
    }
    format!(" {}", parts.join(", "))
}

/// `x-ratelimit-limit` → `X-RateLimit-Limit`.
fn header_case(name: &str) -> String {
    name.split('-')
        .map(|part| match part {
            "ratelimit" => "RateLimit".to_owned(),
            _ => {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                })
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `step 2`, `steps 2 and 3`, `steps 2, 3 and 4` (indexes from 0 in, numbers from 1 out).
fn steps_phrase(indexes: &[usize]) -> String {
    let numbers: Vec<String> = indexes.iter().map(|i| (i + 1).to_string()).collect();
    match numbers.as_slice() {
        [] => "these steps".to_owned(),
        [one] => format!("step {one}"),
        [rest @ .., last] => format!("steps {} and {last}", rest.join(", ")),
    }
}

/// A failure's or answer's message as the target worded it: the body of `unexpected status
/// 429: {"detail":"Rate limit exceeded"}` → `Rate limit exceeded`, a GraphQL error's message;
/// `None` when the answer said nothing.
pub(crate) fn reason(message: &str) -> Option<String> {
    let mut text = message.trim();
    // Iteration and transaction errors start with the failed request's name.
    let status_at = text
        .find("unexpected status ")
        .or_else(|| text.find("expected status "));
    if let Some(at) = text.find("GraphQL error:") {
        text = text[at + "GraphQL error:".len()..].trim();
    } else if let Some(at) = status_at {
        text = text[at..]
            .split_once(": ")
            .map_or("", |(_, body)| body.trim());
    }
    let from_json = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| json_message(&v));
    let text = from_json.as_deref().unwrap_or(text).trim();
    if text.is_empty() {
        return None;
    }
    Some(if text.chars().count() > QUOTE_LIMIT {
        let cut: String = text.chars().take(QUOTE_LIMIT).collect();
        format!("{cut}…")
    } else {
        text.to_owned()
    })
}

/// The human part of a JSON error body: `detail`, `message`, `error`, `title`, or the first
/// GraphQL error's message.
fn json_message(value: &serde_json::Value) -> Option<String> {
    let object = value.as_object()?;
    for key in ["detail", "message", "error", "title", "error_description"] {
        if let Some(text) = object.get(key).and_then(|v| v.as_str()) {
            return Some(text.to_owned());
        }
    }
    object
        .get("errors")?
        .as_array()?
        .first()?
        .get("message")?
        .as_str()
        .map(str::to_owned)
}

/// Lockouts of one label over the run.
struct Lockout {
    transaction: bool,
    label: String,
    count: u64,
    first_step: usize,
    sample: String,
}

fn lockouts(results: &RunResults) -> Vec<String> {
    let mut found: Vec<Lockout> = Vec::new();
    for step in &results.steps {
        for s in &step.scenarios {
            let labels = s
                .transactions
                .iter()
                .map(|l| (true, l))
                .chain(s.requests.iter().map(|l| (false, l)));
            for (transaction, l) in labels {
                let Some(lock) = &l.lockouts else { continue };
                match found
                    .iter_mut()
                    .find(|f| f.transaction == transaction && f.label == l.label)
                {
                    Some(f) => f.count += lock.count,
                    None => found.push(Lockout {
                        transaction,
                        label: l.label.clone(),
                        count: lock.count,
                        first_step: step.index,
                        sample: lock.sample.clone(),
                    }),
                }
            }
        }
    }
    if found.is_empty() {
        return lockouts_from_error_samples(results);
    }
    // A failed login request fails its transaction too: name the transactions when there are.
    if found.iter().any(|f| f.transaction) {
        found.retain(|f| f.transaction);
    }
    found
        .iter()
        .map(|f| {
            let noun = match (f.transaction, f.count) {
                (true, 1) => "transaction",
                (true, _) => "transactions",
                (false, 1) => "request",
                (false, _) => "requests",
            };
            format!(
                "Logins were locked out: {} {noun} failed with \"{}\" ({} {}, from step {}) — {}",
                format::count(f.count),
                reason(&f.sample).unwrap_or_else(|| f.sample.clone()),
                if f.transaction {
                    "transaction"
                } else {
                    "request"
                },
                f.label,
                f.first_step + 1,
                LOCKOUT_ADVICE
            )
        })
        .collect()
}

const LOCKOUT_ADVICE: &str = "the target locks an account after repeated failed logins; a load \
     test must log in with valid credentials, one account per user or few enough logins per \
     account to stay below the lockout, and the locked accounts stay locked until their lockout \
     expires or is reset.";

/// Results written before lockouts were counted: the first message of each failure kind.
fn lockouts_from_error_samples(results: &RunResults) -> Vec<String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for step in &results.steps {
        for s in &step.scenarios {
            let labels = s
                .transactions
                .iter()
                .map(|l| ("transaction", l))
                .chain(s.requests.iter().map(|l| ("request", l)));
            for (what, l) in labels {
                for e in &l.errors {
                    if lockout_phrase(&e.sample).is_none()
                        || out
                            .iter()
                            .any(|(key, _)| *key == format!("{what} {}", l.label))
                    {
                        continue;
                    }
                    out.push((
                        format!("{what} {}", l.label),
                        format!(
                            "Logins were locked out: \"{}\" is the first message of the {} {} \
                             failures of {what} {} in step {} — {}",
                            reason(&e.sample).unwrap_or_else(|| e.sample.clone()),
                            format::count(e.count),
                            e.kind,
                            l.label,
                            step.index + 1,
                            LOCKOUT_ADVICE
                        ),
                    ));
                }
            }
        }
    }
    out.into_iter().map(|(_, text)| text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label summary with these failures (`kind`, `count`, first message) and lockouts.
    fn label(
        name: &str,
        errors: serde_json::Value,
        lockouts: serde_json::Value,
    ) -> serde_json::Value {
        serde_json::json!({"label": name, "count": 10, "failures": 7, "error_rate": 0.7,
            "throughput_per_s": 1.0, "mean_ms": 1.0, "min_ms": 1.0, "p50_ms": 1.0,
            "p90_ms": 1.0, "p95_ms": 1.0, "p99_ms": 1.0, "p999_ms": 1.0, "max_ms": 1.0,
            "status_codes": {"200": 10}, "errors": errors, "requests_per_transaction": null,
            "bytes_received": 0, "histogram": "", "lockouts": lockouts})
    }

    /// One step: its ticks as (t_s, requests, 429s), its first 429, its transactions.
    type Step = (Vec<(f64, u64, u64)>, serde_json::Value, serde_json::Value);

    /// One run of these steps.
    fn results(steps: &[Step]) -> RunResults {
        let steps: Vec<serde_json::Value> = steps
            .iter()
            .enumerate()
            .map(|(index, (ticks, first, transactions))| {
                let offset = ticks.first().map_or(0.0, |t| t.0 - 1.0);
                let series: Vec<serde_json::Value> = ticks
                    .iter()
                    .map(|&(t_s, requests, limited)| {
                        serde_json::json!({"t_s": t_s, "width_s": 1.0, "ramp_up": false,
                            "active_users": 5, "requests": requests, "failures": limited,
                            "rate_limited": limited, "p50_ms": 1.0, "p95_ms": 1.0,
                            "transactions": {}})
                    })
                    .collect();
                let empty = label("x", serde_json::json!([]), serde_json::Value::Null);
                serde_json::json!({
                    "index": index, "started_at": "2026-11-27T12:00:00Z", "offset_s": offset,
                    "duration_s": ticks.len() as f64, "measured_from_s": 0.0,
                    "measured_s": ticks.len() as f64, "status": "completed",
                    "scenarios": [{"scenario": "flow", "users": 5 * (index + 1),
                        "iterations": empty, "interrupted_iterations": 0,
                        "transactions": transactions, "requests": [],
                        "total_requests": empty, "time_series": series,
                        "rate_limit": first}]
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema": "loadspec.results", "schema_version": 1,
            "run": {"id": "x", "name": "x", "mode": "full", "target": "http://127.0.0.1:1",
                    "seed": 1, "started_at": "2026-11-27T12:00:00Z",
                    "finished_at": "2026-11-27T12:02:00Z", "duration_s": 120.0,
                    "status": "completed", "status_reason": null},
            "environment": {"hostname": "h", "os": "o", "kernel": "k", "cpu_model": "c",
                            "cpus": 2, "memory_bytes": 1, "loadspec_version": "0.1.0",
                            "workers": 2},
            "plan": {"profile": "spike", "scenarios": [], "steps": [], "graceful_stop_s": 5.0},
            "steps": steps
        }))
        .unwrap_or_else(|e| panic!("synthetic results: {e}"))
    }

    #[test]
    fn a_per_minute_limit_without_headers_is_stated_from_the_minute_before_the_first_429() {
        // openIMIS in PROD mode: 150 requests per minute, 429 {"detail":"Rate limit
        // exceeded"}, no Retry-After. Step 1: 40 s at 2 requests a second; step 2: 3 a
        // second, the first 429 at 70.5 s; the minute before it (10.5 s – 70.5 s) saw 60
        // ticks of which the first is cut: ticks ending at 11 … 70 and the 71st's 1 success.
        let step1: Vec<(f64, u64, u64)> = (1..=40).map(|t| (f64::from(t), 2, 0)).collect();
        let mut step2: Vec<(f64, u64, u64)> = (41..=70).map(|t| (f64::from(t), 3, 0)).collect();
        step2.extend((71..=80).map(|t| (f64::from(t), 3, if t == 71 { 2 } else { 3 })));
        let first = serde_json::json!({"at_s": 70.5, "label": "POST /api/graphql",
            "message": "unexpected status 429: {\"detail\":\"Rate limit exceeded\"}",
            "retry_after": null, "headers": {}});
        let none = serde_json::json!([]);
        let r = results(&[
            (step1, serde_json::Value::Null, none.clone()),
            (step2, first, none),
        ]);
        let findings = limit_findings(&r);
        // 2 × 30 (ticks 11–40) + 3 × 30 (41–70) + 1 (tick 71) = 151 got through.
        assert_eq!(
            findings,
            [
                "The target rate-limited this load generator: 29 of 200 requests (14.5%) were \
              answered 429 Too Many Requests (\"Rate limit exceeded\"), first 1 min 11 s into \
              the run in step 2 (10 threads); 151 requests got through in the 60 s up to the \
              first 429 — a limit of about 151 requests per minute from this address. Its \
              answer carried no Retry-After or RateLimit header. The latencies of step 2 \
              describe a throttled target: test below the limit, raise it for the test, or \
              spread the load over several source addresses."
            ]
        );
    }

    #[test]
    fn a_lockout_phrase_among_the_failures_is_a_finding() {
        let axes = "GraphQL error: Too many failed attempts.Try again in 5 minutes.";
        let login = label(
            "login",
            serde_json::json!([{"kind": "graphql", "count": 7, "sample": "GraphQL error: Invalid credentials"}]),
            serde_json::json!({"count": 4, "sample": axes}),
        );
        let calm = label("search", serde_json::json!([]), serde_json::Value::Null);
        let r = results(&[
            (
                vec![(1.0, 10, 0)],
                serde_json::Value::Null,
                serde_json::json!([calm]),
            ),
            (
                vec![(3.0, 10, 0)],
                serde_json::Value::Null,
                serde_json::json!([login.clone()]),
            ),
            (
                vec![(5.0, 10, 0)],
                serde_json::Value::Null,
                serde_json::json!([login]),
            ),
        ]);
        let findings = limit_findings(&r);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].starts_with(
                "Logins were locked out: 8 transactions failed with \"Too many failed \
                 attempts.Try again in 5 minutes.\" (transaction login, from step 2) — the \
                 target locks an account after repeated failed logins; a load test must log in \
                 with valid credentials"
            ),
            "{findings:?}"
        );
        // Results without lockout counts: the phrase in an error sample still names it.
        let old = label(
            "login",
            serde_json::json!([{"kind": "http_4xx", "count": 5,
                "sample": "unexpected status 403: {\"detail\":\"Account locked: too many login attempts\"}"}]),
            serde_json::Value::Null,
        );
        let r = results(&[(
            vec![(1.0, 10, 0)],
            serde_json::Value::Null,
            serde_json::json!([old]),
        )]);
        assert_eq!(
            limit_findings(&r),
            [format!(
                "Logins were locked out: \"Account locked: too many login attempts\" is the first \
                 message of the 5 http_4xx failures of transaction login in step 1 — {LOCKOUT_ADVICE}"
            )]
        );
        let calm = label(
            "search",
            serde_json::json!([{"kind": "graphql", "count": 2,
            "sample": "GraphQL error: Invalid credentials"}]),
            serde_json::Value::Null,
        );
        let r = results(&[(
            vec![(1.0, 10, 0)],
            serde_json::Value::Null,
            serde_json::json!([calm]),
        )]);
        assert!(
            limit_findings(&r).is_empty(),
            "other failures are no lockout"
        );
    }

    #[test]
    fn reasons_are_the_target_s_words() {
        assert_eq!(
            reason("unexpected status 429: {\"detail\":\"Rate limit exceeded\"}").as_deref(),
            Some("Rate limit exceeded")
        );
        assert_eq!(
            reason("GraphQL error: Too many failed attempts.").as_deref(),
            Some("Too many failed attempts.")
        );
        assert_eq!(
            reason("GraphQL Login (POST /api/graphql): GraphQL error: Too many failed attempts.")
                .as_deref(),
            Some("Too many failed attempts.")
        );
        assert_eq!(
            reason("GraphQL Claims (POST /api/graphql): unexpected status 429: {\"detail\":\"Rate limit exceeded\"}")
                .as_deref(),
            Some("Rate limit exceeded")
        );
        assert_eq!(reason("unexpected status 429").as_deref(), None);
        assert_eq!(
            reason("unexpected status 429: slow down").as_deref(),
            Some("slow down")
        );
        assert_eq!(header_case("x-ratelimit-limit"), "X-RateLimit-Limit");
        assert_eq!(header_case("ratelimit-policy"), "RateLimit-Policy");
        assert_eq!(steps_phrase(&[1, 2, 3]), "steps 2, 3 and 4");
    }
}
