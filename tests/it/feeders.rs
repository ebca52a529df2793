//! Data feeders: how each strategy hands rows to many users (sequential coverage, unique rows
//! per user, reproducible random picks, circular wrap), loading errors with file and line,
//! sharing without copies, generated data, and a real run where every user posts its own row.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, LazyLock, Mutex};

use loadspec::feeder::fake::{self, Date, Person};
use loadspec::feeder::{Feeder, FeederError, OnEnd, Row};
use loadspec::rand::SeedableRng as _;
use loadspec::results::model::RunResults;
use loadspec::{Harness, Mode, Scenario, UserRng};
use loadspec_suite::TestServer;

use crate::support::run_harness;

const CSV: &str = "tests/fixtures/insurees.csv";
const JSONL: &str = "tests/fixtures/insurees.jsonl";
const ROWS: usize = 20;

/// One feeder shared by every test thread, as a scenario file declares it.
static SHARED: LazyLock<Feeder> = LazyLock::new(|| Feeder::csv(CSV).circular());

fn chf(row: &Row) -> String {
    row.get("chfId").unwrap().to_owned()
}

fn scratch_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("feeders");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn sequential_rows_go_to_many_users_without_duplicates_until_the_end() {
    let feeder = Arc::new(Feeder::csv(CSV).sequential());
    assert_eq!(feeder.load().unwrap(), ROWS);
    // 8 threads of users race for the shared cursor.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let feeder = Arc::clone(&feeder);
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                loop {
                    match feeder.next_shared() {
                        Ok(row) => taken.push(chf(row)),
                        Err(FeederError::Exhausted { rows, .. }) => {
                            assert_eq!(rows, ROWS);
                            return taken;
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for thread in threads {
        all.extend(thread.join().unwrap());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), ROWS, "every row once");
    assert_eq!(distinct.len(), ROWS, "no row twice");
    let error = feeder.next_shared().unwrap_err().to_string();
    assert!(error.contains("ran out of rows after 20"), "{error}");
    feeder.rewind();
    assert!(feeder.next_shared().is_ok());
}

#[test]
fn circular_feeders_wrap_in_order() {
    let feeder = Feeder::csv(CSV).circular();
    let order: Vec<u64> = (0..ROWS * 2 + 3)
        .map(|_| feeder.next_shared().unwrap().line())
        .collect();
    let first: Vec<u64> = (2..2 + ROWS as u64).collect();
    assert_eq!(
        order[..ROWS],
        first[..],
        "CSV lines 2..=21, header on line 1"
    );
    assert_eq!(order[ROWS..ROWS * 2], first[..]);
    assert_eq!(order[ROWS * 2..], [2, 3, 4]);
}

#[test]
fn unique_rows_per_user_are_disjoint() {
    let users = 6;
    let feeder = Feeder::csv(CSV).unique_per_user(users);
    let mut owned: Vec<BTreeSet<u64>> = Vec::new();
    for index in 0..users {
        let mut rows = BTreeSet::new();
        for iteration in 0.. {
            match feeder.unique_row(index, iteration, users) {
                Ok(row) => assert!(rows.insert(row.line())),
                Err(FeederError::Exhausted { .. }) => break,
                Err(e) => panic!("{e}"),
            }
        }
        // User i gets rows i, i + 6, i + 12, i + 18 (CSV line = row + 2).
        let expected: BTreeSet<u64> = (index..ROWS as u64)
            .step_by(users as usize)
            .map(|r| r + 2)
            .collect();
        assert_eq!(rows, expected, "user {index}");
        owned.push(rows);
    }
    for (a, rows_a) in owned.iter().enumerate() {
        for rows_b in &owned[a + 1..] {
            assert!(rows_a.is_disjoint(rows_b));
        }
    }
    assert_eq!(owned.iter().map(BTreeSet::len).sum::<usize>(), ROWS);
    assert!(matches!(
        feeder.unique_row(users, 0, users),
        Err(FeederError::UserOutOfRange { .. })
    ));
    let wrapping = Feeder::csv(CSV).unique_per_user(users).on_end(OnEnd::Wrap);
    // User 5 owns rows 5, 11, 17: its fourth iteration is its first row again.
    let line = |iteration| wrapping.unique_row(5, iteration, users).unwrap().line();
    assert_eq!([line(0), line(1), line(2), line(3)], [7, 13, 19, 7]);
    let too_few = Feeder::csv(CSV).unique_per_user(30);
    assert!(matches!(
        too_few.unique_row(25, 0, 30),
        Err(FeederError::NotEnoughRows {
            rows: 20,
            index: 25,
            ..
        })
    ));
}

#[test]
fn random_rows_are_reproducible_with_a_seed() {
    let feeder = Feeder::jsonl(JSONL).random();
    let picks = |seed| {
        let mut rng = UserRng::seed_from_u64(seed);
        (0..50)
            .map(|_| feeder.random_row(&mut rng).unwrap().line())
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(7), picks(7));
    assert_ne!(picks(7), picks(8));
    let seen: BTreeSet<u64> = picks(7).into_iter().collect();
    assert_eq!(seen.len(), 6, "50 picks reach all 6 rows: {seen:?}");
}

#[test]
fn rows_are_shared_not_copied() {
    let rows = SHARED.shared_rows().unwrap();
    assert!(Arc::ptr_eq(&rows, &SHARED.shared_rows().unwrap()));
    // Two "users" on two threads get the same row (after a wrap): the same memory.
    let picks: Vec<(usize, usize)> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                let row = loop {
                    let row = SHARED.next_shared().unwrap();
                    if row.line() == 2 {
                        break row;
                    }
                };
                let value = row.value("chfId").unwrap();
                (
                    std::ptr::from_ref(row) as usize,
                    Arc::as_ptr(value).cast::<u8>() as usize,
                )
            })
            .join()
            .unwrap()
        })
        .collect();
    assert_eq!(picks[0], picks[1]);
    assert_eq!(picks[0].0, std::ptr::from_ref(&rows[0]) as usize);
    // Keeping a value beyond the row is a reference count, not a copy.
    let kept = Arc::clone(rows[0].value("lastName").unwrap());
    assert!(Arc::ptr_eq(&kept, rows[0].value("lastName").unwrap()));
    // Columns are shared by all rows.
    assert!(std::ptr::eq(rows[0].columns(), rows[1].columns()));
}

