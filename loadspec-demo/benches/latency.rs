//! Single-client latencies of the demo's main requests at the default data size.
//!
//! `cargo bench -p loadspec-demo --bench latency` (optimised) or
//! `cargo test -p loadspec-demo --bench latency -- --bench` (debug build; without
//! `--bench`, as in `cargo test --all-targets`, it does nothing). Sizes can be overridden
//! with `DEMO_INSUREES` / `DEMO_CLAIMS`, iterations with `DEMO_ITERATIONS`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement program: fail loudly"
)]

use std::time::{Duration, Instant};

use loadspec_demo::{DemoConfig, FREE_BASE_START, insurance_number, start_in_background};
use serde_json::{Value, json};

fn env_u32(name: &str) -> Option<u32> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

struct Sample {
    client: Duration,
    db_ms: f64,
    app_ms: f64,
}

fn server_timing(response: &reqwest::Response) -> (f64, f64) {
    let header = response
        .headers()
        .get("server-timing")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let mut db = 0.0;
    let mut app = 0.0;
    for part in header.split(", ") {
        if let Some((name, dur)) = part.split_once(";dur=") {
            let dur: f64 = dur.parse().unwrap_or(0.0);
            match name {
                "db" => db = dur,
                "app" => app = dur,
                _ => {}
            }
        }
    }
    (db, app)
}

