//! Merging the results of a sharded run (`--shard i/n` on several machines) into one run whose
//! criteria are judged on the merged data (`loadspec merge`).
//!
//! Statistics merge exactly where the results keep what is needed: counts, failures, sums
//! (for means), min and max, status codes, error counts, bytes, Server-Timing and requests per
//! transaction add up; percentiles are re-derived from the added HdrHistograms. Per-second
//! time series are aligned on the wall clock (each shard's precise start plus the point's
//! `t_s`) and bucketed by second; their per-second percentiles are count-weighted means of the
//! shards' (a per-second point keeps no histogram). Each shard's machine and system samples
//! are kept apart in `hosts`.
//!
//! Merging refuses results that are not shards, that come from different plans (seed, target,
//! scenarios, criteria, step timings or the whole plan's users) or schema versions, and an
//! incomplete or duplicated set of shards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use loadspec_results::criteria::{self, Criterion};
use loadspec_results::histogram::{self, HistogramDecodeError};
use loadspec_results::model::{
    CorrectedSummary, Environment, ErrorSummary, GeneratorHealth, HostResults, HostStep,
    LabelSummary, LockoutSummary, PlanInfo, RunResults, RunStatus, ScenarioStepResult,
    ServerTimingSummary, ShardInfo, StartLagSummary, StepResult, StepStatus, TimePoint,
    TransactionPoint,
};
use loadspec_results::phases::PhasesSummary;
use loadspec_results::{LoadError, Mode, compact_timestamp, load, rfc3339};
use loadspec_runner::plan::shard::{LATE_WARNING, ShardSpec};

/// Results that cannot be merged, or a merged run that cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No input given.
    #[error("nothing to merge: give the shards' results.json files, or directories holding them")]
    NoInputs,
    /// A directory without any results file.
    #[error("{} holds no results.json", path.display())]
    NoResultsIn {
        /// The directory.
        path: PathBuf,
    },
    /// A directory that cannot be listed.
    #[error("failed to read the directory {}", path.display())]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a results file of this schema version.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Results of a run without `--shard`.
    #[error(
        "{} is not a shard: its run had no --shard (merge the results of runs with --shard i/n)",
        path.display()
    )]
    NotShard {
        /// The file.
        path: PathBuf,
    },
    /// Two files written by different schema versions.
    #[error(
        "{} has results schema {found}, but {} has {expected}: merge results written by the same loadspec version",
        path.display(),
        first.display()
    )]
    SchemaVersion {
        /// The file.
        path: PathBuf,
        /// Its schema and version.
        found: String,
        /// The first file.
        first: PathBuf,
        /// Its schema and version.
        expected: String,
    },
    /// Two shards of different plans.
    #[error("{} and {} ran different plans: {what}", path.display(), other.display())]
    DifferentPlans {
        /// The file.
        path: PathBuf,
        /// The file it was compared with.
        other: PathBuf,
        /// The first difference, e.g. `run.seed: 42 vs 7`.
        what: String,
    },
    /// A shard of the set is not given.
    #[error("shard {index}/{count} is missing (given: {given}); shards are numbered from 0")]
    Missing {
        /// The missing shard.
        index: u32,
        /// The number of shards.
        count: u32,
        /// The shards given.
        given: String,
    },
    /// The same shard given twice.
    #[error("shard {index}/{count} is given twice: {} and {}", first.display(), second.display())]
    Duplicate {
        /// The shard.
        index: u32,
        /// The number of shards.
        count: u32,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A shard whose users are not its share of the plan.
    #[error(
        "{} is shard {shard} but its users are not its share of the plan: {what}",
        path.display()
    )]
    NotItsShare {
        /// The file.
        path: PathBuf,
        /// Its shard.
        shard: String,
        /// What differs.
        what: String,
    },
    /// A stored histogram that cannot be read.
    #[error("{}: step {step}, {label}: {source}", path.display())]
    Histogram {
        /// The file.
        path: PathBuf,
        /// Step index.
        step: usize,
        /// The label.
        label: String,
        /// The cause.
        #[source]
        source: HistogramDecodeError,
    },
    /// An output file that cannot be written.
    #[error(transparent)]
    Outputs(#[from] loadspec_report::OutputError),
}

impl MergeError {
    /// Whether the error is about the inputs (exit code 2) rather than writing the outputs
    /// (exit code 4).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Self::Outputs(_))
    }
}

/// One shard's results and the file they came from.
#[derive(Debug, Clone)]
pub struct ShardResults {
    /// The file, for messages.
    pub path: PathBuf,
    /// Its results.
    pub results: RunResults,
}

/// The results files named by `inputs`: files as given, directories searched (recursively)
/// for `results.json`, skipping `exclude` (the merge's own output directory).
pub fn collect_inputs(
    inputs: &[PathBuf],
    exclude: Option<&Path>,
) -> Result<Vec<PathBuf>, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError::NoInputs);
    }
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let before = files.len();
            find_results(input, exclude.as_deref(), &mut files)?;
            if files.len() == before {
                return Err(MergeError::NoResultsIn {
                    path: input.clone(),
                });
            }
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn find_results(
    dir: &Path,
    exclude: Option<&Path>,
    files: &mut Vec<PathBuf>,
) -> Result<(), MergeError> {
    if exclude.is_some_and(|ex| dir.canonicalize().is_ok_and(|d| d == ex)) {
        return Ok(());
    }
    let read_dir = |source| MergeError::ReadDir {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_dir)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            find_results(&path, exclude, files)?;
        } else if path.file_name().is_some_and(|n| n == "results.json") {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads each file (checking its schema and version).
pub fn load_shards(paths: &[PathBuf]) -> Result<Vec<ShardResults>, MergeError> {
    paths
        .iter()
        .map(|path| {
            Ok(ShardResults {
                path: path.clone(),
                results: load(path)?,
            })
        })
        .collect()
}

/// Merges the results of every shard of one run into one run, its criteria judged on the
/// merged data.
pub fn merge(shards: &[ShardResults]) -> Result<RunResults, MergeError> {
    let ordered = validate(shards)?;
    let starts: Vec<f64> = ordered.iter().map(|s| s.start).collect();
    let merged_start = starts.iter().copied().fold(f64::INFINITY, f64::min).floor();
    let finished = ordered
        .iter()
        .map(|s| s.start + s.results.run.duration_s)
        .fold(merged_start, f64::max);
    let first = &ordered[0].results;

    let step_count = ordered
        .iter()
        .map(|s| s.results.steps.len())
        .max()
        .unwrap_or(0);
    let mut steps = Vec::with_capacity(step_count);
    for index in 0..step_count {
        steps.push(merge_step(index, &ordered, merged_start)?);
    }

    let mut results = RunResults::clone(first);
    let started_at = rfc3339(to_time(merged_start));
    results.run.id = format!(
        "{}-{}-merged",
        first.run.name,
        compact_timestamp(&started_at)
    );
    results.run.started_at = started_at;
    results.run.finished_at = rfc3339(to_time(finished));
    results.run.duration_s = finished - merged_start;
    (results.run.status, results.run.status_reason) = merged_status(&ordered);
    results.run.warnings = merged_warnings(&ordered);
    results.run.shard = None;
    results.environment = merged_environment(&ordered);
    results.plan = merged_plan(&ordered);
    results.steps = steps;
    results.lifecycle = ordered
        .iter()
        .flat_map(|s| s.results.lifecycle.iter().cloned())
        .collect();
    results.hosts = ordered.iter().map(|s| host(s, merged_start)).collect();
    results.criteria = None;
    let criteria = plan_criteria(&results.plan);
    if results.run.mode == Mode::Full && criteria.iter().any(|(_, list)| !list.is_empty()) {
        results.criteria = Some(criteria::evaluate(&results, &criteria));
    }
    Ok(results)
}

/// The criteria stored in a plan, per scenario name (what `criteria::evaluate` takes).
pub fn plan_criteria(plan: &PlanInfo) -> Vec<(String, Vec<Criterion>)> {
    plan.scenarios
        .iter()
        .map(|s| (s.name.clone(), s.criteria.clone()))
        .collect()
}

/// A validated shard with its precise start.
struct Shard<'a> {
    path: &'a Path,
    results: &'a RunResults,
    info: &'a ShardInfo,
    spec: ShardSpec,
    /// Run start, seconds since the Unix epoch.
    start: f64,
}

