//! The engine: runs a [`RunPlan`] step by step on worker threads and assembles the results.

mod vu;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::join_all;
use tokio::sync::oneshot;
use tokio::time::Instant;

use self::vu::{StepTiming, UserOrder};
use self::worker::{Command, Worker};
use crate::error::RunError;
use crate::metrics::recorder::Interval;
use crate::metrics::samples::JtlWriter;
use crate::metrics::step::StepAccumulator;
use crate::plan::{ProfileKind, RunPlan, StepPlan, user_start_offset};
use crate::results::model::{RunResults, RunStatus, StepResult, StepStatus};
use crate::results::{self, rfc3339};

/// The resolution of time series: one point per second.
const TICK: Duration = Duration::from_secs(1);
/// Head start given to workers to spawn a step's users before its clock starts.
const START_LEAD: Duration = Duration::from_millis(20);

/// Receives progress while a run goes on (the console's live display implements it).
pub trait Observer: Send {
    /// A step is about to start.
    fn step_started(&mut self, _plan: &RunPlan, _step: &StepPlan) {}
    /// One tick of a step has been merged.
    fn tick(&mut self, _progress: &Progress) {}
    /// A step has ended.
    fn step_finished(&mut self, _plan: &RunPlan, _step: &StepResult) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

/// The state of a running step, once per tick.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Progress {
    /// The step's index.
    pub step: usize,
    /// Time since the step started.
    pub elapsed: Duration,
    /// Planned length of the step (ramp-up and hold).
    pub planned: Duration,
    /// Users running.
    pub active_users: u32,
    /// Requests per second in the last tick.
    pub requests_per_s: f64,
    /// Requests completed in the step so far.
    pub requests: u64,
    /// Failed requests in the step so far.
    pub failures: u64,
}

/// Asks a running plan to stop: on an interrupt the step in flight ends at once; on an abort
/// (requested between steps) no further step starts. Either way the results gathered so far
/// are returned.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<StopState>);

#[derive(Debug, Default)]
struct StopState {
    stopped: AtomicBool,
    abort_reason: Mutex<Option<String>>,
}

impl StopHandle {
    /// A handle nobody has triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Interrupts the run (Ctrl-C).
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::SeqCst);
    }

    /// Ends the run after the current step, recording why (e.g. a failed criterion).
    pub fn abort(&self, reason: impl Into<String>) {
        if let Ok(mut slot) = self.0.abort_reason.lock() {
            slot.get_or_insert_with(|| reason.into());
        }
        self.stop();
    }

    /// Whether the run was asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::SeqCst)
    }

    /// Why the run was aborted, if it was.
    pub fn abort_reason(&self) -> Option<String> {
        self.0.abort_reason.lock().ok().and_then(|r| r.clone())
    }
}

/// Runs `plan` to the end (or until `stop` is triggered) and returns what it measured.
///
/// The coordinator runs on its own thread, so this may be called from inside an async runtime.
pub fn run(
    plan: &RunPlan,
    observer: &mut dyn Observer,
    stop: &StopHandle,
) -> Result<RunResults, RunError> {
    let plan = Arc::new(plan.clone());
    let workers = (0..plan.workers)
        .map(|id| Worker::start(id, Arc::clone(&plan)))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| RunError::Start {
            what: "coordinator runtime",
            source,
        })?;
    let samples = match &plan.sample_log {
        Some(path) => Some(
            JtlWriter::start(path, (std::time::Instant::now(), SystemTime::now())).map_err(
                |source| RunError::Write {
                    path: path.clone(),
                    source,
                },
            )?,
        ),
        None => None,
    };
    let mut results = std::thread::scope(|scope| {
        let coordinator = scope.spawn(|| {
            runtime.block_on(coordinate(
                &plan,
                &workers,
                observer,
                stop,
                samples.as_ref(),
            ))
        });
        coordinator.join().unwrap_or(Err(RunError::WorkerLost))
    })?;
    if let Some(Err(problem)) = samples.map(JtlWriter::finish) {
        results.run.warnings.push(problem);
    }
    Ok(results)
}

async fn coordinate(
    plan: &RunPlan,
    workers: &[Worker],
    observer: &mut dyn Observer,
    stop: &StopHandle,
    samples: Option<&JtlWriter>,
) -> Result<RunResults, RunError> {
    let started_wall = SystemTime::now();
    let run_start = Instant::now();
    let mut steps = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        if stop.is_stopped() {
            break;
        }
        observer.step_started(plan, step);
        let result = run_step(plan, step, workers, run_start, observer, stop, samples).await?;
        observer.step_finished(plan, &result);
        steps.push(result);
        if !step.cooldown.is_zero() && !stop.is_stopped() {
            let until = Instant::now() + step.cooldown;
            while Instant::now() < until && !stop.is_stopped() {
                tokio::time::sleep_until(until.min(Instant::now() + Duration::from_millis(100)))
                    .await;
            }
        }
    }
    let (status, reason) = match (stop.abort_reason(), stop.is_stopped()) {
        (Some(reason), _) => (RunStatus::Aborted, Some(reason)),
        (None, true) => (
            RunStatus::Interrupted,
            Some("interrupted by a signal or a stop request".to_owned()),
        ),
        (None, false) => (RunStatus::Completed, None),
    };
    Ok(results::assemble(
        plan,
        started_wall,
        run_start.elapsed(),
        status,
        reason,
        steps,
    ))
}

