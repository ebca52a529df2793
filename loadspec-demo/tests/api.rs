//! Every endpoint, each test against a small demo of its own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

mod common;

use common::{admin_token, client, login, start};
use loadspec_demo::BackgroundDemo;
use loadspec_demo::{FREE_BASE_START, insurance_number};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A running demo and an admin token for it.
struct Session {
    demo: BackgroundDemo,
    base: String,
    token: String,
}

async fn session() -> Session {
    let demo = start().await;
    let base = demo.base_url();
    let token = admin_token(&client(), &base).await;
    Session { demo, base, token }
}

async fn get(s: &Session, path: &str) -> (StatusCode, Value) {
    let response = client()
        .get(format!("{}{path}", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn post(s: &Session, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}{path}", s.base))
        .bearer_auth(&s.token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn health_needs_no_auth() {
    let demo = start().await;
    let response = client()
        .get(format!("{}/health", demo.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn login_issues_tokens_and_rejects_bad_credentials() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    let response = c
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "username": "user3", "password": "password3" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["access"].as_str().unwrap().len(), 64);
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "Bearer");
    // Distinct logins get distinct tokens.
    assert_ne!(
        login(&c, &base, "user3", "password3").await,
        body["access"].as_str().unwrap()
    );

    for (user, password) in [
        ("user3", "password4"),
        ("admin", "admin"),
        ("nobody", "admin123"),
    ] {
        let response = c
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "username": user, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{user}/{password}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid username or password");
    }
    let response = c
        .post(format!("{base}/api/auth/login"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = c
        .post(format!("{base}/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.json::<Value>().await.unwrap()["error"].is_string());
}

#[tokio::test]
async fn api_requires_a_valid_bearer_token() {
    let demo = start().await;
    let base = demo.base_url();
    let c = client();
    for path in [
        "/api/genders",
        "/api/insurees?q=a",
        "/api/families/1",
        "/api/products",
    ] {
        let response = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path} without a token");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let response = c
            .get(format!("{base}{path}"))
            .bearer_auth("nope")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path} with a bad token");
        let response = c
            .get(format!("{base}{path}"))
            .basic_auth("admin", Some("admin123"))
            .send()
            .await;
        assert_eq!(response.unwrap().status(), 401, "{path} with basic auth");
    }
}

#[tokio::test]
async fn master_data_comes_from_the_database() {
    let t = session().await;
    let (status, regions) = get(&t, "/api/locations?type=R").await;
    assert_eq!(status, 200);
    assert_eq!(regions.as_array().unwrap().len(), 4);
    let region = regions[0]["id"].as_i64().unwrap();
    let (_, districts) = get(&t, &format!("/api/locations?type=D&parent={region}")).await;
    let districts = districts.as_array().unwrap();
    assert_eq!(districts.len(), 3);
    assert!(
        districts
            .iter()
            .all(|d| d["parentId"] == region && d["type"] == "D")
    );
    let (_, villages) = get(&t, "/api/locations?type=V").await;
    assert_eq!(villages.as_array().unwrap().len(), 240);
    let (status, body) = get(&t, "/api/locations?type=X").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("location type"));
    let (status, _) = get(&t, "/api/locations?parent=abc").await;
    assert_eq!(status, 400);

    let (_, genders) = get(&t, "/api/genders").await;
    assert_eq!(
        genders[0],
        json!({ "code": "M", "gender": "Male", "sortOrder": 1 })
    );
    for (path, label, at_least) in [
        ("/api/professions", "profession", 5),
        ("/api/education-levels", "education", 5),
        ("/api/relations", "relation", 5),
    ] {
        let (status, rows) = get(&t, path).await;
        assert_eq!(status, 200, "{path}");
        let rows = rows.as_array().unwrap();
        assert!(rows.len() >= at_least, "{path}");
        assert!(
            rows.iter()
                .all(|r| r["id"].is_i64() && r[label].is_string()),
            "{path}"
        );
    }
    let (_, types) = get(&t, "/api/family-types").await;
    assert!(
        types
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "H" && t["type"] == "Household")
    );
    let (_, products) = get(&t, "/api/products").await;
    assert_eq!(products.as_array().unwrap().len(), 6);
    assert!(products[0]["lumpSum"].is_f64() && products[0]["code"].is_string());
    let (_, facilities) = get(&t, "/api/health-facilities").await;
    assert_eq!(facilities.as_array().unwrap().len(), 60);
    let district = districts[0]["id"].as_i64().unwrap();
    let (_, local) = get(
        &t,
        &format!("/api/health-facilities?district={district}&level=H"),
    )
    .await;
    let local = local.as_array().unwrap();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0]["locationId"], district);
}

#[tokio::test]
async fn insurees_are_searchable_by_name_and_number() {
    let t = session().await;
    let sample = t.demo.info().sample_insurees(5).unwrap();
    assert_eq!(sample.len(), 5);
    let someone = &sample[2];

    let (status, page) = get(&t, &format!("/api/insurees?q={}", someone.last_name)).await;
    assert_eq!(status, 200);
    assert!(page["total"].as_i64().unwrap() >= 1);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pageSize"], 10);
    let results = page["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 10);
    assert!(results.iter().all(|r| {
        r["lastName"] == someone.last_name.as_str()
            || r["otherNames"]
                .as_str()
                .unwrap()
                .contains(&someone.last_name)
    }));

    // Two terms must both match; case-insensitive like Django's icontains.
    let q = format!(
        "{} {}",
        someone.other_names.to_lowercase(),
        someone.last_name.to_uppercase()
    );
    let (_, page) = get(&t, &format!("/api/insurees?q={q}&page_size=100")).await;
    assert!(
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["chfId"] == someone.chf_id.as_str())
    );

    let (_, page) = get(&t, &format!("/api/insurees?q={}", someone.chf_id)).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["results"][0]["chfId"], someone.chf_id.as_str());
    assert_eq!(page["results"][0]["familyId"], someone.family_id);
    let prefix = &someone.chf_id[..6];
    let (_, page) = get(&t, &format!("/api/insurees?q={prefix}&page_size=5")).await;
    assert!(page["total"].as_i64().unwrap() >= 1);
    assert!(
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["chfId"].as_str().unwrap().starts_with(prefix))
    );

    let (_, all) = get(&t, "/api/insurees?page=2&page_size=7").await;
    assert!(all["total"].as_i64().unwrap() >= 500);
    assert_eq!(all["results"].as_array().unwrap().len(), 7);
    let (_, none) = get(&t, "/api/insurees?q=zzzzqqq").await;
    assert_eq!(none["total"], 0);
    assert_eq!(get(&t, "/api/insurees?page_size=1000").await.0, 400);
    assert_eq!(get(&t, "/api/insurees?page=0").await.0, 400);
    // LIKE wildcards are literal.
    let (_, wild) = get(&t, "/api/insurees?q=%25").await;
    assert_eq!(wild["total"], 0);
}

