//! Sharding and merging: share splitting, one plan run as one process and as 3 shard processes
//! (real processes of `examples/shard_probe.rs` on loopback, against one local server) whose
//! merged results equal the single run's, merge refusals, and the Kubernetes manifests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use loadspec::criteria::{CriteriaReport, Verdict};
use loadspec::results::model::{LabelSummary, RunResults};
use loadspec_cli::merge::{self, MergeError, ShardResults};
use loadspec_runner::metrics::histogram;
use loadspec_runner::plan::ShardSpec;
use loadspec_suite::TestServer;
use proptest::prelude::*;
use serde_json::Value;

use crate::support::{cargo_build, profile_dir, serial};

// ---------------------------------------------------------------------------------------------
// Share splitting

fn shares(total: u64, count: u32) -> Vec<u64> {
    (0..count)
        .map(|i| ShardSpec::new(i, count).unwrap().share(total))
        .collect()
}

#[test]
fn three_hundred_users_over_seven_shards_in_a_stable_order() {
    assert_eq!(shares(300, 7), vec![43, 43, 43, 43, 43, 43, 42]);
    // Stable: the same every time, and the same as the library's own split.
    for _ in 0..100 {
        assert_eq!(shares(300, 7), vec![43, 43, 43, 43, 43, 43, 42]);
    }
    assert_eq!(shares(10, 3), vec![4, 3, 3]);
    assert_eq!(shares(1, 3), vec![1, 0, 0]);
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn shares_sum_exactly_are_fair_within_one_and_partition_the_users(
        total in 0u64..5_000,
        count in 1u32..64,
        offset in 0u64..500,
    ) {
        let specs: Vec<ShardSpec> = (0..count).map(|i| ShardSpec::new(i, count).unwrap()).collect();
        let parts: Vec<u64> = specs.iter().map(|s| s.share_after(total, offset)).collect();
        prop_assert_eq!(parts.iter().sum::<u64>(), total);
        prop_assert!(parts.iter().max().unwrap() - parts.iter().min().unwrap() <= 1);
        let mut owned: Vec<u64> = specs
            .iter()
            .flat_map(|s| (0..s.share_after(total, offset)).map(move |l| s.global_index(l, offset)))
            .collect();
        owned.sort_unstable();
        prop_assert_eq!(owned, (0..total).collect::<Vec<_>>());
    }

    #[test]
    fn every_arrival_lands_on_exactly_one_shard(arrivals in 0u64..5_000, count in 1u32..32) {
        let mut owned: Vec<u64> = (0..count)
            .map(|i| ShardSpec::new(i, count).unwrap())
            .flat_map(|s| {
                (0..arrivals)
                    .map(move |l| s.global_arrival(l))
                    .take_while(move |&k| k < arrivals)
            })
            .collect();
        owned.sort_unstable();
        prop_assert_eq!(owned, (0..arrivals).collect::<Vec<_>>());
    }
}

