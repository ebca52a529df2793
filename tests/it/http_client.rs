//! The two HTTP clients through the public API: the direct client (each user's own HTTP/1.1
//! connection, the default) and reqwest's pooled client (`--http-client reqwest`) must see
//! the same target the same way, redirects included: reqwest's policy, plus the cookies a
//! redirect sets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::sync::Mutex;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use loadspec::prelude::*;
use loadspec::results::model::RunResults;
use loadspec::{ErrorKind, Scenario};
use loadspec_runner::plan::{HttpClient, Overrides};
use loadspec_suite::{ServedRouter, full_run, run_silently};

fn target() -> ServedRouter {
    let app = Router::new()
        .route(
            "/echo",
            any(
                |method: Method,
                 query: Query<Vec<(String, String)>>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let query: Vec<String> =
                        query.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let tenant = headers
                        .get("x-tenant")
                        .map_or("-", |v| v.to_str().unwrap_or("?"));
                    let cookie = headers
                        .get(header::COOKIE)
                        .map_or("-", |v| v.to_str().unwrap_or("?"));
                    let body = String::from_utf8_lossy(&body).into_owned();
                    format!(
                        "{method} {} tenant={tenant} cookie={cookie} body={body}",
                        query.join("&")
                    )
                },
            ),
        )
        .route(
            "/login",
            post(|| async {
                (
                    [(header::SET_COOKIE, "sid=s3cret; Path=/")],
                    Redirect::to("/home"),
                )
            }),
        )
        .route(
            "/set",
            get(|| async { ([(header::SET_COOKIE, "sid=plain; Path=/")], "set") }),
        )
        .route(
            "/home",
            get(|headers: HeaderMap| async move {
                match headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
                    Some(cookie) if cookie.contains("sid=") => {
                        (StatusCode::OK, format!("home {cookie}"))
                    }
                    _ => (StatusCode::UNAUTHORIZED, "no session".to_owned()),
                }
            }),
        )
        .route("/see-other", post(|| async { Redirect::to("/echo") }))
        .route(
            "/temporary",
            post(|| async { Redirect::temporary("/echo") }),
        )
        .route("/loop", get(|| async { Redirect::to("/loop") }))
        // Port 1 on loopback: nothing listens there, the hop after the redirect is refused.
        .route(
            "/gone",
            get(|| async { Redirect::to("http://127.0.0.1:1/") }),
        )
        .route(
            "/elsewhere",
            get(|headers: HeaderMap| async move {
                let host = headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .replace("127.0.0.1", "localhost");
                Redirect::to(&format!("http://{host}/whoami")).into_response()
            }),
        )
        .route(
            "/whoami",
            get(|headers: HeaderMap| async move {
                let auth = headers
                    .get(header::AUTHORIZATION)
                    .map_or("none", |v| v.to_str().unwrap_or("?"));
                format!("authorization={auth}")
            }),
        )
        .route(
            "/chunked",
            get(|| async {
                let parts = futures::stream::iter(
                    ["alpha ", "beta ", "gamma"].map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
                );
                Response::new(axum::body::Body::from_stream(parts))
            }),
        );
    ServedRouter::start("http-client-target", app).unwrap()
}

fn run_with(client: HttpClient, scenario: Scenario, target: &str) -> RunResults {
    let overrides = Overrides {
        http_client: Some(client),
        ..full_run(target)
    };
    run_silently(&[scenario], &overrides).unwrap()
}

/// What the everyday flow's user saw, in order: status and body of each request.
static EVERYDAY: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// What the redirect flow's user saw.
static REDIRECTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn everyday_flow() -> Scenario {
    Scenario::builder("everyday")
        .threads([1])
        .iterations(1)
        .build(async |user: &mut User| {
            user.session().header("x-tenant", "7")?;
            let note = |r: &loadspec::Response| {
                EVERYDAY.lock().unwrap().push(format!(
                    "{} {}",
                    r.status(),
                    String::from_utf8_lossy(r.body())
                ));
            };
            note(&user.get("/set").send().await?);
            note(
                &user
                    .get("/echo")
                    .query(&[("q", "a b"), ("page", "2")])
                    .send()
                    .await?,
            );
            note(
                &user
                    .post("/echo")
                    .json(&serde_json::json!({"name": "Ana"}))
                    .send()
                    .await?,
            );
            note(&user.put("/echo").form(&[("k", "v")]).send().await?);
            note(&user.delete("/echo").send().await?);
            note(&user.get("/chunked").send().await?);
            note(&user.post("/see-other").body("dropped").send().await?);
            note(&user.post("/temporary").body("kept").send().await?);
            Ok(())
        })
}

