//! One load step on the coordinator: start the users on the workers, merge their intervals
//! every tick, stop the step early when asked (interrupt) or when the target is unreachable,
//! and assemble the step's results.

use std::time::{Duration, SystemTime};

use futures::future::join_all;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::open::OpenOrder;
use super::vu::{StepTiming, UserOrder};
use super::worker::{Command, Worker};
use super::{Observer, Progress, START_LEAD, StopHandle, flush, next_boundary, secs};
use crate::error::RunError;
use crate::metrics::recorder::Interval;
use crate::metrics::samples::JtlWriter;
use crate::metrics::step::{Phase, StepAccumulator};
use crate::metrics::unreachable::{Streak, UnreachableAlarm};
use crate::monitor::Monitor;
use crate::plan::{ProfileKind, RunPlan, StepPlan, user_start_offset};
use loadspec_results::histogram::{self, LatencyHistogram};
use loadspec_results::model::{HealthReport, StepResult, StepStatus};
use loadspec_results::rfc3339;

/// What a step needs from the run.
pub(super) struct StepContext<'a> {
    pub(super) plan: &'a RunPlan,
    pub(super) workers: &'a [Worker],
    pub(super) run_start: Instant,
    pub(super) stop: &'a StopHandle,
    pub(super) samples: Option<&'a JtlWriter>,
    /// Each scenario's setup value.
    pub(super) shared: &'a [Option<crate::user::SharedData>],
    /// Raised by a worker the moment a scenario's unreachable streak reaches its limit.
    pub(super) unreachable: &'a UnreachableAlarm,
}

/// A step that did not run because the target stayed down.
pub(super) fn unavailable(
    plan: &RunPlan,
    step: &StepPlan,
    run_start: Instant,
    health: HealthReport,
) -> StepResult {
    let names = plan
        .scenarios
        .iter()
        .map(|s| s.scenario.name().to_owned())
        .collect();
    let reason = format!(
        "the target did not answer its health check within {:.0} s ({})",
        health.waited_s,
        health.first_error.as_deref().unwrap_or("no answer")
    );
    StepResult {
        index: step.index,
        started_at: rfc3339(SystemTime::now()),
        offset_s: secs(run_start.elapsed()),
        duration_s: 0.0,
        measured_from_s: 0.0,
        measured_s: 0.0,
        status: StepStatus::TargetUnavailable,
        status_reason: Some(reason),
        health: Some(health),
        generator: None,
        system: Vec::new(),
        target_metrics: Vec::new(),
        scenarios: StepAccumulator::new(names).finish(&step.users, 0.0, run_start.into_std()),
    }
}

