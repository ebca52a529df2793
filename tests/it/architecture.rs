//! The runner's modules depend on each other one way only: a module that names another
//! (`crate::plan::…`) is never named back by it. Cargo enforces this between crates; this
//! test does it between the runner's top-level modules, so the layering in ARCHITECTURE.md
//! cannot rot one import at a time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The top-level modules `text` names through `crate::` paths (`crate::plan::X`,
/// `crate::{plan, user}`).
fn named(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|p| p.trim().split("::").next().unwrap_or(""))
                .collect(),
            None => vec![
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or(""),
            ],
        };
        found.extend(
            names
                .into_iter()
                .filter(|n| modules.contains(*n))
                .map(str::to_owned),
        );
    }
    found
}

#[test]
fn no_two_runner_modules_depend_on_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("loadspec-runner/src");
    let modules: BTreeMap<String, PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.to_owned();
            (name != "lib").then_some((name, p))
        })
        .collect();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut deps: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &modules {
        let mut files = Vec::new();
        rust_files(path, &mut files);
        let mut uses = BTreeSet::new();
        for file in files {
            uses.extend(named(&std::fs::read_to_string(file).unwrap(), &names));
        }
        uses.remove(module);
        deps.insert(module, uses);
    }
    assert!(
        deps.len() > 10,
        "found only {:?} under {}",
        deps.keys(),
        src.display()
    );
    let deps = &deps;
    let two_way: Vec<String> = deps
        .iter()
        .flat_map(|(a, uses)| {
            uses.iter()
                .filter(move |b| a < &b.as_str() && deps[b.as_str()].contains(*a))
                .map(move |b| format!("{a} <-> {b}"))
        })
        .collect();
    assert!(
        two_way.is_empty(),
        "two-way module dependencies in loadspec-runner: {two_way:?}"
    );
}

#[test]
fn paths_in_groups_and_plain_paths_are_both_seen() {
    let modules: BTreeSet<String> = ["plan", "user", "engine"].map(str::to_owned).into();
    let found = named(
        "use crate::{plan::X, user};\nlet x = crate::engine::run();",
        &modules,
    );
    assert_eq!(found, modules);
}
