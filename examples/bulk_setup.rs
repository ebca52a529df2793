//! The case study's bulk test data, the way it learned to make it 100× faster: a `#[setup]`
//! that creates insurees through openIMIS' GraphQL API with the related entities (families,
//! genders) fetched once, many `createInsuree` mutations in one request, and several such
//! requests in parallel — timed against creating the same insurees one by one, each
//! confirmed in `mutationLogs` as a naive script does. Then it load-tests lookups of what it
//! created.
//!
//! ```sh
//! cargo run --example bulk_setup                                     # embedded demo target
//! LOADSPEC_TARGET=http://127.0.0.1:8000 cargo run --example bulk_setup   # a real openIMIS
//! BULK_INSUREES=2000 BULK_PER_REQUEST=20 BULK_PARALLEL=4 cargo run --example bulk_setup
//! ```
//!
//! Claims are not created: openIMIS' `createClaim` needs a claim administrator, price lists
//! and a product covering the insuree, which its demo data has only for a few facilities.

#[allow(
    dead_code,
    reason = "this example uses a part of the flows' openIMIS module"
)]
#[path = "insuree_flow/openimis.rs"]
mod openimis;

use std::time::Instant;

use futures::future::join_all;
use loadspec::prelude::*;
use serde::Deserialize;

use openimis::Account;

/// A count from the environment, or its default.
fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// What every user gets: the insurance numbers the setup created.
struct Seeded {
    insurees: Vec<String>,
}

fn admin() -> Account {
    Account {
        username: "Admin".to_owned(),
        password: "admin123".to_owned(),
    }
}

async fn log_in(user: &mut User) -> Result<(), Failure> {
    user.transaction("login", async |tx| openimis::token_auth(tx, &admin()).await)
        .await
}

#[derive(Deserialize)]
struct Node<T> {
    node: T,
}

#[derive(Deserialize)]
struct Edges<T> {
    edges: Vec<Node<T>>,
}

#[derive(Deserialize)]
struct FamilyId {
    id: String,
}

#[derive(Deserialize)]
struct Log {
    status: Option<i64>,
    error: Option<String>,
}

/// The input of one new insuree: `n` numbers it within this run (`run` tells runs apart).
fn insuree(
    run: u32,
    n: u32,
    family: i64,
    label: &str,
    rng: &mut loadspec::UserRng,
) -> serde_json::Value {
    let last_name = ["Mushi", "Swai", "Temba", "Lyimo"]
        .choose(rng)
        .copied()
        .unwrap_or("Mushi");
    serde_json::json!({
        "clientMutationId": format!("bulk-{run:04}-{n:07}"),
        "clientMutationLabel": label,
        "chfId": format!("8{run:04}{n:07}"),
        "lastName": last_name,
        "otherNames": format!("Seeded {n}"),
        "genderId": if rng.random_bool(0.5) { "M" } else { "F" },
        "dob": format!("{}-{:02}-{:02}", rng.random_range(1950..2015), rng.random_range(1..=12), rng.random_range(1..=28)),
        "head": false,
        "familyId": family,
        "cardIssued": false,
    })
}

/// One request carrying every input of `chunk` as an aliased `createInsuree`.
fn chunk_mutation(chunk: &[serde_json::Value]) -> (String, serde_json::Value) {
    let declarations: Vec<String> = (0..chunk.len())
        .map(|i| format!("$i{i}: CreateInsureeMutationInput!"))
        .collect();
    let fields: Vec<String> = (0..chunk.len())
        .map(|i| format!("m{i}: createInsuree(input: $i{i}) {{ internalId }}"))
        .collect();
    let query = format!(
        "mutation BulkCreate({}) {{ {} }}",
        declarations.join(", "),
        fields.join(" ")
    );
    let variables: serde_json::Map<String, serde_json::Value> = chunk
        .iter()
        .enumerate()
        .map(|(i, input)| (format!("i{i}"), input.clone()))
        .collect();
    (query, serde_json::Value::Object(variables))
}

/// Reads the logs of the mutations labelled `label` and fails unless `expected` of them
/// succeeded.
async fn confirm(tx: &mut Transaction<'_>, label: &str, expected: usize) -> Result<(), Failure> {
    let logs: Edges<Log> = openimis::call(
        tx,
        "GraphQL BulkLogs",
        "query BulkLogs($label: String) { mutationLogs(clientMutationLabel: $label, first: 100) { edges { node { status error } } } }",
        serde_json::json!({ "label": label }),
        "/data/mutationLogs",
    )
    .await?;
    let done = logs
        .edges
        .iter()
        .filter(|l| l.node.status == Some(2))
        .count();
    if done == expected {
        return Ok(());
    }
    let error = logs
        .edges
        .iter()
        .find_map(|l| l.node.error.clone())
        .unwrap_or_else(|| "no error recorded".to_owned());
    Err(Failure::check(format!(
        "{done} of {expected} mutations labelled {label:?} succeeded: {error}"
    )))
}

