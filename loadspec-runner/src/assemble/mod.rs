//! The results document of a run, assembled from its plan and measured steps.

mod environment;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

pub(crate) use self::environment::environment;
use crate::plan::RunPlan;
use loadspec_results::model::{
    PlanInfo, PlannedScenarioInfo, PlannedStepInfo, RunInfo, RunResults, RunStatus, SCHEMA_NAME,
    SCHEMA_VERSION, ShardInfo, StepResult,
};
use loadspec_results::{rfc3339, unix_seconds};

/// Builds the results document of a finished (or stopped) run.
pub(crate) fn assemble(
    plan: &RunPlan,
    started: SystemTime,
    elapsed: Duration,
    status: RunStatus,
    status_reason: Option<String>,
    steps: Vec<StepResult>,
) -> RunResults {
    let started_at = loadspec_results::rfc3339(started);
    RunResults {
        schema: SCHEMA_NAME.to_owned(),
        schema_version: SCHEMA_VERSION,
        run: RunInfo {
            id: format!(
                "{}-{}",
                plan.name,
                loadspec_results::compact_timestamp(&started_at)
            ),
            name: plan.name.clone(),
            mode: plan.mode,
            target: plan.target.clone(),
            seed: plan.seed,
            started_at,
            finished_at: loadspec_results::rfc3339(started + elapsed),
            duration_s: elapsed.as_secs_f64(),
            status,
            status_reason,
            warnings: Vec::new(),
            shard: shard_info(plan, started, &steps),
            abort: None,
        },
        environment: environment(plan.workers),
        plan: plan_info(plan),
        steps,
        criteria: None,
        lifecycle: Vec::new(),
        hosts: Vec::new(),
    }
}

fn plan_info(plan: &RunPlan) -> PlanInfo {
    let secs = |d: Duration| d.as_secs_f64();
    PlanInfo {
        profile: plan.profile,
        scenarios: plan
            .scenarios
            .iter()
            .map(|p| PlannedScenarioInfo {
                name: p.scenario.name().to_owned(),
                module_path: p.scenario.module_path().to_owned(),
                threads: p.threads.clone(),
                think_time_s: p.think_time.map(|(min, max)| [secs(min), secs(max)]),
                tags: p.scenario.tags().into_iter().map(str::to_owned).collect(),
                hung_after_s: secs(p.hung_after),
                request_timeout_s: secs(p.request_timeout),
                criteria: p.criteria.clone(),
            })
            .collect(),
        steps: plan
            .steps
            .iter()
            .map(|s| PlannedStepInfo {
                index: s.index,
                users: plan
                    .scenarios
                    .iter()
                    .zip(&s.users)
                    .map(|(p, n)| (p.scenario.name().to_owned(), *n))
                    .collect::<BTreeMap<_, _>>(),
                ramp_up_s: secs(s.ramp_up),
                warmup_s: secs(s.warmup),
                hold_s: secs(s.hold),
                cooldown_s: secs(s.cooldown),
                iterations: s.iterations,
                rates: plan
                    .scenarios
                    .iter()
                    .zip(&s.arrivals)
                    .filter_map(|(p, a)| a.map(|a| (p.scenario.name().to_owned(), a.to)))
                    .collect(),
            })
            .collect(),
        graceful_stop_s: secs(plan.graceful_stop),
        latency_correction: if plan
            .steps
            .iter()
            .any(|s| s.arrivals.iter().any(Option::is_some))
        {
            "intended_start".to_owned()
        } else if let Some(interval) = plan.expected_interval {
            format!("expected_interval {}", humantime::format_duration(interval))
        } else {
            "none".to_owned()
        },
        http_client: plan.http_client.as_str().to_owned(),
        http_version: plan.http_version.as_str().to_owned(),
        max_response_body: Some(plan.max_response_body),
        source_addresses: (!plan.source_addresses.is_empty())
            .then(|| crate::plan::sources::describe(&plan.source_addresses)),
        tls: (plan.tls != crate::user::TlsOptions::default()).then(|| {
            loadspec_results::model::TlsInfo {
                insecure: plan.tls.insecure,
                ca_cert: plan.tls.ca_cert.as_ref().map(|p| p.display().to_string()),
            }
        }),
    }
}

/// What a sharded run records about its shard in `run.shard`: its place, the whole plan's
/// users, and when it started against the aligned start time.
fn shard_info(plan: &RunPlan, started: SystemTime, steps: &[StepResult]) -> Option<ShardInfo> {
    let shard = plan.shard.as_ref()?;
    let names: Vec<&str> = plan.scenarios.iter().map(|p| p.scenario.name()).collect();
    let total_users = shard
        .total_users
        .iter()
        .map(|users| {
            names
                .iter()
                .zip(users)
                .map(|(name, &n)| ((*name).to_owned(), n))
                .collect::<BTreeMap<_, _>>()
        })
        .collect();
    let started_unix_s = unix_seconds(started);
    // The load's start: the first step's clock, from the precise run start.
    let first_step = steps.first().map(|s| started_unix_s + s.offset_s);
    let late_by_s = plan.start_at.and_then(|at| {
        let at = unix_seconds(at);
        first_step.map(|first| first - at)
    });
    Some(ShardInfo {
        index: shard.spec.index(),
        count: shard.spec.count(),
        total_users,
        start_at: plan.start_at.map(rfc3339),
        late_by_s,
        started_unix_s,
    })
}
