//! `loadspec import-har`: the hand-written recording of the demo's insuree UI flow
//! (`fixtures/insuree_ui.har`) becomes the scenario in `fixtures/insuree_flow.expected.rs`
//! (golden file), which compiles and runs green against the demo target; malformed and huge
//! recordings are clear errors; grouping, filtering and correlation rules hold on synthetic
//! recordings.
//!
//! Regenerate the golden file with `LOADSPEC_BLESS=1 cargo test --test it har_import`, then read
//! the diff: it is what users get.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use loadspec_cli::har::{
    DropReason, GeneratedScenario, Grouping, HarError, ImportOptions, import, import_file, run_cli,
};
use serde_json::{Value, json};

use crate::support::serial;

const FIXTURE: &str = "tests/fixtures/insuree_ui.har";
const GOLDEN: &str = "tests/fixtures/insuree_flow.expected.rs";

fn fixture() -> GeneratedScenario {
    import_file(
        Path::new(FIXTURE),
        &ImportOptions::default().name("insuree_flow"),
    )
    .unwrap()
}

/// A scratch directory for this test binary.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("har_import")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_fixture_becomes_the_golden_scenario() {
    let started = Instant::now();
    let generated = fixture();
    println!("imported {FIXTURE} in {:?}", started.elapsed());
    if std::env::var_os("LOADSPEC_BLESS").is_some() {
        std::fs::write(GOLDEN, &generated.code).unwrap();
    }
    let expected = std::fs::read_to_string(GOLDEN).unwrap();
    if generated.code != expected {
        let at = generated
            .code
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "the generated scenario differs from {GOLDEN} from line {}: got\n{}\n(run with \
             LOADSPEC_BLESS=1 to accept it)",
            at + 1,
            generated.code
        );
    }
}

#[test]
fn the_fixture_is_grouped_filtered_and_correlated() {
    let generated = fixture();
    assert_eq!(generated.target_host, "api.imis.example.org");
    let names: Vec<&str> = generated
        .transactions
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["login", "insurees", "insuree_new"]);
    let requests: Vec<usize> = generated.transactions.iter().map(|t| t.requests).collect();
    assert_eq!(requests, [1, 5, 6]);
    assert_eq!(generated.requests, 12);
    // Think times: from the end of the login to the first request of the next page.
    assert_eq!(
        generated.transactions[1].pause_before,
        Some(Duration::from_millis(3356))
    );
    let count = |reason: fn(&DropReason) -> bool| {
        generated
            .dropped
            .iter()
            .filter(|d| reason(&d.reason))
            .count()
    };
    assert_eq!(count(|r| *r == DropReason::StaticAsset), 6);
    assert_eq!(count(|r| matches!(r, DropReason::OtherHost(_))), 4);
    assert_eq!(count(|r| *r == DropReason::CorsPreflight), 2);
    assert_eq!(count(|r| *r == DropReason::FromCache), 1);
    let correlations: Vec<(&str, &str, &str)> = generated
        .correlations
        .iter()
        .map(|c| (c.variable.as_str(), c.source.as_str(), c.pointer.as_str()))
        .collect();
    assert_eq!(
        correlations,
        [
            ("token", "POST /api/auth/login", "/access"),
            ("chf_id", "GET /api/insurees", "/results/0/chfId"),
            ("chf_id_2", "POST /api/insurees", "/chfId"),
            ("family_id", "POST /api/insurees", "/family/id"),
        ]
    );
    // The token replaces the recorded Authorization header of all 11 later requests.
    assert_eq!(generated.correlations[0].uses, 11);
    let code = &generated.code;
    for expected in [
        "tx.session().bearer(&token)?;",
        "let family_id = json_int(&response, \"/family/id\")?;",
        "tx.get(&format!(\"/api/families/{family_id}\"))",
        ".query(&[(\"q\", \"Mushi\"), (\"page\", \"1\"), (\"page_size\", \"10\")])",
        "user.pause(Duration::from_millis(3356)).await;",
        "user.session().header(\"x-imis-client\", \"fe-insuree/5.2.0\")?;",
        "// TODO check: \"chfId\" = \"500000012\" is sent as recorded: this value must be unique",
        ".expect_status(201)?;",
    ] {
        assert!(code.contains(expected), "missing {expected:?} in\n{code}");
    }
    for noise in [
        "user-agent",
        "sec-ch-ua",
        "accept-encoding",
        "origin",
        "referer",
        ":authority",
        "google-analytics",
        "main.8c1e2f4a.js",
        "e7f3741eea695d64",
    ] {
        assert!(!code.contains(noise), "{noise:?} leaked into\n{code}");
    }
    assert_eq!(generated.todos.len(), 3, "{:#?}", generated.todos);
}