#[tokio::test]
async fn insuree_detail_and_family_lookup() {
    let t = session().await;
    let someone = t.demo.info().sample_insurees(3).unwrap().remove(1);
    let (status, detail) = get(&t, &format!("/api/insurees/{}", someone.chf_id)).await;
    assert_eq!(status, 200);
    assert_eq!(detail["chfId"], someone.chf_id.as_str());
    assert_eq!(detail["lastName"], someone.last_name.as_str());
    assert_eq!(detail["family"]["id"], someone.family_id);
    assert!(
        detail["family"]["locationCode"]
            .as_str()
            .unwrap()
            .contains('V')
    );
    assert!(!detail["policies"].as_array().unwrap().is_empty());
    let (status, body) = get(&t, "/api/insurees/999999999").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("not found"));

    let (status, family) = get(&t, &format!("/api/families/{}", someone.family_id)).await;
    assert_eq!(status, 200);
    assert_eq!(family["id"], someone.family_id);
    let members = family["members"].as_array().unwrap();
    assert!(
        members
            .iter()
            .any(|m| m["chfId"] == someone.chf_id.as_str())
    );
    assert_eq!(members[0]["head"], true);
    assert_eq!(members[0]["id"], family["headInsureeId"]);
    assert!(family["policies"].is_array());
    assert_eq!(get(&t, "/api/families/99999999").await.0, 404);
    assert_eq!(get(&t, "/api/families/abc").await.0, 400);
}

