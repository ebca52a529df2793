//! The test harness: `harness = false` targets call [`main`] (through the facade) and get a
//! libtest-compatible runner — `cargo test`, `cargo test -- <filter> --exact`, `--list`,
//! `--ignored`, nextest — that runs scenarios in smoke mode unless the full plan is asked for.
//!
//! The mode rule: `--full` or `LOADSPEC_MODE=full` (or `--bench`, i.e. `cargo bench`) runs the
//! full plan; `--smoke` or `LOADSPEC_MODE=smoke` the smoke check; otherwise the harness's
//! default, which is smoke for [`main`] and whatever [`Harness::default_mode`] sets.

mod cli;
mod select;
mod signals;

use crate::error::one_line;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use clap::Parser as _;
use libtest_mimic::{Failed, Trial};

use self::cli::Cli;
use crate::console::{Console, criteria_matrix, run_summary};
use crate::engine::{self, StopHandle};
use crate::error::{RunError, exit_code};
use crate::plan::{self, Overrides, RunPlan};
use crate::scenario::Scenario;
use loadspec_report;
use loadspec_results::Mode;
use loadspec_results::criteria::{self, Verdict};
use loadspec_results::model::{self, RunResults, RunStatus};

/// The `--help` epilogue: every environment variable, from the one list the parser reads.
fn env_help() -> String {
    let mut help = String::from("Environment variables (the flags above win over them):\n");
    for (name, what) in plan::env_vars() {
        help.push_str(&format!("  {name:<22} {what}\n"));
    }
    help.push_str("Load tests never run concurrently: --test-threads is always 1.");
    help
}

/// Runs the registered scenarios with the process's arguments; smoke mode unless asked.
pub fn main() -> ExitCode {
    Harness::new().run()
}

/// Called with each run's results.
type ResultsHook = Box<dyn Fn(&RunResults) + Send + Sync>;

/// Configures how a suite runs: which scenarios, the default target and mode, and hooks for
/// what happens with each run's results.
pub struct Harness {
    scenarios: Option<Vec<Scenario>>,
    defaults: Overrides,
    default_mode: Mode,
    on_results: Option<ResultsHook>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("scenarios", &self.scenarios)
            .field("defaults", &self.defaults)
            .field("default_mode", &self.default_mode)
            .finish_non_exhaustive()
    }
}

/// What one trial ended with, to choose the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Passed,
    Failed,
    Interrupted,
    RunError,
}

impl Harness {
    /// The registered `#[scenario]`s, smoke mode by default.
    pub fn new() -> Self {
        Self {
            scenarios: None,
            defaults: Overrides::default(),
            default_mode: Mode::Smoke,
            on_results: None,
        }
    }

    /// Runs these scenarios instead of the registered ones.
    pub fn scenarios(mut self, scenarios: impl IntoIterator<Item = Scenario>) -> Self {
        self.scenarios = Some(scenarios.into_iter().collect());
        self
    }

    /// The target used when neither `LOADSPEC_TARGET` nor `--target` is given (e.g. an
    /// embedded server the suite started).
    pub fn target(mut self, url: impl Into<String>) -> Self {
        self.defaults.target = Some(url.into());
        self
    }

    /// Values below the environment and the CLI (e.g. shorter holds for a demo).
    pub fn defaults(mut self, defaults: Overrides) -> Self {
        let target = self.defaults.target.take();
        self.defaults = defaults;
        self.defaults.target = self.defaults.target.take().or(target);
        self
    }

    /// The mode when neither `--full`/`--smoke` nor `LOADSPEC_MODE` chooses one.
    pub fn default_mode(mut self, mode: Mode) -> Self {
        self.default_mode = mode;
        self
    }

    /// Called with every run's results after they are written.
    pub fn on_results(mut self, hook: impl Fn(&RunResults) + Send + Sync + 'static) -> Self {
        self.on_results = Some(Box::new(hook));
        self
    }

    /// Parses the process's arguments and runs.
    pub fn run(self) -> ExitCode {
        self.run_with_args(std::env::args())
    }