/// Fails if rustfmt (when installed) would change `code`.
fn assert_rustfmt_clean(name: &str, code: &str) {
    let file = scratch("rustfmt").join(format!("{name}.rs"));
    std::fs::write(&file, code).unwrap();
    match std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(&file)
        .output()
    {
        Ok(output) if output.status.success() => {
            let formatted = std::fs::read_to_string(&file).unwrap();
            if let Some((i, (a, b))) = code
                .lines()
                .zip(formatted.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                panic!("rustfmt changes line {} of {name}:\n{a}\n{b}", i + 1);
            }
            assert_eq!(code.lines().count(), formatted.lines().count());
        }
        Ok(output) => panic!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => eprintln!("rustfmt not available ({e}): skipped"),
    }
}

#[test]
fn the_generated_code_is_rustfmt_clean() {
    assert_rustfmt_clean("insuree_flow", &fixture().code);
    let shop = import(&firefox_recording(), &ImportOptions::default().name("shop")).unwrap();
    assert_rustfmt_clean("shop", &shop.code);
}

/// The generated file, compiled into a binary of its own with a `main` that starts the demo
/// target and runs the scenario once (smoke mode): trybuild `pass` cases run their `main`.
#[test]
fn the_generated_scenario_runs_green_against_the_demo() {
    let _serial = serial();
    let generated = fixture();
    let dir = scratch("run");
    std::fs::write(dir.join("insuree_flow.rs"), &generated.code).unwrap();
    std::fs::write(
        dir.join("run_insuree_flow.rs"),
        r#"//! Runs the scenario generated from tests/fixtures/insuree_ui.har against the demo.

mod insuree_flow;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Set in the child that runs the scenario.
const CHILD: &str = "RUN_INSUREE_FLOW_CHILD";

/// trybuild prints everything a passing case writes: the run happens in a child of this
/// program whose output is shown only when it fails.
fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        return run();
    }
    let output = std::env::current_exe()
        .and_then(|exe| std::process::Command::new(exe).env(CHILD, "1").output());
    match output {
        Ok(output) if output.status.success() => ExitCode::SUCCESS,
        Ok(output) => {
            eprintln!(
                "{}\nstdout:\n{}\nstderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("the run did not start: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> ExitCode {
    let demo = match loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()) {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("the demo did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = std::env::temp_dir().join(format!("loadspec-har-import-{}", std::process::id()));
    let runs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&runs);
    let args = ["har", "--smoke", "--out-dir", &out.to_string_lossy()].map(str::to_owned);
    let code = loadspec::Harness::new()
        .target(demo.base_url())
        .on_results(move |r| sink.lock().map(|mut v| v.push(r.clone())).unwrap_or(()))
        .run_with_args(args);
    let _ = std::fs::remove_dir_all(&out);
    let runs = runs.lock().map(|r| r.clone()).unwrap_or_default();
    let [run] = runs.as_slice() else {
        eprintln!("expected one run, got {}", runs.len());
        return ExitCode::FAILURE;
    };
    let scenario = &run.steps[0].scenarios[0];
    let requests = scenario.total_requests.count;
    let failed = scenario.total_requests.failures;
    println!("{requests} requests, {failed} failed");
    if code != ExitCode::SUCCESS || requests != 12 || failed != 0 {
        eprintln!("the generated scenario failed against the demo: {code:?}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
"#,
    )
    .unwrap();
    let cases = trybuild::TestCases::new();
    cases.pass(dir.join("run_insuree_flow.rs"));
}

#[test]
fn malformed_and_huge_recordings_are_clear_errors() {
    let options = ImportOptions::default();
    let error = |bytes: &[u8], options: &ImportOptions| import(bytes, options).unwrap_err();

    match error(b"<html>not a recording</html>", &options) {
        HarError::Malformed { line, column, .. } => assert_eq!((line, column), (1, 1)),
        other => panic!("{other}"),
    }
    let missing_log = error(br#"{"version": "1.2"}"#, &options).to_string();
    assert!(missing_log.contains("missing field `log`"), "{missing_log}");
    let truncated = error(br#"{"log": {"entries": [{"request": {"#, &options).to_string();
    assert!(
        truncated.starts_with("not a valid HAR file (line 1"),
        "{truncated}"
    );
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        error(deep.as_bytes(), &options),
        HarError::Malformed { .. }
    ));
    assert!(matches!(
        error(br#"{"log": {"entries": []}}"#, &options),
        HarError::Empty
    ));

    let har = synthetic(50);
    let small = ImportOptions::default().max_bytes(1000);
    match error(&har, &small) {
        HarError::TooLarge { size, limit } => assert_eq!((size, limit), (har.len() as u64, 1000)),
        other => panic!("{other}"),
    }
    let few = ImportOptions::default().max_entries(10);
    let too_many = error(&har, &few);
    assert!(matches!(
        too_many,
        HarError::TooManyEntries {
            count: 50,
            limit: 10
        }
    ));
    assert_eq!(
        too_many.to_string(),
        "the recording has 50 entries, above the limit of 10 (--max-entries)"
    );
    assert!(matches!(
        error(&har, &ImportOptions::default().name("Not An Ident")),
        HarError::InvalidName(_)
    ));
    let unknown = error(&har, &ImportOptions::default().host("nowhere.example"));
    assert!(
        unknown
            .to_string()
            .contains("the recorded hosts are: app.example.test"),
        "{unknown}"
    );
    let only_assets = har_of(vec![entry(
        0,
        "GET",
        "https://app.example.test/logo.png",
        200,
        "image/png",
        None,
    )]);
    assert!(matches!(
        error(&only_assets, &options),
        HarError::NothingKept(_)
    ));
    let missing = import_file(Path::new("tests/fixtures/no-such.har"), &options).unwrap_err();
    assert!(missing.to_string().contains("no-such.har"), "{missing}");
}

/// A Firefox-style recording: no pages, times with offsets, a base64 response body, `null`
/// fields, a redirect, a form login, an `X-Auth-Token` header and a third-party host.
fn firefox_recording() -> Vec<u8> {
    let token = "c2VjcmV0LXRva2VuLTQ4MTU";
    let login_body = base64(&json!({ "session": { "token": token, "userId": 4815 } }).to_string());
    har_of(vec![
        json!({
            "startedDateTime": "2026-03-02T10:00:00.000+01:00",
            "time": 20.0,
            "request": {
                "method": "POST",
                "url": "http://shop.example.test:8080/login",
                "headers": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}],
                "queryString": null,
                "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "user=ana&password=s3cret"}
            },
            "response": {
                "status": 302,
                "headers": [{"name": "Location", "value": "/home"}],
                "content": {"mimeType": "text/html", "text": null},
                "redirectURL": "/home"
            },
            "timings": null
        }),
        json!({
            "startedDateTime": "2026-03-02T10:00:00.030+01:00",
            "time": 15.0,
            "request": {"method": "GET", "url": "http://shop.example.test:8080/home", "headers": []},
            "response": {
                "status": 200,
                "content": {"mimeType": "application/json", "encoding": "base64", "text": login_body}
            }
        }),
        // 2.5 s later (written in UTC): a new user action.
        json!({
            "startedDateTime": "2026-03-02T09:00:02.545Z",
            "request": {
                "method": "GET",
                "url": "http://shop.example.test:8080/api/users/4815/orders?status=open",
                "headers": [{"name": "X-Auth-Token", "value": token}, {"name": "Accept", "value": "*/*"}]
            },
            "response": {
                "status": 200,
                "content": {"mimeType": "application/json", "text": "[{\"orderId\": 9001, \"total\": 12.5}, {\"orderId\": 9002, \"total\": 3.0}]"}
            },
            "timings": {"send": 1.0, "wait": 8.0, "receive": 1.0}
        }),
        json!({
            "startedDateTime": "2026-03-02T09:00:02.600Z",
            "request": {
                "method": "PATCH",
                "url": "http://shop.example.test:8080/api/orders/9002",
                "headers": [{"name": "X-Auth-Token", "value": token}],
                "postData": {"mimeType": "application/json", "text": "{\"status\": \"paid\", \"orderId\": 9002, \"note\": \"line\\nbreak {braces}\"}"}
            },
            "response": {"status": 204, "content": {"mimeType": "text/plain"}}
        }),
        json!({
            "startedDateTime": "2026-03-02T09:00:02.700Z",
            "request": {"method": "POST", "url": "https://metrics.example.net/collect", "headers": []},
            "response": {"status": 204}
        }),
        json!({
            "startedDateTime": "2026-03-02T09:00:02.800Z",
            "request": {"method": "GET", "url": "data:image/png;base64,iVBORw0KGgo=", "headers": []},
            "response": {"status": 200}
        }),
    ])
}

#[test]
fn recordings_without_pages_are_grouped_by_idle_gaps_and_correlated() {
    let generated = import(&firefox_recording(), &ImportOptions::default().name("shop")).unwrap();
    let code = &generated.code;
    println!("{code}");
    assert_eq!(generated.target_host, "shop.example.test:8080");
    assert_eq!(
        generated.transactions.len(),
        2,
        "{:?}",
        generated.transactions
    );
    assert_eq!(
        generated.transactions[1].pause_before,
        Some(Duration::from_millis(2500))
    );
    // The redirect is followed by the client: one request expecting the final status.
    assert_eq!(generated.transactions[0].requests, 1);
    assert!(code.contains(".form(&[(\"user\", \"ana\"), (\"password\", \"s3cret\")])"));
    assert!(code.contains(".expect_status(200)?;"));
    // The token and the user id come from the base64 body of the followed redirect.
    assert!(
        code.contains("let token = json_text(&response, \"/session/token\")?;"),
        "{code}"
    );
    assert!(code.contains("let user_id = json_int(&response, \"/session/userId\")?;"));
    assert!(code.contains(".header(\"x-auth-token\", &token)"), "{code}");
    assert!(
        code.contains("&format!(\"/api/users/{user_id}/orders\")"),
        "{code}"
    );
    // The order id comes from the list (one element with that value) into path and body.
    assert!(
        code.contains("let order_id = json_int(&response, \"/1/orderId\")?;"),
        "{code}"
    );
    assert!(code.contains("\"orderId\": order_id"), "{code}");
    assert!(
        code.contains("tx.request(loadspec::Method::PATCH, &format!(\"/api/orders/{order_id}\"))")
            || code.contains("loadspec::Method::PATCH,"),
        "{code}"
    );
    assert!(code.contains(r#""note": "line\nbreak {braces}""#), "{code}");
    assert!(
        generated
            .todos
            .iter()
            .any(|t| t.contains("recorded credentials"))
    );
    let reasons: Vec<String> = generated
        .dropped
        .iter()
        .map(|d| d.reason.to_string())
        .collect();
    assert_eq!(
        reasons,
        [
            "redirect followed by the client",
            "other host (metrics.example.net)",
            "not an http(s) URL"
        ]
    );

    // Grouping by idle gaps can be asked for, and a smaller gap splits more.
    let split = import(
        &firefox_recording(),
        &ImportOptions::default()
            .grouping(Grouping::IdleGaps)
            .idle_gap(Duration::from_millis(20)),
    )
    .unwrap();
    assert_eq!(split.transactions.len(), 3, "{:?}", split.transactions);
}

#[test]
fn host_filters_keep_other_hosts_with_absolute_urls_and_static_assets_can_stay() {
    let recording = har_of(vec![
        entry(
            0,
            "GET",
            "https://app.example.test/api/a",
            200,
            "application/json",
            Some("{}"),
        ),
        entry(
            10,
            "GET",
            "https://app.example.test/api/b",
            200,
            "application/json",
            Some("{}"),
        ),
        entry(
            20,
            "GET",
            "https://auth.example.test/token",
            200,
            "application/json",
            Some("{}"),
        ),
        entry(
            30,
            "GET",
            "https://app.example.test/app.css",
            200,
            "text/css",
            None,
        ),
    ]);
    let default = import(&recording, &ImportOptions::default()).unwrap();
    assert_eq!(default.requests, 2);
    let kept = import(
        &recording,
        &ImportOptions::default()
            .host_filter(["*.example.test"])
            .keep_static(true),
    )
    .unwrap();
    assert_eq!(kept.requests, 4);
    assert!(
        kept.code
            .contains("tx.get(\"https://auth.example.test/token\")")
    );
    assert!(kept.code.contains("tx.get(\"/app.css\")"));
    let elsewhere = import(
        &recording,
        &ImportOptions::default().host("auth.example.test"),
    )
    .unwrap();
    assert_eq!(elsewhere.target_host, "auth.example.test");
    assert_eq!(elsewhere.requests, 1);
}

#[test]
fn ambiguous_sources_keep_the_recorded_value_with_a_todo() {
    let recording = har_of(vec![
        entry(
            0,
            "GET",
            "https://app.example.test/api/a",
            200,
            "application/json",
            Some(r#"{"id": 77, "parentId": 77}"#),
        ),
        entry(
            10,
            "GET",
            "https://app.example.test/api/items/77",
            200,
            "application/json",
            Some("{}"),
        ),
    ]);
    let generated = import(&recording, &ImportOptions::default()).unwrap();
    assert!(generated.correlations.is_empty());
    assert!(generated.code.contains("tx.get(\"/api/items/77\")"));
    assert!(
        generated
            .code
            .contains("// TODO check: `77` in the path is sent as recorded: 2 earlier"),
        "{}",
        generated.code
    );
}

#[test]
fn the_cli_writes_the_scenario_and_rejects_bad_input_with_exit_code_2() {
    let dir = scratch("cli");
    let output = dir.join("insuree_flow.rs");
    let args = [FIXTURE, "--name", "insuree_flow", "-o"]
        .map(str::to_owned)
        .into_iter()
        .chain([output.to_string_lossy().into_owned()]);
    assert_eq!(run_cli(args), ExitCode::SUCCESS);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), fixture().code);
    let bad = |args: &[&str]| run_cli(args.iter().map(|a| (*a).to_owned()));
    assert_eq!(bad(&["tests/fixtures/no-such.har"]), ExitCode::from(2));
    assert_eq!(bad(&[FIXTURE, "--group", "sideways"]), ExitCode::from(2));
    assert_eq!(bad(&[FIXTURE, "--max-size", "1KB"]), ExitCode::from(2));
    assert_eq!(bad(&[FIXTURE, "--name", "1nvalid"]), ExitCode::from(2));
    assert_eq!(bad(&["--help"]), ExitCode::SUCCESS);
}

/// A synthetic recording of `n` entries: API calls with ids, tokens, queries, forms and JSON
/// bodies (some large), static assets and a third-party host, in bursts separated by pauses.
fn synthetic(n: usize) -> Vec<u8> {
    let mut entries = Vec::with_capacity(n);
    for i in 0..n {
        let t = (i as u64) * 40 + (i as u64 / 25) * 3_000;
        let host = "https://app.example.test";
        let e = match i % 10 {
            0 => entry(
                t,
                "POST",
                &format!("{host}/api/sessions"),
                201,
                "application/json",
                Some(&format!(
                    r#"{{"token": "tok{i:06}abcdef", "sessionId": {}}}"#,
                    100_000 + i
                )),
            ),
            1 => with_header(
                entry(
                    t,
                    "GET",
                    &format!(
                        "{host}/api/accounts/{}/items?page=1&sort=name&filter=active&include=details,owner,history",
                        100_000 + i - 1
                    ),
                    200,
                    "application/json",
                    Some(&format!(
                        r#"[{{"itemId": {}, "name": "item"}}]"#,
                        500_000 + i
                    )),
                ),
                "authorization",
                &format!("Bearer tok{:06}abcdef", i - 1),
            ),
            2 => with_body(
                entry(
                    t,
                    "PUT",
                    &format!("{host}/api/items/{}", 500_000 + i - 1),
                    200,
                    "application/json",
                    Some("{}"),
                ),
                "application/json",
                &large_json(i),
            ),
            3 => entry(
                t,
                "GET",
                &format!("{host}/static/js/chunk-{i}.js"),
                200,
                "application/javascript",
                None,
            ),
            4 => entry(
                t,
                "GET",
                "https://cdn.example.net/font.woff2",
                200,
                "font/woff2",
                None,
            ),
            5 => with_body(
                entry(
                    t,
                    "POST",
                    &format!("{host}/api/search"),
                    200,
                    "application/json",
                    Some("[]"),
                ),
                "application/x-www-form-urlencoded",
                "q=a+long+search+phrase+for+the+synthetic+recording&page=2&size=50",
            ),
            6 => with_body(
                entry(
                    t,
                    "POST",
                    &format!("{host}/api/notes/with/a/rather/long/path/to/see/how/lines/wrap/{i}"),
                    200,
                    "text/plain",
                    Some("ok"),
                ),
                "text/plain",
                "a plain text body that is long enough to need its own line in the generated code",
            ),
            7 => entry(
                t,
                "DELETE",
                &format!("{host}/api/items/{}", 500_000 + i - 6),
                204,
                "text/plain",
                None,
            ),
            8 => with_header(
                entry(
                    t,
                    "GET",
                    &format!("{host}/api/items?ids={},{}", 500_000 + i - 7, i),
                    200,
                    "application/json",
                    Some("[]"),
                ),
                "x-custom-header-with-a-long-name",
                "a custom value that is quite long as well, to wrap",
            ),
            _ => entry(
                t,
                "OPTIONS",
                &format!("{host}/api/items"),
                204,
                "text/plain",
                None,
            ),
        };
        entries.push(e);
    }
    har_of(entries)
}

fn large_json(i: usize) -> String {
    let fields: serde_json::Map<String, Value> = (0..60)
        .map(|k| (format!("field{k}"), json!(format!("value {k} of {i}"))))
        .collect();
    json!({ "itemId": 500_000 + i - 1, "attributes": fields, "tags": ["a", "b"] }).to_string()
}

#[test]
fn a_synthetic_10000_entry_recording_imports_quickly() {
    let har = synthetic(10_000);
    let started = Instant::now();
    let generated = import(&har, &ImportOptions::default().name("synthetic")).unwrap();
    let elapsed = started.elapsed();
    println!(
        "10,000 entries ({} MB): {elapsed:?}, {} requests in {} transactions, {} correlations, {} KB of code",
        har.len() / 1_000_000,
        generated.requests,
        generated.transactions.len(),
        generated.correlations.len(),
        generated.code.len() / 1000
    );
    // Static assets and the CDN are dropped; an OPTIONS without CORS headers is a request.
    assert_eq!(generated.requests, 8_000);
    assert_eq!(generated.transactions.len(), 400);
    assert!(generated.correlations.len() >= 2_000);
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    assert_rustfmt_clean("synthetic", &generated.code);
}

fn har_of(entries: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "log": { "version": "1.2", "entries": entries } })).unwrap()
}

fn entry(
    at_ms: u64,
    method: &str,
    url: &str,
    status: u16,
    mime: &str,
    body: Option<&str>,
) -> Value {
    let seconds = at_ms / 1000;
    let start = format!(
        "2026-01-01T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        at_ms % 1000
    );
    json!({
        "startedDateTime": start,
        "time": 12.0,
        "request": { "method": method, "url": url, "headers": [] },
        "response": { "status": status, "content": { "mimeType": mime, "text": body } }
    })
}

fn with_header(mut entry: Value, name: &str, value: &str) -> Value {
    entry["request"]["headers"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": name, "value": value }));
    entry
}

fn with_body(mut entry: Value, mime: &str, text: &str) -> Value {
    entry["request"]["postData"] = json!({ "mimeType": mime, "text": text });
    entry
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Recordings with random values in every field (odd strings, negative or huge numbers,
/// missing fields, wrong types) import or fail with an error — never a panic — and what
/// imports parses as Rust.
#[test]
fn mangled_recordings_never_panic() {
    use loadspec::rand::{Rng as _, SeedableRng as _};
    let original: Value = serde_json::from_slice(&std::fs::read(FIXTURE).unwrap()).unwrap();
    let firefox: Value = serde_json::from_slice(&firefox_recording()).unwrap();
    let odd = [
        json!(""),
        json!("é"),
        json!("+aé1"),
        json!("2026-11-20T09:30:00.000+aé1"),
        json!("/api/{x}/\"quote\"/%E2%82%AC/ü"),
        json!("http://[::1]:8080/a?b=%ZZ&c"),
        json!("Bearer "),
        json!("{\"id\": 42, \"token\": \"abcdefgh\"}"),
        json!("r#\"\"#"),
        json!("application/json"),
        json!("application/x-www-form-urlencoded"),
        json!("multipart/form-data; boundary=x"),
        json!("PATCH"),
        json!("ÜBER"),
        json!("authorization"),
        json!("Bearer abcdefgh"),
        json!("https://api.imis.example.org/api/{id}/%7B%7D?q={}&x=%22"),
        json!("{\"a\": [1, {\"b\": \"é\\n\"}], \"id\": \"abcdefgh\"}"),
        json!("a=1&b=%E2%82%AC&token=abcdefgh"),
        json!("x".repeat(70_000)),
        json!(302),
        json!(304),
        json!(42),
        json!(-5.5),
        json!(null),
        json!(-1),
        json!(0),
        json!(1e300),
        json!(u64::MAX),
        json!([]),
        json!({}),
        json!(true),
    ];
    let mut rng = loadspec::UserRng::seed_from_u64(2024);
    let rounds: usize = std::env::var("LOADSPEC_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(400);
    let mut imported = 0;
    for round in 0..rounds {
        let mut har = if round % 2 == 0 {
            original.clone()
        } else {
            firefox.clone()
        };
        for _ in 0..rng.random_range(1..6) {
            mangle(&mut har, &mut rng, &odd);
        }
        let bytes = serde_json::to_vec(&har).unwrap();
        match import(&bytes, &ImportOptions::default()) {
            Ok(generated) => {
                imported += 1;
                assert!(generated.code.contains("async fn recorded_flow"));
            }
            // A field of the wrong type is a parse error with its position.
            Err(HarError::Malformed { line, .. }) => assert!(line >= 1),
            Err(HarError::Empty | HarError::NothingKept(_)) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    println!("{imported} of {rounds} mangled recordings imported");
    assert!(imported > rounds / 10);
}

/// Replaces one random node of `value` with an odd value, or removes it.
fn mangle(value: &mut Value, rng: &mut loadspec::UserRng, odd: &[Value]) {
    use loadspec::rand::Rng as _;
    let mut node = value;
    loop {
        let children = match &*node {
            Value::Object(map) => map.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        if children == 0 || rng.random_range(0..6) == 0 {
            break;
        }
        let pick = rng.random_range(0..children);
        if rng.random_range(0..8) == 0 {
            match node {
                Value::Object(map) => {
                    let key = map.keys().nth(pick).cloned().unwrap();
                    map.remove(&key);
                }
                Value::Array(items) => {
                    items.remove(pick);
                }
                _ => {}
            }
            return;
        }
        node = match node {
            Value::Object(map) => map.values_mut().nth(pick).unwrap(),
            Value::Array(items) => &mut items[pick],
            _ => unreachable!(),
        };
    }
    // Mostly keep the type (so that the recording still parses and reaches the generator).
    let same_type: Vec<&Value> = odd
        .iter()
        .filter(|v| std::mem::discriminant(*v) == std::mem::discriminant(&*node))
        .collect();
    *node = if !same_type.is_empty() && rng.random_range(0..4) > 0 {
        same_type[rng.random_range(0..same_type.len())].clone()
    } else {
        odd[rng.random_range(0..odd.len())].clone()
    };
}
