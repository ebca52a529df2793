//! The demo's openIMIS GraphQL API: shapes, errors and statuses as the real backend answers
//! them (checked against openIMIS 24.10 on this machine), CSRF-protected login, JWTs,
//! relay paging, mutation logs, and the `MODE=PROD` rate limit and lockout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

mod common;

use std::time::Duration;

use common::{CSRF, client, gql, jwt, start, token_auth};
use loadspec_demo::{DemoConfig, Lockout, RateLimit, start_in_background};
use serde_json::{Value, json};

async fn demo_with(config: DemoConfig) -> loadspec_demo::BackgroundDemo {
    tokio::task::spawn_blocking(move || start_in_background(config).expect("demo starts"))
        .await
        .expect("start task")
}

fn q(query: &str) -> Value {
    json!({ "query": query })
}

#[tokio::test]
async fn login_needs_the_csrf_cookie_and_header_and_issues_a_jwt() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let login = "mutation { tokenAuth(username: \"Admin\", password: \"admin123\") { token } }";

    // No CSRF token: 200, the field null, and a csrftoken cookie to use next time.
    let (status, body, cookies) = gql(&c, &base, None, &q(login)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "errors": [{ "message": "CSRF token missing or incorrect.", "locations": [{ "line": 1, "column": 12 }], "path": ["tokenAuth"] }],
            "data": { "tokenAuth": null }
        })
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("csrftoken=")),
        "{cookies:?}"
    );

    // A mismatching header fails the same way.
    let response = c
        .post(format!("{base}/api/graphql"))
        .header("cookie", format!("csrftoken={CSRF}"))
        .header("x-csrftoken", "0123456789abcdefghijklmnopqrstuv")
        .json(&q(login))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["message"],
        "CSRF token missing or incorrect."
    );

    // A wrong password: 401, no data.
    let (status, body) = token_auth(&c, &base, "Admin", "wrong").await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({ "errors": [{ "message": "Please enter valid credentials", "locations": [{ "line": 1, "column": 38 }], "path": ["tokenAuth"] }] })
    );

    // The right one: a three-part JWT and its payload.
    let (status, body) = token_auth(&c, &base, "Admin", "admin123").await;
    assert_eq!(status, 200, "{body}");
    let auth = &body["data"]["tokenAuth"];
    let token = auth["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(auth["payload"]["username"], "Admin");
    let (exp, iat) = (
        auth["payload"]["exp"].as_i64().unwrap(),
        auth["payload"]["origIat"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 86_400);
    assert_eq!(
        auth["refreshExpiresIn"].as_i64().unwrap() - iat,
        30 * 86_400
    );

    // The admin login page hands out a csrftoken cookie too.
    let page = c
        .get(format!("{base}/api/admin/login/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("csrftoken="), "{cookie}");
    assert!(page.text().await.unwrap().contains("csrfmiddlewaretoken"));
}

#[tokio::test]
async fn queries_need_a_valid_token() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let query = q("{ insurees(first: 2) { totalCount } }");
    let (status, body, _) = gql(&c, &base, None, &query).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "errors": [{ "message": "User not authorized for this operation", "locations": [{ "line": 1, "column": 3 }], "path": ["insurees"] }],
            "data": { "insurees": null }
        })
    );
    let (status, body, _) = gql(&c, &base, Some("abc.def.ghi"), &query).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["message"], "Error decoding signature");
    assert!(body.get("data").is_none(), "{body}");

    let token = jwt(&c, &base).await;
    let (status, body, _) = gql(&c, &base, Some(&token), &query).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["insurees"]["totalCount"], 500);
    // The JWT cookie authenticates as well (the frontend sends no Authorization header).
    let response = c
        .post(format!("{base}/api/graphql"))
        .header("cookie", format!("JWT={token}"))
        .json(&query)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["insurees"]["totalCount"], 500);
    // So does the REST call the frontend makes after login.
    let me: Value = c
        .get(format!("{base}/api/core/users/current_user/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Admin");
    let anonymous = c
        .get(format!("{base}/api/core/users/current_user/"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn request_errors_answer_400_without_data() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let token = jwt(&c, &base).await;
    let cases = [
        (
            q("{ insurees(first: 2) { "),
            "Syntax Error GraphQL (1:24) Expected selection",
        ),
        (
            q("{ insurees(first: 2) { nope } }"),
            "Cannot query field \"nope\" on type \"InsureeGQLTypeConnection\".",
        ),
        (
            q("query A { insurees { totalCount } } query B { claims { totalCount } }"),
            "Operation name required",
        ),
        (
            q("{ claims(colour: 1) { totalCount } }"),
            "Unknown argument \"colour\"",
        ),
        (q(""), "Must provide query string."),
    ];
    for (request, expected) in cases {
        let (status, body, _) = gql(&c, &base, Some(&token), &request).await;
        assert_eq!(status, 400, "{request}: {body}");
        assert!(body.get("data").is_none(), "{request}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{request}: {message}");
    }
    let response = c
        .post(format!("{base}/api/graphql"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "POST body sent invalid JSON.");

    // Unknown paths get Django's HTML 404, as openIMIS answers them.
    let missing = c
        .post(format!("{base}/api/auth/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn insuree_search_pages_like_a_relay_connection() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let token = jwt(&c, &base).await;
    let someone = demo.info().sample_insurees(1).unwrap().remove(0);
    let term = someone.last_name[..4].to_lowercase();
    let query = format!(
        "{{ insurees(lastName_Icontains: \"{term}\", first: 3, orderBy: [\"chfId\"]) {{ totalCount edgeCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ id uuid chfId lastName gender {{ code }} family {{ uuid headInsuree {{ chfId }} }} }} }} }} }}"
    );
    let (status, body, _) = gql(&c, &base, Some(&token), &q(&query)).await;
    assert_eq!(status, 200, "{body}");
    let insurees = &body["data"]["insurees"];
    let total = insurees["totalCount"].as_i64().unwrap();
    assert!(total >= 1, "{body}");
    let edges = insurees["edges"].as_array().unwrap();
    assert_eq!(edges.len() as i64, total.min(3));
    assert_eq!(insurees["edgeCount"], edges.len());
    assert_eq!(insurees["pageInfo"]["hasNextPage"], total > 3);
    assert_eq!(
        insurees["pageInfo"]["startCursor"],
        "YXJyYXljb25uZWN0aW9uOjA="
    );
    let chf_ids: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["chfId"].as_str().unwrap())
        .collect();
    let mut sorted = chf_ids.clone();
    sorted.sort_unstable();
    assert_eq!(chf_ids, sorted, "ordered by chfId");
    for edge in edges {
        let node = &edge["node"];
        assert!(
            node["lastName"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&term)
        );
        assert!(node["family"]["uuid"].as_str().unwrap().len() == 36);
    }
    // Fields come back in the query's order (serde_json's map sorts them: read the text).
    let text = c
        .post(format!("{base}/api/graphql"))
        .bearer_auth(&token)
        .json(&q(&query))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let node = &text[text.find("\"node\":{").unwrap()..];
    let positions: Vec<usize> = [
        "\"id\"",
        "\"uuid\"",
        "\"chfId\"",
        "\"lastName\"",
        "\"gender\"",
        "\"family\"",
    ]
    .iter()
    .map(|key| node.find(key).unwrap())
    .collect();
    assert!(positions.is_sorted(), "{node}");
    assert!(text.starts_with("{\"data\""), "{text}");

    // The next page starts after the end cursor.
    if total > 3 {
        let end = insurees["pageInfo"]["endCursor"].as_str().unwrap();
        let next = format!(
            "{{ insurees(lastName_Icontains: \"{term}\", first: 3, after: \"{end}\", orderBy: [\"chfId\"]) {{ edges {{ node {{ chfId }} }} }} }}"
        );
        let (_, body, _) = gql(&c, &base, Some(&token), &q(&next)).await;
        let first_next = body["data"]["insurees"]["edges"][0]["node"]["chfId"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            first_next.as_str() > chf_ids[2],
            "{first_next} after {chf_ids:?}"
        );
    }

    // Exact insurance number, and a page over the limit.
    let exact = format!(
        "{{ insurees(chfId: \"{}\") {{ edges {{ node {{ chfId otherNames }} }} }} }}",
        someone.chf_id
    );
    let (_, body, _) = gql(&c, &base, Some(&token), &q(&exact)).await;
    assert_eq!(
        body["data"]["insurees"]["edges"][0]["node"]["chfId"],
        someone.chf_id.as_str()
    );
    let (status, body, _) = gql(
        &c,
        &base,
        Some(&token),
        &q("{ insurees(first: 150) { totalCount } }"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["message"],
        "Requesting 150 records on the `insurees` connection exceeds the `first` limit of 100 records."
    );
    assert_eq!(body["data"], json!({ "insurees": null }));
}

#[tokio::test]
async fn families_members_and_lookups() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let token = jwt(&c, &base).await;
    let (_, body, _) = gql(
        &c,
        &base,
        Some(&token),
        &q("{ families(first: 1) { edges { node { id uuid headInsuree { chfId } location { type parent { type parent { type parent { type } } } } } } } }"),
    )
    .await;
    let family = &body["data"]["families"]["edges"][0]["node"];
    assert_eq!(family["location"]["type"], "V");
    assert_eq!(
        family["location"]["parent"]["parent"]["parent"]["type"],
        "R"
    );
    let uuid = family["uuid"].as_str().unwrap();
    let members = format!(
        "{{ familyMembers(familyUuid: \"{uuid}\", first: 10) {{ totalCount edges {{ node {{ chfId head }} }} }} }}"
    );
    let (_, body, _) = gql(&c, &base, Some(&token), &q(&members)).await;
    let edges = body["data"]["familyMembers"]["edges"].as_array().unwrap();
    assert!(!edges.is_empty());
    assert_eq!(edges[0]["node"]["head"], true, "the head comes first");
    assert_eq!(edges[0]["node"]["chfId"], family["headInsuree"]["chfId"]);
    let (_, body, _) = gql(
        &c,
        &base,
        Some(&token),
        &q("{ insureeGenders { code } relations { id } professions { id } educations { id } familyTypes { code } confirmationTypes { code isConfirmationNumberRequired } identificationTypes { code } userDistricts { code parent { code } } moduleConfigurations { module } }"),
    )
    .await;
    let data = &body["data"];
    assert_eq!(
        data["insureeGenders"],
        json!([{ "code": "M" }, { "code": "F" }, { "code": "O" }])
    );
    assert_eq!(data["relations"].as_array().unwrap().len(), 8);
    assert_eq!(data["userDistricts"].as_array().unwrap().len(), 12);
    assert_eq!(data["moduleConfigurations"], json!([]));
}

const CREATE: &str = "mutation($in: CreateInsureeMutationInput!) { createInsuree(input: $in) { clientMutationId internalId } }";
const LOG: &str = "query($id: String) { mutationLogs(clientMutationId: $id) { edges { node { status error clientMutationLabel insurees { insuree { chfId uuid } } } } } }";

fn new_insuree(mutation: &str, chf_id: &str, family: i64) -> Value {
    json!({
        "query": CREATE,
        "variables": { "in": {
            "clientMutationId": mutation, "clientMutationLabel": format!("Create insuree - {chf_id}"),
            "chfId": chf_id, "lastName": "Probe", "otherNames": "One", "genderId": "F",
            "dob": "1990-01-01", "head": false, "familyId": family, "cardIssued": false,
        }},
    })
}

async fn log_of(c: &reqwest::Client, base: &str, token: &str, mutation: &str) -> Value {
    let (status, body, _) = gql(
        c,
        base,
        Some(token),
        &json!({ "query": LOG, "variables": { "id": mutation } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["mutationLogs"]["edges"][0]["node"].clone()
}

#[tokio::test]
async fn mutations_report_their_outcome_in_the_mutation_log() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let token = jwt(&c, &base).await;

    let (status, body, _) = gql(
        &c,
        &base,
        Some(&token),
        &new_insuree("m-ok", "990000011", 1),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["createInsuree"]["clientMutationId"], "m-ok");
    assert_eq!(
        body["data"]["createInsuree"]["internalId"]
            .as_str()
            .unwrap()
            .len(),
        36
    );
    let log = log_of(&c, &base, &token, "m-ok").await;
    assert_eq!(log["status"], 2, "{log}");
    assert_eq!(log["error"], Value::Null);
    assert_eq!(log["clientMutationLabel"], "Create insuree - 990000011");
    assert_eq!(log["insurees"][0]["insuree"]["chfId"], "990000011");
    let found = format!(
        "{{ insurees(uuid: \"{}\") {{ edges {{ node {{ chfId family {{ id }} }} }} }} }}",
        log["insurees"][0]["insuree"]["uuid"].as_str().unwrap()
    );
    let (_, body, _) = gql(&c, &base, Some(&token), &q(&found)).await;
    assert_eq!(
        body["data"]["insurees"]["edges"][0]["node"]["family"]["id"],
        "RmFtaWx5R1FMVHlwZTox"
    );

    // A failed transaction: status 1, the error in openIMIS' JSON.
    gql(
        &c,
        &base,
        Some(&token),
        &new_insuree("m-bad", "990000022", 999_999),
    )
    .await;
    let log = log_of(&c, &base, &token, "m-bad").await;
    assert_eq!(log["status"], 1);
    assert_eq!(
        log["error"],
        r#"[{"message": "Failed to create insuree", "detail": "Family matching query does not exist."}]"#
    );
    assert_eq!(log["insurees"], json!([]));

    // The same insurance number again updates that insuree (openIMIS' create_or_update).
    gql(
        &c,
        &base,
        Some(&token),
        &new_insuree("m-again", "990000011", 2),
    )
    .await;
    let again = log_of(&c, &base, &token, "m-again").await;
    assert_eq!(again["status"], 2);
    let (_, body, _) = gql(
        &c,
        &base,
        Some(&token),
        &q("{ insurees(chfId: \"990000011\") { totalCount edges { node { family { id } } } } }"),
    )
    .await;
    assert_eq!(body["data"]["insurees"]["totalCount"], 1);

    // Anonymous: the mutation is received, and fails in the log.
    gql(&c, &base, None, &new_insuree("m-anon", "990000033", 1)).await;
    let log = log_of(&c, &base, &token, "m-anon").await;
    assert_eq!(log["status"], 1);
    assert!(
        log["error"]
            .as_str()
            .unwrap()
            .contains("User must be authenticated for this operation")
    );
}

#[tokio::test]
async fn asynchronous_mutations_stay_received_until_their_worker_ran() {
    let demo = demo_with(DemoConfig {
        mutation_delay: Some(Duration::from_millis(400)),
        ..DemoConfig::small()
    })
    .await;
    let base = demo.base_url();
    let c = client();
    let token = jwt(&c, &base).await;
    gql(
        &c,
        &base,
        Some(&token),
        &new_insuree("m-async", "990000044", 1),
    )
    .await;
    assert_eq!(log_of(&c, &base, &token, "m-async").await["status"], 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = log_of(&c, &base, &token, "m-async").await;
        if log["status"] == 2 {
            assert_eq!(log["insurees"][0]["insuree"]["chfId"], "990000044");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn claims_come_with_their_insuree_and_facility() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let token = jwt(&c, &base).await;
    let query = "{ claims(status: 2, orderBy: [\"-dateClaimed\"], first: 10) { totalCount edges { node { uuid code status claimed approved dateClaimed insuree { chfId lastName } healthFacility { code name } items { item { code } qtyProvided priceAsked } } } } }";
    let (status, body, _) = gql(&c, &base, Some(&token), &q(query)).await;
    assert_eq!(status, 200, "{body}");
    let edges = body["data"]["claims"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 10);
    let mut last = "9999-12-31".to_owned();
    for edge in edges {
        let claim = &edge["node"];
        assert_eq!(claim["status"], 2);
        let claimed = claim["claimed"].as_str().unwrap();
        assert!(
            claimed.split_once('.').is_some_and(|(_, c)| c.len() == 2),
            "{claimed}"
        );
        assert!(claim["insuree"]["chfId"].as_str().unwrap().len() == 9);
        assert!(
            claim["healthFacility"]["code"]
                .as_str()
                .unwrap()
                .starts_with("HF")
        );
        assert!(!claim["items"].as_array().unwrap().is_empty());
        let date = claim["dateClaimed"].as_str().unwrap().to_owned();
        assert!(date <= last, "newest first");
        last = date;
    }
}

#[tokio::test]
async fn prod_mode_rate_limits_and_locks_accounts() {
    let demo = demo_with(DemoConfig {
        rate_limit: Some(RateLimit {
            requests: 5,
            window: Duration::from_secs(3600),
        }),
        lockout: Some(Lockout {
            failures: 2,
            cool_off: Duration::from_secs(300),
        }),
        ..DemoConfig::small()
    })
    .await;
    let base = demo.base_url();
    let c = client();
    for _ in 0..2 {
        let (status, _) = token_auth(&c, &base, "user1", "wrong").await;
        assert_eq!(status, 401);
    }
    let (status, body) = token_auth(&c, &base, "user1", "password1").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["message"],
        "Too many failed attempts.Try again in 4 minutes."
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = c
            .post(format!("{base}/api/graphql"))
            .json(&q("{ moduleConfigurations { module } }"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body, json!({ "detail": "Rate limit exceeded" }));
        }
    }
    assert_eq!(statuses, [200, 200, 429], "3 logins + 2 queries fill the 5");
    let metrics = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("demo_rate_limit_requests_total{outcome=\"rejected\"} 1"),
        "{metrics}"
    );
}