    /// Runs with explicit arguments (the first is the program name).
    pub fn run_with_args(self, args: impl IntoIterator<Item = String>) -> ExitCode {
        let mut cli = match Cli::try_parse_from(args) {
            Ok(cli) => cli,
            Err(e) if !e.use_stderr() => {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                let _ = e.print();
                return ExitCode::from(exit_code::CONFIG);
            }
        };
        let env = match Overrides::from_env(|name| std::env::var(name).ok()) {
            Ok(env) => env,
            Err(e) => return config_error(&e),
        };
        let mode = if cli.full {
            Mode::Full
        } else if cli.smoke {
            Mode::Smoke
        } else {
            env.mode.unwrap_or(if cli.libtest.bench {
                Mode::Full
            } else {
                self.default_mode
            })
        };
        let overrides = Overrides {
            mode: Some(mode),
            ..self.defaults.clone().overlay(env).overlay(cli.overrides())
        };
        let scenarios = match self.scenarios.clone() {
            Some(scenarios) => scenarios,
            None => match crate::scenario::registered() {
                Ok(scenarios) => scenarios,
                Err(e) => return config_error(&e),
            },
        };

        if cli.libtest.list {
            let trials = scenarios
                .iter()
                .map(|s| Trial::test(s.test_name(), || Ok(())).with_ignored_flag(s.is_ignored()));
            return libtest_mimic::run(&cli.libtest, trials.collect()).exit_code();
        }

        let groups = select::groups(&scenarios, &cli.libtest, &overrides);
        let mut plans = Vec::with_capacity(groups.len());
        for group in groups {
            match plan::resolve(&group.scenarios, &overrides) {
                Ok(plan) => plans.push((group, plan)),
                Err(e) => return config_error(&e),
            }
        }
        let policy = Policy {
            fail_on_warn: cli.fail_on == "warn",
            fail_on_saturation: cli.fail_on_saturation,
        };
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let hook: Arc<Option<ResultsHook>> = Arc::new(self.on_results);
        let trials = plans
            .into_iter()
            .map(|(group, plan)| {
                let outcomes = Arc::clone(&outcomes);
                let hook = Arc::clone(&hook);
                Trial::test(group.name, move || {
                    let (outcome, result) = run_trial(&plan, policy, hook.as_ref().as_deref());
                    if let Ok(mut all) = outcomes.lock() {
                        all.push(outcome);
                    }
                    result
                })
                .with_ignored_flag(group.ignored)
            })
            .collect();
        // Filtering happened above (stress groups need it); load tests never overlap.
        cli.libtest.filter = None;
        cli.libtest.skip.clear();
        cli.libtest.exact = false;
        cli.libtest.test_threads = Some(1);
        let conclusion = libtest_mimic::run(&cli.libtest, trials);
        let worst = outcomes
            .lock()
            .map(|all| all.iter().copied().max())
            .ok()
            .flatten();
        match worst {
            Some(Outcome::RunError) => ExitCode::from(exit_code::RUN_ERROR),
            Some(Outcome::Interrupted) => ExitCode::from(exit_code::INTERRUPTED),
            Some(Outcome::Failed) => ExitCode::from(exit_code::FAILED),
            _ if conclusion.has_failed() => ExitCode::from(exit_code::FAILED),
            _ => ExitCode::SUCCESS,
        }
    }
}

fn config_error(error: &dyn std::error::Error) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(exit_code::CONFIG)
}

/// What fails a full run besides failed criteria.
#[derive(Debug, Clone, Copy)]
struct Policy {
    fail_on_warn: bool,
    fail_on_saturation: bool,
}

fn run_trial(
    plan: &RunPlan,
    policy: Policy,
    hook: Option<&(dyn Fn(&RunResults) + Send + Sync)>,
) -> (Outcome, Result<(), Failed>) {
    match execute(plan) {
        Err(e) => {
            // On stderr too: libtest's own report of the failure goes to stdout, after the
            // console's tables.
            let message = one_line(&e);
            eprintln!("error: {message}");
            (Outcome::RunError, Err(Failed::from(message)))
        }
        Ok(run) => {
            println!("{}", run_summary(&run.results, &run.json));
            if let Some(hook) = hook {
                hook(&run.results);
            }
            verdict(&run.results, policy)
        }
    }
}

/// A finished run and where its files are.
#[derive(Debug)]
pub struct WrittenRun {
    /// What the run measured (and its criteria, if judged).
    pub results: RunResults,
    /// The run's directory.
    pub dir: PathBuf,
    /// `results.json` in it.
    pub json: PathBuf,
}

