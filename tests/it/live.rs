//! Watching a run live: the Prometheus endpoint, the dashboard's event stream and OTLP push
//! carry the same counts as results.json and as the target counted; a port that is taken or
//! a collector that is not there is a warning and the load goes on. The browser and real
//! Prometheus check is `live_in_chromium_and_prometheus` (ignored: it needs both installed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use loadspec::results::model::RunResults;
use loadspec::{Failure, Harness, Scenario, User};
use loadspec_live::proto::{ExportMetricsServiceRequest, any_value, metric, number_data_point};
use loadspec_suite::{ServedRouter, TestServer};
use prost::Message as _;
use serde_json::Value;

use crate::support::run_harness;

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` over HTTP/1.0; `None` when nothing answers.
pub(crate) fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
}

/// The scenario under watch: a 5 ms success in a transaction, then a request of which every
/// second fails.
fn scenario(name: &str) -> Scenario {
    judged(name, Vec::new())
}

/// [`scenario`] with criteria.
fn judged(name: &str, criteria: Vec<loadspec::results::criteria::Criterion>) -> Scenario {
    criteria
        .into_iter()
        .fold(Scenario::builder(name), |b, c| b.criterion(c))
        .threads([2, 3])
        .build(async |user: &mut User| {
            user.transaction("browse", async |tx| {
                tx.get("/delay/5")
                    .label("slow ok")
                    .tag("endpoint", "delay")
                    .send()
                    .await?;
                Ok(())
            })
            .await?;
            user.counter("iterations_counted").add(1);
            user.trend("think").add(Duration::from_millis(7));
            user.gauge("depth").set(3.0);
            // Every second one is a 503, a failed request; the iteration goes on.
            let ok = user
                .get("/fail-every/2")
                .label("sometimes")
                .send()
                .await
                .is_ok();
            user.rate("sometimes_ok").add(ok);
            Ok::<(), Failure>(())
        })
}

fn args(server: &TestServer, out: &Path, extra: &[String]) -> Vec<String> {
    args_holding("2s", server, out, extra)
}

/// [`args`] with steps of `hold`.
fn args_holding(hold: &str, server: &TestServer, out: &Path, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = [
        "load",
        "--full",
        "--hold",
        hold,
        "--ramp-up",
        "0s",
        "--warmup",
        "0s",
        "--cooldown",
        "0s",
        "--target",
        &server.base_url(),
        "--out-dir",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().cloned());
    args
}

fn fresh_out(name: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("loadspec-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    out
}

/// The run's results.json (one scenario, one run under `out`).
pub(crate) fn results_under(out: &Path) -> RunResults {
    let scenario_dir = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let run = std::fs::read_dir(scenario_dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    loadspec::results::load(&run.join("results.json")).unwrap()
}

/// Per (step, label): requests and failed requests, as results.json says (ramp-up and
/// warm-up are off, so the measured window is the whole step).
pub(crate) fn counts(results: &RunResults) -> BTreeMap<(usize, String), (u64, u64)> {
    let mut counts = BTreeMap::new();
    for step in &results.steps {
        for scenario in &step.scenarios {
            for label in &scenario.requests {
                counts.insert(
                    (step.index, label.label.clone()),
                    (label.count, label.failures),
                );
            }
        }
    }
    counts
}

/// What the test server counted of the scenario's two routes.
fn served(server: &TestServer) -> u64 {
    let c = server.counters();
    c.requests.load(Ordering::SeqCst) + c.fail_every.load(Ordering::SeqCst)
}

/// The kind of every failure of the scenario (a 503 is one kind).
fn failure_kind(results: &RunResults) -> String {
    let kinds: std::collections::BTreeSet<&str> = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .flat_map(|s| &s.requests)
        .flat_map(|l| &l.errors)
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    kinds.into_iter().next().unwrap_or_default().to_owned()
}

/// The value of the sample `name{labels}` in a Prometheus text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

/// The PromQL of every panel of deploy/grafana/loadspec-dashboard.json.
fn grafana_queries() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/loadspec-dashboard.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().clone())
        .map(|t| t["expr"].as_str().unwrap().to_owned())
        .collect();
    assert!(queries.len() >= 10, "{queries:?}");
    queries
}

/// The `loadspec_…` names in a query.
fn metric_names(query: &str) -> Vec<String> {
    query
        .match_indices("loadspec_")
        .map(|(at, _)| {
            query[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Keeps the last answer of `GET /metrics` while the run goes.
struct Scraper {
    last: Arc<Mutex<Option<String>>>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Scraper {
    fn start(port: u16) -> Self {
        let last = Arc::new(Mutex::new(None));
        let done = Arc::new(AtomicBool::new(false));
        let (l, d) = (Arc::clone(&last), Arc::clone(&done));
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !d.load(Ordering::SeqCst) && Instant::now() < deadline {
                if let Some(text) = http_get(port, "/metrics") {
                    *l.lock().unwrap() = Some(text);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self {
            last,
            done,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> String {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.last
            .lock()
            .unwrap()
            .clone()
            .expect("the endpoint was never scraped")
    }
}

/// Reads the dashboard's event stream (server-sent events) until the server closes it.
fn read_events(port: u16) -> std::thread::JoinHandle<Vec<(String, Value)>> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let stream = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                break s;
            }
            assert!(Instant::now() < deadline, "the dashboard never listened");
            std::thread::sleep(Duration::from_millis(20));
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        write!(
            writer,
            "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let mut events = Vec::new();
        let mut name = String::new();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            // Chunked framing: size lines are hex digits alone; SSE lines are `field: value`.
            let text = line.trim_end();
            if let Some(event) = text.strip_prefix("event: ") {
                name = event.to_owned();
            } else if let Some(data) = text.strip_prefix("data: ") {
                events.push((name.clone(), serde_json::from_str(data).unwrap()));
                if name == "finished" {
                    break;
                }
            }
            line.clear();
        }
        events
    })
}

#[test]
fn the_metrics_endpoint_and_the_event_stream_count_what_results_json_and_the_server_count() {
    let _serial = crate::support::serial();
    let server = TestServer::start().unwrap();
    let out = fresh_out("counts");
    let (metrics, dashboard) = (free_port(), free_port());
    let extra = [
        "--metrics-listen".to_owned(),
        format!("127.0.0.1:{metrics}"),
        "--dashboard".to_owned(),
        format!("127.0.0.1:{dashboard}"),
        "--live-linger".to_owned(),
        "1s".to_owned(),
    ];
    let scraper = Scraper::start(metrics);
    let events = read_events(dashboard);
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario("live")]),
        &args(&server, &out, &extra),
    );
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let text = scraper.finish();
    let events = events.join().unwrap();
    let results = results_under(&out);
    let counts = counts(&results);
    assert_eq!(counts.len(), 4, "two labels in two steps: {counts:?}");
    let kind = failure_kind(&results);

    // Prometheus: every count and failure of every step and label, as results.json says.
    let mut total = 0;
    for ((step, label), (count, failures)) in &counts {
        let l = format!("scenario=\"live\",label=\"{label}\",step=\"{}\"", step + 1);
        assert_eq!(
            sample(&text, &format!("loadspec_requests_total{{{l}}}")),
            Some(*count as f64),
            "{label} in step {step}:\n{text}"
        );
        assert_eq!(
            sample(
                &text,
                &format!("loadspec_request_duration_seconds_count{{{l}}}")
            ),
            Some(*count as f64)
        );
        let failed = sample(
            &text,
            &format!("loadspec_request_failures_total{{{l},error_kind=\"{kind}\"}}"),
        );
        assert_eq!(failed.unwrap_or(0.0), *failures as f64, "{label}");
        total += count;
    }
    assert!(counts.values().all(|(n, _)| *n > 0));
    let failed: u64 = counts.values().map(|(_, f)| f).sum();
    let sometimes: u64 = counts
        .iter()
        .filter(|((_, l), _)| l == "sometimes")
        .map(|(_, (n, _))| n)
        .sum();
    assert_eq!(
        failed,
        sometimes / 2,
        "every second /fail-every/2 failed, nothing else did"
    );
    // The server saw every request, and no other.
    assert_eq!(served(&server), total);
    // Every series the Grafana dashboard in deploy/ queries is one the endpoint writes.
    for name in grafana_queries().iter().flat_map(|q| metric_names(q)) {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .fold(name.as_str(), |n, s| n.strip_suffix(s).unwrap_or(n));
        assert!(
            text.contains(&format!("# TYPE {base} ")),
            "the dashboard queries {name}, which the endpoint does not write"
        );
    }
    assert_eq!(sample(&text, "loadspec_run_finished{}"), Some(1.0));
    // Custom metrics and tags, per step, as results.json has them.
    assert!(text.contains(r#"loadspec_label_tags{scenario="live",kind="request",label="slow ok",tag="endpoint",value="delay"} 1"#), "{text}");
    for step in &results.steps {
        let custom = &step.scenarios[0].custom;
        let l = |name: &str| {
            format!(
                "scenario=\"live\",name=\"{name}\",step=\"{}\"",
                step.index + 1
            )
        };
        let at = |series: &str, name: &str| sample(&text, &format!("{series}{{{}}}", l(name)));
        let counted = &custom.counters["iterations_counted"];
        assert_eq!(
            counted.total, step.scenarios[0].iterations.count as f64,
            "one per iteration"
        );
        assert_eq!(
            at("loadspec_custom_counter_total", "iterations_counted"),
            Some(counted.total)
        );
        let rate = &custom.rates["sometimes_ok"];
        assert_eq!(
            at("loadspec_custom_rate_true_total", "sometimes_ok"),
            Some(rate.trues as f64)
        );
        assert_eq!(
            at("loadspec_custom_rate_samples_total", "sometimes_ok"),
            Some(rate.total as f64)
        );
        let trend = &custom.trends["think"];
        assert_eq!(
            at("loadspec_custom_trend_count", "think"),
            Some(trend.count as f64)
        );
        let p95 = sample(
            &text,
            &format!("loadspec_custom_trend{{{},quantile=\"0.95\"}}", l("think")),
        );
        assert_eq!(p95, Some(trend.p95));
        assert_eq!(at("loadspec_custom_gauge", "depth"), Some(3.0));
    }
    assert_eq!(sample(&text, "loadspec_step{}"), Some(2.0));

    // The dashboard's stream: a tick per second adding up to each step's count, a step event
    // with results.json's figures, the criteria so far, then `finished`.
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"snapshot"), "{names:?}");
    assert_eq!(names.last(), Some(&"finished"), "{names:?}");
    let steps: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "step")
        .map(|(_, v)| &v["step"])
        .collect();
    assert_eq!(steps.len(), 2);
    for step in &steps {
        let index = step["index"].as_u64().unwrap() as usize;
        let expected: u64 = counts
            .iter()
            .filter(|((s, _), _)| *s == index)
            .map(|(_, (n, _))| n)
            .sum();
        assert_eq!(
            step["scenarios"][0]["total"]["count"], expected,
            "step {index}"
        );
        let ticked: u64 = events
            .iter()
            .filter(|(n, v)| n == "tick" && v["step"] == index)
            .flat_map(|(_, v)| v["labels"].as_array().unwrap().clone())
            .filter(|l| l["kind"] == "request")
            .map(|l| l["count"].as_u64().unwrap())
            .sum();
        assert_eq!(
            ticked, expected,
            "the ticks of step {index} add up to its count"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_taken_port_or_a_missing_collector_is_a_warning_and_the_load_goes_on() {
    let _serial = crate::support::serial();
    let server = TestServer::start().unwrap();
    let out = fresh_out("warn");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let nobody = free_port();
    let extra = [
        "--metrics-listen".to_owned(),
        format!("127.0.0.1:{taken_port}"),
        "--otlp".to_owned(),
        format!("http://127.0.0.1:{nobody}"),
        "--otlp-interval".to_owned(),
        "500ms".to_owned(),
    ];
    let started = Instant::now();
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario("warned")]),
        &args(&server, &out, &extra),
    );
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    // Two steps of 2 s: no push (each bounded to 2 s) held the run up.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let results = results_under(&out);
    let warnings = results.run.warnings.join("\n");
    assert!(
        warnings.contains(&format!(
            "metrics endpoint: cannot listen on 127.0.0.1:{taken_port}"
        )),
        "{warnings}"
    );
    assert!(
        warnings.contains(&format!(
            "OTLP: http://127.0.0.1:{nobody}/v1/metrics did not take the first push"
        )),
        "{warnings}"
    );
    assert!(
        warnings.contains("pushes to"),
        "the failed pushes are counted: {warnings}"
    );
    for step in &results.steps {
        assert!(
            (step.measured_s - 2.0).abs() < 0.5,
            "step {} measured {} s",
            step.index,
            step.measured_s
        );
    }
    let total: u64 = counts(&results).values().map(|(n, _)| n).sum();
    assert_eq!(served(&server), total);
    let _ = std::fs::remove_dir_all(&out);

    // With --live-strict the same problem is an error before any load is sent.
    let before = served(&server);
    let mut strict = extra[..2].to_vec();
    strict.push("--live-strict".to_owned());
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario("strict")]),
        &args(&server, &out, &strict),
    );
    assert_ne!(code, ExitCode::SUCCESS);
    assert!(
        log.contains(&format!(
            "metrics endpoint: cannot listen on 127.0.0.1:{taken_port}"
        )),
        "{log}"
    );
    assert_eq!(served(&server), before, "no load was sent");
    drop(taken);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_dashboard_on_another_interface_needs_dashboard_bind() {
    let overrides = |dashboard, bind| loadspec_runner::plan::Overrides {
        dashboard,
        dashboard_bind: bind,
        ..loadspec_suite::full_run("http://127.0.0.1:1")
    };
    let anywhere = Some("0.0.0.0:0".parse().unwrap());
    let error = loadspec_runner::plan::resolve(&[scenario("bind")], &overrides(anywhere, None))
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "invalid --dashboard \"0.0.0.0:0\": expected a loopback address (127.0.0.1 or [::1]); use --dashboard-bind to serve the dashboard on other interfaces"
    );
    let plan =
        loadspec_runner::plan::resolve(&[scenario("bind")], &overrides(None, anywhere)).unwrap();
    assert_eq!(
        plan.live.dashboard, anywhere,
        "--dashboard-bind takes any address"
    );
}

/// A collector that decodes every push with the protocol's messages and keeps the last.
fn collector(
    last: Arc<Mutex<Option<ExportMetricsServiceRequest>>>,
    pushes: Arc<Mutex<u64>>,
) -> Router {
    Router::new().route(
        "/v1/metrics",
        post(move |body: Bytes| async move {
            let decoded = ExportMetricsServiceRequest::decode(body).unwrap();
            *last.lock().unwrap() = Some(decoded);
            *pushes.lock().unwrap() += 1;
            ""
        }),
    )
}

#[test]
fn otlp_pushes_carry_the_runs_counts_and_histograms() {
    let _serial = crate::support::serial();
    let server = TestServer::start().unwrap();
    let last = Arc::new(Mutex::new(None));
    let pushes = Arc::new(Mutex::new(0));
    let receiver =
        ServedRouter::start("otlp", collector(Arc::clone(&last), Arc::clone(&pushes))).unwrap();
    let out = fresh_out("otlp");
    let extra = [
        "--otlp".to_owned(),
        receiver.base_url(),
        "--otlp-interval".to_owned(),
        "1s".to_owned(),
    ];
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario("otlp")]),
        &args(&server, &out, &extra),
    );
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let results = results_under(&out);
    assert!(
        results.run.warnings.iter().all(|w| !w.contains("OTLP")),
        "{:?}",
        results.run.warnings
    );
    // The first push, one a second during 4 s of load, the last one.
    assert!(
        *pushes.lock().unwrap() >= 4,
        "{} pushes",
        pushes.lock().unwrap()
    );
    let request = last.lock().unwrap().clone().unwrap();
    let scope = &request.resource_metrics[0].scope_metrics[0];
    let attr = |attrs: &[loadspec_live::proto::KeyValue], key: &str| -> String {
        match attrs
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.clone())
            .and_then(|v| v.value)
        {
            Some(any_value::Value::StringValue(s)) => s,
            Some(any_value::Value::IntValue(n)) => n.to_string(),
            other => panic!("{key}: {other:?}"),
        }
    };
    let metric = |name: &str| {
        scope
            .metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let Some(metric::Data::Sum(sum)) = &metric("loadspec.requests").data else {
        panic!("loadspec.requests is a sum")
    };
    assert!(sum.is_monotonic);
    assert_eq!(sum.aggregation_temporality, 2, "cumulative");
    let Some(metric::Data::ExponentialHistogram(histograms)) =
        &metric("loadspec.request_duration").data
    else {
        panic!("the durations are an exponential histogram")
    };
    for ((step, label), (count, _)) in counts(&results) {
        let point = sum
            .data_points
            .iter()
            .find(|p| {
                attr(&p.attributes, "label") == label
                    && attr(&p.attributes, "step") == (step + 1).to_string()
            })
            .unwrap_or_else(|| panic!("no point for {label} in step {step}"));
        assert_eq!(
            point.value,
            Some(number_data_point::Value::AsInt(count as i64)),
            "{label}"
        );
        let h = histograms
            .data_points
            .iter()
            .find(|p| {
                attr(&p.attributes, "label") == label
                    && attr(&p.attributes, "step") == (step + 1).to_string()
            })
            .unwrap();
        assert_eq!(h.count, count);
        let buckets = h.positive.as_ref().unwrap();
        assert_eq!(buckets.bucket_counts.iter().sum::<u64>(), count);
        assert_eq!(h.scale, 4);
        if label == "slow ok" {
            // Every /delay/5 took at least 5 ms: no bucket below 2^(offset/16) s < 5 ms holds one.
            let lowest = 2f64.powf(f64::from(buckets.offset + 1) / 16.0);
            assert!(lowest >= 0.005, "lowest bucket ends at {lowest} s");
            assert!(h.min.unwrap() >= 0.005);
        }
    }
    assert_eq!(
        attr(
            &request.resource_metrics[0]
                .resource
                .as_ref()
                .unwrap()
                .attributes,
            "service.name"
        ),
        "loadspec"
    );
    // The scenario's own counter, per step, as results.json has it.
    let Some(metric::Data::Sum(counters)) = &metric("loadspec.custom.counter").data else {
        panic!("custom counters are sums")
    };
    for step in &results.steps {
        let total = step.scenarios[0].custom.counters["iterations_counted"].total;
        let point = counters
            .data_points
            .iter()
            .find(|p| {
                attr(&p.attributes, "name") == "iterations_counted"
                    && attr(&p.attributes, "step") == (step.index + 1).to_string()
            })
            .unwrap();
        assert_eq!(point.value, Some(number_data_point::Value::AsDouble(total)));
    }
    drop(receiver);
    let _ = std::fs::remove_dir_all(&out);
}

/// A real Prometheus server (Debian's `prometheus`) on loopback, scraping `target` every
/// second; killed when dropped.
struct Prometheus {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl Prometheus {
    fn start(target: u16) -> Self {
        let binary = std::env::var_os("LOADSPEC_PROMETHEUS")
            .map_or_else(|| PathBuf::from("/usr/bin/prometheus"), PathBuf::from);
        assert!(
            binary.exists(),
            "needs Prometheus: apt-get install -y prometheus (or LOADSPEC_PROMETHEUS=/path/to/prometheus), then cargo test --test it live -- --include-ignored"
        );
        let dir = fresh_out("prometheus");
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: loadspec\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = std::process::Command::new(&binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .unwrap();
        let prometheus = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(port, "/-/ready").is_none() {
            assert!(
                Instant::now() < deadline,
                "Prometheus never got ready; see {}",
                prometheus.dir.join("prometheus.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Prometheus applies new targets every 5 s: wait for its first scrape (of a target
        // not up yet) so that it scrapes the whole run.
        let deadline = Instant::now() + Duration::from_secs(30);
        while prometheus.query("up{job=\"loadspec\"}").is_empty() {
            assert!(Instant::now() < deadline, "Prometheus never scraped");
            std::thread::sleep(Duration::from_millis(200));
        }
        prometheus
    }

    /// An instant query's vector, as (labels, value) pairs.
    fn query(&self, promql: &str) -> Vec<(Value, f64)> {
        self.query_at(promql, f64::NAN)
    }

    /// The query evaluated at `at` (Unix seconds; NaN: now).
    fn query_at(&self, promql: &str, at: f64) -> Vec<(Value, f64)> {
        let encoded: String = promql
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let time = if at.is_nan() {
            String::new()
        } else {
            format!("&time={at:.3}")
        };
        let body = http_get(self.port, &format!("/api/v1/query?query={encoded}{time}")).unwrap();
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["status"], "success", "{promql}: {answer}");
        answer["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["metric"].clone(),
                    r["value"][1].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
#[ignore = "needs chromium and prometheus: apt-get install -y chromium prometheus, then cargo test --test it live -- --include-ignored"]
fn live_in_chromium_and_prometheus_show_the_counts_of_results_json() {
    use crate::report_browser::{Browser, artifacts_dir, find_chromium};
    use loadspec::results::criteria::{Criterion, Metric, Scope};
    let _serial = crate::support::serial();
    let chromium = find_chromium().expect("no Chromium found: apt-get install -y chromium");
    let server = TestServer::start().unwrap();
    let out = fresh_out("browser");
    let (metrics, dashboard) = (free_port(), free_port());
    let prometheus = Prometheus::start(metrics);
    let extra = vec![
        "--metrics-listen".to_owned(),
        format!("127.0.0.1:{metrics}"),
        "--dashboard".to_owned(),
        format!("127.0.0.1:{dashboard}"),
        // Two more scrapes see the final figures.
        "--live-linger".to_owned(),
        "3s".to_owned(),
    ];
    let watched = judged(
        "watched",
        vec![
            Criterion::new(Scope::Request("slow ok".into()), Metric::P95, 500.0),
            Criterion::new(Scope::All, Metric::Failures, 0.01),
        ],
    );
    let run_args = args_holding("4s", &server, &out, &extra);
    let run =
        std::thread::spawn(move || run_harness(Harness::new().scenarios([watched]), &run_args));

    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    let browser = Browser::launch(&chromium, &artifacts.join("chromium-live-profile"));
    let mut cdp = browser.connect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while http_get(dashboard, "/snapshot").is_none() {
        assert!(Instant::now() < deadline, "the dashboard never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    cdp.open(&format!("http://127.0.0.1:{dashboard}/"));
    let probe = r##"JSON.stringify({
        finished: document.body.classList.contains("finished"),
        ticks: window.loadspecLive.ticks.length,
        rows: [...document.querySelectorAll("#step-rows tr")].map((tr) => ({
            step: Number(tr.dataset.step),
            requests: Number(tr.querySelector(".requests").textContent),
            failures: Number(tr.querySelector(".failures").textContent),
        })),
        cells: [...document.querySelectorAll("#criteria-rows td.cell")].map((td) => td.className),
        custom: [...document.querySelectorAll("#custom-rows tr")].map((tr) => tr.dataset.name).sort(),
        report: document.getElementById("report-frame").srcdoc.length,
    })"##;
    let mut shot = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    let (last, ended) = loop {
        let state: Value = serde_json::from_str(cdp.evaluate(probe).as_str().unwrap()).unwrap();
        if !shot && state["rows"].as_array().is_some_and(|r| !r.is_empty()) {
            // Mid-run, after the first step: the matrix has its first column.
            cdp.screenshot(&artifacts.join("dashboard-live.png"));
            shot = true;
        }
        if state["finished"] == true {
            // The end of step 2, while the endpoint still counted up.
            break (state, std::time::SystemTime::now() - Duration::from_secs(3));
        }
        assert!(
            Instant::now() < deadline,
            "the page never turned into the report: {state}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let (code, log) = run.join().unwrap();
    // The error-rate criterion fails, as the matrix below says.
    assert_ne!(code, ExitCode::SUCCESS, "{log}");
    assert!(log.contains("criteria fail"), "{log}");
    let results = results_under(&out);

    // The page: one row per step with results.json's totals, every criterion judged in both
    // steps, then the report in place of the live page.
    assert!(last["ticks"].as_u64().unwrap() >= 8, "{last}");
    let rows = last["rows"].as_array().unwrap();
    assert_eq!(rows.len(), results.steps.len(), "{last}");
    for (row, step) in rows.iter().zip(&results.steps) {
        let total = &step.scenarios[0].total_requests;
        assert_eq!(row["step"], step.index, "{last}");
        assert_eq!(row["requests"], total.count, "step {}: {last}", step.index);
        assert_eq!(
            row["failures"], total.failures,
            "step {}: {last}",
            step.index
        );
    }
    let cells: Vec<&str> = last["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cells.len(), 4, "two criteria × two steps: {cells:?}");
    assert!(
        cells.iter().filter(|c| c.contains("pass")).count() == 2
            && cells.iter().filter(|c| c.contains("fail")).count() == 2,
        "p95 passes, the 50 % error rate fails: {cells:?}"
    );
    assert!(
        last["report"].as_u64().unwrap() > 10_000,
        "the report replaced the page: {last}"
    );
    assert_eq!(
        last["custom"],
        serde_json::json!(["depth", "iterations_counted", "sometimes_ok", "think"]),
        "the scenario's own metrics: {last}"
    );
    cdp.screenshot(&artifacts.join("dashboard-finished.png"));
    // The page closes its event stream itself when the run has finished.
    let problems: Vec<String> = cdp
        .problems()
        .into_iter()
        .filter(|p| !(p.contains("\"canceled\":true") && p.contains("EventSource")))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    browser.close(cdp);

    // Prometheus scraped the endpoint: its last samples are results.json's counts, per step.
    let by_step = |promql: &str| -> BTreeMap<u64, f64> {
        prometheus
            .query(promql)
            .into_iter()
            .map(|(labels, v)| (labels["step"].as_str().unwrap().parse().unwrap(), v))
            .collect()
    };
    let requests = by_step(
        "sum by (step) (max_over_time(loadspec_requests_total{job=\"loadspec\",scenario=\"watched\"}[5m]))",
    );
    let failures = by_step(
        "sum by (step) (max_over_time(loadspec_request_failures_total{job=\"loadspec\",scenario=\"watched\"}[5m]))",
    );
    for step in &results.steps {
        let total = &step.scenarios[0].total_requests;
        let key = step.index as u64 + 1;
        assert_eq!(
            requests.get(&key).copied(),
            Some(total.count as f64),
            "step {key}: {requests:?}"
        );
        assert_eq!(
            failures.get(&key).copied(),
            Some(total.failures as f64),
            "step {key}: {failures:?}"
        );
    }
    // Every panel of the Grafana dashboard has data, queried at the end of step 2.
    let at = ended
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for query in grafana_queries() {
        let promql = query
            .replace("$job", "loadspec")
            .replace("$scenario", "watched")
            .replace("$__rate_interval", "10s");
        let answer = prometheus.query_at(&promql, at);
        assert!(
            !answer.is_empty(),
            "the Grafana panel query {promql} has no data at {at}"
        );
    }
    let verdicts =
        prometheus.query("max_over_time(loadspec_criterion_verdict{job=\"loadspec\"}[5m])");
    assert_eq!(verdicts.len(), 4, "{verdicts:?}");
    let total: u64 = counts(&results).values().map(|(n, _)| n).sum();
    assert_eq!(served(&server), total);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
#[ignore = "needs python3 with opentelemetry-proto: python3 -m venv target/otlp-venv && target/otlp-venv/bin/pip install opentelemetry-proto, then cargo test --test it live -- --include-ignored"]
fn otlp_pushes_decode_with_the_opentelemetry_projects_own_protobuf_code() {
    let python = std::env::var_os("LOADSPEC_OTLP_PYTHON").map_or_else(
        || {
            let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
            tmp.parent().unwrap_or(tmp).join("otlp-venv/bin/python")
        },
        PathBuf::from,
    );
    assert!(
        python.exists(),
        "no {}: python3 -m venv target/otlp-venv && target/otlp-venv/bin/pip install opentelemetry-proto (or LOADSPEC_OTLP_PYTHON)",
        python.display()
    );
    let _serial = crate::support::serial();
    let server = TestServer::start().unwrap();
    let out = fresh_out("otel");
    std::fs::create_dir_all(&out).unwrap();
    let decoded = out.with_extension("otlp.json");
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/otlp_receiver.py");
    let mut receiver = std::process::Command::new(&python)
        .arg(&script)
        .arg(port.to_string())
        .arg(&decoded)
        .stderr(std::fs::File::create(out.with_extension("otlp.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the receiver never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let extra = [
        "--otlp".to_owned(),
        format!("http://127.0.0.1:{port}"),
        "--live-strict".to_owned(),
    ];
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario("otel")]),
        &args(&server, &out, &extra),
    );
    let _ = receiver.kill();
    let _ = receiver.wait();
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let results = results_under(&out);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&decoded).unwrap()).unwrap();
    assert!(
        file["pushes"].as_u64().unwrap() >= 2,
        "the first and the last push: {file}"
    );
    // protobuf's JSON mapping: 64-bit integers are strings, field names camelCase.
    let metrics = file["last"]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        .as_array()
        .unwrap()
        .clone();
    let find = |name: &str| {
        metrics
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {metrics:?}"))
            .clone()
    };
    let attr = |point: &Value, key: &str| -> String {
        let a = point["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .unwrap();
        let v = &a["value"];
        v["stringValue"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v["intValue"].as_str().unwrap().to_owned())
    };
    let requests = find("loadspec.requests");
    assert_eq!(
        requests["sum"]["aggregationTemporality"],
        "AGGREGATION_TEMPORALITY_CUMULATIVE"
    );
    assert_eq!(requests["sum"]["isMonotonic"], true);
    let durations = find("loadspec.request_duration");
    for ((step, label), (count, _)) in counts(&results) {
        let of = |points: &Value| -> Value {
            points
                .as_array()
                .unwrap()
                .iter()
                .find(|p| attr(p, "label") == label && attr(p, "step") == (step + 1).to_string())
                .unwrap_or_else(|| panic!("no point for {label} in step {step}"))
                .clone()
        };
        let point = of(&requests["sum"]["dataPoints"]);
        assert_eq!(point["asInt"], count.to_string(), "{label} in step {step}");
        let h = of(&durations["exponentialHistogram"]["dataPoints"]);
        assert_eq!(h["count"], count.to_string());
        assert_eq!(h["scale"], 4);
        let buckets: u64 = h["positive"]["bucketCounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(buckets, count, "{label}: the buckets hold every sample");
        assert!(
            h["min"].as_f64().unwrap() > 0.0
                && h["max"].as_f64().unwrap() >= h["min"].as_f64().unwrap()
        );
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(&decoded);
}

#[test]
fn a_collector_that_never_answers_holds_up_neither_the_load_nor_the_end() {
    let _serial = crate::support::serial();
    let server = TestServer::start().unwrap();
    let out = fresh_out("silent");
    // Connections are accepted by the kernel (backlog) and never answered.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let extra = [
        "--otlp".to_owned(),
        format!("http://127.0.0.1:{port}"),
        "--otlp-interval".to_owned(),
        "500ms".to_owned(),
    ];
    let started = Instant::now();
    let (code, log) = run_harness(
        Harness::new().scenarios([scenario("silent")]),
        &args(&server, &out, &extra),
    );
    let took = started.elapsed();
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    // 4 s of steps, plus the first and the last push of at most 2 s each.
    assert!(took < Duration::from_secs(12), "{took:?}");
    let results = results_under(&out);
    let warnings = results.run.warnings.join("\n");
    assert!(
        warnings.contains("did not take the first push") && warnings.contains("timed out"),
        "{warnings}"
    );
    for step in &results.steps {
        assert!(
            (step.measured_s - 2.0).abs() < 0.5,
            "step {} measured {} s",
            step.index,
            step.measured_s
        );
        assert!(
            step.scenarios[0].iterations.count > 50,
            "the users kept going"
        );
    }
    let total: u64 = counts(&results).values().map(|(n, _)| n).sum();
    assert_eq!(served(&server), total);
    drop(silent);
    let _ = std::fs::remove_dir_all(&out);
}
