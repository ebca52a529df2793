//! The report in a real browser. A real run (the `report_html` fixture: markup in error
//! bodies, labels and names) is rendered, then headless Chromium opens the file from
//! `file://` while this test watches over the DevTools protocol: no network request, no
//! console error or exception, no injected script ran, every chart drawn, the tooltip and
//! legend scripts work. A run against an HTTPS target shows its phase breakdown with the
//! figures of its results.json. Screenshots are saved as artifacts under
//! `<target>/loadspec/artifacts/`.
//!
//! Needs Chromium, so it is ignored by default (a plain `cargo test` passes on machines
//! without a browser); CI runs it explicitly:
//!
//! ```text
//! apt-get install -y chromium
//! cargo test --test it report_browser -- --include-ignored
//! ```
//!
//! Once included, a missing browser fails the test with that hint — it never passes
//! silently. `LOADSPEC_CHROMIUM=/path/to/chrome` picks another binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use crate::report_fixture as fixture;

use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

const HINT: &str = "needs chromium: apt-get install -y chromium, then \
                    cargo test --test it report_browser -- --include-ignored";

/// Every chart the fixture's run must produce.
const CHARTS: [&str; 8] = [
    "chart-response-times",
    "chart-throughput",
    "chart-active-users",
    "chart-scalability-throughput",
    "chart-scalability-latency",
    "chart-transactions",
    "chart-percentiles",
    "chart-status-codes",
];