fn report(name: &str, mut samples: Vec<Sample>) {
    samples.sort_by_key(|s| s.client);
    let n = samples.len();
    let pct = |p: f64| {
        samples[((n as f64 * p) as usize).min(n - 1)]
            .client
            .as_secs_f64()
            * 1e3
    };
    let mean = samples.iter().map(|s| s.client.as_secs_f64()).sum::<f64>() / n as f64 * 1e3;
    let db = samples.iter().map(|s| s.db_ms).sum::<f64>() / n as f64;
    let app = samples.iter().map(|s| s.app_ms).sum::<f64>() / n as f64;
    println!(
        "{name:<34} n={n:<4} mean {mean:>8.2} ms  p50 {:>8.2}  p95 {:>8.2}  max {:>8.2}  | server app {app:>7.2} ms, db {db:>7.2} ms",
        pct(0.5),
        pct(0.95),
        pct(1.0),
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; plain `cargo test --all-targets` must stay quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("latency: skipped (run with `cargo bench` or pass `-- --bench`)");
        return;
    }
    let defaults = DemoConfig::default();
    let config = DemoConfig {
        insurees: env_u32("DEMO_INSUREES").unwrap_or(defaults.insurees),
        claims: env_u32("DEMO_CLAIMS").unwrap_or(defaults.claims),
        ..defaults
    };
    let iterations = env_u32("DEMO_ITERATIONS").unwrap_or(200) as usize;
    let started = Instant::now();
    let demo = start_in_background(config.clone()).expect("demo starts");
    println!(
        "build: {}; {} insurees, {} claims: seeded {} rows in {:.2} s (start-up {:.2} s); PBKDF2 iterations {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimised"
        },
        config.insurees,
        config.claims,
        demo.stats().total_rows(),
        demo.seeding_time().as_secs_f64(),
        started.elapsed().as_secs_f64(),
        config.password_iterations,
    );
    let base = demo.base_url();
    // The workspace builds reqwest with rustls but no provider of its own.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let people = demo.info().sample_insurees(iterations).unwrap();

    let login = |user: String, password: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .post(format!("{base}/api/auth/login"))
                .json(&json!({ "username": user, "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    let response = login("Admin".into(), "admin123".into()).await;
    let token = response.json::<Value>().await.unwrap()["access"]
        .as_str()
        .unwrap()
        .to_owned();
    // The GraphQL API takes the JWT of `tokenAuth` (CSRF cookie and header as openIMIS).
    let csrf = "abcdefghijklmnopqrstuvwxyzABCDEF";
    let jwt = client
        .post(format!("{base}/api/graphql"))
        .header("cookie", format!("csrftoken={csrf}"))
        .header("x-csrftoken", csrf)
        .json(&json!({ "query": "mutation { tokenAuth(username: \"Admin\", password: \"admin123\") { token } }" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["data"]["tokenAuth"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut samples = Vec::new();
    for i in 0..iterations.min(100) {
        let user = i as u32 % config.users;
        let t = Instant::now();
        let response = login(format!("user{user}"), format!("password{user}")).await;
        let (db_ms, app_ms) = server_timing(&response);
        assert_eq!(response.status(), 200);
        samples.push(Sample {
            client: t.elapsed(),
            db_ms,
            app_ms,
        });
    }
    report("POST /api/auth/login", samples);

    async fn timed(request: reqwest::RequestBuilder, expect: u16) -> Sample {
        let t = Instant::now();
        let response = request.send().await.unwrap();
        let (db_ms, app_ms) = server_timing(&response);
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        assert_eq!(status, expect, "{}", String::from_utf8_lossy(&body));
        Sample {
            client: t.elapsed(),
            db_ms,
            app_ms,
        }
    }

    let mut samples = Vec::new();
    for i in 0..iterations {
        let district = 2 + (i % 12) as i64 * 25;
        let url = format!("{base}/api/locations?type=W&parent={district}");
        samples.push(timed(client.get(url).bearer_auth(&token), 200).await);
    }
    report("GET /api/locations (master data)", samples);

    let mut samples = Vec::new();
    for p in &people {
        let url = format!("{base}/api/insurees?q={}&page_size=10", p.last_name);
        samples.push(timed(client.get(url).bearer_auth(&token), 200).await);
    }
    report("GET /api/insurees?q=<last name>", samples);

    let mut samples = Vec::new();
    for p in &people {
        let url = format!("{base}/api/insurees?q={}", p.chf_id);
        samples.push(timed(client.get(url).bearer_auth(&token), 200).await);
    }
    report("GET /api/insurees?q=<chfId>", samples);

    let mut samples = Vec::new();
    for p in &people {
        let url = format!("{base}/api/insurees/{}", p.chf_id);
        samples.push(timed(client.get(url).bearer_auth(&token), 200).await);
    }
    report("GET /api/insurees/{chfId}", samples);

    let mut samples = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let body = json!({
            "chfId": insurance_number(FREE_BASE_START + i as u32),
            "lastName": p.last_name, "otherNames": "Bench", "gender": "F",
            "dob": "2001-01-01", "familyId": p.family_id, "relationId": 4
        });
        let url = format!("{base}/api/insurees");
        samples.push(timed(client.post(url).bearer_auth(&token).json(&body), 201).await);
    }
    report("POST /api/insurees", samples);

    let by_insuree = "query($chf: String!) { claims(insuree_ChfId: $chf, first: 20) { edges { node { \
                      code dateClaimed claimed insuree { chfId lastName } \
                      items { item { code } qtyProvided priceAsked } } } } }";
    let mut samples = Vec::new();
    for p in &people {
        let body = json!({ "query": by_insuree, "variables": { "chf": p.chf_id } });
        let url = format!("{base}/api/graphql");
        samples.push(timed(client.post(url).bearer_auth(&jwt).json(&body), 200).await);
    }
    report("graphql claims(insuree_ChfId:, first: 20)", samples);

    let page = "query($status: Int, $offset: Int) { claims(status: $status, first: 20, \
                offset: $offset) { totalCount edges { node { code dateClaimed claimed status \
                insuree { chfId lastName } healthFacility { code name } \
                items { item { code name } qtyProvided priceAsked } \
                services { service { code name } qtyProvided priceAsked } } } } }";
    let mut samples = Vec::new();
    for i in 0..iterations {
        let status = [2, 4, 8, 16][i % 4];
        let body =
            json!({ "query": page, "variables": { "status": status, "offset": (i / 4) * 20 } });
        let url = format!("{base}/api/graphql");
        samples.push(timed(client.post(url).bearer_auth(&jwt).json(&body), 200).await);
    }
    report("graphql claims(status:, first: 20) full", samples);

    // Closed-loop throughput per endpoint as concurrency grows (the load generator shares
    // the machine, as in the examples).
    println!(
        "\nconcurrency sweep, {SWEEP_SECS} s each: requests/s, mean and p95 latency, status codes"
    );
    let people = std::sync::Arc::new(people);
    for clients in [1, 4, 16, 64] {
        let (c, b, t, q) = (client.clone(), base.clone(), jwt.clone(), page.to_owned());
        let claims = sweep(clients, move |i| {
            let status = [2, 4, 8, 16][i % 4];
            let offset = (i / 4 % 50) * 20;
            let body = json!({ "query": q, "variables": { "status": status, "offset": offset } });
            c.post(format!("{b}/api/graphql"))
                .bearer_auth(&t)
                .json(&body)
        })
        .await;
        let (c, b, t, p) = (client.clone(), base.clone(), token.clone(), people.clone());
        let search = sweep(clients, move |i| {
            let name = &p[i % p.len()].last_name;
            c.get(format!("{b}/api/insurees?q={name}")).bearer_auth(&t)
        })
        .await;
        println!("  {clients:>3} clients  claims graphql: {claims}");
        println!("  {clients:>3} clients  insuree search: {search}");
    }

    drop(demo);
}

const SWEEP_SECS: u64 = 2;

/// Runs `clients` closed-loop clients for `SWEEP_SECS` seconds.
async fn sweep(
    clients: usize,
    request: impl Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(SWEEP_SECS);
    let request = std::sync::Arc::new(request);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
            let mut i = c * 1_000_000;
            while Instant::now() < deadline {
                i += 1;
                let t = Instant::now();
                let status = match request(i).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                latencies.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (latencies, statuses)
        }));
    }
    let mut latencies = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for task in tasks {
        let (l, s) = task.await.unwrap();
        latencies.extend(l);
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
    }
    latencies.sort();
    let n = latencies.len().max(1);
    let mean = latencies.iter().map(Duration::as_secs_f64).sum::<f64>() / n as f64 * 1e3;
    let p95 = latencies
        .get(n * 95 / 100)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3);
    format!(
        "{:>7.0} req/s  mean {mean:>7.2} ms  p95 {p95:>7.2} ms  {statuses:?}",
        latencies.len() as f64 / SWEEP_SECS as f64
    )
}