#[tokio::test]
async fn insuree_creation_validates_and_detects_duplicates() {
    let t = session().await;
    let chf_id = insurance_number(FREE_BASE_START + 101);
    let new_head = json!({
        "chfId": chf_id,
        "lastName": "Mwanga",
        "otherNames": "Neema",
        "gender": "F",
        "dob": "1991-04-12",
        "phone": "+255700000001",
        "professionId": 2,
        "educationId": 3,
        "newFamily": { "locationId": 6, "povertyStatus": false, "familyType": "H" }
    });
    let (status, created) = post(&t, "/api/insurees", &new_head).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["chfId"], chf_id.as_str());
    assert_eq!(created["head"], true);
    let family_id = created["family"]["id"].as_i64().unwrap();
    assert_eq!(created["family"]["headInsureeId"], created["id"]);
    assert_eq!(created["family"]["locationId"], 6);

    let (status, body) = post(&t, "/api/insurees", &new_head).await;
    assert_eq!(status, 409);
    assert!(body["error"].as_str().unwrap().contains("already exists"));

    let child_id = insurance_number(FREE_BASE_START + 102);
    let child = json!({
        "chfId": child_id, "lastName": "Mwanga", "otherNames": "Baraka", "gender": "M",
        "dob": "2015-09-30", "familyId": family_id, "relationId": 4
    });
    let (status, created) = post(&t, "/api/insurees", &child).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["head"], false);
    assert_eq!(created["relationId"], 4);
    let (_, family) = get(&t, &format!("/api/families/{family_id}")).await;
    assert_eq!(family["members"].as_array().unwrap().len(), 2);
    let (status, detail) = get(&t, &format!("/api/insurees/{child_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["otherNames"], "Baraka");

    // Field errors without touching the database...
    let (status, body) = post(
        &t,
        "/api/insurees",
        &json!({ "chfId": "123456789", "otherNames": "", "gender": "F", "dob": "2001-02-30" }),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["chfId", "lastName", "otherNames", "dob", "familyId"]
    );
    let (status, body) = post(
        &t,
        "/api/insurees",
        &json!({ "chfId": insurance_number(FREE_BASE_START + 103), "lastName": "A",
                 "otherNames": "B", "gender": "F", "dob": "2999-01-01", "familyId": 1 }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"][0]["field"], "dob");
    // ...and against the reference data.
    let (status, body) = post(
        &t,
        "/api/insurees",
        &json!({ "chfId": insurance_number(FREE_BASE_START + 104), "lastName": "A",
                 "otherNames": "B", "gender": "Q", "dob": "2000-01-01", "familyId": 99999999,
                 "professionId": 999 }),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["gender", "professionId", "familyId"]);
    let (status, body) = post(
        &t,
        "/api/insurees",
        &json!({ "chfId": insurance_number(FREE_BASE_START + 105), "lastName": "A",
                 "otherNames": "B", "gender": "M", "dob": "2000-01-01",
                 "newFamily": { "locationId": 1 } }),
    )
    .await;
    assert_eq!(status, 422, "a region is not a village");
    assert_eq!(body["fields"][0]["field"], "newFamily.locationId");
    // A wrongly typed field is a JSON data error.
    let (status, _) = post(&t, "/api/insurees", &json!({ "chfId": 5 })).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn responses_carry_server_timing() {
    let t = session().await;
    let response = client()
        .get(format!("{}/api/insurees?q=a", t.base))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    let header = response.headers()["server-timing"]
        .to_str()
        .unwrap()
        .to_owned();
    let parts: Vec<(&str, f64)> = header
        .split(", ")
        .map(|p| {
            let (name, dur) = p.split_once(";dur=").unwrap();
            (name, dur.parse().unwrap())
        })
        .collect();
    assert_eq!(parts[0].0, "db");
    assert_eq!(parts[1].0, "app");
    assert!(parts[0].1 > 0.0, "the search ran SQL: {header}");
    assert!(parts[1].1 >= parts[0].1, "{header}");
}

#[tokio::test]
async fn metrics_expose_counters_and_gauges() {
    let t = session().await;
    let _ = get(&t, "/api/genders").await;
    let _ = client()
        .get(format!("{}/api/genders", t.base))
        .send()
        .await
        .unwrap();
    let response = client()
        .get(format!("{}/metrics", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for expected in [
        "demo_http_requests_total{method=\"GET\",route=\"/api/genders\",status=\"200\"}",
        "demo_http_requests_total{method=\"GET\",route=\"/api/genders\",status=\"401\"}",
        "demo_http_requests_total{method=\"POST\",route=\"/api/auth/login\",status=\"200\"}",
        "# TYPE demo_http_requests_in_flight gauge",
        "demo_db_pool_connections_in_use ",
        "demo_db_pool_connections_idle ",
        "demo_db_pool_size 4",
        "demo_db_busy_errors_total ",
        "demo_http_timeouts_total ",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // This very request is in flight while the text is rendered.
    let in_flight = text
        .lines()
        .find_map(|l| l.strip_prefix("demo_http_requests_in_flight "))
        .unwrap();
    assert!(in_flight.parse::<i64>().unwrap() >= 1);
}

#[tokio::test]
async fn unknown_paths_are_django_s_html_404s() {
    let demo = start().await;
    let response = client()
        .get(format!("{}/api/nope", demo.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<h1>Not Found</h1>")
    );
}
