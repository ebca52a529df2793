//! The view model: everything the template shows, already formatted. The template only lays
//! it out (and escapes it); numbers, wording and chart markup are decided here and in the
//! modules this one calls.

use askama::Template;

use super::charts::{self, Chart, threads};
use super::findings::{self, Finding};
use super::format;
use super::generators::{self, GeneratorRow};
use super::knee::{self, Knee, LoadPoint};
use super::phases::{self, PhaseBreakdown};
use super::server_timing::{self, Breakdown};
use super::system;
use super::totals::{Basis, StepTotals, step_totals};
use loadspec_results::Mode;
use loadspec_results::criteria::{CriteriaReport, Verdict};
use loadspec_results::model::{
    HealthReport, LabelSummary, RunResults, RunStatus, SaturationCause, StepStatus,
};

/// The whole report page (`templates/report.html`).
#[derive(Template)]
#[template(path = "report.html")]
pub(crate) struct Page {
    title: String,
    name: String,
    subtitle: String,
    generator: String,
    banner: Banner,
    figures: Vec<Figure>,
    toc: Vec<TocEntry>,
    run_facts: Vec<Fact>,
    host_facts: Vec<Fact>,
    scenarios: Vec<ScenarioInfo>,
    plan_steps: Vec<PlanStep>,
    multi_scenario: bool,
    notes: Vec<String>,
    method: Vec<String>,
    matrix: Option<Matrix>,
    no_criteria: String,
    findings: Vec<Finding>,
    charts: Vec<Chart>,
    system: Vec<Chart>,
    generators: Vec<GeneratorRow>,
    steps: Vec<StepView>,
    errors: Vec<ErrorRow>,
    errors_hidden: usize,
}

/// The verdict banner at the top.
#[derive(Debug)]
struct Banner {
    /// `pass`, `warn`, `fail` or `none`.
    class: &'static str,
    /// `PASS`, `WARN`, `FAIL`, `NO CRITERIA`.
    badge: &'static str,
    headline: String,
    detail: String,
    /// The run ended early.
    status: Option<String>,
}

/// A headline number.
#[derive(Debug)]
struct Figure {
    label: &'static str,
    value: String,
    sub: String,
}

/// A table-of-contents entry.
#[derive(Debug)]
struct TocEntry {
    id: String,
    title: String,
    children: Vec<(String, String)>,
}

/// A key and its value in the overview.
#[derive(Debug)]
struct Fact {
    key: &'static str,
    value: String,
}

#[derive(Debug)]
struct ScenarioInfo {
    name: String,
    module_path: String,
    threads: String,
    think_time: String,
    tags: String,
    limits: String,
    criteria: usize,
}

#[derive(Debug)]
struct PlanStep {
    number: usize,
    users: String,
    ramp_up: String,
    warmup: String,
    hold: String,
    cooldown: String,
    iterations: String,
    actual: String,
}

/// The criteria × steps matrix.
#[derive(Debug)]
struct Matrix {
    steps: Vec<String>,
    /// What the steps' saturation marks mean (`* generator-bound step: …`).
    footnotes: Vec<String>,
    rows: Vec<MatrixRow>,
    step_verdicts: Vec<MatrixCell>,
    capacity: String,
    verdict: &'static str,
}

#[derive(Debug)]
struct MatrixRow {
    title: String,
    target: String,
    threshold: String,
    verdict: &'static str,
    cells: Vec<MatrixCell>,
}

#[derive(Debug)]
struct MatrixCell {
    /// `pass`, `warn`, `fail` or `none` (not judged at that step).
    class: &'static str,
    text: String,
    tip: String,
}

/// One step's tables.
#[derive(Debug)]
struct StepView {
    id: String,
    heading: String,
    meta: String,
    /// How the step ended, when it did not run to its end.
    status: Option<String>,
    /// What the health gate saw before the step, when it had to wait.
    health: Option<String>,
    /// Why the load generator was the limit, if it was.
    generator: Option<String>,
    scenarios: Vec<ScenarioStep>,
}

