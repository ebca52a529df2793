//! The case study's flows against an openIMIS-like API: insuree creation as the recorded UI
//! does it and with only the essential calls (the report compares their requests per
//! transaction), and the claims search whose N+1 resolver becomes the bottleneck.

use loadspec::prelude::*;
use serde::Deserialize;

use crate::data;

#[derive(Deserialize)]
struct Token {
    access: String,
}

#[derive(Deserialize)]
struct Location {
    id: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    chf_id: String,
    family_id: i64,
}

#[derive(Deserialize)]
struct Page {
    results: Vec<Found>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    chf_id: String,
    family: Family,
}

#[derive(Deserialize)]
struct Family {
    id: i64,
}

/// Logs in and keeps the token for the user's following requests.
async fn login(user: &mut User) -> Result<(), Failure> {
    let credentials = data::credentials(user);
    user.transaction("login", async |tx| {
        let token: Token = tx
            .post("/api/auth/login")
            .json(&credentials)
            .send()
            .await?
            .expect_status(200)?
            .json()?;
        tx.session().bearer(&token.access)?;
        Ok(())
    })
    .await
}

/// One pick from a list the server returned.
fn pick<'a, T>(
    user_rng: &mut loadspec::UserRng,
    list: &'a [T],
    what: &str,
) -> Result<&'a T, Failure> {
    list.choose(user_rng)
        .ok_or_else(|| Failure::check(format!("the server returned no {what}")))
}

/// The insuree flow as the recorded UI runs it: the form loads every lookup list and walks
/// the location tree, the search opens the first hit, the creation reloads the new record and
/// its family.
#[scenario(
    threads = [1, 5, 10, 30, 50, 100, 150, 300],
    hold = "4s",
    cooldown = "1s",
    think_time = "200ms..600ms",
    tags = ["insuree", "recorded"],
)]
#[assertion(
    name = "User authentication requests",
    transaction = "login",
    p95 = "2s",
    threshold = "5s"
)]
#[assertion(
    name = "User search actions",
    transaction = "search",
    p95 = "5s",
    threshold = "7s"
)]
#[assertion(
    name = "User online transactions",
    transaction = "create_insuree",
    p95 = "3s",
    threshold = "5s"
)]
#[assertion(name = "HTTP errors 4xx", http_4xx = "0.5%", threshold = "1%")]
#[assertion(name = "HTTP errors 5xx", http_5xx = "0.1%", threshold = "0.2%")]
#[assertion(
    name = "Login failures",
    transaction = "login",
    failures = "0.2%",
    threshold = "0.3%"
)]
#[assertion(
    name = "Search failures",
    transaction = "search",
    failures = "0.5%",
    threshold = "0.7%"
)]
#[assertion(name = "Peak load errors", peak_failures = "2x", threshold = "4x")]
#[assertion(name = "Database deadlock", deadlocks = 0)]
pub(crate) async fn insuree_recorded(user: &mut User) -> Result<(), Failure> {
    login(user).await?;
    let village = user
        .transaction("open_insuree_form", async |tx| {
            for lookup in [
                "/api/genders",
                "/api/professions",
                "/api/education-levels",
                "/api/relations",
            ] {
                tx.get(lookup).send().await?.expect_status(200)?;
            }
            tx.get("/api/family-types")
                .send()
                .await?
                .expect_status(200)?;
            tx.get("/api/products").send().await?.expect_status(200)?;
            let mut parent: Option<i64> = None;
            for level in ["R", "D", "W", "V"] {
                let mut query = vec![("type", level.to_owned())];
                if let Some(id) = parent {
                    query.push(("parent", id.to_string()));
                }
                let places: Vec<Location> = tx
                    .get("/api/locations")
                    .query(&query)
                    .send()
                    .await?
                    .expect_status(200)?
                    .json()?;
                parent = Some(pick(tx.rng(), &places, "locations")?.id);
            }
            tx.get("/api/health-facilities")
                .send()
                .await?
                .expect_status(200)?;
            parent.ok_or_else(|| Failure::check("no village to register the family in"))
        })
        .await?;
    let pause = data::between_actions(user);
    user.pause(pause).await;
    let term = data::search_term(user);
    user.transaction("search", async |tx| {
        let page: Page = tx
            .get("/api/insurees")
            .query(&[("q", term), ("page", "1"), ("page_size", "10")])
            .send()
            .await?
            .expect_status(200)?
            .json()?;
        if let Some(first) = page.results.first() {
            tx.get(&format!("/api/insurees/{}", first.chf_id))
                .send()
                .await?
                .expect_status(200)?;
        }
        Ok(())
    })
    .await?;
    let pause = data::between_actions(user);
    user.pause(pause).await;
    let mut insuree = data::new_insuree(user, 0);
    insuree["newFamily"] = serde_json::json!({ "locationId": village, "povertyStatus": false, "familyType": "H", "address": "Plot 7" });
    let family = user
        .transaction("create_insuree", async |tx| {
            let created: Created = tx
                .post("/api/insurees")
                .json(&insuree)
                .send()
                .await?
                .expect_status(201)?
                .json()?;
            tx.get(&format!("/api/insurees/{}", created.chf_id))
                .send()
                .await?
                .expect_status(200)?;
            tx.get("/api/genders").send().await?.expect_status(200)?;
            Ok(created.family.id)
        })
        .await?;
    user.transaction("family", async |tx| {
        tx.get(&format!("/api/families/{family}"))
            .send()
            .await?
            .expect_status(200)?;
        tx.get("/api/products").send().await?.expect_status(200)?;
        Ok(())
    })
    .await
}

