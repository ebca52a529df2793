//! Test data of the insuree flows: every value comes from the user's seeded random stream or
//! from its (step, user, iteration) position, so a run is reproducible with `--seed` and no two
//! creations in a run collide.

use loadspec::prelude::*;

/// Last names common in the demo's data: searches for them find people.
pub(crate) const SEARCH_TERMS: &[&str] = &[
    "Mwakasege",
    "Kimaro",
    "Mushi",
    "Massawe",
    "Mollel",
    "Lyimo",
    "Swai",
    "Temba",
    "Shirima",
    "Mrema",
];

const OTHER_NAMES: &[&str] = &[
    "Amani", "Baraka", "Neema", "Zawadi", "Imani", "Rehema", "Upendo", "Jabari",
];

/// The demo's accounts: `user0`..`user99` with password `password<i>`.
pub(crate) fn credentials(user: &User) -> serde_json::Value {
    let n = user.index() % 100;
    serde_json::json!({ "username": format!("user{n}"), "password": format!("password{n}") })
}

/// A name to search for.
pub(crate) fn search_term(user: &mut User) -> &'static str {
    SEARCH_TERMS.choose(user.rng()).copied().unwrap_or("Mushi")
}

/// A new insuree: an insurance number unique within the run (derived from the flow, the
/// user's step, index and iteration: up to 2 flows × 8 steps × 300 users × 10,000 iterations)
/// and a name and birth date from the user's random stream.
pub(crate) fn new_insuree(user: &mut User, flow: u64) -> serde_json::Value {
    let position = (user.step() as u64 * 300 + user.index()) * 10_000 + user.iteration() % 10_000;
    let slot = position * 2 + flow % 2;
    let base = loadspec_demo::FREE_BASE_START + (slot % 49_000_000) as u32;
    let rng = user.rng();
    let gender = if rng.random_bool(0.5) { "M" } else { "F" };
    serde_json::json!({
        "chfId": loadspec_demo::insurance_number(base),
        "lastName": SEARCH_TERMS.choose(rng).copied().unwrap_or("Mushi"),
        "otherNames": format!("{} {}", OTHER_NAMES.choose(rng).copied().unwrap_or("Amani"), rng.random_range(1..1000)),
        "gender": gender,
        "dob": format!("{}-{:02}-{:02}", rng.random_range(1950..2020), rng.random_range(1..=12), rng.random_range(1..=28)),
        "phone": format!("+2557{:08}", rng.random_range(0..100_000_000)),
    })
}

/// A short pause between two user actions (skipped in smoke mode).
pub(crate) fn between_actions(user: &mut User) -> std::time::Duration {
    std::time::Duration::from_millis(user.rng().random_range(50..200))
}