/// Checks that the inputs are the complete set of shards of one plan; returns them by index.
fn validate(shards: &[ShardResults]) -> Result<Vec<Shard<'_>>, MergeError> {
    let first = shards.first().ok_or(MergeError::NoInputs)?;
    let mut ordered: Vec<Option<Shard<'_>>> = Vec::new();
    let first_identity = identity(&first.results);
    for input in shards {
        let r = &input.results;
        if (r.schema.as_str(), r.schema_version)
            != (first.results.schema.as_str(), first.results.schema_version)
        {
            return Err(MergeError::SchemaVersion {
                path: input.path.clone(),
                found: format!("{} v{}", r.schema, r.schema_version),
                first: first.path.clone(),
                expected: format!("{} v{}", first.results.schema, first.results.schema_version),
            });
        }
        let info = r.run.shard.as_ref().ok_or_else(|| MergeError::NotShard {
            path: input.path.clone(),
        })?;
        if let Some(what) = first_difference("", &first_identity, &identity(r)) {
            return Err(MergeError::DifferentPlans {
                path: input.path.clone(),
                other: first.path.clone(),
                what,
            });
        }
        let spec = ShardSpec::new(info.index, info.count).map_err(|e| MergeError::NotItsShare {
            path: input.path.clone(),
            shard: format!("{}/{}", info.index, info.count),
            what: e.to_string(),
        })?;
        check_share(input, info, spec)?;
        if ordered.is_empty() {
            ordered.resize_with(info.count as usize, || None);
        }
        let slot = &mut ordered[info.index as usize];
        if let Some(existing) = slot {
            return Err(MergeError::Duplicate {
                index: info.index,
                count: info.count,
                first: existing.path.to_owned(),
                second: input.path.clone(),
            });
        }
        let start = if info.started_unix_s.is_finite() && info.started_unix_s > 0.0 {
            info.started_unix_s
        } else {
            loadspec_results::parse_unix_seconds(&r.run.started_at).unwrap_or(0.0)
        };
        *slot = Some(Shard {
            path: &input.path,
            results: r,
            info,
            spec,
            start,
        });
    }
    let given: Vec<String> = ordered
        .iter()
        .flatten()
        .map(|s| s.spec.to_string())
        .collect();
    let count = u32::try_from(ordered.len()).unwrap_or(u32::MAX);
    if let Some(index) = ordered.iter().position(Option::is_none) {
        return Err(MergeError::Missing {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            count,
            given: given.join(", "),
        });
    }
    Ok(ordered.into_iter().flatten().collect())
}

/// What all shards of one plan share: the run's identity and the plan without the shard's
/// own users and rates.
fn identity(results: &RunResults) -> Value {
    let mut plan = serde_json::to_value(&results.plan).unwrap_or(Value::Null);
    if let Some(steps) = plan.get_mut("steps").and_then(Value::as_array_mut) {
        for step in steps {
            if let Some(step) = step.as_object_mut() {
                step.remove("users");
                step.remove("rates");
            }
        }
    }
    let shard = results.run.shard.as_ref();
    serde_json::json!({
        "run": {
            "name": results.run.name,
            "mode": results.run.mode,
            "seed": results.run.seed,
            "target": results.run.target,
        },
        "plan": plan,
        "shards": {
            "count": shard.map(|s| s.count),
            "total_users": shard.map(|s| &s.total_users),
        },
    })
}

/// The first place where two JSON values differ, as `path: a vs b`.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    &join(k),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(&format!("{path}[{i}]"), a, b)),
        (Value::Array(x), Value::Array(y)) => {
            Some(format!("{path}: {} vs {} entries", x.len(), y.len()))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {} vs {}", short(a), short(b))),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        text
    } else {
        format!("{}…", text.chars().take(60).collect::<String>())
    }
}

/// Checks that each step's users are this shard's share of the whole plan's.
fn check_share(input: &ShardResults, info: &ShardInfo, spec: ShardSpec) -> Result<(), MergeError> {
    let r = &input.results;
    let bad = |what: String| MergeError::NotItsShare {
        path: input.path.clone(),
        shard: spec.to_string(),
        what,
    };
    if info.total_users.len() != r.plan.steps.len() {
        return Err(bad(format!(
            "{} planned steps but the whole plan's users list {}",
            r.plan.steps.len(),
            info.total_users.len()
        )));
    }
    for (step, totals) in r.plan.steps.iter().zip(&info.total_users) {
        let mut offset = 0_u64;
        for scenario in &r.plan.scenarios {
            let total = u64::from(totals.get(&scenario.name).copied().unwrap_or(0));
            let expected = spec.share_after(total, offset);
            let has = u64::from(step.users.get(&scenario.name).copied().unwrap_or(0));
            if has != expected {
                return Err(bad(format!(
                    "step {}, {}: {has} users, its share of {total} is {expected}",
                    step.index + 1,
                    scenario.name
                )));
            }
            offset += total;
        }
    }
    Ok(())
}