#[test]
fn bad_shards_are_refused_on_one_line_naming_the_value() {
    for (value, needle) in [
        ("3/3", "from 0 to 2"),
        ("0/0", "at least 1 shard"),
        ("x/3", "I/N"),
        ("1", "I/N"),
    ] {
        let e = ShardSpec::parse(value).unwrap_err().to_string();
        assert!(
            e.contains(&format!("{value:?}")) && e.contains(needle),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        loadspec::Overrides::from_env(move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
    };
    let e = env(&[("LOADSPEC_SHARD", "2/2")]).unwrap_err().to_string();
    assert!(
        e.contains("LOADSPEC_SHARD \"2/2\"") && e.contains("numbered from 0"),
        "{e}"
    );
    let o = env(&[("JOB_COMPLETION_INDEX", "1"), ("LOADSPEC_SHARD_COUNT", "4")]).unwrap();
    assert_eq!(o.shard, Some(ShardSpec::new(1, 4).unwrap()));
    let e = env(&[("LOADSPEC_START_AT", "noon")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("LOADSPEC_START_AT \"noon\"") && e.contains("RFC 3339"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// One process and three shard processes against one server

/// Builds (if needed) and returns a binary of the workspace.
fn binary(args: &[&str], path: &Path) -> PathBuf {
    cargo_build(args);
    assert!(path.exists(), "{} was not built", path.display());
    path.to_owned()
}

pub(crate) fn probe() -> PathBuf {
    binary(
        &["-p", "loadspec-suite", "--example", "shard_probe"],
        &profile_dir().join("examples").join("shard_probe"),
    )
}

pub(crate) fn loadspec_cli() -> PathBuf {
    binary(
        &["-p", "loadspec-cli", "--bin", "loadspec"],
        &profile_dir().join("loadspec"),
    )
}

/// A fresh directory under this test process's own temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("loadspec-sharding-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every `results.json` under `dir`.
fn results_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "results.json") {
                found.push(path);
            }
        }
    }
    found
}

struct Run {
    code: Option<i32>,
    results: PathBuf,
    log: PathBuf,
}

fn start_probe(exe: &Path, target: &str, dir: &Path, extra: &[String]) -> std::process::Child {
    let mut command = Command::new(exe);
    command
        .args(["--full", "--target", target, "--seed", "7", "--out-dir"])
        .arg(dir.join("out"))
        .args(extra)
        .env("SHARD_PROBE_LOG", dir.join("users.log"))
        .stdout(std::fs::File::create(dir.join("stdout.txt")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap());
    for (name, _) in std::env::vars() {
        if name.starts_with("LOADSPEC_") || name == "JOB_COMPLETION_INDEX" {
            command.env_remove(name);
        }
    }
    command.spawn().unwrap()
}

fn finish(mut child: std::process::Child, dir: &Path) -> Run {
    let deadline = Instant::now() + Duration::from_secs(120);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the probe in {} did not finish", dir.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let files = results_files(&dir.join("out"));
    let stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
    assert_eq!(
        files.len(),
        1,
        "one results.json in {}: {stderr}",
        dir.display()
    );
    Run {
        code,
        results: files[0].clone(),
        log: dir.join("users.log"),
    }
}

/// What the end-to-end tests share: the single run, the shards, and the CLI's merge.
struct Fixture {
    single: Run,
    single_results: RunResults,
    shards: Vec<Run>,
    shard_results: Vec<ShardResults>,
    start_at: SystemTime,
    merged_dir: PathBuf,
    merge_code: Option<i32>,
    merge_stdout: String,
    cli: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // Taken here, not by the tests that read the fixture: whichever comes first runs it.
        let _serial = serial();
        let exe = probe();
        let cli = loadspec_cli();
        let server = TestServer::start().unwrap();
        let target = server.base_url();
        // The whole plan in one process.
        let dir = scratch("single");
        let single = finish(start_probe(&exe, &target, &dir, &[]), &dir);
        // The same plan as three shard processes, starting together a few seconds from now.
        let start_at = SystemTime::now() + Duration::from_secs(4);
        let at = humantime::format_rfc3339_millis(start_at).to_string();
        let children: Vec<_> = (0..3)
            .map(|i| {
                let dir = scratch(&format!("shards/{i}"));
                let args = vec![
                    "--shard".to_owned(),
                    format!("{i}/3"),
                    "--start-at".to_owned(),
                    at.clone(),
                ];
                (start_probe(&exe, &target, &dir, &args), dir)
            })
            .collect();
        let shards: Vec<Run> = children.into_iter().map(|(c, d)| finish(c, &d)).collect();
        drop(server);
        let single_results = loadspec::results::load(&single.results).unwrap();
        let shard_paths: Vec<PathBuf> = shards.iter().map(|r| r.results.clone()).collect();
        let shard_results = merge::load_shards(&shard_paths).unwrap();
        // `loadspec merge` on the directory of the shards, writing into it (the merge skips
        // its own output directory when it searches).
        let shards_dir = dir.parent().unwrap().join("shards");
        let merged_dir = shards_dir.join("merged");
        let output = Command::new(&cli)
            .arg("merge")
            .arg(&shards_dir)
            .args(["-o".as_ref(), merged_dir.as_os_str()])
            .output()
            .unwrap();
        Fixture {
            single,
            single_results,
            shards,
            shard_results,
            start_at,
            merged_dir,
            merge_code: output.status.code(),
            merge_stdout: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            cli,
        }
    })
}

fn lines(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn matrix(report: &CriteriaReport) -> Vec<(String, Vec<(u32, Verdict)>)> {
    report
        .rows
        .iter()
        .map(|r| {
            (
                r.title.clone(),
                r.cells.iter().map(|c| (c.users, c.verdict)).collect(),
            )
        })
        .collect()
}

fn print_matrix(name: &str, report: &CriteriaReport) {
    println!("{name} verdicts (capacity: {}):", report.capacity.summary);
    for row in &report.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| format!("{} users: {} {}", c.users, c.verdict.as_str(), c.display))
            .collect();
        println!("  {:<28} {}", row.title, cells.join(" | "));
    }
}