#[test]
fn json_lines_keep_their_values_as_text() {
    let feeder = Feeder::jsonl(JSONL);
    assert_eq!(feeder.load().unwrap(), 6, "the blank line is skipped");
    let rows = feeder.shared_rows().unwrap();
    let first = &rows[0];
    assert_eq!(first.get("familyId"), Some("40"));
    assert_eq!(first.parse::<i64>("familyId").unwrap(), 40);
    assert!(first.parse::<bool>("head").unwrap());
    assert_eq!(rows[1].get("email"), None, "null is missing");
    assert_eq!(rows[3].line(), 5, "line numbers count the blank line");
    let error = rows[1].require("email").unwrap_err().to_string();
    assert_eq!(error, "line 2 has no value for column \"email\"");
    let error = first.parse::<u8>("chfId").unwrap_err().to_string();
    assert!(
        error.starts_with("line 1, column \"chfId\": cannot parse \"500001003\""),
        "{error}"
    );
    assert_eq!(first.to_json()["otherNames"], "Amina");
    assert_eq!(
        Feeder::open(JSONL).load().unwrap(),
        6,
        "chosen by extension"
    );
}

#[test]
fn loading_errors_name_the_file_and_line() {
    let missing = Feeder::csv("tests/fixtures/no-such.csv");
    let error = missing.load().unwrap_err();
    assert!(matches!(error, FeederError::Io { .. }));
    assert_eq!(error.to_string(), "cannot read tests/fixtures/no-such.csv");
    // The failure is remembered: no retry per call, the same error every time.
    assert_eq!(
        missing.next_shared().unwrap_err().to_string(),
        error.to_string()
    );

    let short = scratch_file("short_row.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n");
    let error = Feeder::csv(&short).load().unwrap_err().to_string();
    assert_eq!(
        error,
        format!("{}:3: 2 fields where the header has 3", short.display())
    );

    let duplicate = scratch_file("duplicate.csv", "a,b,a\n1,2,3\n");
    let error = Feeder::csv(&duplicate).load().unwrap_err().to_string();
    assert!(
        error.ends_with(":1: the header names column \"a\" twice"),
        "{error}"
    );

    let header_only = scratch_file("header_only.csv", "a,b\n");
    assert!(matches!(
        Feeder::csv(&header_only).load(),
        Err(FeederError::Empty { .. })
    ));

    let bad_json = scratch_file("bad.jsonl", "{\"a\": 1}\n\n{\"a\": 2,}\n");
    let error = Feeder::jsonl(&bad_json).load().unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{}:3: invalid JSON", bad_json.display())),
        "{error}"
    );

    let not_object = scratch_file("array.jsonl", "{\"a\": 1}\n[1, 2]\n");
    let error = Feeder::jsonl(&not_object).load().unwrap_err().to_string();
    assert!(error.ends_with(":2: expected a JSON object"), "{error}");
}