#[derive(Debug)]
struct ScenarioStep {
    name: String,
    summary: String,
    transactions: Vec<StatRow>,
    requests: Vec<StatRow>,
    total: Option<StatRow>,
    /// Where each request label's time went, phase by phase, when the client timed phases.
    phases: Option<PhaseBreakdown>,
    /// Server-Timing entries per request label, when the target sent any.
    server_timing: Option<Breakdown>,
    /// The custom metrics the scenario recorded (`user.counter(..)`, …).
    custom: Vec<super::custom::CustomRow>,
    errors: Vec<ErrorSample>,
}

/// One row of a statistics table.
#[derive(Debug)]
struct StatRow {
    label: String,
    count: String,
    failures: String,
    error_rate: String,
    failing: bool,
    mean: String,
    p50: String,
    p90: String,
    p95: String,
    p99: String,
    max: String,
    throughput: String,
    per_tx: String,
}

#[derive(Debug)]
struct ErrorSample {
    label: String,
    kind: String,
    count: String,
    sample: String,
}

/// One kind of failure of one label over the whole run.
#[derive(Debug)]
struct ErrorRow {
    scope: &'static str,
    label: String,
    kind: String,
    count: String,
    share: String,
    steps: String,
    sample: String,
}

/// Rows shown in the run-wide errors table; the rest are counted.
const MAX_ERROR_ROWS: usize = 25;
/// Steps listed individually in the table of contents.
const MAX_TOC_STEPS: usize = 12;