fn labels(results: &RunResults, step: usize) -> Vec<&LabelSummary> {
    let s = &results.steps[step].scenarios[0];
    let mut all = vec![&s.iterations, &s.total_requests];
    all.extend(&s.transactions);
    all.extend(&s.requests);
    all
}

#[test]
fn three_shard_processes_merge_into_the_single_process_run() {
    let f = fixture();
    assert_eq!(
        f.single.code,
        Some(3),
        "the probe has a failing criterion (max ≤ 4 ms)"
    );
    for shard in &f.shards {
        assert_eq!(
            shard.code,
            Some(0),
            "a shard leaves the verdict on criteria to the merge"
        );
    }
    let merged = merge::merge(&f.shard_results).unwrap();
    let single = &f.single_results;
    assert_eq!(merged.steps.len(), 2);
    assert_eq!(
        merged
            .plan
            .steps
            .iter()
            .map(|s| s.users["shard_probe"])
            .collect::<Vec<_>>(),
        vec![3, 6]
    );
    println!(
        "{:<6} {:<20} {:>6} {:>6} | {:>9} {:>9} {:>9} {:>9} {:>9} (single | merged, ms)",
        "users", "label", "count", "merged", "p50", "p95", "p99", "min", "max"
    );
    for step in 0..2 {
        assert_eq!(
            merged.steps[step].scenarios[0].users,
            single.steps[step].scenarios[0].users
        );
        for (one, all) in labels(single, step).into_iter().zip(labels(&merged, step)) {
            assert_eq!(one.label, all.label);
            assert_eq!(one.count, all.count, "{} count at step {step}", one.label);
            assert_eq!(one.failures, all.failures);
            assert_eq!(one.status_codes, all.status_codes);
            println!(
                "{:<6} {:<20} {:>6} {:>6} | {:>4.1}|{:<4.1} {:>4.1}|{:<4.1} {:>4.1}|{:<4.1} {:>4.1}|{:<4.1} {:>4.1}|{:<4.1}",
                merged.steps[step].scenarios[0].users,
                one.label,
                one.count,
                all.count,
                one.p50_ms,
                all.p50_ms,
                one.p95_ms,
                all.p95_ms,
                one.p99_ms,
                all.p99_ms,
                one.min_ms,
                all.min_ms,
                one.max_ms,
                all.max_ms
            );
            // A fixed 20 ms delay: both runs measure it. They are separate runs on a shared
            // machine, so their tails differ by its scheduling noise (one late sample moves the
            // p95 of 30): medians are compared closely, tails only against the criteria bands
            // (below); the merge itself is exact (next).
            assert!(one.min_ms >= 20.0 && all.min_ms >= 20.0, "{one:?} {all:?}");
            let close = (one.p50_ms - all.p50_ms).abs() <= 5.0_f64.max(one.p50_ms * 0.25);
            assert!(close, "{} p50 {} vs {}", one.label, one.p50_ms, all.p50_ms);
            assert!(
                one.p95_ms < 200.0 && all.p95_ms < 200.0,
                "{} p95",
                one.label
            );
            // The merge itself is exact: the merged histogram is the shards' added up.
            let mut sum = histogram::new_histogram();
            for shard in &f.shard_results {
                let part = &labels(&shard.results, step)
                    .into_iter()
                    .find(|l| l.label == one.label)
                    .unwrap()
                    .histogram;
                sum.add(histogram::decode(part).unwrap()).unwrap();
            }
            let merged_hist = histogram::decode(&all.histogram).unwrap();
            assert_eq!(merged_hist, sum);
            let expected =
                (sum.value_at_quantile(0.95) as f64 / 1000.0).clamp(all.min_ms, all.max_ms);
            assert_eq!(all.p95_ms, expected);
        }
    }
    // The merged verdicts are the single run's.
    let (one, all) = (
        single.criteria.as_ref().unwrap(),
        merged.criteria.as_ref().unwrap(),
    );
    print_matrix("single-process", one);
    print_matrix("merged", all);
    assert_eq!(matrix(one), matrix(all));
    assert_eq!(one.verdict, Verdict::Fail);
    let verdicts: BTreeSet<Verdict> = all.rows.iter().map(|r| r.verdict).collect();
    assert_eq!(verdicts.len(), 3, "pass, warn and fail rows");

    // The shards issued the same users and data as the single run: global indexes and seeds.
    let single_users = lines(&f.single.log);
    let shard_users: Vec<BTreeSet<String>> = f.shards.iter().map(|s| lines(&s.log)).collect();
    assert_eq!(single_users.len(), 9);
    assert_eq!(
        shard_users.iter().map(BTreeSet::len).collect::<Vec<_>>(),
        vec![3, 3, 3]
    );
    let union: BTreeSet<String> = shard_users.iter().flatten().cloned().collect();
    assert_eq!(union, single_users);
    // Striped: shard 1 of 3 has the users 1 (of 3) and 1, 4 (of 6).
    let indexes: BTreeSet<(String, String)> = shard_users[1]
        .iter()
        .map(|l| {
            let mut it = l.split(' ');
            (it.next().unwrap().to_owned(), it.next().unwrap().to_owned())
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [("0", "1"), ("1", "1"), ("1", "4")]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(indexes, expected);
}

#[test]
fn shards_start_together_and_record_their_place() {
    let f = fixture();
    let start_at = f
        .start_at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for (i, shard) in f.shard_results.iter().enumerate() {
        let info = shard.results.run.shard.as_ref().unwrap();
        assert_eq!((info.index, info.count), (i as u32, 3));
        assert_eq!(info.total_users.len(), 2);
        assert_eq!(info.total_users[1]["shard_probe"], 6);
        assert_eq!(shard.results.steps[1].scenarios[0].users, 2);
        let late = info.late_by_s.unwrap();
        println!("shard {i}/3 late_by_s = {late:.3}");
        assert!(
            (0.0..1.0).contains(&late),
            "shard {i} started {late} s late"
        );
        // Its first step began at the aligned time (the run's precise start + the step's offset).
        let first = info.started_unix_s + shard.results.steps[0].offset_s;
        assert!((first - start_at - late).abs() < 1e-3);
    }
}

#[test]
fn the_merge_command_writes_every_output_and_exits_like_the_verdict() {
    let f = fixture();
    assert_eq!(f.merge_code, Some(3), "{}", f.merge_stdout);
    assert!(
        f.merge_stdout.contains("merged 3 shards"),
        "{}",
        f.merge_stdout
    );
    for file in [
        "results.json",
        "report.html",
        "summary.md",
        "junit.xml",
        "stats.csv",
        "stats_history.csv",
    ] {
        assert!(
            f.merged_dir.join(file).is_file(),
            "{file} in {}",
            f.merged_dir.display()
        );
    }
    // The report lists every generator on its own row.
    let html = std::fs::read_to_string(f.merged_dir.join("report.html")).unwrap();
    assert!(html.contains("Load generators"), "no generators table");
    for shard in ["0/3", "1/3", "2/3"] {
        assert!(
            html.contains(&format!("<td>{shard}</td>")),
            "no row for {shard}"
        );
    }
    let written = loadspec::results::load(&f.merged_dir.join("results.json")).unwrap();
    // The same document as merging in process (through JSON, as floats are read back).
    let in_process = merge::merge(&f.shard_results).unwrap();
    let in_process: RunResults =
        serde_json::from_str(&serde_json::to_string(&in_process).unwrap()).unwrap();
    assert_eq!(written, in_process);
    assert!(written.run.shard.is_none());
    assert_eq!(written.hosts.len(), 3);
    assert!(written.hosts.iter().all(|h| h.steps.len() == 2));
    assert_eq!(
        written.steps[1].scenarios[0]
            .time_series
            .iter()
            .map(|p| p.requests)
            .sum::<u64>(),
        60
    );
    // Again, with the merged results now inside the searched directory: they are skipped.
    let shards_dir = f.merged_dir.parent().unwrap();
    let again = Command::new(&f.cli)
        .arg("merge")
        .arg(shards_dir)
        .args(["-o".as_ref(), f.merged_dir.as_os_str()])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        loadspec::results::load(&f.merged_dir.join("results.json")).unwrap(),
        written
    );
    // One level up the single run is found too: not a shard, refused.
    let again = Command::new(&f.cli)
        .arg("merge")
        .arg(shards_dir.parent().unwrap())
        .args(["-o".as_ref(), f.merged_dir.as_os_str()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{text}");
    assert!(text.contains("is not a shard"), "{text}");
}

fn refused(shards: &[ShardResults]) -> String {
    let e = merge::merge(shards).unwrap_err();
    assert!(e.is_input_error());
    let text = e.to_string();
    assert!(!text.contains('\n'), "{text}");
    text
}

#[test]
fn merging_refuses_other_plans_missing_or_duplicate_shards_and_other_versions() {
    let f = fixture();
    let shards = &f.shard_results;
    let e = refused(&shards[..2]);
    assert!(
        e.contains("shard 2/3 is missing") && e.contains("given: 0/3, 1/3"),
        "{e}"
    );
    let e = refused(&[
        shards[0].clone(),
        shards[1].clone(),
        shards[1].clone(),
        shards[2].clone(),
    ]);
    assert!(e.contains("shard 1/3 is given twice"), "{e}");
    let single = ShardResults {
        path: f.single.results.clone(),
        results: f.single_results.clone(),
    };
    let e = refused(&[shards[0].clone(), single]);
    assert!(e.contains("is not a shard"), "{e}");
    let changed = |edit: &dyn Fn(&mut RunResults)| {
        let mut copy = shards.to_vec();
        edit(&mut copy[2].results);
        refused(&copy)
    };
    let e = changed(&|r| r.run.seed = 8);
    assert!(
        e.contains("different plans") && e.contains("run.seed: 7 vs 8"),
        "{e}"
    );
    let e = changed(&|r| r.plan.steps[1].hold_s = 99.0);
    assert!(e.contains("plan.steps[1].hold_s"), "{e}");
    let e = changed(&|r| r.plan.scenarios[0].criteria[0].target = 1.0);
    assert!(e.contains("plan.scenarios[0].criteria[0].target"), "{e}");
    let e = changed(&|r| {
        r.run.shard.as_mut().unwrap().total_users[1].insert("shard_probe".into(), 9);
    });
    assert!(
        e.contains("shards.total_users[1].shard_probe: 6 vs 9"),
        "{e}"
    );
    let e = changed(&|r| r.run.shard.as_mut().unwrap().count = 4);
    assert!(e.contains("shards.count: 3 vs 4"), "{e}");
    let e = changed(&|r| {
        r.plan.steps[1].users.insert("shard_probe".into(), 3);
    });
    assert!(
        e.contains("not its share") && e.contains("3 users, its share of 6 is 2"),
        "{e}"
    );
    let e = changed(&|r| r.schema_version = 2);
    assert!(
        e.contains("schema loadspec.results v2") && e.contains("v1"),
        "{e}"
    );
    assert!(matches!(merge::merge(&[]), Err(MergeError::NoInputs)));

    // The command: exit code 2 and one line naming the files.
    let dir = scratch("refusals");
    let write = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut value: Value =
            serde_json::from_str(&std::fs::read_to_string(&shards[2].path).unwrap()).unwrap();
        edit(&mut value);
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
        path
    };
    let newer = write("newer.json", &|v| v["schema_version"] = 2.into());
    let other_seed = write("seed.json", &|v| v["run"]["seed"] = 8.into());
    for (last, needle) in [
        (&newer, "schema version 2"),
        (&other_seed, "run.seed: 7 vs 8"),
        (&shards[1].path, "given twice"),
    ] {
        let output = Command::new(&f.cli)
            .arg("merge")
            .args([&shards[0].path, &shards[1].path, last])
            .args(["-o".as_ref(), dir.join("out").as_os_str()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(
            text.contains(needle) && text.trim().lines().count() == 1,
            "{text}"
        );
        assert!(!dir.join("out").join("results.json").exists());
    }
}

#[test]
fn timed_steps_start_together_even_on_a_shard_without_users() {
    let _serial = serial();
    use loadspec_runner::engine::{self, Silent, StopHandle};
    let server = TestServer::start().unwrap();
    let scenario = loadspec::Scenario::builder("timed")
        .threads([1, 2])
        .hold(Duration::from_millis(800))
        .cooldown(Duration::from_millis(200))
        .build(async |user: &mut loadspec::User| {
            user.get("/delay/20").send().await?.expect_status(200)?;
            Ok::<(), loadspec::Failure>(())
        });
    let start_at = SystemTime::now() + Duration::from_secs(2);
    let plans: Vec<_> = (0..2)
        .map(|i| {
            let overrides = loadspec::Overrides {
                target: Some(server.base_url()),
                mode: Some(loadspec::Mode::Full),
                seed: Some(3),
                shard: Some(ShardSpec::new(i, 2).unwrap()),
                start_at: Some(start_at),
                monitor_interval: Some(Duration::ZERO),
                workers: Some(1),
                ..Default::default()
            };
            loadspec_runner::plan::resolve(std::slice::from_ref(&scenario), &overrides).unwrap()
        })
        .collect();
    // Step 1 has one user: shard 1 has none and finishes its step at once.
    assert_eq!(plans[1].steps[0].users, vec![0]);
    let runs: Vec<RunResults> = std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .iter()
            .map(|plan| {
                scope.spawn(move || engine::run(plan, &mut Silent, &StopHandle::new()).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let at = start_at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // Slots: hold 0.8 s + graceful stop 5 s + cooldown 0.2 s.
    for (step, slot) in [(0, 0.0), (1, 6.0)] {
        let starts: Vec<f64> = runs
            .iter()
            .map(|r| r.run.shard.as_ref().unwrap().started_unix_s + r.steps[step].offset_s - at)
            .collect();
        println!("step {step}: shards start {starts:?} s after --start-at (slot at {slot} s)");
        for start in &starts {
            assert!(
                (start - slot).abs() < 0.5,
                "step {step} started at {start} s, not {slot} s"
            );
        }
        assert!((starts[0] - starts[1]).abs() < 0.2, "{starts:?}");
    }
    assert_eq!(runs[1].steps[0].scenarios[0].total_requests.count, 0);
    let shards: Vec<ShardResults> = runs
        .into_iter()
        .enumerate()
        .map(|(i, results)| ShardResults {
            path: PathBuf::from(format!("shard-{i}.json")),
            results,
        })
        .collect();
    let merged = merge::merge(&shards).unwrap();
    let users: Vec<u32> = merged.steps.iter().map(|s| s.scenarios[0].users).collect();
    assert_eq!(users, vec![1, 2]);
    assert!(merged.run.warnings.is_empty(), "{:?}", merged.run.warnings);
}

// ---------------------------------------------------------------------------------------------
// Deploy files

fn yaml(path: &str) -> Value {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn env_of(container: &Value) -> Vec<(String, Value)> {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

#[test]
fn the_indexed_job_carries_what_the_docs_rely_on() {
    let pvc = yaml("deploy/kubernetes/results-pvc.yaml");
    assert_eq!(pvc["kind"], "PersistentVolumeClaim");
    assert!(
        pvc["spec"]["accessModes"]
            .as_array()
            .unwrap()
            .contains(&"ReadWriteMany".into())
    );
    let claim = pvc["metadata"]["name"].as_str().unwrap();

    let job = yaml("deploy/kubernetes/shards-job.yaml");
    assert_eq!(job["kind"], "Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().unwrap();
    assert_eq!(spec["parallelism"].as_u64(), Some(completions));
    assert_eq!(spec["backoffLimit"].as_u64(), Some(0));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    let env = env_of(container);
    let value = |name: &str| {
        env.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} is not set"))
            .1
            .clone()
    };
    assert_eq!(
        value("JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    assert_eq!(
        value("LOADSPEC_SHARD_COUNT")["value"],
        completions.to_string()
    );
    assert!(value("LOADSPEC_SEED")["value"].is_string());
    let out = value("LOADSPEC_OUT_DIR")["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(out.contains("$(JOB_COMPLETION_INDEX)"), "{out}");
    let mount = &container["volumeMounts"][0];
    assert!(out.starts_with(mount["mountPath"].as_str().unwrap()));
    let volume = &pod["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    assert_eq!(volume["persistentVolumeClaim"]["claimName"], claim);

    // The pod's environment, as Kubernetes and envsubst fill it in, is what loadspec reads.
    let start_at = "2026-11-27T12:00:00Z";
    let vars: Vec<(String, String)> = env
        .iter()
        .filter_map(|(n, e)| {
            e["value"]
                .as_str()
                .map(|v| (n.clone(), v.replace("${START_AT}", start_at)))
        })
        .chain([("JOB_COMPLETION_INDEX".to_owned(), "2".to_owned())])
        .collect();
    let o = loadspec::Overrides::from_env(|k| {
        vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap();
    assert_eq!(
        o.shard,
        Some(ShardSpec::new(2, u32::try_from(completions).unwrap()).unwrap())
    );
    assert!(o.start_at.is_some());
    assert_eq!(o.seed, Some(42));
    for (name, _) in &env {
        if name.starts_with("LOADSPEC_SHARD") || name == "LOADSPEC_START_AT" {
            assert!(
                loadspec_runner::plan::env_vars()
                    .iter()
                    .any(|(n, _)| n == name),
                "{name} undocumented"
            );
        }
    }

    let merge_job = yaml("deploy/kubernetes/merge-job.yaml");
    let container = &merge_job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"][0], "loadspec");
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "merge");
    assert!(args.contains(&"-o"));
    assert_eq!(
        merge_job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        claim
    );

    // The walk-through names these files, and its GitHub Actions matrix is valid YAML with as
    // many shards as it says.
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scale-out.md"))
            .unwrap();
    for name in [
        "shards-job.yaml",
        "merge-job.yaml",
        "results-pvc.yaml",
        "deploy/Dockerfile",
        "completionMode: Indexed",
    ] {
        assert!(
            doc.contains(name),
            "docs/scale-out.md does not mention {name}"
        );
    }
    let workflow = doc
        .split("```yaml\n")
        .find(|block| block.contains("strategy:"))
        .and_then(|block| block.split("\n```").next())
        .expect("a GitHub Actions workflow in docs/scale-out.md");
    let workflow: Value = serde_norway::from_str(workflow).unwrap();
    let shards = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .len();
    let shard = workflow["jobs"]["shard"]["env"]["LOADSPEC_SHARD"]
        .as_str()
        .unwrap();
    assert_eq!(
        shard.rsplit_once('/').unwrap().1,
        shards.to_string(),
        "{shard}"
    );
    assert!(shard.starts_with("${{ matrix.shard }}/"), "{shard}");
}