#[test]
fn generated_data_follows_the_seed() {
    let mut a = UserRng::seed_from_u64(11);
    let mut b = UserRng::seed_from_u64(11);
    let (pa, pb) = (Person::generate(&mut a), Person::generate(&mut b));
    assert_eq!(pa, pb);
    assert!(!pa.first_name.is_empty() && !pa.last_name.is_empty());
    assert!(pa.email.ends_with("@example.org") && pa.email.is_ascii());
    assert!(pa.phone.chars().filter(char::is_ascii_digit).count() >= 7);
    assert_eq!(fake::digits(&mut a, 9), fake::digits(&mut b, 9));
    let from = Date::new(1950, 1, 1).unwrap();
    let to = Date::new(2005, 12, 31).unwrap();
    for _ in 0..200 {
        let date = fake::date_between(&mut a, from, to);
        assert!(from <= date && date <= to);
    }
    assert!(fake::email(&mut a).contains('@'));
    assert_eq!(fake::id(&mut a, "CL", 7).len(), 9);
    assert_ne!(fake::uuid(&mut a), fake::uuid(&mut a));
    let mut c = UserRng::seed_from_u64(12);
    assert_ne!(Person::generate(&mut c), pa);
}

/// Four users, five iterations each: every user posts its own row, so the run's results show
/// each of the 20 rows exactly once (one label per row).
#[test]
fn every_row_is_used_once_in_a_real_run() {
    let server = TestServer::start().unwrap();
    let feeder = Arc::new(Feeder::csv(CSV).unique_per_user(4));
    let scenario = Scenario::builder("feed_rows")
        .threads([4])
        .iterations(5)
        .build(
            async move |user: &mut loadspec::User| -> Result<(), loadspec::Failure> {
                let row = feeder.next(user)?;
                let label = format!("row {}", row.require("chfId")?);
                user.post("/login")
                    .label(&label)
                    .json(&row.to_json())
                    .send()
                    .await?
                    .expect_status(200)?;
                Ok(())
            },
        );
    let runs = Arc::new(Mutex::new(Vec::<RunResults>::new()));
    let sink = Arc::clone(&runs);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("feeders-run");
    let harness = Harness::new()
        .scenarios([scenario])
        .target(server.base_url())
        .default_mode(Mode::Full)
        .on_results(move |r| sink.lock().unwrap().push(r.clone()));
    let (code, log) = run_harness(
        harness,
        &["feeders", "--full", "--out-dir", out.to_str().unwrap()],
    );
    assert_eq!(code, ExitCode::SUCCESS, "{log}");
    let runs = runs.lock().unwrap();
    let scenario = &runs[0].steps[0].scenarios[0];
    let per_label: BTreeMap<&str, u64> = scenario
        .requests
        .iter()
        .map(|r| (r.label.as_str(), r.count))
        .collect();
    let rows = Feeder::csv(CSV).shared_rows().unwrap();
    let expected: BTreeMap<String, u64> = rows
        .iter()
        .map(|r| (format!("row {}", chf(r)), 1))
        .collect();
    let got: BTreeMap<String, u64> = per_label
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(scenario.total_requests.failures, 0);
    let _ = std::fs::remove_dir_all(&out);
}