impl Page {
    /// Builds the page of `results`, with `notes` shown under "Notes and assumptions".
    pub(crate) fn new(results: &RunResults, notes: &[String]) -> Self {
        let (basis, totals) = step_totals(results);
        let points: Vec<LoadPoint> = totals
            .iter()
            .map(|t| LoadPoint {
                step: t.step,
                users: t.users,
                throughput: t.throughput,
                p95: t.p95,
            })
            .collect();
        let knee = knee::find(&points);
        let charts = charts::charts(results, &totals, basis, knee.as_ref());
        let mut system = system::system_usage(results);
        system.extend(generators::charts(results));
        system.extend(system::target_series(results));
        let steps = step_views(results);
        let (errors, errors_hidden) = error_rows(results);
        let multi_scenario =
            results.plan.scenarios.len() > 1 || results.steps.iter().any(|s| s.scenarios.len() > 1);
        let toc = toc(&charts, &system, &steps, !errors.is_empty());
        Self {
            title: format!("{} · loadspec report", results.run.name),
            name: results.run.name.clone(),
            subtitle: format!(
                "{} run against {} · {} · {}",
                results.run.mode.as_str(),
                results.run.target,
                format::timestamp(&results.run.started_at),
                format::duration(results.run.duration_s)
            ),
            generator: format!(
                "loadspec {} · results schema {} v{}",
                results.environment.loadspec_version, results.schema, results.schema_version
            ),
            banner: banner(results),
            figures: figures(results, &totals, basis, knee.as_ref()),
            toc,
            run_facts: run_facts(results),
            host_facts: host_facts(results),
            scenarios: scenario_infos(results),
            plan_steps: plan_steps(results),
            multi_scenario,
            notes: notes.to_vec(),
            method: method(results, basis),
            matrix: results.criteria.as_ref().map(|r| matrix(r, multi_scenario)),
            no_criteria: no_criteria_reason(results),
            findings: findings::findings(results, &totals, basis, knee.as_ref()),
            charts,
            system,
            generators: generators::rows(results),
            steps,
            errors,
            errors_hidden,
        }
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    v.as_str()
}

fn banner(results: &RunResults) -> Banner {
    let status = match results.run.status {
        RunStatus::Completed => None,
        RunStatus::Running => Some("Unfinished"),
        RunStatus::Interrupted => Some("Interrupted"),
        RunStatus::Aborted => Some("Aborted"),
    }
    .map(|s| {
        let reason = results
            .run
            .status_reason
            .as_deref()
            .unwrap_or("no reason recorded");
        format!(
            "{s} after {} of {} steps: {reason}",
            results.steps.len(),
            results.plan.steps.len()
        )
    });
    match &results.criteria {
        Some(report) => {
            let n = report.rows.len();
            let count = |v| report.rows.iter().filter(|r| r.verdict == v).count();
            let (badge, headline) = match report.verdict {
                Verdict::Pass => ("PASS", format!("All {n} criteria met at every step")),
                Verdict::Warn => (
                    "WARN",
                    format!(
                        "{} of {n} criteria missed their target but stayed within the threshold",
                        count(Verdict::Warn)
                    ),
                ),
                Verdict::Fail => (
                    "FAIL",
                    format!("{} of {n} criteria failed", count(Verdict::Fail)),
                ),
            };
            Banner {
                class: verdict_class(report.verdict),
                badge,
                headline,
                detail: format!("Capacity: {}.", report.capacity.summary),
                status,
            }
        }
        None => Banner {
            class: "none",
            badge: "NO CRITERIA",
            headline: "No criteria were judged".to_owned(),
            detail: no_criteria_reason(results),
            status,
        },
    }
}

fn no_criteria_reason(results: &RunResults) -> String {
    let planned: usize = results
        .plan
        .scenarios
        .iter()
        .map(|s| s.criteria.len())
        .sum();
    match (results.run.mode, planned) {
        (Mode::Smoke, _) => "This was a smoke run (one user, one iteration per scenario): it \
                             checks that the scenarios work, and criteria are judged in full runs \
                             only."
            .to_owned(),
        (Mode::Full, 0) => "The scenarios define no criteria. Add #[assertion(...)] attributes \
                            or a criteria file to judge response times and error rates at every \
                            step."
            .to_owned(),
        (Mode::Full, n) => format!(
            "The plan lists {n} criteria but these results carry no verdicts (e.g. results \
             merged or written by another tool); `loadspec compare` re-judges them from the \
             stored histograms."
        ),
    }
}

fn figures(
    results: &RunResults,
    totals: &[StepTotals],
    basis: Basis,
    knee: Option<&Knee>,
) -> Vec<Figure> {
    let noun = basis.noun();
    let count: u64 = totals.iter().map(|t| t.count).sum();
    let failed: u64 = totals.iter().map(|t| t.failures).sum();
    let peak = totals.iter().max_by_key(|t| t.users);
    let busiest = totals
        .iter()
        .max_by(|a, b| a.throughput.total_cmp(&b.throughput));
    let mut out = vec![Figure {
        label: "Peak load",
        value: peak.map_or("—".to_owned(), |p| threads(p.users)),
        sub: format!(
            "{} step{} · {} profile",
            results.steps.len(),
            if results.steps.len() == 1 { "" } else { "s" },
            results.plan.profile.as_str()
        ),
    }];
    out.push(Figure {
        label: if basis == Basis::Requests {
            "Requests"
        } else {
            "Iterations"
        },
        value: format::count(count),
        sub: if failed == 0 {
            "none failed".to_owned()
        } else {
            format!(
                "{} failed ({})",
                format::count(failed),
                format::percent(failed as f64 / count.max(1) as f64)
            )
        },
    });
    // One user, one iteration: throughput and a knee would be noise.
    let smoke = results.run.mode == Mode::Smoke;
    if let Some(b) = busiest.filter(|_| !smoke) {
        out.push(Figure {
            label: "Peak throughput",
            value: format!("{}/s", format::per_s(b.throughput)),
            sub: format!("{noun} at {}", threads(b.users)),
        });
    }
    if let Some(p) = peak {
        out.push(Figure {
            label: "p95 at peak load",
            value: format::time(p.p95),
            sub: format!("p99 {} · max {}", format::time(p.p99), format::time(p.max)),
        });
    }
    out.extend((!smoke).then(|| Figure {
        label: "Knee",
        value: knee.map_or("none".to_owned(), |k| threads(k.at.users)),
        sub: if knee.is_some() {
            "throughput stops growing after it".to_owned()
        } else if totals.len() < 2 {
            "needs two or more steps".to_owned()
        } else {
            "throughput kept growing".to_owned()
        },
    }));
    out.push(Figure {
        label: "Duration",
        value: format::duration(results.run.duration_s),
        sub: format!("seed {}", results.run.seed),
    });
    out
}

fn toc(charts: &[Chart], system: &[Chart], steps: &[StepView], errors: bool) -> Vec<TocEntry> {
    let entry = |id: &str, title: &str, children| TocEntry {
        id: id.to_owned(),
        title: title.to_owned(),
        children,
    };
    let mut out = vec![
        entry("overview", "Overview", Vec::new()),
        entry("verdict", "Verdict", Vec::new()),
        entry("findings", "Findings", Vec::new()),
    ];
    if !charts.is_empty() {
        out.push(entry(
            "charts",
            "Charts",
            charts
                .iter()
                .map(|c| (c.id.clone(), c.title.clone()))
                .collect(),
        ));
    }
    if !system.is_empty() {
        out.push(entry(
            "system",
            "System usage",
            system
                .iter()
                .map(|c| (c.id.clone(), c.title.clone()))
                .collect(),
        ));
    }
    out.push(entry(
        "steps",
        "Per step",
        if steps.len() <= MAX_TOC_STEPS {
            steps
                .iter()
                .map(|s| (s.id.clone(), s.heading.clone()))
                .collect()
        } else {
            Vec::new()
        },
    ));
    if errors {
        out.push(entry("errors", "Errors", Vec::new()));
    }
    out
}

fn run_facts(results: &RunResults) -> Vec<Fact> {
    let run = &results.run;
    let plan = &results.plan;
    let fact = |key, value| Fact { key, value };
    let mut out = vec![
        fact(
            "Scenarios",
            plan.scenarios
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        fact("Target", run.target.clone()),
        fact(
            "Mode · profile",
            format!("{} · {}", run.mode.as_str(), plan.profile.as_str()),
        ),
        fact("Threads per step", thread_counts(results)),
        fact("Step timing", step_timing(results)),
        fact(
            "Seed",
            format!(
                "{} (--seed {} reproduces the users' data)",
                run.seed, run.seed
            ),
        ),
        fact("Started", format::timestamp(&run.started_at)),
        fact("Finished", format::timestamp(&run.finished_at)),
        fact("Duration", format::duration(run.duration_s)),
    ];
    let status = match run.status {
        RunStatus::Completed => "completed: every planned step ran".to_owned(),
        RunStatus::Running => "unfinished: a checkpoint of a run that was killed".to_owned(),
        RunStatus::Interrupted => "interrupted (Ctrl-C / SIGTERM)".to_owned(),
        RunStatus::Aborted => "aborted early".to_owned(),
    };
    out.push(fact(
        "Status",
        match &run.status_reason {
            Some(reason) => format!("{status} — {reason}"),
            None => status,
        },
    ));
    out.push(fact("Run id", run.id.clone()));
    out
}

fn thread_counts(results: &RunResults) -> String {
    let multi = results.plan.scenarios.len() > 1;
    results
        .plan
        .scenarios
        .iter()
        .map(|s| {
            let list = s
                .threads
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            if multi {
                format!("{}: {list}", s.name)
            } else {
                list
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn step_timing(results: &RunResults) -> String {
    let describe = |s: &loadspec_results::model::PlannedStepInfo| match s.iterations {
        Some(n) => format!(
            "{} per user · cooldown {}",
            plural(u64::from(n), "iteration"),
            format::duration(s.cooldown_s)
        ),
        None if s.warmup_s > 0.0 => format!(
            "ramp-up {} · warm-up {} (not measured) · hold {} · cooldown {}",
            format::duration(s.ramp_up_s),
            format::duration(s.warmup_s),
            format::duration(s.hold_s),
            format::duration(s.cooldown_s)
        ),
        None => format!(
            "ramp-up {} · hold {} · cooldown {}",
            format::duration(s.ramp_up_s),
            format::duration(s.hold_s),
            format::duration(s.cooldown_s)
        ),
    };
    let mut all: Vec<String> = results.plan.steps.iter().map(describe).collect();
    all.dedup();
    match all.len() {
        0 => "—".to_owned(),
        1 => format!("{} (every step)", all[0]),
        _ => "varies by step (see the planned steps below)".to_owned(),
    }
}

fn host_facts(results: &RunResults) -> Vec<Fact> {
    let env = &results.environment;
    vec![
        Fact {
            key: "Host",
            value: env.hostname.clone(),
        },
        Fact {
            key: "CPU",
            value: format!("{} · {} logical CPUs", env.cpu_model, env.cpus),
        },
        Fact {
            key: "Memory",
            value: format::bytes(env.memory_bytes),
        },
        Fact {
            key: "OS",
            value: env.os.clone(),
        },
        Fact {
            key: "Kernel",
            value: env.kernel.clone(),
        },
        Fact {
            key: "Workers",
            value: format!("{} worker threads drove the users", env.workers),
        },
        Fact {
            key: "loadspec",
            value: env.loadspec_version.clone(),
        },
    ]
}

fn scenario_infos(results: &RunResults) -> Vec<ScenarioInfo> {
    results
        .plan
        .scenarios
        .iter()
        .map(|s| ScenarioInfo {
            name: s.name.clone(),
            module_path: s.module_path.clone(),
            threads: s
                .threads
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            think_time: match s.think_time_s {
                Some([min, max]) if (max - min).abs() < 1e-9 => format::time(min * 1000.0),
                Some([min, max]) => {
                    format!(
                        "{} – {}",
                        format::time(min * 1000.0),
                        format::time(max * 1000.0)
                    )
                }
                None => "none".to_owned(),
            },
            tags: if s.tags.is_empty() {
                "—".to_owned()
            } else {
                s.tags.join(", ")
            },
            limits: format!(
                "request timeout {} · hung after {}",
                format::duration(s.request_timeout_s),
                format::duration(s.hung_after_s)
            ),
            criteria: s.criteria.len(),
        })
        .collect()
}

fn plan_steps(results: &RunResults) -> Vec<PlanStep> {
    let multi = results.plan.scenarios.len() > 1;
    results
        .plan
        .steps
        .iter()
        .map(|p| {
            let users = if multi {
                p.users
                    .iter()
                    .map(|(name, n)| format!("{name}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                p.users.values().sum::<u32>().to_string()
            };
            let actual = match results.steps.iter().find(|s| s.index == p.index) {
                Some(s) => format!(
                    "{} · measured {}{}",
                    format::duration(s.duration_s),
                    format::duration(s.measured_s),
                    if s.status == StepStatus::Interrupted {
                        " · cut short"
                    } else {
                        ""
                    }
                ),
                None => "did not run".to_owned(),
            };
            PlanStep {
                number: p.index + 1,
                users,
                ramp_up: format::duration(p.ramp_up_s),
                warmup: format::duration(p.warmup_s),
                hold: if p.iterations.is_some() {
                    "—".to_owned()
                } else {
                    format::duration(p.hold_s)
                },
                cooldown: format::duration(p.cooldown_s),
                iterations: p.iterations.map_or("—".to_owned(), |n| n.to_string()),
                actual,
            }
        })
        .collect()
}

fn method(results: &RunResults, basis: Basis) -> Vec<String> {
    vec![
        format!(
            "Each step's statistics cover its measured window: from the end of its ramp-up and \
             warm-up until its last user stopped. In-flight iterations got {} to finish at a step's stop; those \
             still running were cut off and are not counted as failures.",
            format::duration(results.plan.graceful_stop_s)
        ),
        "Percentiles come from HdrHistograms (3 significant digits) over every sample of the \
         window — no sampling and no sliding window."
            .to_owned(),
        format!(
            "Throughput is completed {} per second of the measured window, failed ones included.",
            basis.noun()
        ),
        "Time charts plot the per-tick time series (normally one tick per second), ramp-ups \
         and warm-ups included."
            .to_owned(),
    ]
}

fn matrix(report: &CriteriaReport, multi: bool) -> Matrix {
    let cell = |verdict: Verdict, text: String, tip: String| MatrixCell {
        class: verdict_class(verdict),
        text,
        tip,
    };
    Matrix {
        steps: report
            .steps
            .iter()
            .map(|s| format!("{}{}", threads(s.users), s.saturation().mark()))
            .collect(),
        footnotes: report.footnotes(),
        rows: report
            .rows
            .iter()
            .map(|row| MatrixRow {
                title: if multi {
                    format!("{} · {}", row.scenario, row.title)
                } else {
                    row.title.clone()
                },
                target: row.target_display.clone(),
                threshold: row.threshold_display.clone(),
                verdict: verdict_class(row.verdict),
                cells: report
                    .steps
                    .iter()
                    .map(
                        |step| match row.cells.iter().find(|c| c.step == step.step) {
                            Some(c) => cell(
                                c.verdict,
                                c.display.clone(),
                                format!(
                                    "{} at {}: {} ({}; target {}, threshold {})",
                                    row.title,
                                    threads(c.users),
                                    c.display,
                                    c.verdict.as_str(),
                                    row.target_display,
                                    row.threshold_display
                                ),
                            ),
                            None => MatrixCell {
                                class: "none",
                                text: "—".to_owned(),
                                tip: "not judged at this step".to_owned(),
                            },
                        },
                    )
                    .collect(),
            })
            .collect(),
        step_verdicts: report
            .steps
            .iter()
            .map(|s| {
                cell(
                    s.verdict,
                    s.verdict.as_str().to_uppercase(),
                    format!("step {} at {}", s.step + 1, threads(s.users)),
                )
            })
            .collect(),
        capacity: report.capacity.summary.clone(),
        verdict: verdict_class(report.verdict),
    }
}

fn stat_row(l: &LabelSummary, label: Option<&str>) -> StatRow {
    StatRow {
        label: label.unwrap_or(&l.label).to_owned(),
        count: format::count(l.count),
        failures: format::count(l.failures),
        error_rate: format::percent(l.error_rate),
        failing: l.failures > 0,
        mean: format::ms(l.mean_ms),
        p50: format::ms(l.p50_ms),
        p90: format::ms(l.p90_ms),
        p95: format::ms(l.p95_ms),
        p99: format::ms(l.p99_ms),
        max: format::ms(l.max_ms),
        throughput: format::per_s(l.throughput_per_s),
        per_tx: l
            .requests_per_transaction
            .map_or(String::new(), |r| format::trim(r, 2)),
    }
}

fn step_views(results: &RunResults) -> Vec<StepView> {
    let timing_names = server_timing::entry_names(results);
    results
        .steps
        .iter()
        .map(|step| {
            let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
            let planned = results.plan.steps.iter().find(|p| p.index == step.index);
            let shape = match (results.run.mode, planned) {
                (Mode::Smoke, _) => "smoke: one iteration".to_owned(),
                (_, Some(p)) if p.iterations.is_some() => format!(
                    "{} per user",
                    plural(u64::from(p.iterations.unwrap_or_default()), "iteration")
                ),
                (_, Some(p)) => {
                    let mut parts = Vec::new();
                    if p.ramp_up_s > 0.0 {
                        parts.push(format!("ramp-up {}", format::duration(p.ramp_up_s)));
                    }
                    if p.warmup_s > 0.0 {
                        parts.push(format!(
                            "warm-up {} (not measured)",
                            format::duration(p.warmup_s)
                        ));
                    }
                    parts.push(format!("hold {}", format::duration(p.hold_s)));
                    parts.join(" · ")
                }
                (_, None) => String::new(),
            };
            let status = match step.status {
                StepStatus::Completed => None,
                StepStatus::Interrupted => Some("cut short".to_owned()),
                StepStatus::Aborted => Some("aborted".to_owned()),
                StepStatus::TargetUnavailable => Some("not run: target unavailable".to_owned()),
            }
            .map(|s| match &step.status_reason {
                Some(reason) => format!("{s} — {reason}"),
                None => s,
            });
            StepView {
                id: format!("step-{}", step.index + 1),
                heading: format!("Step {} · {}", step.index + 1, threads(users)),
                meta: format!(
                    "{shape} · started at +{} · measured {}",
                    format::elapsed(step.offset_s),
                    format::duration(step.measured_s),
                ),
                status,
                health: step.health.as_ref().and_then(health_line),
                generator: step.generator.as_ref().filter(|g| g.bound).map(|g| {
                    let (who, effect) = match g.saturation() {
                        SaturationCause::Generator => (
                            "The load generator was the limit",
                            "Response times of this step measure the generator too.",
                        ),
                        _ => (
                            "The machine was saturated, not by the load generator",
                            "Response times of this step include waiting for the CPU.",
                        ),
                    };
                    format!(
                        "{who} ({}{}): {} (loadspec's workers: CPU mean {}, max {} of their \
                         cores; timer lag p99 {}). {effect}",
                        g.saturation().flag().to_lowercase(),
                        g.saturation().mark(),
                        g.describe(),
                        format::percent(g.cpu_share_mean),
                        format::percent(g.cpu_share_max),
                        format::time(g.lag_p99_ms)
                    )
                }),
                scenarios: step
                    .scenarios
                    .iter()
                    .map(|s| {
                        let it = &s.iterations;
                        let summary = format!(
                            "{} · {} iterations ({} failed{}) · {} requests at {}/s",
                            plural(u64::from(s.users), "user"),
                            format::count(it.count),
                            format::count(it.failures),
                            if s.interrupted_iterations > 0 {
                                format!(
                                    ", {} cut off at the hard stop",
                                    format::count(s.interrupted_iterations)
                                )
                            } else {
                                String::new()
                            },
                            format::count(s.total_requests.count),
                            format::per_s(s.total_requests.throughput_per_s)
                        );
                        let mut errors = Vec::new();
                        let lists = [
                            ("iteration", std::slice::from_ref(it)),
                            ("transaction", &s.transactions[..]),
                            ("request", &s.requests[..]),
                        ];
                        for (scope, list) in lists {
                            for l in list {
                                for e in &l.errors {
                                    errors.push(ErrorSample {
                                        label: format!("{scope} {}", l.label),
                                        kind: e.kind.as_str().to_owned(),
                                        count: format::count(e.count),
                                        sample: e.sample.clone(),
                                    });
                                }
                            }
                        }
                        ScenarioStep {
                            name: s.scenario.clone(),
                            summary,
                            transactions: s
                                .transactions
                                .iter()
                                .map(|l| stat_row(l, None))
                                .collect(),
                            requests: s.requests.iter().map(|l| stat_row(l, None)).collect(),
                            total: (s.total_requests.count > 0 || !s.requests.is_empty())
                                .then(|| stat_row(&s.total_requests, Some("Total"))),
                            phases: phases::breakdown(s),
                            server_timing: server_timing::breakdown(s, &timing_names),
                            custom: super::custom::rows(&s.custom),
                            errors,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// What the health gate saw, when there is anything to say (the target was not up at once).
fn health_line(h: &HealthReport) -> Option<String> {
    if h.healthy && h.down_s.is_none() && h.recovery.is_none() {
        return None;
    }
    let mut parts = vec![if h.healthy {
        format!(
            "Health gate: the target answered after {} ({} checks)",
            format::duration(h.waited_s),
            h.attempts
        )
    } else {
        format!(
            "Health gate: the target did not answer in {} ({} checks)",
            format::duration(h.waited_s),
            h.attempts
        )
    }];
    if let Some(down) = h.down_s {
        parts.push(format!("down for {}", format::duration(down)));
    }
    if let Some(error) = &h.first_error {
        parts.push(format!("first error: {error}"));
    }
    if let Some(r) = &h.recovery {
        let outcome = match (r.timed_out, r.exit_code) {
            (true, _) => "timed out".to_owned(),
            (false, Some(code)) => format!("exited with {code}"),
            (false, None) => "was killed".to_owned(),
        };
        parts.push(format!(
            "recovery command `{}` {outcome} after {}",
            r.command,
            format::duration(r.duration_s)
        ));
    }
    Some(parts.join("; "))
}

/// Step numbers (from 1) of step indices, runs collapsed: `[0, 1, 2, 5]` → `1–3, 6`.
fn ranges(indices: &[usize]) -> String {
    let mut sorted = indices.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        parts.push(match sorted[i] - start {
            0 => (start + 1).to_string(),
            1 => format!("{}, {}", start + 1, sorted[i] + 1),
            _ => format!("{}–{}", start + 1, sorted[i] + 1),
        });
        i += 1;
    }
    parts.join(", ")
}

/// `1 user`, `3 users`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", format::count(n))
    }
}

fn error_rows(results: &RunResults) -> (Vec<ErrorRow>, usize) {
    struct Acc {
        scope: &'static str,
        label: String,
        kind: String,
        count: u64,
        steps: Vec<usize>,
        sample: String,
    }
    let multi = results.plan.scenarios.len() > 1;
    let mut acc: Vec<Acc> = Vec::new();
    for step in &results.steps {
        for s in &step.scenarios {
            let lists = [
                ("request", &s.requests[..]),
                ("transaction", &s.transactions[..]),
                ("iteration", std::slice::from_ref(&s.iterations)),
            ];
            for (scope, list) in lists {
                for l in list {
                    let label = if multi {
                        format!("{} · {}", s.scenario, l.label)
                    } else {
                        l.label.clone()
                    };
                    for e in &l.errors {
                        let kind = e.kind.as_str();
                        match acc
                            .iter_mut()
                            .find(|a| a.scope == scope && a.label == label && a.kind == kind)
                        {
                            Some(a) => {
                                a.count += e.count;
                                if !a.steps.contains(&step.index) {
                                    a.steps.push(step.index);
                                }
                            }
                            None => acc.push(Acc {
                                scope,
                                label: label.clone(),
                                kind: kind.to_owned(),
                                count: e.count,
                                steps: vec![step.index],
                                sample: e.sample.clone(),
                            }),
                        }
                    }
                }
            }
        }
    }
    // Stable sort: equal counts keep request → transaction → iteration order.
    acc.sort_by_key(|a| std::cmp::Reverse(a.count));
    let total_requests: u64 = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .map(|s| s.total_requests.failures)
        .sum();
    let hidden = acc.len().saturating_sub(MAX_ERROR_ROWS);
    let rows = acc
        .into_iter()
        .take(MAX_ERROR_ROWS)
        .map(|a| ErrorRow {
            scope: a.scope,
            share: if a.scope == "request" && total_requests > 0 {
                format::percent(a.count as f64 / total_requests as f64)
            } else {
                String::new()
            },
            steps: ranges(&a.steps),
            label: a.label,
            kind: a.kind,
            count: format::count(a.count),
            sample: a.sample,
        })
        .collect();
    (rows, hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lists_collapse_runs() {
        assert_eq!(ranges(&[0, 1, 2, 3]), "1–4");
        assert_eq!(ranges(&[5, 0, 1]), "1, 2, 6");
        assert_eq!(ranges(&[2]), "3");
        assert_eq!(ranges(&[]), "");
    }
}
