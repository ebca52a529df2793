//! The flows' test data. Accounts come from a feeder file; the names to search for, the
//! families to add members to and the size of the claims list come from the target itself,
//! fetched once by the binary's `#[setup]`; everything else is drawn from each user's seeded
//! random stream, so a run is reproducible with `--seed`.

use std::sync::{Arc, LazyLock};

use loadspec::prelude::*;
use serde::Deserialize;

use crate::openimis::{self, Account};

/// The accounts users log in with: `examples/insuree_flow/users.csv` (openIMIS' demo
/// administrator, `Admin` / `admin123`), or the CSV file `INSUREE_FLOW_USERS` names
/// (columns `username,password`). User `i` takes row `i` modulo the rows.
pub(crate) static ACCOUNTS: LazyLock<Feeder> = LazyLock::new(|| {
    let path = std::env::var("INSUREE_FLOW_USERS")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/insuree_flow/users.csv"
            )
            .to_owned()
        });
    Feeder::csv(path).circular()
});

/// The account of this user.
pub(crate) fn account(user: &mut User) -> Result<Account, Failure> {
    let row = ACCOUNTS.next(user)?;
    Ok(Account {
        username: row.require("username")?.to_owned(),
        password: row.require("password")?.to_owned(),
    })
}

/// A family to add members to.
#[derive(Debug, Clone)]
pub(crate) struct FamilyRef {
    /// The primary key (`familyId` of `createInsuree`).
    pub(crate) id: i64,
    /// The uuid (`families(uuid:)`, `familyMembers(familyUuid:)`).
    pub(crate) uuid: String,
}

/// What the setup read from the target, shared by every user.
#[derive(Debug)]
pub(crate) struct Reference {
    /// Fragments of existing last names (what a clerk types into the search).
    pub(crate) terms: Vec<String>,
    /// Families of existing insurees.
    pub(crate) families: Vec<FamilyRef>,
    /// How many claims have status 2 (entered): the claims page the UI opens on.
    pub(crate) entered_claims: i64,
    /// A number of this run, part of every insurance number it creates, so that runs
    /// against the same database do not create the same ones.
    pub(crate) run_tag: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sampled {
    last_name: String,
    family: Option<SampledFamily>,
}

#[derive(Deserialize)]
struct SampledFamily {
    id: String,
    uuid: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Count {
    total_count: i64,
}

/// Reads the reference data: one login and two queries, whatever the number of users.
pub(crate) async fn reference(user: &mut User) -> Result<Reference, Failure> {
    let account = account(user)?;
    let run_tag = user.rng().random_range(0..10_000);
    user.transaction("setup", async |tx| {
        openimis::token_auth(tx, &account).await?;
        let sampled: Vec<Sampled> = openimis::nodes(
            tx,
            "GraphQL setup insurees",
            "query { insurees(first: 100, orderBy: [\"-validityFrom\"]) { edges { node { lastName family { id uuid } } } } }",
            serde_json::json!({}),
            "/data/insurees",
        )
        .await?;
        let claims: Count = openimis::call(
            tx,
            "GraphQL setup claims",
            "query { claims(status: 2, first: 1) { totalCount } }",
            serde_json::json!({}),
            "/data/claims",
        )
        .await?;
        let mut terms: Vec<String> = sampled
            .iter()
            .map(|s| s.last_name.chars().take(4).collect::<String>().to_lowercase())
            .filter(|t| t.chars().count() >= 3)
            .collect();
        terms.sort();
        terms.dedup();
        let mut families: Vec<FamilyRef> = sampled
            .into_iter()
            .filter_map(|s| s.family)
            .filter_map(|f| {
                Some(FamilyRef {
                    id: openimis::decode_id(&f.id)?,
                    uuid: f.uuid,
                })
            })
            .collect();
        families.sort_by_key(|f| f.id);
        families.dedup_by_key(|f| f.id);
        if terms.is_empty() || families.is_empty() {
            return Err(Failure::check(
                "the target has no insurees in families to search for and add to",
            ));
        }
        Ok(Reference {
            terms,
            families,
            entered_claims: claims.total_count,
            run_tag,
        })
    })
    .await
}

/// The reference data in a user.
pub(crate) fn reference_of(user: &User) -> Result<Arc<Reference>, Failure> {
    user.setup_data::<Reference>()
}

/// Something to search for.
pub(crate) fn search_term(user: &mut User, reference: &Reference) -> String {
    reference
        .terms
        .choose(user.rng())
        .cloned()
        .unwrap_or_else(|| "a".to_owned())
}

/// A family to add a member to.
pub(crate) fn family(user: &mut User, reference: &Reference) -> Result<FamilyRef, Failure> {
    reference
        .families
        .choose(user.rng())
        .cloned()
        .ok_or_else(|| Failure::check("no families to add insurees to"))
}

const OTHER_NAMES: &[&str] = &[
    "Amani", "Baraka", "Neema", "Zawadi", "Imani", "Rehema", "Upendo", "Jabari",
];

/// A new member of a family: an insurance number unique within the run (this run's tag,
/// the flow, the user's step, index and iteration: 12 digits, openIMIS' column size) and a
/// name and birth date from the user's random stream.
#[derive(Debug, Clone)]
pub(crate) struct NewInsuree {
    pub(crate) chf_id: String,
    pub(crate) last_name: String,
    pub(crate) other_names: String,
    pub(crate) gender: &'static str,
    pub(crate) dob: String,
}

pub(crate) fn new_insuree(
    user: &mut User,
    reference: &Reference,
    flow: u32,
    last_name: &str,
) -> NewInsuree {
    let chf_id = format!(
        "{:04}{}{}{:03}{:03}",
        reference.run_tag % 10_000,
        flow % 10,
        user.step() % 10,
        user.index() % 1000,
        user.iteration() % 1000
    );
    let rng = user.rng();
    let other = OTHER_NAMES.choose(rng).copied().unwrap_or("Amani");
    NewInsuree {
        chf_id,
        last_name: last_name.to_owned(),
        other_names: format!("{other} {}", rng.random_range(1..1000)),
        gender: if rng.random_bool(0.5) { "M" } else { "F" },
        dob: format!(
            "{}-{:02}-{:02}",
            rng.random_range(1950..2020),
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        ),
    }
}

/// A fresh `clientMutationId`, as the frontend makes one per mutation.
pub(crate) fn mutation_id(user: &mut User) -> String {
    let bytes: [u8; 16] = user.rng().random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// A short pause between two user actions (skipped in smoke mode).
pub(crate) fn between_actions(user: &mut User) -> std::time::Duration {
    std::time::Duration::from_millis(user.rng().random_range(50..200))
}