fn merged_plan(shards: &[Shard<'_>]) -> PlanInfo {
    let first = &shards[0];
    let mut plan = first.results.plan.clone();
    for (index, (step, totals)) in plan
        .steps
        .iter_mut()
        .zip(&first.info.total_users)
        .enumerate()
    {
        step.users = totals.clone();
        // Open-model rates add up over the shards.
        for (name, rate) in step.rates.iter_mut() {
            *rate = shards
                .iter()
                .filter_map(|s| s.results.plan.steps.get(index)?.rates.get(name))
                .sum();
        }
    }
    plan
}

/// One step of every shard, merged.
fn merge_step(
    index: usize,
    shards: &[Shard<'_>],
    merged_start: f64,
) -> Result<StepResult, MergeError> {
    let parts: Vec<(&Shard<'_>, &StepResult)> = shards
        .iter()
        .filter_map(|s| s.results.steps.get(index).map(|step| (s, step)))
        .collect();
    let Some((_, base)) = parts.first() else {
        // Unreachable: the step count is the most steps any shard has.
        return Err(MergeError::NoInputs);
    };
    let wall = |s: &Shard<'_>, offset: f64| s.start + offset;
    let step_start = parts
        .iter()
        .map(|(s, st)| wall(s, st.offset_s))
        .fold(f64::INFINITY, f64::min);
    let step_end = parts
        .iter()
        .map(|(s, st)| wall(s, st.offset_s + st.duration_s))
        .fold(step_start, f64::max);
    let measure_start = parts
        .iter()
        .map(|(s, st)| wall(s, st.offset_s + st.measured_from_s))
        .fold(f64::INFINITY, f64::min);
    let measure_end = parts
        .iter()
        .map(|(s, st)| wall(s, st.offset_s + st.measured_from_s + st.measured_s))
        .fold(measure_start, f64::max);
    let measured_s = (measure_end - measure_start).max(0.0);

    let mut step = (*base).clone();
    step.started_at = rfc3339(to_time(step_start));
    step.offset_s = step_start - merged_start;
    step.duration_s = step_end - step_start;
    step.measured_from_s = measure_start - step_start;
    step.measured_s = measured_s;
    step.status = parts
        .iter()
        .map(|(_, st)| st.status)
        .max_by_key(|s| step_severity(*s))
        .unwrap_or(StepStatus::Completed);
    let mut reasons: Vec<String> = parts
        .iter()
        .filter_map(|(s, st)| {
            st.status_reason
                .as_ref()
                .map(|r| format!("shard {}: {r}", s.spec))
        })
        .collect();
    for s in shards.iter().filter(|s| s.results.steps.len() <= index) {
        reasons.push(format!("shard {} did not run this step", s.spec));
        if step.status == StepStatus::Completed {
            step.status = StepStatus::Interrupted;
        }
    }
    step.status_reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    step.health = parts
        .iter()
        .filter_map(|(_, st)| st.health.as_ref())
        .find(|h| !h.healthy)
        .or_else(|| parts.iter().find_map(|(_, st)| st.health.as_ref()))
        .cloned();
    step.generator = merged_generator(&parts);
    step.system = Vec::new();
    step.target_metrics = parts
        .iter()
        .find(|(_, st)| !st.target_metrics.is_empty())
        .map(|(s, st)| {
            st.target_metrics
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    m.t_s = wall(s, m.t_s) - merged_start;
                    m
                })
                .collect()
        })
        .unwrap_or_default();

    let mut names: Vec<&str> = Vec::new();
    for (_, st) in &parts {
        for sc in &st.scenarios {
            if !names.contains(&sc.scenario.as_str()) {
                names.push(&sc.scenario);
            }
        }
    }
    let mut scenarios = Vec::with_capacity(names.len());
    for name in names {
        let of: Vec<(&Shard<'_>, &ScenarioStepResult)> = parts
            .iter()
            .filter_map(|(s, st)| {
                st.scenarios
                    .iter()
                    .find(|x| x.scenario == name)
                    .map(|x| (*s, x))
            })
            .collect();
        scenarios.push(merge_scenario(index, &of, measured_s, merged_start)?);
    }
    step.scenarios = scenarios;
    Ok(step)
}

fn step_severity(status: StepStatus) -> u8 {
    match status {
        StepStatus::Completed => 0,
        StepStatus::Interrupted => 1,
        StepStatus::Aborted => 2,
        StepStatus::TargetUnavailable => 3,
    }
}

/// The worst generator of the step: bound if any was, the highest usage and lag; the cause
/// and CPU split are those of the worst host (bound first, then by cause — the generator's own
/// limit before a saturated machine — then by timer lag), so the mark names what held back
/// the host that made the step unreliable.
fn merged_generator(parts: &[(&Shard<'_>, &StepResult)]) -> Option<GeneratorHealth> {
    let all: Vec<(&Shard<'_>, &GeneratorHealth)> = parts
        .iter()
        .filter_map(|(s, st)| st.generator.as_ref().map(|g| (*s, g)))
        .collect();
    let (_, worst) = all.iter().max_by(|(_, a), (_, b)| {
        (a.bound, a.saturation())
            .cmp(&(b.bound, b.saturation()))
            .then(a.lag_p99_ms.total_cmp(&b.lag_p99_ms))
    })?;
    let mut merged = (*worst).clone();
    merged.cause = worst.saturation();
    let max = |f: fn(&GeneratorHealth) -> f64| all.iter().map(|(_, g)| f(g)).fold(0.0, f64::max);
    merged.cpu_share_mean = max(|g| g.cpu_share_mean);
    merged.cpu_share_max = max(|g| g.cpu_share_max);
    merged.lag_p99_ms = max(|g| g.lag_p99_ms);
    merged.lag_max_ms = max(|g| g.lag_max_ms);
    merged.bound = all.iter().any(|(_, g)| g.bound);
    merged.reasons = all
        .iter()
        .flat_map(|(s, g)| {
            g.reasons
                .iter()
                .map(move |r| format!("shard {}: {r}", s.spec))
        })
        .collect();
    Some(merged)
}

/// One scenario of one step over the shards that ran it.
fn merge_scenario(
    step: usize,
    parts: &[(&Shard<'_>, &ScenarioStepResult)],
    measured_s: f64,
    merged_start: f64,
) -> Result<ScenarioStepResult, MergeError> {
    let base = parts[0].1;
    let mut merged = base.clone();
    merged.users = parts.iter().map(|(_, s)| s.users).sum();
    merged.interrupted_iterations = parts.iter().map(|(_, s)| s.interrupted_iterations).sum();
    merged.dropped_iterations = parts.iter().map(|(_, s)| s.dropped_iterations).sum();
    merged.start_lag = merge_start_lag(step, parts)?;
    let merge = |pick: &dyn Fn(&ScenarioStepResult) -> Option<&LabelSummary>, label: &str| {
        let found: Vec<(&Shard<'_>, &LabelSummary)> = parts
            .iter()
            .filter_map(|(shard, s)| pick(s).map(|l| (*shard, l)))
            .collect();
        merge_labels(step, label, &found, measured_s)
    };
    merged.iterations = merge(&|s| Some(&s.iterations), &base.iterations.label)?;
    merged.total_requests = merge(&|s| Some(&s.total_requests), &base.total_requests.label)?;
    for kind in [LabelList::Transactions, LabelList::Requests] {
        let mut labels: Vec<&str> = Vec::new();
        for (_, s) in parts {
            for l in kind.of(s) {
                if !labels.contains(&l.label.as_str()) {
                    labels.push(&l.label);
                }
            }
        }
        let mut out = Vec::with_capacity(labels.len());
        for label in labels {
            out.push(merge(
                &|s| kind.of(s).iter().find(|l| l.label == label),
                label,
            )?);
        }
        match kind {
            LabelList::Transactions => merged.transactions = out,
            LabelList::Requests => merged.requests = out,
        }
    }
    merged.time_series = merge_series(parts, merged_start);
    // The first 429 of any shard, on the merged run's clock.
    merged.rate_limit = parts
        .iter()
        .filter_map(|(shard, s)| {
            let mut first = s.rate_limit.clone()?;
            first.at_s = shard.start + first.at_s - merged_start;
            Some(first)
        })
        .min_by(|a, b| a.at_s.total_cmp(&b.at_s));
    // Counters and rates add up, gauges keep their extremes and the value set last, trends
    // add their histograms.
    merged.custom = Default::default();
    for (shard, s) in parts {
        merged
            .custom
            .merge(&s.custom, measured_s)
            .map_err(|source| MergeError::Histogram {
                path: shard.path.to_owned(),
                step,
                label: "a custom trend".to_owned(),
                source,
            })?;
    }
    Ok(merged)
}

#[derive(Clone, Copy)]
enum LabelList {
    Transactions,
    Requests,
}

impl LabelList {
    fn of(self, s: &ScenarioStepResult) -> &[LabelSummary] {
        match self {
            Self::Transactions => &s.transactions,
            Self::Requests => &s.requests,
        }
    }
}

/// One label over the shards: sums, min and max, and percentiles from the added histograms.
fn merge_labels(
    step: usize,
    label: &str,
    parts: &[(&Shard<'_>, &LabelSummary)],
    measured_s: f64,
) -> Result<LabelSummary, MergeError> {
    let Some((_, base)) = parts.first() else {
        // Unreachable: labels come from the shards that have them.
        return Err(MergeError::NoInputs);
    };
    let mut merged = (*base).clone();
    let count: u64 = parts.iter().map(|(_, l)| l.count).sum();
    let failures: u64 = parts.iter().map(|(_, l)| l.failures).sum();
    merged.count = count;
    merged.failures = failures;
    merged.error_rate = if count == 0 {
        0.0
    } else {
        failures as f64 / count as f64
    };
    merged.throughput_per_s = if measured_s > 0.0 {
        count as f64 / measured_s
    } else {
        0.0
    };
    let weighted = |f: fn(&LabelSummary) -> f64| {
        parts
            .iter()
            .map(|(_, l)| f(l) * l.count as f64)
            .sum::<f64>()
            / count.max(1) as f64
    };
    merged.mean_ms = if count == 0 {
        0.0
    } else {
        weighted(|l| l.mean_ms)
    };
    let measured = || parts.iter().filter(|(_, l)| l.count > 0).map(|(_, l)| *l);
    merged.min_ms = measured().map(|l| l.min_ms).fold(f64::INFINITY, f64::min);
    if !merged.min_ms.is_finite() {
        merged.min_ms = 0.0;
    }
    merged.max_ms = parts.iter().map(|(_, l)| l.max_ms).fold(0.0, f64::max);

    let mut hist = histogram::new_histogram();
    for (shard, l) in parts {
        let decoded = histogram::decode(&l.histogram).map_err(|source| MergeError::Histogram {
            path: shard.path.to_owned(),
            step,
            label: label.to_owned(),
            source,
        })?;
        // Both have loadspec's bounds (decode re-bounds them): adding cannot fail.
        let _same_bounds = hist.add(&decoded);
    }
    merged.histogram = histogram::encode(&hist);
    let (min, max) = (merged.min_ms, merged.max_ms.max(merged.min_ms));
    let quantile = |q: f64| {
        if count == 0 || hist.is_empty() {
            0.0
        } else {
            (hist.value_at_quantile(q) as f64 / 1000.0).clamp(min, max)
        }
    };
    merged.p50_ms = quantile(0.5);
    merged.p90_ms = quantile(0.9);
    merged.p95_ms = quantile(0.95);
    merged.p99_ms = quantile(0.99);
    merged.p999_ms = quantile(0.999);

    merged.status_codes = BTreeMap::new();
    for (_, l) in parts {
        for (code, n) in &l.status_codes {
            *merged.status_codes.entry(code.clone()).or_insert(0) += n;
        }
    }
    let mut errors: Vec<ErrorSummary> = Vec::new();
    for (_, l) in parts {
        for e in &l.errors {
            match errors.iter_mut().find(|x| x.kind == e.kind) {
                Some(x) => x.count += e.count,
                None => errors.push(e.clone()),
            }
        }
    }
    merged.errors = errors;
    // requests per transaction × count = the requests the transactions issued.
    merged.requests_per_transaction = parts
        .iter()
        .any(|(_, l)| l.requests_per_transaction.is_some())
        .then(|| {
            parts
                .iter()
                .filter_map(|(_, l)| l.requests_per_transaction.map(|r| r * l.count as f64))
                .sum::<f64>()
                / count.max(1) as f64
        });
    merged.bytes_received = parts.iter().map(|(_, l)| l.bytes_received).sum();
    let mut timing: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for (_, l) in parts {
        for (name, t) in &l.server_timing {
            let entry = timing.entry(name.clone()).or_insert((0.0, 0));
            entry.0 += t.mean_ms * t.count as f64;
            entry.1 += t.count;
        }
    }
    merged.server_timing = timing
        .into_iter()
        .map(|(name, (total, n))| {
            let summary = ServerTimingSummary {
                mean_ms: total / n.max(1) as f64,
                count: n,
            };
            (name, summary)
        })
        .collect();
    merged.corrected = merge_corrected(step, label, parts)?;
    merged.phases = merge_phases(step, label, parts)?;
    // Every value each shard sent a tag with.
    for (_, l) in &parts[1..] {
        for (key, values) in &l.tags {
            let all = merged.tags.entry(key.clone()).or_default();
            for value in values {
                if !all.contains(value) {
                    all.push(value.clone());
                }
            }
        }
    }
    merged.lockouts = parts
        .iter()
        .find_map(|(_, l)| l.lockouts.as_ref())
        .map(|first| LockoutSummary {
            count: parts
                .iter()
                .filter_map(|(_, l)| l.lockouts.as_ref())
                .map(|l| l.count)
                .sum(),
            sample: first.sample.clone(),
        });
    Ok(merged)
}

/// The phases of the shards that measured them (the direct client): counts add up,
/// percentiles come from the added histograms, resumed TLS handshakes add up.
fn merge_phases(
    step: usize,
    label: &str,
    parts: &[(&Shard<'_>, &LabelSummary)],
) -> Result<Option<PhasesSummary>, MergeError> {
    let phased: Vec<(&Shard<'_>, &PhasesSummary)> = parts
        .iter()
        .filter_map(|(s, l)| l.phases.as_ref().map(|p| (*s, p)))
        .collect();
    PhasesSummary::merge(phased.iter().map(|(_, p)| *p)).map_err(|source| {
        // The error does not say which part it came from: name the first shard whose
        // phases do not decode on their own.
        let path = phased
            .iter()
            .find(|(_, p)| PhasesSummary::merge([*p]).is_err())
            .or(phased.first())
            .map_or_else(PathBuf::new, |(s, _)| s.path.to_owned());
        MergeError::Histogram {
            path,
            step,
            label: label.to_owned(),
            source,
        }
    })
}

/// Latencies corrected for coordinated omission (open model, `--expected-interval`): counts
/// add up, percentiles come from the added histograms.
fn merge_corrected(
    step: usize,
    label: &str,
    parts: &[(&Shard<'_>, &LabelSummary)],
) -> Result<Option<CorrectedSummary>, MergeError> {
    let all: Vec<(&Shard<'_>, &CorrectedSummary)> = parts
        .iter()
        .filter_map(|(s, l)| l.corrected.as_ref().map(|c| (*s, c)))
        .collect();
    let Some((_, base)) = all.first() else {
        return Ok(None);
    };
    let mut merged = (*base).clone();
    let mut hist = histogram::new_histogram();
    for (shard, c) in &all {
        let decoded = histogram::decode(&c.histogram).map_err(|source| MergeError::Histogram {
            path: shard.path.to_owned(),
            step,
            label: format!("{label} (corrected)"),
            source,
        })?;
        let _same_bounds = hist.add(&decoded);
    }
    merged.count = all.iter().map(|(_, c)| c.count).sum();
    merged.max_ms = all.iter().map(|(_, c)| c.max_ms).fold(0.0, f64::max);
    let quantile = |q: f64| {
        if hist.is_empty() {
            0.0
        } else {
            (hist.value_at_quantile(q) as f64 / 1000.0).min(merged.max_ms)
        }
    };
    (merged.p50_ms, merged.p90_ms, merged.p95_ms) = (quantile(0.5), quantile(0.9), quantile(0.95));
    (merged.p99_ms, merged.p999_ms) = (quantile(0.99), quantile(0.999));
    merged.histogram = histogram::encode(&hist);
    Ok(Some(merged))
}

/// Open model: the shards' start lags, their histograms added.
fn merge_start_lag(
    step: usize,
    parts: &[(&Shard<'_>, &ScenarioStepResult)],
) -> Result<Option<StartLagSummary>, MergeError> {
    let mut lags = histogram::new_histogram();
    for (shard, s) in parts {
        let Some(lag) = &s.start_lag else { continue };
        let decoded =
            histogram::decode(&lag.histogram).map_err(|source| MergeError::Histogram {
                path: shard.path.to_owned(),
                step,
                label: "the start lag".to_owned(),
                source,
            })?;
        let _same_bounds = lags.add(&decoded);
    }
    Ok(StartLagSummary::of(&lags))
}

/// One wall-clock second of the merged time series.
#[derive(Default)]
struct Bucket<'a> {
    base: Option<&'a TimePoint>,
    requests: u64,
    failures: u64,
    dropped: u64,
    rate_limited: u64,
    ramp_up: bool,
    warmup: bool,
    /// Per shard: the latest tick's end and its active users.
    active: BTreeMap<u32, (f64, u32)>,
    p50: Weighted,
    p95: Weighted,
    transactions: BTreeMap<String, (u64, u64, Weighted, Weighted)>,
    custom: loadspec_results::custom::CustomPoint,
}

#[derive(Default, Clone, Copy)]
struct Weighted {
    sum: f64,
    weight: f64,
}

impl Weighted {
    fn add(&mut self, value: f64, weight: u64) {
        self.sum += value * weight as f64;
        self.weight += weight as f64;
    }

    fn mean(self) -> f64 {
        if self.weight > 0.0 {
            self.sum / self.weight
        } else {
            0.0
        }
    }
}

/// The shards' time series aligned on the wall clock: each tick goes to the second its middle
/// falls in; counts add up, active users add up (each shard's last tick of the second),
/// percentiles are count-weighted means.
fn merge_series(parts: &[(&Shard<'_>, &ScenarioStepResult)], merged_start: f64) -> Vec<TimePoint> {
    let mut buckets: BTreeMap<i64, Bucket<'_>> = BTreeMap::new();
    for (shard, s) in parts {
        for point in &s.time_series {
            let end = shard.start + point.t_s;
            let middle = end - point.width_s.max(0.0) / 2.0;
            let second = middle.floor() as i64 + 1;
            let bucket = buckets.entry(second).or_default();
            bucket.base.get_or_insert(point);
            bucket.requests += point.requests;
            bucket.failures += point.failures;
            bucket.dropped += point.dropped;
            bucket.rate_limited += point.rate_limited;
            bucket.ramp_up |= point.ramp_up;
            bucket.warmup |= point.warmup;
            let active = bucket.active.entry(shard.spec.index()).or_insert((end, 0));
            if end >= active.0 {
                *active = (end, point.active_users);
            }
            bucket.p50.add(point.p50_ms, point.requests);
            bucket.p95.add(point.p95_ms, point.requests);
            for (name, t) in &point.transactions {
                let entry = bucket.transactions.entry(name.clone()).or_default();
                entry.0 += t.count;
                entry.1 += t.failures;
                entry.2.add(t.p50_ms, t.count);
                entry.3.add(t.p95_ms, t.count);
            }
            bucket.custom.merge(&point.custom);
        }
    }
    buckets
        .into_iter()
        .filter_map(|(second, b)| {
            let mut point = b.base?.clone();
            point.t_s = second as f64 - merged_start;
            point.width_s = 1.0;
            point.ramp_up = b.ramp_up;
            // A second both shards' ramp-up and warm-up share is the ramp-up's.
            point.warmup = b.warmup && !b.ramp_up;
            point.active_users = b.active.values().map(|(_, n)| n).sum();
            point.requests = b.requests;
            point.failures = b.failures;
            point.dropped = b.dropped;
            point.rate_limited = b.rate_limited;
            point.p50_ms = b.p50.mean();
            point.p95_ms = b.p95.mean();
            point.transactions = b
                .transactions
                .into_iter()
                .map(|(name, (count, failures, p50, p95))| {
                    let t = TransactionPoint {
                        count,
                        failures,
                        p50_ms: p50.mean(),
                        p95_ms: p95.mean(),
                    };
                    (name, t)
                })
                .collect();
            point.custom = b.custom;
            Some(point)
        })
        .collect()
}

fn run_severity(status: RunStatus) -> u8 {
    match status {
        RunStatus::Completed => 0,
        RunStatus::Aborted => 1,
        RunStatus::Interrupted => 2,
        RunStatus::Running => 3,
    }
}

/// The worst shard's status (a shard that never finished makes the merged run interrupted),
/// with every shard's reason.
fn merged_status(shards: &[Shard<'_>]) -> (RunStatus, Option<String>) {
    let worst = shards
        .iter()
        .map(|s| s.results.run.status)
        .max_by_key(|s| run_severity(*s))
        .unwrap_or(RunStatus::Completed);
    let reasons: Vec<String> = shards
        .iter()
        .filter_map(|s| {
            let reason = match (s.results.run.status, &s.results.run.status_reason) {
                (RunStatus::Running, _) => {
                    "its results are a checkpoint: it did not finish".to_owned()
                }
                (_, Some(reason)) => reason.clone(),
                (_, None) => return None,
            };
            Some(format!("shard {}: {reason}", s.spec))
        })
        .collect();
    let status = if worst == RunStatus::Running {
        RunStatus::Interrupted
    } else {
        worst
    };
    (status, (!reasons.is_empty()).then(|| reasons.join("; ")))
}

/// The shards' warnings, plus late starts and unaligned starts.
fn merged_warnings(shards: &[Shard<'_>]) -> Vec<String> {
    let mut warnings: Vec<String> = shards
        .iter()
        .flat_map(|s| {
            s.results
                .run
                .warnings
                .iter()
                .map(move |w| format!("shard {}: {w}", s.spec))
        })
        .collect();
    let start_ats: BTreeSet<Option<&str>> =
        shards.iter().map(|s| s.info.start_at.as_deref()).collect();
    if start_ats.len() > 1 {
        warnings.push(format!(
            "the shards were given different start times ({}): their steps may not overlap",
            start_ats
                .iter()
                .map(|s| s.unwrap_or("none"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for s in shards {
        if let Some(late) = s.info.late_by_s.filter(|l| *l > LATE_WARNING.as_secs_f64()) {
            warnings.push(format!(
                "shard {} started its load {late:.1} s after --start-at (a late start or a clock off by as much)",
                s.spec
            ));
        }
    }
    if start_ats.iter().all(Option::is_none) && shards.len() > 1 {
        let first = shards.iter().map(|s| s.start).fold(f64::INFINITY, f64::min);
        let last = shards
            .iter()
            .map(|s| s.start)
            .fold(f64::NEG_INFINITY, f64::max);
        if last - first > 1.0 {
            warnings.push(format!(
                "the shards started {:.1} s apart without --start-at: their steps overlapped only partly",
                last - first
            ));
        }
    }
    warnings
}

/// The load generators together: host names listed, CPUs, memory and workers added up.
fn merged_environment(shards: &[Shard<'_>]) -> Environment {
    let mut env = shards[0].results.environment.clone();
    let distinct = |f: fn(&Environment) -> &str, sep: &str| {
        let mut seen: Vec<&str> = Vec::new();
        for s in shards {
            let v = f(&s.results.environment);
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen.join(sep)
    };
    env.hostname = distinct(|e| &e.hostname, ", ");
    env.os = distinct(|e| &e.os, " | ");
    env.kernel = distinct(|e| &e.kernel, " | ");
    env.cpu_model = distinct(|e| &e.cpu_model, " | ");
    env.loadspec_version = distinct(|e| &e.loadspec_version, " | ");
    env.cpus = shards.iter().map(|s| s.results.environment.cpus).sum();
    env.memory_bytes = shards
        .iter()
        .map(|s| s.results.environment.memory_bytes)
        .sum();
    env.workers = shards.iter().map(|s| s.results.environment.workers).sum();
    env
}

/// One shard as a host of the merged run, its times from the merged run's start.
fn host(s: &Shard<'_>, merged_start: f64) -> HostResults {
    let shift = s.start - merged_start;
    HostResults {
        shard: s.info.clone(),
        run_id: s.results.run.id.clone(),
        status: s.results.run.status,
        environment: s.results.environment.clone(),
        warnings: s.results.run.warnings.clone(),
        steps: s
            .results
            .steps
            .iter()
            .map(|step| HostStep {
                index: step.index,
                users: step.scenarios.iter().map(|x| x.users).sum(),
                offset_s: step.offset_s + shift,
                generator: step.generator.clone(),
                system: step
                    .system
                    .iter()
                    .map(|sample| {
                        let mut sample = sample.clone();
                        sample.t_s += shift;
                        sample
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn to_time(unix_s: f64) -> SystemTime {
    if unix_s >= 0.0 && unix_s.is_finite() {
        UNIX_EPOCH + Duration::from_secs_f64(unix_s)
    } else {
        UNIX_EPOCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadspec_results::phases::{Phase, PhaseSummary};

    fn label(name: &str, samples: &[u64], status: &str) -> LabelSummary {
        let mut h = histogram::new_histogram();
        for &s in samples {
            histogram::record(&mut h, s);
        }
        let count = samples.len() as u64;
        let mut l: LabelSummary = serde_json::from_value(serde_json::json!({
            "label": name, "count": 0, "failures": 0, "error_rate": 0.0,
            "throughput_per_s": 0.0, "mean_ms": 0.0, "min_ms": 0.0, "p50_ms": 0.0,
            "p90_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "p999_ms": 0.0, "max_ms": 0.0,
            "status_codes": {}, "errors": [], "requests_per_transaction": null,
            "bytes_received": 0, "histogram": ""
        }))
        .unwrap();
        l.count = count;
        l.mean_ms = samples.iter().sum::<u64>() as f64 / count.max(1) as f64 / 1000.0;
        l.min_ms = samples.iter().copied().min().unwrap_or(0) as f64 / 1000.0;
        l.max_ms = samples.iter().copied().max().unwrap_or(0) as f64 / 1000.0;
        l.status_codes.insert(status.to_owned(), count);
        l.histogram = histogram::encode(&h);
        l
    }

    #[test]
    fn labels_merge_like_one_recording() {
        let a: Vec<u64> = (1..=300).map(|i| i * 97 % 20_000 + 500).collect();
        let b: Vec<u64> = (1..=200).map(|i| i * 31 % 50_000 + 900).collect();
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        let one = label("GET /x", &all, "200");
        let mut la = label("GET /x", &a, "200");
        la.requests_per_transaction = Some(2.0);
        la.errors.push(ErrorSummary {
            kind: loadspec_results::ErrorKind::Http5xx,
            count: 2,
            sample: "first".into(),
        });
        la.failures = 2;
        let mut lb = label("GET /x", &b, "503");
        lb.requests_per_transaction = None;
        lb.errors.push(ErrorSummary {
            kind: loadspec_results::ErrorKind::Http5xx,
            count: 3,
            sample: "second".into(),
        });
        lb.failures = 3;
        let shard = |index| ShardInfo {
            index,
            count: 2,
            total_users: Vec::new(),
            start_at: None,
            late_by_s: None,
            started_unix_s: 0.0,
        };
        let (ia, ib) = (shard(0), shard(1));
        let results = serde_json::from_value::<RunResults>(Value::Null);
        assert!(results.is_err());
        let dummy = dummy_results();
        let sa = Shard {
            path: Path::new("a.json"),
            results: &dummy,
            info: &ia,
            spec: ShardSpec::new(0, 2).unwrap(),
            start: 0.0,
        };
        let sb = Shard {
            path: Path::new("b.json"),
            results: &dummy,
            info: &ib,
            spec: ShardSpec::new(1, 2).unwrap(),
            start: 0.0,
        };
        let m = merge_labels(0, "GET /x", &[(&sa, &la), (&sb, &lb)], 10.0).unwrap();
        assert_eq!(m.count, 500);
        assert_eq!(m.failures, 5);
        assert_eq!(m.histogram, one.histogram);
        assert!((m.mean_ms - one.mean_ms).abs() < 1e-9);
        assert_eq!((m.min_ms, m.max_ms), (one.min_ms, one.max_ms));
        let h = histogram::decode(&one.histogram).unwrap();
        assert_eq!(
            m.p95_ms,
            (h.value_at_quantile(0.95) as f64 / 1000.0).clamp(one.min_ms, one.max_ms)
        );
        assert_eq!(m.status_codes.get("200"), Some(&300));
        assert_eq!(m.status_codes.get("503"), Some(&200));
        assert_eq!(m.errors.len(), 1);
        assert_eq!(
            (m.errors[0].count, m.errors[0].sample.as_str()),
            (5, "first")
        );
        // 300 transactions issued 600 requests, 200 issued none.
        assert_eq!(m.requests_per_transaction, Some(600.0 / 500.0));
        assert_eq!(m.throughput_per_s, 50.0);
        let bad = LabelSummary {
            histogram: "!!".into(),
            ..la.clone()
        };
        let e = merge_labels(2, "GET /x", &[(&sa, &bad)], 1.0)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a.json") && e.contains("step 2") && e.contains("GET /x"),
            "{e}"
        );
    }

    fn phases_of(requests: u64, resumed: u64, phases: &[(Phase, &[u64])]) -> PhasesSummary {
        let phases = phases
            .iter()
            .map(|(phase, values)| {
                let mut h = histogram::new_histogram();
                for &v in *values {
                    histogram::record(&mut h, v);
                }
                (*phase, PhaseSummary::of(&h, values.iter().sum()))
            })
            .collect();
        PhasesSummary {
            requests,
            tls_resumed: resumed,
            http2: 0,
            phases,
        }
    }

    #[test]
    fn phases_merge_like_one_recording() {
        let wait_a: Vec<u64> = (1..=300).map(|i| i * 97 % 20_000 + 500).collect();
        let wait_b: Vec<u64> = (1..=200).map(|i| i * 31 % 50_000 + 900).collect();
        let wait_all: Vec<u64> = wait_a.iter().chain(&wait_b).copied().collect();
        let (tls_a, tls_b) = ([4_000, 9_000], [6_500, 30_000, 2_100]);
        let tls_all = [4_000, 9_000, 6_500, 30_000, 2_100];
        let mut la = label("GET /x", &wait_a, "200");
        la.phases = Some(phases_of(
            300,
            1,
            &[(Phase::Tls, &tls_a), (Phase::Wait, &wait_a)],
        ));
        let mut lb = label("GET /x", &wait_b, "200");
        lb.phases = Some(phases_of(
            200,
            2,
            &[(Phase::Tls, &tls_b), (Phase::Wait, &wait_b)],
        ));
        let one = phases_of(500, 3, &[(Phase::Tls, &tls_all), (Phase::Wait, &wait_all)]);
        let dummy = dummy_results();
        let info = |index| ShardInfo {
            index,
            count: 2,
            total_users: Vec::new(),
            start_at: None,
            late_by_s: None,
            started_unix_s: 0.0,
        };
        let (ia, ib) = (info(0), info(1));
        let shard = |path, info, index| Shard {
            path: Path::new(path),
            results: &dummy,
            info,
            spec: ShardSpec::new(index, 2).unwrap(),
            start: 0.0,
        };
        let (sa, sb) = (shard("a.json", &ia, 0), shard("b.json", &ib, 1));
        let m = merge_labels(0, "GET /x", &[(&sa, &la), (&sb, &lb)], 10.0).unwrap();
        let phases = m.phases.expect("merged phases");
        assert_eq!((phases.requests, phases.tls_resumed), (500, 3));
        assert_eq!(phases.phases[&Phase::Tls].count, 5);
        assert_eq!(phases.phases[&Phase::Wait].count, 500);
        // Percentiles of the added histograms, not an average of the shards' percentiles.
        assert_eq!(phases.phases[&Phase::Wait], one.phases[&Phase::Wait]);
        assert_eq!(phases.phases[&Phase::Tls], one.phases[&Phase::Tls]);
        assert_eq!(phases, one);

        // A label no shard measured phase by phase (the reqwest client) has none merged.
        let (mut plain_a, mut plain_b) = (la.clone(), lb.clone());
        plain_a.phases = None;
        plain_b.phases = None;
        let m = merge_labels(0, "GET /x", &[(&sa, &plain_a), (&sb, &plain_b)], 10.0).unwrap();
        assert_eq!(m.phases, None);

        // A phase histogram that does not decode names the shard, the step and the label.
        let mut bad = lb.clone();
        if let Some(p) = bad.phases.as_mut() {
            p.phases
                .entry(Phase::Tls)
                .and_modify(|s| s.histogram = "!!".into());
        }
        let e = merge_labels(3, "GET /x", &[(&sa, &la), (&sb, &bad)], 10.0).unwrap_err();
        assert!(matches!(e, MergeError::Histogram { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("b.json") && text.contains("step 3") && text.contains("GET /x"),
            "{text}"
        );
    }

    #[test]
    fn start_lags_merge_like_one_recording() {
        let lags = |micros: &[u64]| {
            let mut h = histogram::new_histogram();
            for &m in micros {
                histogram::record(&mut h, m);
            }
            h
        };
        let scenario = |lag: Option<StartLagSummary>| {
            let mut s: ScenarioStepResult = serde_json::from_value(serde_json::json!({
                "scenario": "s", "users": 1,
                "iterations": serde_json::to_value(label("s", &[], "200")).unwrap(),
                "interrupted_iterations": 0, "transactions": [], "requests": [],
                "total_requests": serde_json::to_value(label("Total", &[], "200")).unwrap(),
                "time_series": []
            }))
            .unwrap();
            s.start_lag = lag;
            s
        };
        let a: Vec<u64> = (1..=90).map(|i| i * 10).collect();
        let b: Vec<u64> = (1..=10).map(|i| 100_000 + i * 1000).collect();
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        let dummy = dummy_results();
        let info = ShardInfo {
            index: 0,
            count: 3,
            total_users: Vec::new(),
            start_at: None,
            late_by_s: None,
            started_unix_s: 0.0,
        };
        let shard = |path: &'static str, index| Shard {
            path: Path::new(path),
            results: &dummy,
            info: &info,
            spec: ShardSpec::new(index, 3).unwrap(),
            start: 0.0,
        };
        let (sa, sb, sc) = (shard("a.json", 0), shard("b.json", 1), shard("c.json", 2));
        let (pa, pb) = (
            scenario(StartLagSummary::of(&lags(&a))),
            scenario(StartLagSummary::of(&lags(&b))),
        );
        // A shard of a closed-model scenario has none.
        let pc = scenario(None);
        let merged = merge_start_lag(0, &[(&sa, &pa), (&sb, &pb), (&sc, &pc)])
            .unwrap()
            .unwrap();
        assert_eq!(merged, StartLagSummary::of(&lags(&all)).unwrap());
        assert_eq!(merged.count, 100);
        assert!(merged.p99_ms > 100.0 && merged.p50_ms < 1.0, "{merged:?}");
        assert_eq!(merge_start_lag(0, &[(&sc, &pc)]).unwrap(), None);
        let mut corrupt = pa.clone();
        if let Some(lag) = corrupt.start_lag.as_mut() {
            lag.histogram = "not a histogram".into();
        }
        let error = merge_start_lag(0, &[(&sb, &pb), (&sa, &corrupt)]).unwrap_err();
        assert!(error.to_string().contains("a.json"), "{error}");
    }

    fn dummy_results() -> RunResults {
        serde_json::from_value(serde_json::json!({
            "schema": "loadspec.results", "schema_version": 1,
            "run": {"id": "x", "name": "x", "mode": "full", "target": "http://127.0.0.1:1",
                    "seed": 1, "started_at": "2026-11-27T12:00:00Z",
                    "finished_at": "2026-11-27T12:00:01Z", "duration_s": 1.0,
                    "status": "completed", "status_reason": null},
            "environment": {"hostname": "h", "os": "o", "kernel": "k", "cpu_model": "c",
                            "cpus": 2, "memory_bytes": 1, "loadspec_version": "0.1.0",
                            "workers": 2},
            "plan": {"profile": "spike", "scenarios": [], "steps": [], "graceful_stop_s": 5.0},
            "steps": []
        }))
        .unwrap()
    }

    #[test]
    fn a_merged_step_keeps_the_cause_of_its_worst_host() {
        use loadspec_results::model::SaturationCause;
        let dummy = dummy_results();
        let infos: Vec<ShardInfo> = (0..3)
            .map(|index| ShardInfo {
                index,
                count: 3,
                total_users: Vec::new(),
                start_at: None,
                late_by_s: None,
                started_unix_s: 0.0,
            })
            .collect();
        let shards: Vec<Shard<'_>> = infos
            .iter()
            .map(|info| Shard {
                path: Path::new("x.json"),
                results: &dummy,
                info,
                spec: ShardSpec::new(info.index, 3).unwrap(),
                start: 0.0,
            })
            .collect();
        let step = |cause: SaturationCause, lag: f64, rest: f64| {
            let mut step: StepResult = serde_json::from_value(serde_json::json!({
                "index": 0, "started_at": "2026-11-27T12:00:00Z", "offset_s": 0.0,
                "duration_s": 1.0, "measured_from_s": 0.0, "measured_s": 1.0,
                "status": "completed", "scenarios": []
            }))
            .unwrap();
            step.generator = Some(GeneratorHealth {
                bound: cause != SaturationCause::None,
                cause,
                lag_p99_ms: lag,
                process_rest_cpu_mean: rest,
                reasons: vec![format!("{} reason", cause.as_str())],
                ..GeneratorHealth::default()
            });
            step
        };
        // A healthy host, one whose embedded target saturated it (the worst lag), one on a
        // machine busy with other processes.
        let steps = [
            step(SaturationCause::None, 30.0, 0.0),
            step(SaturationCause::SameProcess, 12.0, 141.0),
            step(SaturationCause::OtherProcesses, 8.0, 5.0),
        ];
        let parts: Vec<(&Shard<'_>, &StepResult)> = shards.iter().zip(&steps).collect();
        let merged = merged_generator(&parts).unwrap();
        assert!(merged.bound);
        assert_eq!(merged.cause, SaturationCause::SameProcess);
        assert!((merged.process_rest_cpu_mean - 141.0).abs() < 1e-9);
        assert!(
            (merged.lag_p99_ms - 30.0).abs() < 1e-9,
            "the worst lag of all"
        );
        assert!(
            merged
                .reasons
                .iter()
                .any(|r| r == "shard 1/3: same_process reason")
        );
        // A host whose workers were the limit outranks a saturated machine.
        let steps = [
            steps[1].clone(),
            step(SaturationCause::Generator, 6.0, 0.0),
            steps[2].clone(),
        ];
        let parts: Vec<(&Shard<'_>, &StepResult)> = shards.iter().zip(&steps).collect();
        assert_eq!(
            merged_generator(&parts).unwrap().cause,
            SaturationCause::Generator
        );
    }

    #[test]
    fn merged_scenarios_add_429s_keep_warm_up_ticks_and_the_earliest_429() {
        let dummy = dummy_results();
        let infos: Vec<ShardInfo> = (0..2)
            .map(|index| ShardInfo {
                index,
                count: 2,
                total_users: Vec::new(),
                start_at: None,
                late_by_s: None,
                started_unix_s: 0.0,
            })
            .collect();
        // Shard 1 started 2 s after shard 0.
        let shards: Vec<Shard<'_>> = infos
            .iter()
            .map(|info| Shard {
                path: Path::new("x.json"),
                results: &dummy,
                info,
                spec: ShardSpec::new(info.index, 2).unwrap(),
                start: 100.0 + 2.0 * f64::from(info.index),
            })
            .collect();
        let scenario = |first_at: f64, warmup_ticks: usize| {
            let empty = label("flow", &[], "200");
            let series: Vec<serde_json::Value> = (1..=4)
                .map(|t| {
                    serde_json::json!({"t_s": f64::from(t), "width_s": 1.0, "ramp_up": false,
                        "warmup": (t as usize) <= warmup_ticks, "active_users": 1,
                        "requests": 10, "failures": 3, "rate_limited": 3, "p50_ms": 1.0,
                        "p95_ms": 1.0, "transactions": {}})
                })
                .collect();
            serde_json::from_value::<ScenarioStepResult>(serde_json::json!({
                "scenario": "flow", "users": 1, "iterations": empty.clone(),
                "interrupted_iterations": 0, "transactions": [], "requests": [],
                "total_requests": empty, "time_series": series,
                "rate_limit": {"at_s": first_at, "label": "GET /x", "message": "m",
                    "retry_after": "30", "headers": {}}
            }))
            .unwrap()
        };
        // Shard 0's first 429 at 3.5 s (103.5 on the wall clock), shard 1's at 0.5 s (102.5).
        let (a, b) = (scenario(3.5, 2), scenario(0.5, 1));
        let parts = [(&shards[0], &a), (&shards[1], &b)];
        let merged = merge_scenario(0, &parts, 4.0, 100.0).unwrap();
        let limited: u64 = merged.time_series.iter().map(|p| p.rate_limited).sum();
        assert_eq!(limited, 24, "every 429 of both shards");
        let first = merged.rate_limit.unwrap();
        assert!(
            (first.at_s - 2.5).abs() < 1e-9,
            "shard 1's, on the merged clock: {first:?}"
        );
        let warm: Vec<f64> = merged
            .time_series
            .iter()
            .filter(|p| p.warmup)
            .map(|p| p.t_s)
            .collect();
        assert_eq!(
            warm,
            [1.0, 2.0, 3.0],
            "shard 0's ticks 1-2, shard 1's tick 1 (at 3 s)"
        );

        // Custom metrics add up across shards; a label's tags are the union of its values.
        use loadspec_results::custom::{CounterSummary, GaugeStats, RateSummary, TrendStats};
        let (mut a, mut b) = (a, b);
        let tagged = |values: &[&str]| {
            let mut l = label("GET /search", &[1000, 2000], "200");
            l.tags.insert(
                "endpoint".into(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            );
            l
        };
        a.requests = vec![tagged(&["search"])];
        b.requests = vec![tagged(&["search", "find"])];
        a.custom
            .counters
            .insert("claims".into(), CounterSummary::new(7.0, 4.0));
        b.custom
            .counters
            .insert("claims".into(), CounterSummary::new(5.0, 4.0));
        a.custom
            .gauges
            .insert("depth".into(), GaugeStats::new(3.0, 200.0).summary());
        b.custom
            .gauges
            .insert("depth".into(), GaugeStats::new(8.0, 150.0).summary());
        let (mut ta, mut tb) = (TrendStats::new(), TrendStats::new());
        [10.0, 20.0].into_iter().for_each(|v| ta.record(v));
        [30.0, 40.0].into_iter().for_each(|v| tb.record(v));
        a.custom.trends.insert("wait".into(), ta.summary());
        b.custom.trends.insert("wait".into(), tb.summary());
        a.custom.rates.insert("ok".into(), RateSummary::new(3, 4));
        b.custom.rates.insert("ok".into(), RateSummary::new(0, 4));
        let parts = [(&shards[0], &a), (&shards[1], &b)];
        let merged = merge_scenario(0, &parts, 4.0, 100.0).unwrap();
        assert_eq!(merged.requests[0].tags["endpoint"], ["search", "find"]);
        assert_eq!(merged.requests[0].count, 4);
        let custom = &merged.custom;
        assert_eq!(custom.counters["claims"], CounterSummary::new(12.0, 4.0));
        assert_eq!(custom.counters["claims"].per_s, 3.0);
        let depth = &custom.gauges["depth"];
        assert_eq!(
            (depth.last, depth.min, depth.max, depth.count),
            (3.0, 3.0, 8.0, 2),
            "the last value is the one set later, whichever shard"
        );
        let wait = &custom.trends["wait"];
        assert_eq!(
            (wait.count, wait.mean, wait.min, wait.max),
            (4, 25.0, 10.0, 40.0)
        );
        assert!((wait.p50 - 20.0).abs() < 0.02, "{wait:?}");
        assert_eq!(custom.rates["ok"], RateSummary::new(3, 8));
    }

    #[test]
    fn the_first_difference_is_named_with_its_path() {
        let a = serde_json::json!({"run": {"seed": 1}, "plan": {"steps": [{"hold_s": 5}]}});
        let b = serde_json::json!({"run": {"seed": 1}, "plan": {"steps": [{"hold_s": 3}]}});
        assert_eq!(
            first_difference("", &a, &b).as_deref(),
            Some("plan.steps[0].hold_s: 5 vs 3")
        );
        assert_eq!(first_difference("", &a, &a), None);
    }
}