/// Runs one step to its end.
pub(super) async fn run_step(
    cx: &StepContext<'_>,
    step: &StepPlan,
    observer: &mut dyn Observer,
    monitor: &mut Monitor,
    health: Option<HealthReport>,
) -> Result<StepResult, RunError> {
    let (plan, workers) = (cx.plan, cx.workers);
    let started_wall = SystemTime::now();
    let start = Instant::now() + START_LEAD;
    let stop_at = start + step.stop_at;
    let timing = StepTiming {
        stop_at,
        hard_stop: stop_at + plan.graceful_stop,
        iterations: step.iterations,
    };
    // A streak that reached its limit in an earlier step is that step's reason, not this one's.
    cx.unreachable.clear();
    let mut done = Vec::with_capacity(workers.len());
    for ((worker, users), open) in workers
        .iter()
        .zip(user_orders(plan, step, start, workers.len()))
        .zip(open_orders(plan, step, start, workers.len()))
    {
        let (reply, answer) = oneshot::channel();
        worker.send(Command::StartStep {
            timing,
            users,
            open,
            shared: cx.shared.to_vec(),
            done: reply,
        })?;
        done.push(answer);
    }
    let mut all_done = std::pin::pin!(join_all(done));

    let ramp_up = match plan.profile {
        ProfileKind::Spike => Duration::ZERO,
        ProfileKind::Ramp | ProfileKind::Stress => step.ramp_up,
    };
    // The warm-up follows the ramp-up at full load; both stay out of the statistics.
    let ramp_end = start + ramp_up;
    let measure_from = start + step.measured_from(plan.profile);
    let phase_ends = [ramp_end, measure_from];
    let phase = |at: Instant| {
        if at <= ramp_end && ramp_up > Duration::ZERO {
            Phase::RampUp
        } else if at <= measure_from && step.warmup > Duration::ZERO {
            Phase::Warmup
        } else {
            Phase::Measured
        }
    };
    let names = plan
        .scenarios
        .iter()
        .map(|s| s.scenario.name().to_owned())
        .collect();
    let mut acc = StepAccumulator::new(names);
    let mut abort_watch = super::abort::AbortWatch::new(plan, step.index);
    let mut tick_start = start;
    let mut next_tick = next_boundary(start, start, &phase_ends);
    let (mut requests, mut failures) = (0, 0);
    let mut system = Vec::new();
    let mut target_metrics = Vec::new();
    let mut lag = histogram::new_histogram();
    let mut stopped: Option<(StepStatus, Option<String>)> = None;
    let live = plan.live.is_on();
    let finals = loop {
        tokio::select! {
            biased;
            finals = &mut all_done => break finals,
            () = tokio::time::sleep_until(next_tick) => {
                let intervals = flush(workers).await?;
                if stopped.is_none() {
                    stopped = stop_reason(plan, cx.stop, &intervals);
                    if stopped.is_some() {
                        for worker in workers {
                            worker.send(Command::StopStep)?;
                        }
                    }
                }
                for interval in intervals {
                    absorb(&mut acc, &mut lag, interval, cx.samples);
                }
                system.extend(monitor.tick(next_tick, secs(next_tick - cx.run_start)));
                target_metrics.extend(monitor.scraped());
                let (tick_requests, tick_failures) = acc.tick_requests();
                requests += tick_requests;
                failures += tick_failures;
                let width = next_tick - tick_start;
                observer.tick(&Progress {
                    step: step.index,
                    elapsed: next_tick.saturating_duration_since(start),
                    planned: step.stop_at.min(
                        step.ramp_up + step.warmup + step.hold.max(Duration::from_secs(1)),
                    ),
                    active_users: acc.tick_active_users(),
                    requests_per_s: tick_requests as f64 / width.as_secs_f64().max(1e-9),
                    requests,
                    failures,
                });
                if live {
                    observer.live_tick(&live_tick(&acc, step, &LiveTickTimes {
                        t_s: secs(next_tick - cx.run_start),
                        width_s: width.as_secs_f64(),
                        elapsed_s: secs(next_tick.saturating_duration_since(start)),
                        phase: phase(next_tick),
                    }, system.last().filter(|s| s.t_s >= secs(tick_start - cx.run_start)), &lag));
                }
                if let (None, Some(watch)) = (&stopped, abort_watch.as_mut()) {
                    let (from, to) = (tick_start - start, next_tick - start);
                    stopped = watch.tick(&acc, from, to, cx.stop, workers)?;
                }
                acc.close_tick(secs(next_tick - cx.run_start), width.as_secs_f64(), phase(next_tick));
                tick_start = next_tick;
                next_tick = next_boundary(start, next_tick, &phase_ends);
            }
            streak = cx.unreachable.raised(), if stopped.is_none() => {
                stopped = Some(unreachable_abort(plan, streak));
                for worker in workers {
                    worker.send(Command::StopStep)?;
                }
            }
        }
    };
    let end = Instant::now().max(start);
    for interval in finals {
        absorb(
            &mut acc,
            &mut lag,
            interval.map_err(|_| RunError::WorkerLost)?,
            cx.samples,
        );
    }
    if end > tick_start {
        if live {
            observer.live_tick(&live_tick(
                &acc,
                step,
                &LiveTickTimes {
                    t_s: secs(end - cx.run_start),
                    width_s: (end - tick_start).as_secs_f64(),
                    elapsed_s: secs(end - start),
                    phase: phase(end),
                },
                None,
                &lag,
            ));
        }
        acc.close_tick(
            secs(end - cx.run_start),
            (end - tick_start).as_secs_f64(),
            phase(end),
        );
    }
    let measured_from = measure_from.min(end);
    let measured_s = secs(end - measured_from);
    let (status, status_reason) = stopped.unwrap_or((StepStatus::Completed, None));
    target_metrics.extend(monitor.scraped());
    let cores = plan
        .workers
        .min(std::thread::available_parallelism().map_or(1, |n| n.get()));
    let generator = Some(crate::monitor::guard::judge(&system, &lag, cores));
    Ok(StepResult {
        index: step.index,
        started_at: rfc3339(started_wall),
        offset_s: secs(start.saturating_duration_since(cx.run_start)),
        duration_s: secs(end - start),
        measured_from_s: secs(measured_from - start),
        measured_s,
        status,
        status_reason,
        health,
        generator,
        system,
        target_metrics,
        scenarios: acc.finish(&step.users, measured_s, cx.run_start.into_std()),
    })
}

/// When a tick ends, for the live outputs.
struct LiveTickTimes {
    t_s: f64,
    width_s: f64,
    elapsed_s: f64,
    phase: Phase,
}

/// The tick being closed, in full.
fn live_tick(
    acc: &StepAccumulator,
    step: &StepPlan,
    times: &LiveTickTimes,
    system: Option<&loadspec_results::model::SystemSample>,
    lag: &LatencyHistogram,
) -> loadspec_live::Tick {
    loadspec_live::Tick {
        step: step.index,
        t_s: times.t_s,
        width_s: times.width_s,
        elapsed_s: times.elapsed_s,
        planned_s: secs(step.stop_at),
        phase: match times.phase {
            Phase::RampUp => "ramp-up",
            Phase::Warmup => "warm-up",
            Phase::Measured => "measured",
        },
        active_users: acc.tick_active_per_scenario(),
        labels: acc.live_labels(),
        custom: acc.live_custom(),
        system: system.cloned(),
        lag_p99_ms: (!lag.is_empty()).then(|| lag.value_at_quantile(0.99) as f64 / 1000.0),
    }
}

