//! Seeding: row counts for a given size and determinism.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

use loadspec_demo::{DemoConfig, SeedStats, is_valid_insurance_number, seed_database};
use rusqlite::Connection;
use rusqlite::types::Value;

const TABLES: &[&str] = &[
    "genders",
    "professions",
    "education_levels",
    "relations",
    "family_types",
    "locations",
    "health_facilities",
    "medical_items",
    "medical_services",
    "diagnoses",
    "products",
    "families",
    "insurees",
    "policies",
    "claims",
    "claim_items",
    "claim_services",
    "users",
];

fn count(conn: &Connection, table: &str) -> u64 {
    let n: i64 = conn
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap();
    n as u64
}

/// Hash of every row of every table, in primary-key order.
fn content_hash(path: &Path) -> u64 {
    let conn = Connection::open(path).unwrap();
    let mut hasher = DefaultHasher::new();
    for table in TABLES {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                format!("{:?}", row.get::<_, Value>(i).unwrap()).hash(&mut hasher);
            }
        }
    }
    hasher.finish()
}

#[test]
fn seeds_the_requested_sizes() {
    let dir = common::temp_dir("counts");
    let path = dir.join("db.sqlite3");
    let config = DemoConfig {
        insurees: 1234,
        claims: 3456,
        users: 7,
        ..DemoConfig::small()
    };
    let stats = seed_database(&path, &config).unwrap();
    let conn = Connection::open(&path).unwrap();

    assert_eq!(stats.insurees, 1234);
    assert_eq!(count(&conn, "insurees"), 1234);
    assert_eq!(stats.claims, 3456);
    assert_eq!(count(&conn, "claims"), 3456);
    assert_eq!(stats.users, 8, "admin + user0..user6");
    assert_eq!(count(&conn, "users"), 8);
    assert_eq!(count(&conn, "families"), stats.families);
    assert_eq!(count(&conn, "policies"), stats.policies);
    assert_eq!(count(&conn, "claim_items"), stats.claim_items);
    assert_eq!(count(&conn, "claim_services"), stats.claim_services);
    assert_eq!(count(&conn, "locations"), 4 + 12 + 48 + 240);
    assert_eq!(stats.villages, 240);
    assert_eq!(count(&conn, "health_facilities"), stats.health_facilities);
    assert!(stats.families >= 1234 / 7 && stats.families <= 1234);
    // 1..=5 items per claim, 0..=2 services.
    assert!(stats.claim_items >= 3456 && stats.claim_items <= 5 * 3456);
    assert!(stats.claim_services <= 2 * 3456);
    assert_eq!(
        stats.total_rows(),
        TABLES.iter().skip(5).map(|t| count(&conn, t)).sum::<u64>()
    );

    // Every family has exactly one head, who is the family's head_insuree_id.
    let bad_heads: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM families f
             WHERE (SELECT COUNT(*) FROM insurees i WHERE i.family_id = f.id AND i.head) != 1
                OR NOT EXISTS (SELECT 1 FROM insurees i
                               WHERE i.id = f.head_insuree_id AND i.family_id = f.id AND i.head)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad_heads, 0);
    // Claim totals are the sum of their lines.
    let mismatched: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM claims c WHERE abs(c.claimed -
                (SELECT COALESCE(SUM(qty * price), 0) FROM claim_items WHERE claim_id = c.id) -
                (SELECT COALESCE(SUM(qty * price), 0) FROM claim_services WHERE claim_id = c.id)
             ) > 0.01",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatched, 0);
    let violations: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0, "seeded rows respect the foreign keys");
    let mut stmt = conn.prepare("SELECT chf_id FROM insurees").unwrap();
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(ids.iter().all(|id| is_valid_insurance_number(id)));
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(stmt);
    drop(conn);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn same_seed_same_rows_other_seed_other_rows() {
    let dir = common::temp_dir("determinism");
    let config = DemoConfig {
        insurees: 300,
        claims: 900,
        users: 3,
        ..DemoConfig::small()
    };
    let a = dir.join("a.sqlite3");
    let b = dir.join("b.sqlite3");
    let c = dir.join("c.sqlite3");
    let stats_a = seed_database(&a, &config).unwrap();
    let stats_b = seed_database(&b, &config).unwrap();
    let stats_c = seed_database(&c, &DemoConfig { seed: 7, ..config }).unwrap();
    assert_eq!(counts(&stats_a), counts(&stats_b), "same seed, same counts");
    assert_eq!(content_hash(&a), content_hash(&b), "same seed, same rows");
    assert_ne!(
        content_hash(&a),
        content_hash(&c),
        "another seed, other rows"
    );
    assert_eq!(stats_c.insurees, 300);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Seed statistics without the (timing-dependent) duration.
fn counts(s: &SeedStats) -> [u64; 13] {
    [
        s.diagnoses,
        s.locations,
        s.villages,
        s.health_facilities,
        s.medical_items,
        s.medical_services,
        s.products,
        s.families,
        s.insurees,
        s.policies,
        s.claims,
        s.claim_items,
        s.claim_services,
    ]
}

#[test]
fn refuses_to_seed_over_an_existing_file() {
    let dir = common::temp_dir("existing");
    let path = dir.join("db.sqlite3");
    std::fs::write(&path, b"not a database").unwrap();
    assert!(seed_database(&path, &DemoConfig::small()).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}