#[test]
#[ignore = "needs chromium: apt-get install -y chromium, then cargo test --test it report_browser -- --include-ignored"]
fn the_report_renders_offline_in_chromium() {
    let chromium = find_chromium().unwrap_or_else(|| panic!("no Chromium found; {HINT}"));
    let server = fixture::XssServer::start().unwrap();
    let out = fixture::fresh_dir("browser");
    let (results, json) = fixture::run(&server, &out, &[1, 2, 4, 8], Duration::from_millis(2500));
    drop(server);
    let report = json.with_file_name("report.html");
    let notes = [
        "Target: an in-process axum server on the load generator's host.".to_owned(),
        fixture::SCRIPT_NOTE.to_owned(),
    ];
    loadspec::report::write_html(&results, &report, &notes).unwrap();
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::copy(&report, artifacts.join("report.html")).unwrap();
    let url = format!("file://{}", report.canonicalize().unwrap().display());

    let browser = Browser::launch(&chromium, &out.join("chromium-profile"));
    let mut cdp = browser.connect();
    cdp.open(&url);
    let page = cdp.evaluate(
        "JSON.stringify({
            charts: Array.from(document.querySelectorAll('svg.chart')).map(function (s) {
                var box = s.getBoundingClientRect();
                return {
                    id: (s.closest('figure') || {}).id || '',
                    drawn: s.querySelectorAll('.series path, .series rect, .series circle').length,
                    width: box.width, height: box.height
                };
            }),
            pwned: typeof window.__pwned !== 'undefined',
            scripts: document.scripts.length,
            badge: document.querySelector('.banner .badge').textContent,
            sections: Array.from(document.querySelectorAll('main section')).map(function (s) { return s.id; })
        })",
    );
    let page: Value = serde_json::from_str(page.as_str().unwrap()).unwrap();
    println!("page: {page}");

    // (2) Every chart is there and drawn.
    let charts = page["charts"].as_array().unwrap();
    for id in CHARTS {
        let chart = charts
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("chart {id} missing: {page}"));
        assert!(
            chart["drawn"].as_u64().unwrap() > 0,
            "{id} draws nothing: {chart}"
        );
        assert!(
            chart["width"].as_f64().unwrap() > 300.0 && chart["height"].as_f64().unwrap() > 150.0,
            "{id} has no size: {chart}"
        );
    }
    // Any other chart (system usage, when the run sampled this machine) is drawn too.
    for chart in charts {
        assert!(
            chart["drawn"].as_u64().unwrap() > 0,
            "draws nothing: {chart}"
        );
    }
    assert_eq!(page["scripts"], 1, "only the report's own script");
    assert_eq!(page["pwned"], false, "an injected script ran");
    assert_eq!(page["badge"], "FAIL");

    // The optional script works: a hover column shows its values, a legend entry hides its
    // series.
    let hover = cdp.evaluate(
        "(function () {
            var r = document.querySelector('#chart-scalability-latency .hover rect');
            r.scrollIntoView({block: 'center', behavior: 'instant'});
            var b = r.getBoundingClientRect();
            return JSON.stringify({x: b.left + b.width / 2, y: b.top + b.height / 2});
        })()",
    );
    let at: Value = serde_json::from_str(hover.as_str().unwrap()).unwrap();
    cdp.call(
        "Input.dispatchMouseEvent",
        json!({"type": "mouseMoved", "x": at["x"], "y": at["y"]}),
    );
    let tip = cdp.evaluate(
        "JSON.stringify({hidden: document.getElementById('tip').hidden,
                         text: document.getElementById('tip').textContent})",
    );
    let tip: Value = serde_json::from_str(tip.as_str().unwrap()).unwrap();
    assert_eq!(tip["hidden"], false, "{tip}");
    assert!(tip["text"].as_str().unwrap().contains("p95: "), "{tip}");
    let toggled = cdp.evaluate(
        "(function () {
            var item = document.querySelector('#chart-scalability-latency .legend-item');
            item.dispatchEvent(new MouseEvent('click', {bubbles: true}));
            var series = document.querySelector('#chart-scalability-latency .series[data-series=\"0\"]');
            var off = series.classList.contains('off');
            item.dispatchEvent(new MouseEvent('click', {bubbles: true}));
            return off && !series.classList.contains('off');
        })()",
    );
    assert_eq!(toggled, true, "legend toggles its series");
    cdp.call(
        "Input.dispatchMouseEvent",
        json!({"type": "mouseMoved", "x": 1, "y": 1}),
    );

    // (4) Screenshots: the first screen, then the whole page.
    cdp.evaluate("window.scrollTo({top: 0, behavior: 'instant'}); 0");
    let top = artifacts.join("report-top.png");
    cdp.screenshot(&top);
    let metrics = cdp.call("Page.getLayoutMetrics", json!({}));
    let height = metrics["cssContentSize"]["height"]
        .as_f64()
        .unwrap_or(900.0)
        .min(16_000.0);
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1400, "height": height.ceil() as u64, "deviceScaleFactor": 1, "mobile": false}),
    );
    std::thread::sleep(Duration::from_millis(300));
    let full = artifacts.join("report.png");
    cdp.screenshot(&full);
    println!("screenshot: {}", full.display());
    println!("screenshot (first screen): {}", top.display());
    println!("report: {}", artifacts.join("report.html").display());

    // (1) Nothing but the file itself (and data: URLs) was requested.
    let requests: Vec<String> = cdp
        .events_named("Network.requestWillBeSent")
        .map(|e| {
            e["params"]["request"]["url"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(
        requests.contains(&url),
        "the page load was observed: {requests:?}"
    );
    let remote: Vec<&String> = requests
        .iter()
        .filter(|u| !u.starts_with("file://") && !u.starts_with("data:"))
        .collect();
    assert!(remote.is_empty(), "network requests: {remote:?}");

    // (3) No console error, exception, failed load or dialog (an executed `alert`).
    let problems = cdp.problems();
    assert!(problems.is_empty(), "{problems:#?}");
    browser.close(cdp);
    let _ = std::fs::remove_dir_all(&out);
}

/// What one label's phase table must show, from results.json.
#[derive(Debug, PartialEq)]
struct PhaseTable {
    label: String,
    requests: u64,
    /// The TLS row's requests: the handshakes of the label's requests.
    tls: Option<u64>,
    /// The caption's handshake line.
    tls_line: Option<String>,
    /// The wait row's p95, as the report writes milliseconds.
    wait_p95: String,
}

/// Milliseconds as the report's tables write them (`format::ms`).
fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.0}", v.round())
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The tables each step's breakdown must have: request labels with phases in the results'
/// order, then the total when there are several.
fn expected_tables(step: &Value) -> Vec<PhaseTable> {
    let scenario = &step["scenarios"][0];
    let table = |label: &Value| {
        let phases = &label["phases"];
        let tls = phases["phases"]["tls"]["count"].as_u64();
        PhaseTable {
            label: label["label"].as_str().unwrap().to_owned(),
            requests: phases["requests"].as_u64().unwrap(),
            tls,
            tls_line: tls.map(|n| {
                let noun = if n == 1 { "handshake" } else { "handshakes" };
                format!("{n} TLS {noun}, {} resumed", phases["tls_resumed"])
            }),
            wait_p95: ms(phases["phases"]["wait"]["p95_ms"].as_f64().unwrap()),
        }
    };
    let mut tables: Vec<PhaseTable> = scenario["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["phases"].is_object())
        .map(table)
        .collect();
    if tables.len() > 1 {
        tables.push(table(&scenario["total_requests"]));
    }
    tables
}

#[test]
#[ignore = "needs chromium: apt-get install -y chromium, then cargo test --test it report_browser -- --include-ignored"]
fn the_phase_breakdown_of_an_https_run_renders_in_chromium() {
    let chromium = find_chromium().unwrap_or_else(|| panic!("no Chromium found; {HINT}"));
    let out = fixture::fresh_dir("browser-phases");
    let target = fixture::TlsTarget::start(&out.join("ca")).unwrap();
    let (_, json) = fixture::run_tls(
        &target,
        &out.join("run"),
        &[2, 4],
        Duration::from_millis(1500),
    );
    let (server_handshakes, server_resumed, refused) = target.handshakes();
    drop(target);
    // The run's own report.html, beside its results.json, is what the browser opens.
    let report = json.with_file_name("report.html");
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let steps = stored["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    let expected: Vec<Vec<PhaseTable>> = steps.iter().map(expected_tables).collect();
    println!("expected: {expected:#?}");
    // The run did what the breakdown must show: handshakes in every step (each iteration's
    // `/close` makes the next request reconnect), resumed ones among them, and no more than
    // the server completed.
    let total_tls = |step: &Value| {
        step["scenarios"][0]["total_requests"]["phases"]["phases"]["tls"]["count"]
            .as_u64()
            .unwrap_or(0)
    };
    let total_resumed = |step: &Value| {
        step["scenarios"][0]["total_requests"]["phases"]["tls_resumed"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(refused, 0);
    for step in steps {
        assert!(total_tls(step) > 0, "handshakes in {step:#}");
        assert_eq!(expected_tables(step).len(), 3, "two labels and the total");
    }
    let recorded: u64 = steps.iter().map(total_tls).sum();
    let resumed: u64 = steps.iter().map(total_resumed).sum();
    assert!(resumed > 0, "sessions resumed on reconnect");
    assert!(
        recorded <= server_handshakes && resumed <= server_resumed,
        "results {recorded} ({resumed} resumed), server {server_handshakes} ({server_resumed})"
    );
    // The phase criteria were judged on the same figures and passed.
    let rows = stored["criteria"]["rows"].as_array().unwrap();
    let ttfb = rows
        .iter()
        .find(|r| r["criterion"]["metric"] == "ttfb_p95")
        .unwrap();
    for (cell, step) in ttfb["cells"].as_array().unwrap().iter().zip(steps) {
        let wait = &step["scenarios"][0]["total_requests"]["phases"]["phases"]["wait"];
        assert_eq!(cell["measured"], wait["p95_ms"], "{cell}");
        assert!(
            wait["p95_ms"].as_f64().unwrap() >= 20.0,
            "the route waits 20 ms"
        );
    }
    assert_eq!(
        stored["criteria"]["verdict"], "pass",
        "{:#}",
        stored["criteria"]
    );

    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::copy(&report, artifacts.join("report-phases.html")).unwrap();
    let url = format!("file://{}", report.canonicalize().unwrap().display());
    let browser = Browser::launch(&chromium, &out.join("chromium-profile"));
    let mut cdp = browser.connect();
    cdp.open(&url);

    // Each step's breakdown as the page shows it: its tables' captions and rows, and its bars.
    let shown = cdp.evaluate(
        "JSON.stringify(Array.from(document.querySelectorAll('details.step')).map(function (step) {
            var block = step.querySelector('.phases');
            if (!block) { return null; }
            var svg = block.querySelector('svg.chart');
            var box = svg.getBoundingClientRect();
            return {
                step: step.id,
                bars: svg.querySelectorAll('.series rect').length,
                width: box.width, height: box.height,
                tables: Array.from(block.querySelectorAll('table.phase-table')).map(function (t) {
                    var rows = {};
                    t.querySelectorAll('tbody tr').forEach(function (tr) {
                        rows[tr.getAttribute('data-phase')] = Array.from(tr.querySelectorAll('td'))
                            .map(function (td) { return td.textContent; });
                    });
                    return {
                        label: t.querySelector('caption strong').textContent,
                        caption: t.querySelector('caption').textContent,
                        rows: rows
                    };
                })
            };
        }))",
    );
    let shown: Value = serde_json::from_str(shown.as_str().unwrap()).unwrap();
    println!("shown: {shown:#}");
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), expected.len(), "one breakdown per step");
    for (block, tables) in shown.iter().zip(&expected) {
        assert!(block.is_object(), "a step without its breakdown: {block}");
        assert!(
            block["bars"].as_u64().unwrap() >= 3 * 4,
            "segments drawn: {block}"
        );
        assert!(
            block["width"].as_f64().unwrap() > 600.0 && block["height"].as_f64().unwrap() > 100.0,
            "the bars have no size: {block}"
        );
        let shown_tables = block["tables"].as_array().unwrap();
        let labels: Vec<&str> = shown_tables
            .iter()
            .map(|t| t["label"].as_str().unwrap())
            .collect();
        let wanted: Vec<&str> = tables.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, wanted, "{block}");
        for (table, want) in shown_tables.iter().zip(tables) {
            let caption = table["caption"].as_str().unwrap();
            assert!(
                caption.contains(&format!("· {} requests ·", want.requests)),
                "{caption} vs {want:?}"
            );
            let row = |phase: &str| table["rows"].get(phase).and_then(Value::as_array);
            // The TLS row counts exactly the handshakes results.json records for the label.
            match (want.tls, row("tls")) {
                (Some(n), Some(cells)) => assert_eq!(cells[0], n.to_string(), "{table}"),
                (None, None) => {}
                (want_tls, got) => panic!("tls row {got:?}, results say {want_tls:?}: {table}"),
            }
            match &want.tls_line {
                Some(line) => assert!(caption.contains(line.as_str()), "{caption} lacks {line}"),
                None => assert!(!caption.contains("TLS"), "{caption}"),
            }
            let wait = row("wait").unwrap_or_else(|| panic!("no wait row: {table}"));
            assert_eq!(wait[2], want.wait_p95, "the wait row's p95: {table}");
        }
    }

    // The first breakdown is on screen, not covered: the point in the middle of its wait
    // segment is that segment. Then a screenshot of it.
    let at = cdp.evaluate(
        "(function () {
            var block = document.querySelector('.phases');
            block.scrollIntoView({block: 'start', behavior: 'instant'});
            var wait = Array.from(block.querySelectorAll('.series rect')).find(function (r) {
                return (r.querySelector('title') || {}).textContent.indexOf('\\nwait: ') > 0;
            });
            var w = wait.getBoundingClientRect();
            var hit = document.elementFromPoint(w.left + w.width / 2, w.top + w.height / 2);
            var b = block.getBoundingClientRect();
            return JSON.stringify({
                hit: hit === wait, tip: wait.querySelector('title').textContent,
                x: b.left + window.scrollX, y: b.top + window.scrollY,
                width: b.width, height: b.height
            });
        })()",
    );
    let at: Value = serde_json::from_str(at.as_str().unwrap()).unwrap();
    println!("first breakdown: {at}");
    assert_eq!(at["hit"], true, "the wait segment is visible: {at}");
    assert!(
        at["tip"].as_str().unwrap().contains(" ms ("),
        "its tooltip: {at}"
    );
    let shot = cdp.call(
        "Page.captureScreenshot",
        json!({"format": "png", "captureBeyondViewport": true, "clip": {
            "x": at["x"], "y": at["y"], "width": at["width"], "height": at["height"], "scale": 1
        }}),
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let path = artifacts.join("report-phases.png");
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());

    let problems = cdp.problems();
    assert!(problems.is_empty(), "{problems:#?}");
    browser.close(cdp);
    let _ = std::fs::remove_dir_all(&out);
}