/// Spreads the step's users over the workers round-robin, each with its start time and seed.
fn user_orders(
    plan: &RunPlan,
    step: &StepPlan,
    start: Instant,
    workers: usize,
) -> Vec<Vec<UserOrder>> {
    let mut orders: Vec<Vec<UserOrder>> = (0..workers).map(|_| Vec::new()).collect();
    let mut next = 0;
    for (scenario, &users) in step.users.iter().enumerate() {
        // Open-model scenarios have no looping users: see `open_orders`.
        if step.arrivals.get(scenario).is_some_and(Option::is_some) {
            continue;
        }
        let name = plan.scenarios[scenario].scenario.name();
        for local in 0..users {
            // A shard's users keep their index in the whole plan, so their seeds, data and
            // ramp-up start times are those of the unsharded run (see `crate::shard`).
            let (index, all) = match &plan.shard {
                Some(shard) => (
                    shard.global_index(step.index, scenario, u64::from(local)),
                    shard.total_users(step.index, scenario),
                ),
                None => (u64::from(local), users),
            };
            let position = u32::try_from(index).unwrap_or(u32::MAX);
            orders[next % workers].push(UserOrder {
                scenario,
                step: step.index as u32,
                index,
                start: start + user_start_offset(position, all, step.ramp_up),
                seed: crate::seed::user_seed(plan.seed, name, step.index, index),
            });
            next += 1;
        }
    }
    orders
}

/// Each worker's share of the step's open-model scenarios: every `workers`-th arrival, and an
/// even share of the user pool (at least one user each). A shard's workers are slots in the
/// whole run's sequence of workers (shard `i` of `n` holds slots `i`, `i + n`, …), so arrival
/// `k` runs on shard `k % n` and users keep distinct global indexes across shards.
fn open_orders(
    plan: &RunPlan,
    step: &StepPlan,
    start: Instant,
    workers: usize,
) -> Vec<Vec<OpenOrder>> {
    let count = u32::try_from(workers).unwrap_or(u32::MAX).max(1);
    let (shard, shards) = plan
        .shard
        .as_ref()
        .map_or((0, 1), |s| (s.spec.index(), s.spec.count()));
    (0..count)
        .map(|worker| {
            step.arrivals
                .iter()
                .enumerate()
                .filter_map(|(scenario, arrivals)| {
                    let share =
                        |total: u32| (total / count + u32::from(worker < total % count)).max(1);
                    Some(OpenOrder {
                        scenario,
                        step: step.index as u32,
                        arrivals: (*arrivals)?,
                        worker: shard + shards * worker,
                        workers: shards.saturating_mul(count),
                        pre_allocated: share(
                            step.pre_allocated.get(scenario).copied().unwrap_or(0),
                        ),
                        max_users: share(step.users.get(scenario).copied().unwrap_or(1)),
                        start,
                    })
                })
                .collect()
        })
        .collect()
}

/// Why the step must stop now, if it must: an interrupt, or a scenario whose requests have
/// failed to reach the target `abort_after_consecutive_errors` times in a row. The alarm
/// stops a step as such a streak reaches its limit; this catches one carried over from an
/// earlier step.
fn stop_reason(
    plan: &RunPlan,
    stop: &StopHandle,
    intervals: &[Interval],
) -> Option<(StepStatus, Option<String>)> {
    if stop.is_stopped() {
        return Some((StepStatus::Interrupted, Some("interrupted".to_owned())));
    }
    plan.scenarios
        .iter()
        .enumerate()
        .find_map(|(scenario, planned)| {
            let limit = planned.abort_after_consecutive_errors?;
            let requests = intervals
                .iter()
                .filter_map(|i| i.consecutive_unreachable.get(scenario).copied())
                .max()
                .unwrap_or(0);
            (requests >= limit).then_some(Streak { scenario, requests })
        })
        .map(|streak| unreachable_abort(plan, streak))
}

/// The step's status and reason when `streak` stopped it.
fn unreachable_abort(plan: &RunPlan, streak: Streak) -> (StepStatus, Option<String>) {
    let planned = &plan.scenarios[streak.scenario];
    let limit = planned
        .abort_after_consecutive_errors
        .unwrap_or(streak.requests);
    let reason = format!(
        "{}: {} requests in a row could not reach the target (abort_after_consecutive_errors = {limit})",
        planned.scenario.name(),
        streak.requests
    );
    (StepStatus::Aborted, Some(reason))
}

fn absorb(
    acc: &mut StepAccumulator,
    lag: &mut LatencyHistogram,
    mut interval: Interval,
    samples: Option<&JtlWriter>,
) {
    if let Some(worker_lag) = interval.lag.take() {
        // Same bounds on both sides: `add` cannot fail.
        let _ = lag.add(&worker_lag);
    }
    if let Some(samples) = samples {
        samples.send(std::mem::take(&mut interval.samples));
    }
    acc.add_interval(interval);
}
