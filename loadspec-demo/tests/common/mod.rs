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
    login(client, base, "admin", "admin123").await
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