/// Runs a plan with the console attached, judges its criteria (full runs), and writes every
/// output file ([`loadspec_report::write_outputs`]) into a fresh run directory.
pub fn execute(plan: &RunPlan) -> Result<WrittenRun, RunError> {
    // The directory comes first: the sample log streams into it during the run, and an
    // unwritable output directory is reported before any load is sent.
    let timestamp =
        loadspec_results::compact_timestamp(&loadspec_results::rfc3339(SystemTime::now()));
    let dir = loadspec_results::create_run_dir(&plan.out_dir, &plan.name, &timestamp)?;
    let mut plan = plan.clone();
    if let Some(log) = plan.sample_log.as_mut().filter(|log| log.is_relative()) {
        *log = dir.join(&*log);
    }
    let stop = StopHandle::new();
    let json = dir.join("results.json");
    let (live, live_warnings) = start_live(&plan, &stop)?;
    let mut observer = Judge {
        console: Console::new(),
        criteria: abort_criteria(&plan),
        steps: Vec::new(),
        stop: stop.clone(),
        checkpoint: Some(json.clone()),
        checkpointed: 0,
        live: live.map(|live| LiveJudge {
            live,
            criteria: plan_criteria(&plan),
            steps: Vec::new(),
        }),
    };
    let signals = signals::SignalGuard::install();
    signals.watch(&stop);
    let outcome = engine::run(&plan, &mut observer, &stop);
    signals.clear();
    let live = observer.live.take().map(|l| l.live);
    let mut results = outcome?;
    results.run.warnings.extend(live_warnings);
    // After the last step's table: findings that qualify every step's numbers.
    for text in loadspec_report::limit_findings(&results) {
        println!("  ! {text}");
    }
    let criteria = plan_criteria(&plan);
    if plan.mode == Mode::Full && criteria.iter().any(|(_, list)| !list.is_empty()) {
        let report = criteria::evaluate(&results, &criteria);
        print!("{}", criteria_matrix(&report));
        results.criteria = Some(report);
    }
    for warning in &results.run.warnings {
        eprintln!("warning: {warning}");
    }
    let written = loadspec_report::write_outputs(&results, &dir, &[])
        .map_err(|e| unsaved(e.into(), &json, observer.checkpointed, plan.steps.len()))?;
    // results.json is already on disk: a report that cannot be written is a warning, and
    // `loadspec report` can render it again.
    if let Some(e) = &written.report_error {
        eprintln!("warning: {}", one_line(e));
    }
    if let Some(live) = live {
        let report = std::fs::read_to_string(dir.join("report.html")).ok();
        let status = serde_json::to_value(results.run.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let late = live.finish(&status, results.criteria.clone(), report);
        if !late.is_empty() {
            for warning in &late {
                eprintln!("warning: {warning}");
            }
            // The results on disk say what the outputs missed, too.
            results.run.warnings.extend(late);
            loadspec_results::write_json(&json, &results)?;
        }
    }
    Ok(WrittenRun { results, dir, json })
}

/// A write of the run's files that failed, said with what is still on disk: results.json
/// (complete, when a later file failed), the last checkpoint, or nothing but the console.
fn unsaved(error: RunError, json: &Path, checkpointed: usize, planned: usize) -> RunError {
    let RunError::Write { path, source } = error else {
        return error;
    };
    let kept = if path != json {
        format!(
            "{} is complete (`loadspec report` renders the report from it)",
            json.display()
        )
    } else if checkpointed > 0 {
        format!(
            "it still holds the checkpoint written after step {checkpointed} of {planned} (status running)"
        )
    } else {
        "nothing of this run was saved but the step tables on the console".to_owned()
    };
    RunError::Unsaved {
        path,
        cause: source,
        kept,
    }
}

/// The criteria of each scenario of the plan, by scenario name.
fn plan_criteria(plan: &RunPlan) -> Vec<(String, Vec<criteria::Criterion>)> {
    plan.scenarios
        .iter()
        .map(|p| (p.scenario.name().to_owned(), p.criteria.clone()))
        .collect()
}

/// The criteria of the scenarios that stop the sweep when one fails.
fn abort_criteria(plan: &RunPlan) -> Vec<(String, Vec<criteria::Criterion>)> {
    if plan.mode != Mode::Full {
        return Vec::new();
    }
    plan.scenarios
        .iter()
        .filter(|p| p.abort_on_fail)
        .map(|p| {
            // The peak step is only known at the end, so peak rows cannot stop a sweep.
            let list = p
                .criteria
                .iter()
                .filter(|c| c.metric != criteria::Metric::PeakFailures)
                .cloned()
                .collect();
            (p.scenario.name().to_owned(), list)
        })
        .collect()
}

/// Starts the live outputs the plan asks for and says where they are. The dashboard's stop
/// button is Ctrl-C from a browser: the step in flight ends, the results are written, the run
/// is `interrupted`.
fn start_live(
    plan: &RunPlan,
    stop: &StopHandle,
) -> Result<(Option<loadspec_live::Live>, Vec<String>), RunError> {
    let info = loadspec_live::RunInfo {
        name: plan.name.clone(),
        target: plan.target.clone(),
        scenarios: plan
            .scenarios
            .iter()
            .map(|s| s.scenario.name().to_owned())
            .collect(),
        steps: plan
            .steps
            .iter()
            .map(|s| loadspec_live::StepInfo {
                users: s.users.iter().sum(),
                planned_s: s.stop_at.as_secs_f64(),
            })
            .collect(),
        shard: plan
            .shard
            .as_ref()
            .map(|s| format!("{}/{}", s.spec.index(), s.spec.count())),
    };
    let on_stop = stop.clone();
    let http = plan.control_client()?;
    let (live, warnings) =
        loadspec_live::Live::start(&plan.live, info, Box::new(move || on_stop.stop()), &http)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(live) = &live {
        if let Some(url) = live.dashboard_url() {
            println!("dashboard: {url}  (stop token: {})", live.stop_token());
        }
        if let Some(url) = live.metrics_url() {
            println!("metrics for Prometheus: {url}");
        }
    }
    Ok((live, warnings))
}

/// The live outputs, with the criteria they show filling in step by step.
struct LiveJudge {
    live: loadspec_live::Live,
    criteria: Vec<(String, Vec<criteria::Criterion>)>,
    steps: Vec<model::StepResult>,
}

/// The console, plus `abort_on_fail`: judges the steps so far after each one.
struct Judge {
    console: Console,
    criteria: Vec<(String, Vec<criteria::Criterion>)>,
    steps: Vec<model::StepResult>,
    stop: StopHandle,
    /// Where checkpoints go; `None` after a checkpoint failed (reported once).
    checkpoint: Option<PathBuf>,
    /// The steps in the last checkpoint written.
    checkpointed: usize,
    /// The dashboard, Prometheus endpoint and OTLP push, when asked for.
    live: Option<LiveJudge>,
}

impl engine::Observer for Judge {
    fn step_started(&mut self, plan: &RunPlan, step: &plan::StepPlan) {
        self.console.step_started(plan, step);
        if let Some(live) = &self.live {
            live.live.step_started(step.index);
        }
    }

    fn live_tick(&mut self, tick: &loadspec_live::Tick) {
        if let Some(live) = &self.live {
            live.live.tick(tick);
        }
    }

    fn tick(&mut self, progress: &engine::Progress) {
        self.console.tick(progress);
    }

    fn lifecycle(&mut self, report: &model::LifecycleReport) {
        self.console.lifecycle(report);
    }

    fn checkpoint(&mut self, partial: &RunResults) {
        let Some(path) = &self.checkpoint else {
            return;
        };
        match loadspec_results::write_json(path, partial) {
            Ok(()) => self.checkpointed = partial.steps.len(),
            Err(e) => {
                eprintln!(
                    "warning: {}; no more checkpoints, the run goes on",
                    one_line(&e)
                );
                self.checkpoint = None;
            }
        }
    }

    fn step_finished(&mut self, plan: &RunPlan, step: &model::StepResult) {
        self.console.step_finished(plan, step);
        if let Some(live) = &mut self.live {
            live.steps.push(step.clone());
            let judged = (plan.mode == Mode::Full
                && live.criteria.iter().any(|(_, list)| !list.is_empty()))
            .then(|| criteria::evaluate_steps(&live.steps, &live.criteria));
            live.live.step_finished(step, judged);
        }
        if self.criteria.is_empty() {
            return;
        }
        self.steps.push(step.clone());
        let report = criteria::evaluate_steps(&self.steps, &self.criteria);
        let failed: Vec<&str> = report
            .rows
            .iter()
            .filter(|r| {
                r.cells
                    .iter()
                    .any(|c| c.step == step.index && c.verdict == Verdict::Fail)
            })
            .map(|r| r.title.as_str())
            .collect();
        if !failed.is_empty() && step.index + 1 < plan.steps.len() {
            let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
            let reason = format!(
                "abort_on_fail: {} failed at {users} threads (step {})",
                failed.join(", "),
                step.index + 1
            );
            println!("  {reason}; the remaining steps are skipped");
            self.stop.abort(reason);
        }
    }
}

/// A smoke run fails when any iteration failed; a full run fails when a criterion failed (or
/// warned, with `--fail-on warn`) or the run was interrupted.
fn verdict(results: &RunResults, policy: Policy) -> (Outcome, Result<(), Failed>) {
    // A failed setup ran no step: its error is the one thing to say.
    if let Some(setup) = results
        .lifecycle
        .iter()
        .find(|h| h.hook == "setup" && !h.ok)
    {
        let error = setup.error.as_deref().unwrap_or("no error was recorded");
        return (
            Outcome::Failed,
            Err(Failed::from(format!("the setup failed: {error}"))),
        );
    }
    if results.run.status == RunStatus::Interrupted {
        return (
            Outcome::Interrupted,
            Err(Failed::from("the run was interrupted")),
        );
    }
    if results.run.mode == Mode::Smoke {
        let failed: Vec<String> = results
            .steps
            .iter()
            .flat_map(|s| &s.scenarios)
            .flat_map(|s| {
                s.iterations
                    .errors
                    .iter()
                    .map(move |e| format!("{}: {} ({})", s.scenario, e.sample, e.kind))
            })
            .collect();
        let started: u64 = results
            .steps
            .iter()
            .flat_map(|s| &s.scenarios)
            .map(|s| s.iterations.count)
            .sum();
        if started == 0 {
            return (Outcome::Failed, Err(Failed::from("no iteration ran")));
        }
        if !failed.is_empty() {
            return (
                Outcome::Failed,
                Err(Failed::from(format!(
                    "the smoke iteration failed: {}",
                    failed.join("; ")
                ))),
            );
        }
        return (Outcome::Passed, Ok(()));
    }
    let bound: Vec<(String, model::SaturationCause)> = results
        .steps
        .iter()
        .filter_map(|s| {
            let cause = s.generator.as_ref()?.saturation();
            (cause != model::SaturationCause::None).then(|| {
                let users = s.scenarios.iter().map(|x| x.users).sum::<u32>();
                let who = match cause {
                    model::SaturationCause::Generator => {
                        "loadspec itself was the limit"
                    }
                    model::SaturationCause::SameProcess => {
                        "the machine was saturated by the rest of this process (e.g. an embedded target)"
                    }
                    _ => "the machine was saturated by other processes",
                };
                (
                    format!("step {} ({users} users, {}: {who})", s.index + 1, cause.flag()),
                    cause,
                )
            })
        })
        .collect();
    if policy.fail_on_saturation && !bound.is_empty() {
        let mut causes: Vec<_> = bound.iter().map(|(_, c)| *c).collect();
        causes.sort_by(|a, b| b.cmp(a));
        causes.dedup();
        let remedies: Vec<&str> = causes
            .into_iter()
            .map(crate::monitor::guard::remedy)
            .collect();
        let steps: Vec<&str> = bound.iter().map(|(s, _)| s.as_str()).collect();
        let message = format!(
            "the numbers of {} are unreliable (--fail-on-saturation): rerun with {}",
            steps.join(", "),
            remedies.join("; or ")
        );
        return (Outcome::Failed, Err(Failed::from(message)));
    }
    // A window criterion that stopped the run failed, even if the whole aborted step (mostly
    // measured before the breach) would pass it.
    if results.run.shard.is_none()
        && results.run.abort.is_some()
        && let Some(reason) = &results.run.status_reason
    {
        let mut message = format!("{reason}\n");
        if let Some(report) = &results.criteria {
            message.push_str(&criteria_matrix(report));
        }
        return (Outcome::Failed, Err(Failed::from(message)));
    }
    let Some(report) = &results.criteria else {
        return (Outcome::Passed, Ok(()));
    };
    let failing =
        report.verdict == Verdict::Fail || (policy.fail_on_warn && report.verdict == Verdict::Warn);
    // A shard carries a part of the load: its percentiles are not the run's, so only the merge
    // may fail the run on criteria (k6 judging thresholds per instance is the bug to avoid).
    if let Some(shard) = &results.run.shard {
        if failing {
            eprintln!(
                "shard {}/{}: this shard's part is {}; criteria are judged on the merged results (loadspec merge)",
                shard.index,
                shard.count,
                report.verdict.as_str()
            );
        }
        return (Outcome::Passed, Ok(()));
    }
    if failing {
        let mut message = format!(
            "criteria {}: {}\n",
            report.verdict.as_str(),
            report.capacity.summary
        );
        if let Some(reason) = &results.run.status_reason {
            message.push_str(&format!("{reason}\n"));
        }
        message.push_str(&criteria_matrix(report));
        return (Outcome::Failed, Err(Failed::from(message)));
    }
    (Outcome::Passed, Ok(()))
}
