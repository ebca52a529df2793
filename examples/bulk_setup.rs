//! A `#[setup]` that seeds the target with bulk data before the first step, as the case study
//! learned to: related entities fetched once, values randomised per chunk, requests sent in
//! parallel chunks. It times the parallel seeding against sending the same requests one by one,
//! then load-tests lookups of the seeded records.
//!
//! ```sh
//! cargo run --example bulk_setup
//! ```

use std::time::Instant;

use futures::future::join_all;
use loadspec::prelude::*;
use serde::Deserialize;

/// Insurees the setup creates, and requests sent at once.
const INSUREES: u32 = 2_000;
const CHUNK: usize = 32;

#[derive(Deserialize)]
struct Location {
    id: i64,
}

/// What every user gets: the insurance numbers the setup created.
struct Seeded {
    insurees: Vec<String>,
}

async fn log_in(user: &mut User) -> Result<(), Failure> {
    let credentials = serde_json::json!({ "username": "admin", "password": "admin123" });
    let token = user
        .post("/api/auth/login")
        .json(&credentials)
        .send()
        .await?
        .expect_status(200)?
        .extract_json("/access")?;
    user.session().bearer(&token)?;
    Ok(())
}

fn insuree(n: u32, village: i64, rng: &mut loadspec::UserRng) -> serde_json::Value {
    let last_name = ["Mushi", "Swai", "Temba", "Lyimo"]
        .choose(rng)
        .copied()
        .unwrap_or("Mushi");
    serde_json::json!({
        "chfId": loadspec_demo::insurance_number(loadspec_demo::FREE_BASE_START + n),
        "lastName": last_name,
        "otherNames": format!("Seeded {n}"),
        "gender": if rng.random_bool(0.5) { "M" } else { "F" },
        "dob": format!("{}-{:02}-{:02}", rng.random_range(1950..2015), rng.random_range(1..=12), rng.random_range(1..=28)),
        "newFamily": { "locationId": village, "povertyStatus": false, "familyType": "H", "address": "Seeded" },
    })
}

#[setup]
async fn seed_insurees(user: &mut User) -> Result<Seeded, Failure> {
    log_in(user).await?;
    // Related entities are fetched once, not per record.
    let villages: Vec<Location> = user
        .get("/api/locations")
        .query(&[("type", "V")])
        .send()
        .await?
        .expect_status(200)?
        .json()?;
    let village_ids: Vec<i64> = villages.iter().map(|v| v.id).collect();

    // One by one, the slow way, for a tenth of the records: the baseline.
    let baseline = INSUREES / 10;
    let started = Instant::now();
    for n in 0..baseline {
        let village = *village_ids
            .choose(user.rng())
            .ok_or_else(|| Failure::check("no villages"))?;
        let body = insuree(n, village, user.rng());
        user.post("/api/insurees")
            .json(&body)
            .send()
            .await?
            .expect_status(201)?;
    }
    let one_by_one = f64::from(baseline) / started.elapsed().as_secs_f64();

    // In parallel chunks: every chunk takes one village, drawn at random, for all its records.
    let started = Instant::now();
    let mut workers = user.fork(CHUNK);
    let mut created = Vec::with_capacity(INSUREES as usize);
    let mut next = baseline;
    while next < INSUREES {
        let village = *village_ids
            .choose(user.rng())
            .ok_or_else(|| Failure::check("no villages"))?;
        let bodies: Vec<serde_json::Value> = (next..(next + CHUNK as u32).min(INSUREES))
            .map(|n| insuree(n, village, user.rng()))
            .collect();
        next += bodies.len() as u32;
        let answers = join_all(
            workers
                .iter_mut()
                .zip(bodies)
                .map(|(worker, body)| async move {
                    worker
                        .post("/api/insurees")
                        .json(&body)
                        .send()
                        .await?
                        .expect_status(201)?
                        .extract_json("/chfId")
                }),
        )
        .await;
        for answer in answers {
            created.push(answer?);
        }
    }
    let parallel = created.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "setup: created {} insurees in parallel chunks of {CHUNK} at {parallel:.0}/s; one by one: {one_by_one:.0}/s ({:.1}× faster)",
        created.len(),
        parallel / one_by_one
    );
    Ok(Seeded { insurees: created })
}

#[scenario(threads = [1, 10], hold = "5s", cooldown = "1s", on_start = log_in)]
#[assertion(
    name = "Insuree lookup",
    transaction = "lookup",
    p95 = "200ms",
    threshold = "500ms"
)]
async fn lookup_seeded(user: &mut User) -> Result<(), Failure> {
    let seeded = user.setup_data::<Seeded>()?;
    let chf = seeded
        .insurees
        .choose(user.rng())
        .cloned()
        .ok_or_else(|| Failure::check("nothing seeded"))?;
    user.transaction("lookup", async |tx| {
        tx.get(&format!("/api/insurees/{chf}"))
            .send()
            .await?
            .expect_json("/chfId", chf.as_str())?;
        Ok(())
    })
    .await
}

fn main() -> std::process::ExitCode {
    let demo = match loadspec_demo::start_in_background(loadspec_demo::DemoConfig::small()) {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("error: failed to start the demo target: {e}");
            return std::process::ExitCode::from(loadspec::exit_code::RUN_ERROR);
        }
    };
    loadspec::Harness::new()
        .default_mode(loadspec::Mode::Full)
        .target(demo.base_url())
        .run()
}
