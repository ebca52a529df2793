//! The HTML report: a real run against a target that answers with markup (everything must
//! come out escaped, with one script of our own), the sections and charts, size on a one-hour
//! run, the knee, runs without criteria, and write errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use crate::report_fixture as fixture;

use std::time::Duration;

use loadspec::criteria::{self, Criterion, Metric, Scope};
use loadspec::report::{ReportError, render_html, write_html};
use loadspec::results::model::RunResults;
use loadspec::results::phases::Phase;
use serde_json::{Value, json};

use fixture::{BOLD_CRITERION, SCRIPT_BODY, SCRIPT_LABEL, SCRIPT_NOTE, TAG_TRANSACTION};

/// The report with askama's numeric entities (`&#60;`) written as named ones (`&lt;`), so
/// one expectation covers text escaped by the template and by the SVG builders.
fn normalized(html: &str) -> String {
    html.replace("&#60;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#34;", "&quot;")
        .replace("&#38;", "&amp;")
}

#[test]
fn a_real_run_renders_every_section_with_everything_escaped() {
    let server = fixture::XssServer::start().unwrap();
    let out = fixture::fresh_dir("escape");
    let (results, json) = fixture::run(&server, &out, &[1, 2], Duration::from_millis(1200));
    let notes = vec![
        SCRIPT_NOTE.to_owned(),
        "Target ran on the same host.".to_owned(),
    ];
    let html = render_html(&results, &notes).unwrap();

    // One script, ours; nothing from the target or the user became markup.
    let lower = html.to_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "only the report's own script"
    );
    assert!(html.contains("<script>\n// Optional enhancements"));
    for raw in [
        SCRIPT_BODY,
        SCRIPT_LABEL,
        TAG_TRANSACTION,
        BOLD_CRITERION,
        "<img",
        "<b>",
        "onerror=alert(2)>",
    ] {
        assert!(!html.contains(raw), "{raw:?} appears unescaped");
    }
    let page = html;
    let html = normalized(&page);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the error body sample"
    );
    assert!(
        html.contains("&lt;script&gt;window.__pwned=true&lt;/script&gt;"),
        "the label"
    );
    assert!(
        html.contains("Assumption: &lt;script&gt;alert("),
        "the note"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "the transaction"
    );
    assert!(
        html.contains("&lt;b&gt;checkout&lt;/b&gt; errors"),
        "the criterion"
    );
    // The SVG builders escape too: the transaction name is in the response-time legend.
    let charts = &html[html.find("id=\"chart-response-times\"").unwrap()..];
    let chart = &charts[..charts.find("</svg>").unwrap()];
    assert!(
        chart.contains("&lt;img src=x onerror=alert(2)&gt; p95"),
        "legend escaped"
    );

    // Fully offline: nothing to fetch, and a policy that forbids fetching anyway.
    for fetch in [
        "<link", "<img", "<iframe", " src=\"", "url(", "@import", "<object",
    ] {
        assert!(!lower.contains(fetch), "{fetch:?} in the report");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));

    // Sections, charts, verdict colours.
    for id in [
        "overview", "verdict", "findings", "charts", "steps", "errors",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
        assert!(
            html.contains(&format!("href=\"#{id}\"")),
            "table of contents entry {id}"
        );
    }
    for chart in [
        "chart-response-times",
        "chart-throughput",
        "chart-active-users",
        "chart-scalability-throughput",
        "chart-scalability-latency",
        "chart-transactions",
        "chart-percentiles",
        "chart-status-codes",
    ] {
        assert!(html.contains(&format!("id=\"{chart}\"")), "chart {chart}");
    }
    // System usage appears exactly when the run sampled this machine (Linux does).
    let sampled = results.steps.iter().any(|s| !s.system.is_empty());
    assert_eq!(html.contains("<section id=\"system\">"), sampled);
    assert_eq!(html.contains("id=\"chart-system-cpu\""), sampled);
    assert!(
        html.contains("class=\"banner fail\""),
        "the failing criterion turns it red"
    );
    assert!(html.contains("class=\"cell fail\""));
    assert!(html.contains("Capacity:"));
    assert!(
        html.contains("first fails at"),
        "a finding names the first failing step"
    );
    assert!(html.contains(">Total<"), "the Total row");
    assert!(html.contains("http_5xx"), "the error kind");
    assert!(html.contains("Target ran on the same host."));

    // write_html puts the same page on disk.
    let path = json.with_file_name("report.html");
    write_html(&results, &path, &notes).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), page);
    println!(
        "report of a real run: {} ({} bytes)",
        path.display(),
        html.len()
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// A histogram of a real run (base64 HdrHistogram V2, microseconds).
const HISTOGRAM: &str = "HISTEwAAAQwAAAAAAAAAAwAAAAAAAAABAAAAANaTpAA/8AAAAAAAAJ83AgsCCwIbAjcC3QICAAICBAIEAAIEBAQIAggCAgIIBggECAgCAgYCAgMEAgIEAAIGBAYEBAQIAAIAAgIEBAIAAgACBgACAwQCBAICAgICBAACAAQJAgACAwIJAgIHAgMCAgILAiMCCwINAgcCGwJfAiECDwIdAk0CVQIFAlECCQIDAhECDwIDAg0COQItAhMCAwIJBAAEAAIAAgMCGwQRAgcCEQIVAhECAAInAgIdAh0CAAIxAgACCwIDAhcCCwQXAgMCEwIJAgMCAAICDQIDAg8CAgcCDQIFAgUCBQIAAhcCBwIjAgUEBwIAAhUCIwIFAisCGwJXArEBAk8CGQJlAmMCvQQClQ4COwI=";

/// A run of `steps` (users, requests per second, p95 ms) with `ticks` one-second points per
/// step, four transactions and six request labels, judged against two criteria.
fn synthetic(steps: &[(u32, f64, f64)], ticks: usize) -> RunResults {
    let transactions = ["login", "search", "create_insuree", "logout"];
    let requests = [
        "POST /api/login",
        "GET /api/insurees",
        "POST /graphql",
        "GET /api/master",
        "POST /api/insurees",
        "POST /api/logout",
    ];
    let label = |name: &str, count: u64, throughput: f64, p95: f64| {
        json!({
            "label": name, "count": count, "failures": count / 100, "error_rate": 0.01,
            "throughput_per_s": throughput, "mean_ms": p95 * 0.6, "min_ms": 1.0,
            "p50_ms": p95 * 0.5, "p90_ms": p95 * 0.9, "p95_ms": p95, "p99_ms": p95 * 1.4,
            "p999_ms": p95 * 2.0, "max_ms": p95 * 3.0,
            "status_codes": {"200": count - count / 100, "503": count / 100},
            "errors": [{"kind": "http_5xx", "count": count / 100,
                        "sample": "GET /api/insurees: status 503 (expected 200): database is locked"}],
            "requests_per_transaction": null, "bytes_received": count * 512,
            "histogram": HISTOGRAM
        })
    };
    let mut step_values = Vec::new();
    let mut planned = Vec::new();
    let mut offset = 0.0;
    for (index, &(users, throughput, p95)) in steps.iter().enumerate() {
        let count = (throughput * ticks as f64) as u64;
        let series: Vec<Value> = (0..ticks)
            .map(|i| {
                let wave = 1.0 + 0.2 * ((i as f64) / 37.0).sin();
                let mut per_tx = serde_json::Map::new();
                for (k, name) in transactions.iter().enumerate() {
                    per_tx.insert(
                        (*name).to_owned(),
                        json!({"count": (throughput / 4.0) as u64, "failures": 0,
                               "p50_ms": p95 * 0.5 * wave * (1.0 + k as f64 / 4.0),
                               "p95_ms": p95 * wave * (1.0 + k as f64 / 4.0)}),
                    );
                }
                json!({
                    "t_s": offset + i as f64 + 1.0, "width_s": 1.0, "ramp_up": i < 60,
                    "active_users": if i < 60 { users * i as u32 / 60 } else { users },
                    "requests": (throughput * wave) as u64, "failures": (throughput / 100.0) as u64,
                    "p50_ms": p95 * 0.5 * wave, "p95_ms": p95 * wave, "transactions": per_tx
                })
            })
            .collect();
        // One monitor sample per second, like the time series.
        let system: Vec<Value> = (0..ticks)
            .map(|i| {
                let busy = (f64::from(users) / 3.0).min(90.0);
                json!({
                    "t_s": offset + i as f64 + 1.0, "cpu_user": busy * 0.7,
                    "cpu_system": busy * 0.25, "cpu_iowait": busy * 0.05,
                    "cpu_idle": 100.0 - busy, "cpu_per_core": vec![busy; 16],
                    "mem_used": 8u64 << 30, "mem_available": 56u64 << 30, "swap_used": 0,
                    "disk_read_bps": 0.0, "disk_write_bps": 40_960.0,
                    "net": [{"interface": "eth0", "rx_bps": throughput * 2048.0,
                             "tx_bps": throughput * 512.0}],
                    "load": [1.0, 1.0, 1.0], "process_cpu": busy * 4.0,
                    "process_rss": 200u64 << 20
                })
            })
            .collect();
        let mut total = label("Total", count, throughput, p95);
        total["label"] = json!("Total");
        step_values.push(json!({
            "index": index, "started_at": "2026-11-27T10:00:00Z", "offset_s": offset,
            "duration_s": ticks as f64, "measured_from_s": 60.0, "measured_s": ticks as f64 - 60.0,
            "status": "completed",
            "system": system,
            "scenarios": [{
                "scenario": "insuree_flow", "users": users,
                "iterations": label("insuree_flow", count / 8, throughput / 8.0, p95 * 4.0),
                "interrupted_iterations": if index == steps.len() - 1 { 3 } else { 0 },
                "transactions": transactions.iter().map(|t| {
                    let mut l = label(t, count / 4, throughput / 4.0, p95);
                    l["requests_per_transaction"] = json!(1.5);
                    l
                }).collect::<Vec<_>>(),
                "requests": requests.iter().map(|r| label(r, count / 6, throughput / 6.0, p95)).collect::<Vec<_>>(),
                "total_requests": total,
                "time_series": series
            }]
        }));
        planned.push(json!({
            "index": index, "users": {"insuree_flow": users}, "ramp_up_s": 60.0,
            "hold_s": ticks as f64 - 60.0, "cooldown_s": 0.0, "iterations": null
        }));
        offset += ticks as f64;
    }
    let document = json!({
        "schema": "loadspec.results", "schema_version": 1,
        "run": {
            "id": "insuree_flow-20261127T100000Z", "name": "insuree_flow", "mode": "full",
            "target": "http://127.0.0.1:8000", "seed": 42,
            "started_at": "2026-11-27T10:00:00Z", "finished_at": "2026-11-27T18:00:00Z",
            "duration_s": offset, "status": "completed", "status_reason": null
        },
        "environment": {
            "hostname": "loadgen-1", "os": "Linux (Debian GNU/Linux 12)", "kernel": "6.1.0",
            "cpu_model": "AMD EPYC 7R13", "cpus": 16, "memory_bytes": 68_719_476_736u64,
            "loadspec_version": "0.1.0", "workers": 4
        },
        "plan": {
            "profile": "ramp",
            "scenarios": [{
                "name": "insuree_flow", "module_path": "load::insuree",
                "threads": steps.iter().map(|s| s.0).collect::<Vec<_>>(),
                "think_time_s": [1.0, 3.0], "tags": ["insuree"], "hung_after_s": 120.0,
                "request_timeout_s": 60.0, "criteria": []
            }],
            "steps": planned, "graceful_stop_s": 5.0
        },
        "steps": step_values,
        "criteria": null
    });
    let mut results: RunResults = serde_json::from_value(document).unwrap();
    let judged = vec![
        Criterion::new(Scope::Transaction("search".into()), Metric::P95, 500.0).threshold(800.0),
        Criterion::new(Scope::All, Metric::Failures, 0.005).threshold(0.02),
    ];
    results.plan.scenarios[0].criteria = judged.clone();
    results.criteria = Some(criteria::evaluate(
        &results,
        &[("insuree_flow".to_owned(), judged)],
    ));
    results
}

#[test]
fn an_hour_per_step_over_eight_steps_stays_under_3_mb() {
    let steps = [
        (1, 10.0, 120.0),
        (5, 48.0, 130.0),
        (10, 95.0, 150.0),
        (30, 260.0, 210.0),
        (50, 300.0, 420.0),
        (100, 310.0, 900.0),
        (150, 305.0, 1500.0),
        (300, 290.0, 3100.0),
    ];
    let results = synthetic(&steps, 3600);
    let points: usize = results
        .steps
        .iter()
        .map(|s| s.scenarios[0].time_series.len())
        .sum();
    assert_eq!(points, 8 * 3600);
    let started = std::time::Instant::now();
    let html = render_html(&results, &[]).unwrap();
    println!(
        "8 steps × 3,600 points per series: {} bytes, rendered in {:?}",
        html.len(),
        started.elapsed()
    );
    assert!(html.len() < 3 * 1024 * 1024, "{} bytes", html.len());
    // Downsampled: no chart path carries anywhere near 28,800 points.
    for d in html.split(" d=\"").skip(1) {
        let d = &d[..d.find('"').unwrap()];
        assert!(
            d.matches(['L', 'H']).count() <= 1300,
            "a path with {} segments",
            d.len()
        );
    }
    // 30 → 50 users still adds 15% throughput; 50 → 100 adds 3% while p95 doubles: the knee.
    assert!(html.contains("knee · 50 threads"), "the knee marker");
    for chart in [
        "chart-system-cpu",
        "chart-system-memory",
        "chart-system-network",
        "chart-system-disk",
    ] {
        assert!(html.contains(&format!("id=\"{chart}\"")), "{chart}");
    }
    assert!(html.contains("Throughput stops growing after 50 threads"));
    assert!(html.contains("Slowest transactions at the peak load, step 8 (300 threads)"));
    assert!(html.contains("cut off at the step&#39;s hard stop"));
    assert!(html.contains("search p95 first"));
}

#[test]
fn runs_without_criteria_say_why() {
    let mut results = synthetic(&[(1, 10.0, 100.0)], 30);
    results.criteria = None;
    let html = render_html(&results, &[]).unwrap();
    assert!(html.contains("class=\"banner none\""));
    assert!(
        html.contains("The plan lists 2 criteria"),
        "full run with unjudged criteria"
    );

    results.plan.scenarios[0].criteria.clear();
    let html = render_html(&results, &[]).unwrap();
    assert!(html.contains("The scenarios define no criteria"));

    assert!(
        html.contains("id=\"chart-system-cpu\""),
        "sampled: system usage"
    );
    // No monitoring samples: no System usage section, not even an empty one.
    for step in &mut results.steps {
        step.system.clear();
    }
    let html = render_html(&results, &[]).unwrap();
    assert!(!html.contains("id=\"system\""));
    assert!(!html.contains("href=\"#system\""));

    // Scraped target series: gauges as they are, counters as rates.
    for step in &mut results.steps {
        step.target_metrics = (0..5)
            .map(|i| loadspec::results::model::TargetSample {
                t_s: step.offset_s + f64::from(i) * 5.0,
                series: [
                    ("demo_db_pool_waiting".to_owned(), f64::from(i % 3)),
                    ("demo_db_busy_errors_total".to_owned(), f64::from(i) * 10.0),
                ]
                .into(),
            })
            .collect();
    }
    let html = render_html(&results, &[]).unwrap();
    assert!(html.contains("id=\"chart-target-gauges\"") && html.contains("demo_db_pool_waiting"));
    assert!(
        html.contains("id=\"chart-target-counters\"") && html.contains("demo_db_busy_errors_total")
    );
    for step in &mut results.steps {
        step.target_metrics.clear();
    }

    results.run.mode = loadspec::Mode::Smoke;
    let html = render_html(&results, &[]).unwrap();
    assert!(html.contains("This was a smoke run"));
    // One step: no scalability curve, and no empty chart in its place.
    assert!(!html.contains("chart-scalability-throughput"));
    assert!(html.contains("id=\"chart-response-times\""));
}

#[test]
fn write_errors_name_the_report() {
    let dir = fixture::fresh_dir("write-error");
    std::fs::create_dir_all(&dir).unwrap();
    let not_a_dir = dir.join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let path = not_a_dir.join("report.html");
    let results = synthetic(&[(1, 10.0, 100.0)], 5);
    let error = write_html(&results, &path, &[]).unwrap_err();
    assert!(matches!(error, ReportError::Write { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("failed to write the HTML report {}", path.display())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merged_runs_show_every_generator_apart() {
    use loadspec::results::model::{
        GeneratorHealth, HostResults, HostStep, SaturationCause, ShardInfo,
    };

    let mut results = synthetic(&[(10, 95.0, 150.0), (30, 260.0, 210.0)], 90);
    let healthy = GeneratorHealth {
        cpu_share_mean: 0.3,
        cpu_share_max: 0.4,
        lag_p99_ms: 0.8,
        lag_max_ms: 2.0,
        ..GeneratorHealth::default()
    };
    // A merged run keeps each host's samples apart; its steps carry none.
    results.hosts = (0..2_u32)
        .map(|index| {
            let mut environment = results.environment.clone();
            environment.hostname = format!("loadgen-{index}");
            HostResults {
                shard: ShardInfo {
                    index,
                    count: 2,
                    total_users: Vec::new(),
                    start_at: Some("2026-11-27T10:00:00Z".into()),
                    late_by_s: Some(0.021 + f64::from(index)),
                    started_unix_s: 1_795_773_600.0,
                },
                run_id: format!("insuree_flow-shard-{index}"),
                status: loadspec::results::model::RunStatus::Completed,
                environment,
                warnings: Vec::new(),
                steps: results
                    .steps
                    .iter()
                    .map(|step| HostStep {
                        index: step.index,
                        users: step.scenarios[0].users / 2,
                        offset_s: step.offset_s,
                        // The second generator ran out of CPU in the second step.
                        generator: Some(GeneratorHealth {
                            bound: index == 1 && step.index == 1,
                            cause: if index == 1 && step.index == 1 {
                                SaturationCause::Generator
                            } else {
                                SaturationCause::None
                            },
                            cpu_share_max: if index == 1 && step.index == 1 {
                                0.97
                            } else {
                                0.4
                            },
                            ..healthy.clone()
                        }),
                        system: step.system.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    for step in &mut results.steps {
        step.system.clear();
    }
    let html = render_html(&results, &[]).unwrap();
    assert!(html.contains("id=\"generators\""), "a generators table");
    assert!(html.contains("<td>0/2</td>") && html.contains("<td>1/2</td>"));
    assert!(html.contains("loadgen-1 · 16 CPUs"));
    assert!(
        html.contains("<strong class=\"fail\">step 2 (generator-bound*)</strong>"),
        "the saturated generator's step is named"
    );
    assert!(html.contains("id=\"chart-generators-cpu\""));
    assert!(html.contains("shard 1 (loadgen-1)"), "one line per host");
    assert!(
        !html.contains("id=\"chart-system-cpu\""),
        "hosts are not mixed into one machine's chart"
    );
    assert!(html.contains("Every load generator, per shard"));
}

#[test]
fn server_timing_shows_where_the_time_goes() {
    use loadspec::results::model::ServerTimingSummary;

    let mut results = synthetic(&[(10, 95.0, 150.0), (30, 260.0, 210.0)], 90);
    let html = render_html(&results, &[]).unwrap();
    assert!(
        !html.contains("chart-server-timing") && !html.contains("Where the time goes"),
        "nothing drawn for a target without Server-Timing"
    );
    for (i, step) in results.steps.iter_mut().enumerate() {
        for label in &mut step.scenarios[0].requests {
            let db = 20.0 * (i + 1) as f64;
            for (name, mean_ms) in [("db", db), ("app", db + 5.0)] {
                label.server_timing.insert(
                    name.to_owned(),
                    ServerTimingSummary {
                        mean_ms,
                        count: label.count,
                    },
                );
            }
        }
    }
    let html = render_html(&results, &[]).unwrap();
    assert!(html.contains("id=\"chart-server-timing\""), "the chart");
    assert!(
        html.contains("of which the target reported app 45"),
        "the finding names the entries at the peak"
    );
    assert!(html.contains("server db") && html.contains("client mean"));
    // Step 2's table: the client's mean (0.6 × 210 ms), db 40 ms, app 45 ms, outside 81 ms.
    let normalized = normalized(&html);
    let step2 = &normalized[normalized.find("id=\"step-2\"").unwrap()..];
    assert!(
        step2.contains("Where the time goes"),
        "the step's breakdown"
    );
    assert!(
        step2.contains("<th class=\"num\">db</th>") && step2.contains("<th class=\"num\">app</th>"),
        "one column per entry"
    );
    for cell in ["126", "40.0", "45.0", "81.0"] {
        assert!(
            step2.contains(&format!("<td class=\"num\">{cell}")),
            "cell {cell} in {}",
            &step2[..step2.find("</table>").unwrap_or(step2.len()).min(4000)]
        );
    }
}

/// The phases of `requests` requests, `resumed` of whose handshakes resumed a session: each
/// phase with the µs of every request that went through it.
fn phases_of(
    requests: u64,
    resumed: u64,
    phases: &[(Phase, Vec<u64>)],
) -> loadspec::results::phases::PhasesSummary {
    use loadspec::results::histogram;
    use loadspec::results::phases::{PhaseSummary, PhasesSummary};

    PhasesSummary {
        requests,
        tls_resumed: resumed,
        http2: 0,
        phases: phases
            .iter()
            .map(|(phase, values)| {
                let mut h = histogram::new_histogram();
                for &v in values {
                    histogram::record(&mut h, v);
                }
                (*phase, PhaseSummary::of(&h, values.iter().sum()))
            })
            .collect(),
    }
}

#[test]
fn phases_show_where_each_labels_time_goes() {
    let mut results = synthetic(&[(10, 95.0, 150.0), (30, 260.0, 210.0)], 90);
    let html = render_html(&results, &[]).unwrap();
    assert!(
        !html.contains("<table class=\"phase-table\">") && !html.contains("phase by phase"),
        "nothing drawn for labels without phases"
    );
    // Step 2, one label over HTTPS: 100 requests, two opened a connection (one resumed its
    // TLS session), each waited 50 ms for its first byte.
    let https = phases_of(
        100,
        1,
        &[
            (Phase::Dns, vec![1000, 3000]),
            (Phase::Connect, vec![2000, 4000]),
            (Phase::Tls, vec![10_000, 30_000]),
            (Phase::Send, vec![200; 100]),
            (Phase::Wait, vec![50_000; 100]),
            (Phase::Receive, vec![1000; 100]),
        ],
    );
    let requests = &mut results.steps[1].scenarios[0].requests;
    let insurees = requests
        .iter_mut()
        .find(|l| l.label == "GET /api/insurees")
        .unwrap();
    insurees.phases = Some(https.clone());
    let html = normalized(&render_html(&results, &[]).unwrap());
    let step1 = &html[html.find("id=\"step-1\"").unwrap()..html.find("id=\"step-2\"").unwrap()];
    assert!(!step1.contains("class=\"phases\""), "step 1 has no phases");
    let step2 = &html[html.find("id=\"step-2\"").unwrap()..];
    assert!(step2.contains("Where the time goes, phase by phase"));
    assert_eq!(
        step2.matches("<table class=\"phase-table\">").count(),
        1,
        "only the label with phases, and no total for a single label"
    );
    // Per request: dns 4 ms / 100, connect 6 / 100, tls 40 / 100, send 0.2, wait 50,
    // receive 1: 51.7 ms in all.
    assert!(
        step2.contains(
            "<caption><strong>GET /api/insurees</strong> · 100 requests · phases 51.7 ms per \
             request, mean request 126 ms · 2 TLS handshakes, 1 resumed</caption>"
        ),
        "{}",
        &step2[step2.find("phase-table").unwrap()..][..600]
    );
    for (phase, count, mean, p95, p99, per_request) in [
        ("dns", "2", "2.00", "3.00", "3.00", "0.04"),
        ("connect", "2", "3.00", "4.00", "4.00", "0.06"),
        ("tls", "2", "20.0", "30.0", "30.0", "0.40"),
        ("send", "100", "0.20", "0.20", "0.20", "0.20"),
        ("wait", "100", "50.0", "50.0", "50.0", "50.0"),
        ("receive", "100", "1.00", "1.00", "1.00", "1.00"),
    ] {
        let row = format!(
            "<tr data-phase=\"{phase}\"><th scope=\"row\">{phase}</th><td class=\"num\">{count}</td>\
             <td class=\"num\">{mean}</td><td class=\"num\">{p95}</td><td class=\"num\">{p99}</td>\
             <td class=\"num\">{per_request}</td></tr>"
        );
        assert!(step2.contains(&row), "{row}");
    }
    // The bar: one segment per phase, each with its value and share in the tooltip.
    assert!(step2.contains("<title>GET /api/insurees\nwait: 50.0 ms (96.7%)</title>"));
    assert!(step2.contains("<title>GET /api/insurees\ntls: 0.40 ms (0.77%)</title>"));
    assert!(step2.contains(">51.7 ms per request</text>"));
    assert!(step2.contains("class=\"seg-value\">50.0</text>"));

    // Several labels with phases: the scenario's total comes last, over all of them.
    let plain = phases_of(
        50,
        0,
        &[
            (Phase::Connect, vec![2000]),
            (Phase::Send, vec![100; 50]),
            (Phase::Wait, vec![8000; 50]),
            (Phase::Receive, vec![500; 50]),
        ],
    );
    let scenario = &mut results.steps[1].scenarios[0];
    let login = scenario
        .requests
        .iter_mut()
        .find(|l| l.label == "POST /api/login")
        .unwrap();
    login.phases = Some(plain.clone());
    scenario.total_requests.phases =
        loadspec::results::phases::PhasesSummary::merge([&https, &plain]).unwrap();
    let html = normalized(&render_html(&results, &[]).unwrap());
    let step2 = &html[html.find("id=\"step-2\"").unwrap()..];
    let captions: Vec<&str> = step2
        .match_indices("<caption><strong>")
        .map(|(i, _)| {
            let rest = &step2[i + "<caption><strong>".len()..];
            &rest[..rest.find("</strong>").unwrap()]
        })
        .collect();
    assert_eq!(
        captions,
        ["POST /api/login", "GET /api/insurees", "Total"],
        "labels in the results' order, then the total"
    );
    // No TLS on the plain label: no handshake line; the total's are the HTTPS label's.
    assert!(step2.contains("<strong>POST /api/login</strong> · 50 requests · phases 8.64 ms per request, mean request 126 ms</caption>"));
    assert!(step2.contains("<strong>Total</strong> · 150 requests"));
    assert!(step2.contains("· 2 TLS handshakes, 1 resumed</caption>"));
}