/// `LOADSPEC_CHROMIUM`, or the usual binaries.
pub(crate) fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LOADSPEC_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// `<target>/loadspec/artifacts`, next to the runs the harness writes.
pub(crate) fn artifacts_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .unwrap_or(tmp)
        .join("loadspec")
        .join("artifacts")
}

/// A headless Chromium started by this test; killed (by its own pid) if the test fails.
pub(crate) struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Browser {
    pub(crate) fn launch(binary: &Path, profile: &Path) -> Self {
        let _ = std::fs::remove_dir_all(profile);
        std::fs::create_dir_all(profile).unwrap();
        let log = std::fs::File::create(profile.with_extension("log")).unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1400,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start {}: {e}; {HINT}", binary.display()));
        Self {
            child,
            profile: profile.to_owned(),
        }
    }

    /// Connects to the browser endpoint Chromium announces in `DevToolsActivePort`.
    pub(crate) fn connect(&self) -> Cdp {
        let file = self.profile.join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let announced = loop {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Some((port, path)) = text.split_once('\n')
                && !path.trim().is_empty()
            {
                break (port.trim().to_owned(), path.trim().to_owned());
            }
            assert!(
                Instant::now() < deadline,
                "Chromium did not open its DevTools port; see {}",
                self.profile.with_extension("log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let stream = TcpStream::connect(format!("127.0.0.1:{}", announced.0)).unwrap();
        // A busy machine may take a while to answer the handshake; reads poll after it.
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let url = format!("ws://127.0.0.1:{}{}", announced.0, announced.1);
        let (ws, _) = tungstenite::client(url.as_str(), stream)
            .unwrap_or_else(|e| panic!("DevTools handshake failed: {e}"));
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(250)))
            .unwrap();
        Cdp {
            ws,
            next_id: 0,
            session: None,
            events: Vec::new(),
        }
    }

    pub(crate) fn close(mut self, mut cdp: Cdp) {
        cdp.session = None;
        let _ = cdp.send("Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A minimal DevTools protocol client: calls wait for their answer and keep every event.
pub(crate) struct Cdp {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    session: Option<String>,
    events: Vec<Value>,
}

impl Cdp {
    /// Opens `url` in a new tab of 1400×900 with the domains the tests watch enabled, and
    /// waits for it to load.
    pub(crate) fn open(&mut self, url: &str) {
        let target = self.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        self.session = attached["sessionId"].as_str().map(str::to_owned);
        for domain in ["Page", "Network", "Runtime", "Log"] {
            self.call(&format!("{domain}.enable"), json!({}));
        }
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        self.events.clear();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event("Page.loadEventFired", Duration::from_secs(30));
        // Let late requests, errors or injected scripts surface before looking.
        std::thread::sleep(Duration::from_millis(700));
    }

    /// The problems the page reported: console errors, exceptions, failed loads, dialogs.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for event in &self.events {
            let p = &event["params"];
            match event["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "assert")) =>
                {
                    problems.push(format!("console.{}: {}", p["type"], p["args"]));
                }
                "Runtime.exceptionThrown" => {
                    problems.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    problems.push(format!("log: {}", p["entry"]["text"]));
                }
                "Network.loadingFailed" => problems.push(format!("load failed: {p}")),
                "Page.javascriptDialogOpening" => {
                    problems.push(format!("dialog: {}", p["message"]))
                }
                _ => {}
            }
        }
        problems
    }

    fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let mut message = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        self.next_id
    }

    /// The next message, or `None` at the deadline.
    fn read(&mut self, deadline: Instant) -> Option<Value> {
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(text.as_str()).unwrap());
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("DevTools connection failed: {e}"),
            }
        }
        None
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let message = self
                .read(deadline)
                .unwrap_or_else(|| panic!("no answer to {method}"));
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    fn wait_event(&mut self, method: &str, timeout: Duration) {
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self
                .read(deadline)
                .unwrap_or_else(|| panic!("no {method} event within {timeout:?}"));
            let found = message["method"] == method;
            if message.get("method").is_some() {
                self.events.push(message);
            }
            if found {
                return;
            }
        }
    }

    fn events_named<'a>(&'a self, method: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.events.iter().filter(move |e| e["method"] == method)
    }

    /// Evaluates `expression` in the page and returns its value.
    pub(crate) fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    pub(crate) fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}
