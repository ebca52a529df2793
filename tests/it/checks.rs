//! Response checks and extraction, and the GraphQL helper against the demo target's
//! GraphQL endpoint (a 200 answer with `errors` is a failed request).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use loadspec::prelude::*;
use loadspec::results::model::RunResults;
use loadspec::{ErrorKind, Scenario};
use loadspec_suite::{full_run, run_silently};

fn run(scenario: Scenario, target: &str) -> RunResults {
    run_silently(&[scenario], &full_run(target)).unwrap()
}

async fn login(user: &mut User) -> Result<(), Failure> {
    let credentials = serde_json::json!({ "username": "admin", "password": "admin123" });
    let response = user
        .post("/api/auth/login")
        .json(&credentials)
        .send()
        .await?
        .expect_status(200)?;
    let token = response.extract_json("/access")?;
    user.set_var("token", token);
    let token = user.var("token").unwrap_or_default().to_owned();
    user.session().bearer(&token)?;
    user.session().set_graphql_path("/api/graphql");
    Ok(())
}

/// openIMIS' login: a CSRF secret in cookie and header, `tokenAuth`, then the JWT as bearer.
async fn graphql_login(user: &mut User) -> Result<(), Failure> {
    user.session().set_graphql_path("/api/graphql");
    user.set_cookie("csrftoken", "abcdefghijklmnopqrstuvwxyzABCDEF")?;
    let token: String = user
        .graphql(
            "mutation Login { tokenAuth(username: \"Admin\", password: \"admin123\") { token } }",
            serde_json::json!({}),
        )
        .header("X-CSRFToken", "abcdefghijklmnopqrstuvwxyzABCDEF")
        .send()
        .await?
        .expect_ok()?
        .json_at("/data/tokenAuth/token")?;
    user.session().bearer(&token)?;
    Ok(())
}

#[test]
fn checks_pass_on_good_answers_and_fail_the_request_with_a_readable_message() {
    let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()).unwrap();
    let scenario = Scenario::builder("checks")
        .threads([1])
        .iterations(1)
        .build(async |user: &mut User| {
            login(user).await?;
            let page = user
                .get("/api/insurees")
                .query(&[("q", "Mushi"), ("page_size", "5")])
                .send()
                .await?
                .expect_status(200)?
                .expect_header("content-type", "application/json")?
                .expect_json_exists("/results/0/chfId")?
                .expect_json("/page", 1)?
                .expect_body_contains("Mushi")?
                .expect_max_size(100_000)?;
            let chf = page.extract_json("/results/0/chfId")?;
            let family = page.extract_regex(r#""familyId":\s*(\d+)"#)?;
            user.get(&format!("/api/insurees/{chf}"))
                .send()
                .await?
                .expect_json("/chfId", chf.as_str())?;
            user.get(&format!("/api/families/{family}"))
                .send()
                .await?
                .expect_status(200)?;
            // Each of these fails its own request with a readable message; the iteration goes on.
            let health = user.get("/health").send().await?;
            let mistakes = [
                health.check(false, || "a custom check".into()).err(),
                user.get("/health")
                    .label("wrong json")
                    .send()
                    .await?
                    .expect_json("/status", "down")
                    .err(),
                user.get("/health")
                    .label("missing")
                    .send()
                    .await?
                    .expect_json_exists("/nope")
                    .err(),
                user.get("/health")
                    .label("too big")
                    .send()
                    .await?
                    .expect_max_size(3)
                    .err(),
                user.get("/health")
                    .label("no match")
                    .send()
                    .await?
                    .extract_regex("x(y)z")
                    .err(),
            ];
            let messages: Vec<String> = mistakes
                .into_iter()
                .map(|m| m.map(|f| f.message().to_owned()).unwrap_or_default())
                .collect();
            let expected = [
                "a custom check",
                "expected \"down\" at /status, found \"ok\"",
                "no JSON value at /nope",
                "at most 3 bytes",
                "no match for \"x(y)z\"",
            ];
            for (message, want) in messages.iter().zip(expected) {
                if !message.contains(want) {
                    return Err(Failure::check(format!("got {message:?}, wanted {want:?}")));
                }
            }
            Ok(())
        });
    let results = run(scenario, &demo.base_url());
    let s = &results.steps[0].scenarios[0];
    assert_eq!(s.iterations.failures, 0, "{:?}", s.iterations.errors);
    let failed: Vec<&str> = s
        .requests
        .iter()
        .filter(|r| r.failures > 0)
        .map(|r| r.label.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "GET /health",
            "wrong json",
            "missing",
            "too big",
            "no match"
        ]
    );
    assert!(
        s.requests
            .iter()
            .filter(|r| r.failures > 0)
            .all(|r| r.errors[0].kind == ErrorKind::CheckFailed)
    );
}

#[test]
fn graphql_errors_fail_the_request_and_requests_are_labelled_by_operation() {
    let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()).unwrap();
    let scenario = Scenario::builder("graphql")
        .threads([1])
        .iterations(2)
        .build(async |user: &mut User| {
            graphql_login(user).await?;
            let good = "query Claims($first: Int) { claims(first: $first) { edges { node { code insuree { chfId } } } } }";
            let codes: Vec<serde_json::Value> = user
                .graphql(good, serde_json::json!({ "first": 3 }))
                .send()
                .await?
                .expect_ok()?
                .json_at("/data/claims/edges")?;
            if codes.len() != 3 {
                return Err(Failure::check(format!("{} claims, wanted 3", codes.len())));
            }
            // Over openIMIS' page limit: a 200 answer whose `errors` fail the request.
            let bad = "query Broken { claims(first: 200) { totalCount } }";
            let response = user.graphql(bad, serde_json::json!({})).send().await?;
            if !response.is_failed() {
                return Err(Failure::check("a GraphQL error was not counted"));
            }
            let failure = response.expect_ok().err().map(|f| f.describe().into_owned());
            if failure.as_deref()
                != Some("GraphQL Broken (POST /api/graphql): GraphQL error: Requesting 200 records on the `claims` connection exceeds the `first` limit of 100 records.")
            {
                return Err(Failure::check(format!("expect_ok gave {failure:?}")));
            }
            Ok(())
        });
    let results = run(scenario, &demo.base_url());
    let s = &results.steps[0].scenarios[0];
    let good = s
        .requests
        .iter()
        .find(|r| r.label == "GraphQL Claims")
        .unwrap();
    assert_eq!((good.count, good.failures), (2, 0));
    let bad = s
        .requests
        .iter()
        .find(|r| r.label == "GraphQL Broken")
        .unwrap();
    assert_eq!((bad.count, bad.failures), (2, 2));
    assert_eq!(bad.status_codes["200"], 2, "GraphQL errors come with a 200");
    assert_eq!(bad.errors[0].kind, ErrorKind::Graphql);
    assert!(
        bad.errors[0].sample.starts_with("GraphQL error: "),
        "{}",
        bad.errors[0].sample
    );
    assert_eq!(s.iterations.failures, 0);
}