/// The same user journey with only the essential API calls: one request per action.
#[scenario(
    threads = [1, 5, 10, 30, 50, 100, 150, 300],
    hold = "4s",
    cooldown = "1s",
    think_time = "200ms..600ms",
    tags = ["insuree", "essential"],
    criteria_file = "examples/insuree_flow/criteria.csv",
)]
pub(crate) async fn insuree_essential(user: &mut User) -> Result<(), Failure> {
    login(user).await?;
    let term = data::search_term(user);
    let found: Page = user
        .transaction("search", async |tx| {
            tx.get("/api/insurees")
                .query(&[("q", term), ("page_size", "10")])
                .send()
                .await?
                .expect_status(200)?
                .json()
        })
        .await?;
    let pause = data::between_actions(user);
    user.pause(pause).await;
    let mut insuree = data::new_insuree(user, 1);
    let family = pick(user.rng(), &found.results, "insurees for the search term")?.family_id;
    insuree["familyId"] = serde_json::json!(family);
    insuree["relationId"] = serde_json::json!(4);
    user.transaction("create_insuree", async |tx| {
        tx.post("/api/insurees")
            .json(&insuree)
            .send()
            .await?
            .expect_status(201)?;
        Ok(())
    })
    .await?;
    user.transaction("family", async |tx| {
        tx.get(&format!("/api/families/{family}"))
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
    .await
}

/// The claims search the case study profiled: a GraphQL page of claims with their insuree,
/// health facility and item lines, resolved with one query per claim and line (N+1).
#[scenario(
    threads = [1, 5, 10, 30, 50, 100, 150, 300],
    hold = "4s",
    cooldown = "1s",
    think_time = "200ms..600ms",
    tags = ["claims"],
    criteria_file = "examples/insuree_flow/criteria.csv",
)]
pub(crate) async fn claims_search(user: &mut User) -> Result<(), Failure> {
    login(user).await?;
    let offset = user.rng().random_range(0..200) * 20;
    user.session().set_graphql_path("/api/graphql");
    let query = "query Claims($first: Int, $offset: Int) { claims(first: $first, offset: $offset) { code dateClaimed claimed status insuree { chfId lastName } healthFacility { code name } items { itemCode itemName qty price } services { serviceCode qty price } } }";
    let variables = serde_json::json!({ "first": 20, "offset": offset });
    user.transaction("search", async |tx| {
        // A 200 answer carrying GraphQL `errors` fails the request (kind `graphql`).
        tx.graphql(query, variables)
            .send()
            .await?
            .expect_status(200)?
            .expect_json_exists("/data/claims")?;
        Ok(())
    })
    .await
}