#[test]
fn both_clients_see_the_same_answers() {
    let server = target();
    let mut transcripts = Vec::new();
    for client in [HttpClient::Direct, HttpClient::Reqwest] {
        EVERYDAY.lock().unwrap().clear();
        let results = run_with(client, everyday_flow(), &server.base_url());
        let total = &results.steps[0].scenarios[0].total_requests;
        assert_eq!(total.count, 8, "{client:?}");
        assert_eq!(total.failures, 0, "{client:?}: {:?}", total.errors);
        assert_eq!(results.plan.http_client, client.as_str());
        transcripts.push(EVERYDAY.lock().unwrap().clone());
    }
    let direct = &transcripts[0];
    assert_eq!(
        direct, &transcripts[1],
        "the direct client and reqwest differ"
    );
    assert_eq!(direct[0], "200 set");
    assert_eq!(
        direct[1],
        "200 GET q=a b&page=2 tenant=7 cookie=sid=plain body="
    );
    assert_eq!(
        direct[2],
        "200 POST  tenant=7 cookie=sid=plain body={\"name\":\"Ana\"}"
    );
    assert_eq!(direct[3], "200 PUT  tenant=7 cookie=sid=plain body=k=v");
    assert_eq!(direct[4], "200 DELETE  tenant=7 cookie=sid=plain body=");
    assert_eq!(direct[5], "200 alpha beta gamma");
    // 303 turns a POST into a GET without body, 307 repeats it.
    assert_eq!(direct[6], "200 GET  tenant=7 cookie=sid=plain body=");
    assert_eq!(direct[7], "200 POST  tenant=7 cookie=sid=plain body=kept");
}

#[test]
fn redirects_keep_their_cookies_and_guard_credentials_on_both_clients() {
    let server = target();
    for client in [HttpClient::Direct, HttpClient::Reqwest] {
        REDIRECTS.lock().unwrap().clear();
        let scenario = Scenario::builder("redirects")
            .threads([1])
            .iterations(1)
            .build(async |user: &mut User| {
                let note = |text: String| REDIRECTS.lock().unwrap().push(text);
                let home = user.post("/login").send().await?;
                note(format!(
                    "{} {}",
                    home.status(),
                    String::from_utf8_lossy(home.body())
                ));
                user.session().bearer("t0ken")?;
                let other = user.get("/elsewhere").send().await?;
                note(String::from_utf8_lossy(other.body()).into_owned());
                let same = user.get("/whoami").send().await?;
                note(String::from_utf8_lossy(same.body()).into_owned());
                let looped = user.get("/loop").send().await;
                note(format!(
                    "{:?}",
                    looped.err().map(|f| (f.kind(), f.message().to_owned()))
                ));
                let gone = user.get("/gone").send().await;
                note(format!("{:?}", gone.err().map(|f| (f.kind(), f.status()))));
                Ok(())
            });
        let results = run_with(client, scenario, &server.base_url());
        let seen = REDIRECTS.lock().unwrap().clone();
        assert_eq!(
            seen[0], "200 home sid=s3cret",
            "{client:?}: the login's cookie came along"
        );
        assert_eq!(
            seen[1], "authorization=none",
            "{client:?}: no token for another host"
        );
        assert_eq!(seen[2], "authorization=Bearer t0ken", "{client:?}");
        assert!(
            seen[3].contains("Io") && seen[3].contains("too many redirects (10)"),
            "{client:?}: {}",
            seen[3]
        );
        assert_eq!(
            seen[4], "Some((Connect, None))",
            "{client:?}: a failed hop after a redirect carries no status of its own"
        );
        let total = &results.steps[0].scenarios[0].total_requests;
        assert_eq!(
            total.failures, 2,
            "{client:?}: the loop and the refused hop fail"
        );
        let kinds: Vec<ErrorKind> = total.errors.iter().map(|e| e.kind).collect();
        assert!(
            kinds.contains(&ErrorKind::Io) && kinds.contains(&ErrorKind::Connect),
            "{client:?}: {kinds:?}"
        );
    }
}

#[test]
fn the_http_client_setting_is_validated_and_layered() {
    let bad =
        Overrides::from_env(|name| (name == "LOADSPEC_HTTP_CLIENT").then(|| "curl".to_owned()))
            .unwrap_err()
            .to_string();
    assert!(
        bad.contains("LOADSPEC_HTTP_CLIENT")
            && bad.contains("curl")
            && bad.contains("direct or reqwest"),
        "{bad}"
    );
    let env =
        Overrides::from_env(|name| (name == "LOADSPEC_HTTP_CLIENT").then(|| "reqwest".to_owned()))
            .unwrap();
    assert_eq!(env.http_client, Some(HttpClient::Reqwest));
    let cli = Overrides {
        http_client: Some(HttpClient::Direct),
        ..Default::default()
    };
    assert_eq!(env.overlay(cli).http_client, Some(HttpClient::Direct));
}