#[setup]
async fn seed_insurees(user: &mut User) -> Result<Seeded, Failure> {
    let total = setting("BULK_INSUREES", 1_000);
    let per_request = setting("BULK_PER_REQUEST", 20).min(100) as usize;
    let parallel = setting("BULK_PARALLEL", 4) as usize;
    let baseline = (total / 10).max(1);
    let run: u32 = user.rng().random_range(0..10_000);
    log_in(user).await?;
    // Related entities are fetched once, not per record.
    let families: Edges<FamilyId> = user
        .transaction("related", async |tx| {
            openimis::call(
                tx,
                "GraphQL families",
                "query Families { families(first: 100) { edges { node { id } } } }",
                serde_json::json!({}),
                "/data/families",
            )
            .await
        })
        .await?;
    let family_ids: Vec<i64> = families
        .edges
        .iter()
        .filter_map(|f| openimis::decode_id(&f.node.id))
        .collect();
    if family_ids.is_empty() {
        return Err(Failure::check(
            "the target has no families to add insurees to",
        ));
    }

    // One by one, as a naive script does: a request per insuree, its log read after it.
    let started = Instant::now();
    let mut created = Vec::with_capacity(total as usize);
    for n in 0..baseline {
        let family = *family_ids.choose(user.rng()).unwrap_or(&family_ids[0]);
        let label = format!("bulk {run:04} single {n}");
        let input = insuree(run, n, family, &label, user.rng());
        user.transaction("create_one", async |tx| {
            let _: serde_json::Value = openimis::call(
                tx,
                "GraphQL CreateInsuree",
                "mutation CreateInsuree($in: CreateInsureeMutationInput!) { createInsuree(input: $in) { internalId } }",
                serde_json::json!({ "in": input }),
                "/data/createInsuree",
            )
            .await?;
            confirm(tx, &label, 1).await
        })
        .await?;
        created.push(format!("8{run:04}{n:07}"));
    }
    let one_by_one = f64::from(baseline) / started.elapsed().as_secs_f64();

    // The rest in chunks: `per_request` mutations per request, `parallel` requests at once,
    // each chunk's logs confirmed with one query.
    let started = Instant::now();
    let mut workers = user.fork(parallel);
    let mut next = baseline;
    let mut chunk_no = 0;
    while next < total {
        let mut requests = Vec::with_capacity(parallel);
        for _ in 0..parallel {
            if next >= total {
                break;
            }
            let end = (next + per_request as u32).min(total);
            let label = format!("bulk {run:04} chunk {chunk_no}");
            chunk_no += 1;
            let inputs: Vec<serde_json::Value> = (next..end)
                .map(|n| {
                    let family = *family_ids.choose(user.rng()).unwrap_or(&family_ids[0]);
                    insuree(run, n, family, &label, user.rng())
                })
                .collect();
            created.extend((next..end).map(|n| format!("8{run:04}{n:07}")));
            next = end;
            requests.push((label, inputs));
        }
        let answers = join_all(workers.iter_mut().zip(requests).map(
            |(worker, (label, inputs))| async move {
                worker
                    .transaction("create_chunk", async |tx| {
                        let (query, variables) = chunk_mutation(&inputs);
                        let _: serde_json::Value =
                            openimis::call(tx, "GraphQL BulkCreate", &query, variables, "/data")
                                .await?;
                        confirm(tx, &label, inputs.len()).await
                    })
                    .await
            },
        ))
        .await;
        for answer in answers {
            answer?;
        }
    }
    let chunked = f64::from(total - baseline) / started.elapsed().as_secs_f64();
    println!(
        "setup: created {} insurees: one by one {one_by_one:.1}/s ({baseline}); {per_request} per request, {parallel} requests at once {chunked:.1}/s ({}) — {:.1}× faster",
        created.len(),
        total - baseline,
        chunked / one_by_one
    );
    Ok(Seeded { insurees: created })
}

#[scenario(threads = [1, 10], hold = "5s", cooldown = "1s", on_start = log_in)]
#[assertion(
    name = "Insuree lookup",
    transaction = "lookup",
    p95 = "500ms",
    threshold = "1s"
)]
async fn lookup_seeded(user: &mut User) -> Result<(), Failure> {
    let seeded = user.setup_data::<Seeded>()?;
    let chf = seeded
        .insurees
        .choose(user.rng())
        .cloned()
        .ok_or_else(|| Failure::check("nothing seeded"))?;
    user.transaction("lookup", async |tx| {
        let found: Edges<serde_json::Value> = openimis::call(
            tx,
            "GraphQL Lookup",
            "query Lookup($chfId: String) { insurees(chfId: $chfId) { edges { node { chfId lastName family { uuid } } } } }",
            serde_json::json!({ "chfId": chf }),
            "/data/insurees",
        )
        .await?;
        if found.edges.len() == 1 {
            Ok(())
        } else {
            Err(Failure::check(format!("{} insurees with number {chf}", found.edges.len())))
        }
    })
    .await
}

fn main() -> std::process::ExitCode {
    let external = std::env::var("LOADSPEC_TARGET")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let demo = match external {
        Some(_) => None,
        None => match loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()) {
            Ok(demo) => Some(demo),
            Err(e) => {
                eprintln!("error: failed to start the demo target: {e}");
                return std::process::ExitCode::from(loadspec::exit_code::RUN_ERROR);
            }
        },
    };
    let mut harness = loadspec::Harness::new().default_mode(loadspec::Mode::Full);
    if let Some(demo) = &demo {
        harness = harness.target(demo.base_url());
    }
    harness.run()
}
