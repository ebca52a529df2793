//! Helpers shared by the integration tests.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "shared by several test binaries, each using a part; tests fail loudly"
)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use loadspec_demo::{BackgroundDemo, DemoConfig, start_in_background};
use serde_json::{Value, json};

/// A small demo of its own for one test (a shared static one would never be dropped, and
/// its temporary database never removed).
pub async fn start() -> BackgroundDemo {
    tokio::task::spawn_blocking(|| start_in_background(DemoConfig::small()).expect("demo starts"))
        .await
        .expect("start task")
}

pub fn client() -> reqwest::Client {
    // The workspace builds reqwest with rustls but no provider of its own.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Logs in and returns the access token.
pub async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), 200, "login as {user}");
    let body: Value = response.json().await.expect("login body");
    body["access"].as_str().expect("access token").to_owned()
}

pub async fn admin_token(client: &reqwest::Client, base: &str) -> String {
    login(client, base, "Admin", "admin123").await
}

/// A CSRF secret for the `csrftoken` cookie and the `X-CSRFToken` header.
pub const CSRF: &str = "abcdefghijklmnopqrstuvwxyzABCDEF";

/// Posts a GraphQL request with optional bearer token; returns the status, the body and
/// the response's `set-cookie` values.
pub async fn gql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value, Vec<String>) {
    let mut request = client.post(format!("{base}/api/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("graphql request");
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let body = response.json().await.expect("a JSON body");
    (status, body, cookies)
}

/// The `tokenAuth` mutation with a matching CSRF cookie and header: (status, body).
pub async fn token_auth(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> (u16, Value) {
    let response = client
        .post(format!("{base}/api/graphql"))
        .header("cookie", format!("csrftoken={CSRF}"))
        .header("x-csrftoken", CSRF)
        .json(&json!({
            "query": "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token payload refreshExpiresIn } }",
            "variables": { "u": user, "p": password },
        }))
        .send()
        .await
        .expect("tokenAuth request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Logs in through GraphQL and returns the JWT.
pub async fn jwt(client: &reqwest::Client, base: &str) -> String {
    let (status, body) = token_auth(client, base, "Admin", "admin123").await;
    assert_eq!(status, 200, "{body}");
    token_in(&body)
}

/// The JWT in a successful `tokenAuth` answer.
pub fn token_in(body: &Value) -> String {
    body["data"]["tokenAuth"]["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// A fresh directory under the system temp dir (removed by the caller or left for the OS).
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "loadspec-demo-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