async fn run_step(
    plan: &RunPlan,
    step: &StepPlan,
    workers: &[Worker],
    run_start: Instant,
    observer: &mut dyn Observer,
    stop: &StopHandle,
    samples: Option<&JtlWriter>,
) -> Result<StepResult, RunError> {
    let started_wall = SystemTime::now();
    let start = Instant::now() + START_LEAD;
    let stop_at = start + step.stop_at;
    let timing = StepTiming {
        stop_at,
        hard_stop: stop_at + plan.graceful_stop,
        iterations: step.iterations,
    };
    let mut orders: Vec<Vec<UserOrder>> = workers.iter().map(|_| Vec::new()).collect();
    let mut next = 0;
    for (scenario, &users) in step.users.iter().enumerate() {
        let name = plan.scenarios[scenario].scenario.name();
        for index in 0..users {
            orders[next % workers.len()].push(UserOrder {
                scenario,
                step: step.index as u32,
                index: u64::from(index),
                start: start + user_start_offset(index, users, step.ramp_up),
                seed: crate::seed::user_seed(plan.seed, name, step.index, u64::from(index)),
            });
            next += 1;
        }
    }
    let mut done = Vec::with_capacity(workers.len());
    for (worker, users) in workers.iter().zip(orders) {
        let (reply, answer) = oneshot::channel();
        worker.send(Command::StartStep {
            timing,
            users,
            done: reply,
        })?;
        done.push(answer);
    }
    let mut all_done = std::pin::pin!(join_all(done));

    let ramp_up = match plan.profile {
        ProfileKind::Spike => Duration::ZERO,
        ProfileKind::Ramp | ProfileKind::Stress => step.ramp_up,
    };
    let measure_from = start + ramp_up;
    let names = plan
        .scenarios
        .iter()
        .map(|s| s.scenario.name().to_owned())
        .collect();
    let mut acc = StepAccumulator::new(names);
    let mut tick_start = start;
    let mut next_tick = next_boundary(start, start, measure_from);
    let (mut requests, mut failures) = (0, 0);
    let mut interrupted = false;
    let finals = loop {
        tokio::select! {
            biased;
            finals = &mut all_done => break finals,
            () = tokio::time::sleep_until(next_tick) => {
                if stop.is_stopped() && !interrupted {
                    interrupted = true;
                    for worker in workers {
                        worker.send(Command::Interrupt)?;
                    }
                }
                for mut interval in flush(workers).await? {
                    if let Some(samples) = samples {
                        samples.send(std::mem::take(&mut interval.samples));
                    }
                    acc.add_interval(interval);
                }
                let (tick_requests, tick_failures) = acc.tick_requests();
                requests += tick_requests;
                failures += tick_failures;
                let width = next_tick - tick_start;
                observer.tick(&Progress {
                    step: step.index,
                    elapsed: next_tick.saturating_duration_since(start),
                    planned: step.stop_at.min(step.ramp_up + step.hold.max(Duration::from_secs(1))),
                    active_users: acc.tick_active_users(),
                    requests_per_s: tick_requests as f64 / width.as_secs_f64().max(1e-9),
                    requests,
                    failures,
                });
                acc.close_tick(secs(next_tick - run_start), width.as_secs_f64(), next_tick <= measure_from && ramp_up > Duration::ZERO);
                tick_start = next_tick;
                next_tick = next_boundary(start, next_tick, measure_from);
            }
        }
    };
    let end = Instant::now().max(start);
    for interval in finals {
        let mut interval = interval.map_err(|_| RunError::WorkerLost)?;
        if let Some(samples) = samples {
            samples.send(std::mem::take(&mut interval.samples));
        }
        acc.add_interval(interval);
    }
    if end > tick_start {
        acc.close_tick(
            secs(end - run_start),
            (end - tick_start).as_secs_f64(),
            end <= measure_from && ramp_up > Duration::ZERO,
        );
    }
    let measured_from = measure_from.min(end);
    let measured_s = secs(end - measured_from);
    Ok(StepResult {
        index: step.index,
        started_at: rfc3339(started_wall),
        offset_s: secs(start.saturating_duration_since(run_start)),
        duration_s: secs(end - start),
        measured_from_s: secs(measured_from - start),
        measured_s,
        status: if interrupted || stop.is_stopped() {
            StepStatus::Interrupted
        } else {
            StepStatus::Completed
        },
        scenarios: acc.finish(&step.users, measured_s),
    })
}

/// Asks every worker for its interval.
async fn flush(workers: &[Worker]) -> Result<Vec<Interval>, RunError> {
    let mut answers = Vec::with_capacity(workers.len());
    for worker in workers {
        let (reply, answer) = oneshot::channel();
        worker.send(Command::Flush(reply))?;
        answers.push(answer);
    }
    join_all(answers)
        .await
        .into_iter()
        .map(|a| a.map_err(|_| RunError::WorkerLost))
        .collect()
}

/// The next tick after `now`: whole seconds from the step's start, plus the end of the
/// ramp-up so no tick straddles it.
fn next_boundary(start: Instant, now: Instant, measure_from: Instant) -> Instant {
    let elapsed = now.saturating_duration_since(start);
    let whole = start
        + TICK
            * (u32::try_from(elapsed.as_secs())
                .unwrap_or(u32::MAX)
                .saturating_add(1));
    if measure_from > now && measure_from < whole {
        measure_from
    } else {
        whole
    }
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_whole_seconds_with_the_ramp_end_inserted() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let ramp_end = start + ms(2500);
        assert_eq!(next_boundary(start, start, ramp_end), start + ms(1000));
        assert_eq!(next_boundary(start, start + ms(2000), ramp_end), ramp_end);
        assert_eq!(next_boundary(start, ramp_end, ramp_end), start + ms(3000));
        assert_eq!(next_boundary(start, start, start), start + ms(1000));
    }
}
