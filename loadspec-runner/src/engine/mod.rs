//! The engine: runs a [`RunPlan`] step by step on worker threads and assembles the results.

mod abort;
mod align;
mod health;
mod lifecycle;
mod open;
mod step;
mod vu;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// What a run with `--insecure` says, at its start and among its warnings.
pub(crate) const INSECURE_WARNING: &str = "--insecure: TLS certificates were not verified (any certificate was accepted), so the target's identity was not checked";

use futures::future::join_all;
use tokio::sync::oneshot;
use tokio::time::Instant;

use self::step::StepContext;
use self::worker::{Command, Worker};
use crate::assemble;
use crate::error::RunError;
use crate::metrics::recorder::Interval;
use crate::metrics::samples::JtlWriter;
use crate::metrics::unreachable::UnreachableAlarm;
use crate::monitor::Monitor;
use crate::plan::{RunPlan, StepPlan};
use loadspec_results::model::{LifecycleReport, RunAbort, RunResults, RunStatus, StepResult};

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
    /// One tick of a step in full, for the live outputs: called only when the plan has
    /// some (`RunPlan::live`), since gathering it copies every label's histogram.
    fn live_tick(&mut self, _tick: &loadspec_live::Tick) {}
    /// A step has ended.
    fn step_finished(&mut self, _plan: &RunPlan, _step: &StepResult) {}
    /// A scenario's setup or teardown has run.
    fn lifecycle(&mut self, _report: &LifecycleReport) {}
    /// The results so far, after each step (status `running`): write them to survive a crash.
    fn checkpoint(&mut self, _results: &RunResults) {}
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
/// (requested between steps, or by a window criterion mid-step) no further step starts. Either way the results gathered so far
/// are returned.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<StopState>);

#[derive(Debug, Default)]
struct StopState {
    stopped: AtomicBool,
    abort_reason: Mutex<Option<String>>,
    /// The window criterion that aborted mid-step, when that is why.
    abort_record: Mutex<Option<RunAbort>>,
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

    /// Aborts the run for a criterion that failed over its window mid-step; the record is
    /// kept only if this is the first reason given.
    pub(crate) fn abort_with(&self, reason: String, record: RunAbort) {
        if let (Ok(mut slot), Ok(mut kept)) =
            (self.0.abort_reason.lock(), self.0.abort_record.lock())
            && slot.is_none()
        {
            *slot = Some(reason);
            *kept = Some(record);
        }
        self.stop();
    }

    /// The mid-step abort that ended the run, if one did.
    pub(crate) fn abort_record(&self) -> Option<RunAbort> {
        self.0.abort_record.lock().ok().and_then(|r| r.clone())
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
    let unreachable = UnreachableAlarm::new();
    let workers = (0..plan.workers)
        .map(|id| Worker::start(id, Arc::clone(&plan), Arc::clone(&unreachable)))
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
                &unreachable,
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
    unreachable: &UnreachableAlarm,
    observer: &mut dyn Observer,
    stop: &StopHandle,
    samples: Option<&JtlWriter>,
) -> Result<RunResults, RunError> {
    let started_wall = SystemTime::now();
    let run_start = Instant::now();
    // Setup runs once, before the first step; a failed setup runs no step (teardown still runs).
    let mut lifecycle = Vec::new();
    let mut shared = Vec::with_capacity(plan.scenarios.len());
    let mut setup_failed = None;
    for scenario in 0..plan.scenarios.len() {
        // A binary-wide `#[setup]` shared by several scenarios runs once; they share its value.
        if let Some(earlier) = lifecycle::same_setup_as_earlier(plan, scenario) {
            let value = shared.get(earlier).cloned().flatten();
            shared.push(value);
            continue;
        }
        match lifecycle::setup(plan, scenario).await {
            Some((value, report)) => {
                if let (None, Some(error)) = (&setup_failed, &report.error) {
                    setup_failed = Some(format!("setup of {} failed: {error}", report.scenario));
                }
                observer.lifecycle(&report);
                lifecycle.push(report);
                shared.push(value);
            }
            None => shared.push(None),
        }
    }
    if let Some(reason) = &setup_failed {
        stop.abort(reason.clone());
    }
    let cx = StepContext {
        plan,
        workers,
        run_start,
        stop,
        samples,
        shared: &shared,
        unreachable,
    };
    let health_client = plan.control_client()?;
    let (mut monitor, monitor_off) = Monitor::new(&plan.monitor);
    let mut warnings: Vec<String> = monitor_off.into_iter().collect();
    // One descriptor and one local port per user at the largest step (open model: its most
    // users).
    let connections = plan
        .steps
        .iter()
        .map(|s| s.users.iter().map(|&u| u64::from(u)).sum::<u64>())
        .max()
        .unwrap_or(0);
    let needed = connections + crate::monitor::limits::OVERHEAD;
    let ports = crate::monitor::limits::local_ports().and_then(|ports| {
        crate::monitor::limits::ports_warning(connections, plan.source_addresses.len(), ports)
    });
    for warning in crate::monitor::limits::raise_open_files(needed)
        .into_iter()
        .chain(ports)
    {
        eprintln!("warning: {warning}");
        warnings.push(warning);
    }
    if !plan.source_addresses.is_empty() {
        eprintln!(
            "users connect from {}",
            crate::plan::sources::describe(&plan.source_addresses)
        );
    }
    if plan.tls.insecure {
        let warning = INSECURE_WARNING.to_owned();
        // Said when the run starts too, not only among the findings at its end.
        eprintln!("warning: {warning}");
        warnings.push(warning);
    }
    let mut steps = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        if stop.is_stopped() {
            break;
        }
        let health = match &plan.health {
            Some(gate) => {
                Some(health::wait_until_healthy(&health_client, &plan.target, gate, stop).await)
            }
            None => None,
        };
        // Aligned start (`--start-at`): shards begin each step together; late ones say so.
        warnings.extend(self::align::wait_for_step(plan, step, stop).await);
        if stop.is_stopped() {
            break;
        }
        observer.step_started(plan, step);
        let result = match health {
            Some(report) if !report.healthy => step::unavailable(plan, step, run_start, report),
            health => step::run_step(&cx, step, observer, &mut monitor, health).await?,
        };
        observer.step_finished(plan, &result);
        steps.push(result);
        let partial = assemble::assemble(
            plan,
            started_wall,
            run_start.elapsed(),
            RunStatus::Running,
            None,
            steps.clone(),
        );
        observer.checkpoint(&partial);
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
    for (scenario, value) in shared.into_iter().enumerate() {
        if lifecycle::same_teardown_as_earlier(plan, scenario).is_some() {
            continue;
        }
        if let Some(report) = lifecycle::teardown(plan, scenario, value).await {
            observer.lifecycle(&report);
            lifecycle.push(report);
        }
    }
    if monitor.scrape_failures() > 0 {
        warnings.push(format!(
            "{} scrapes of the target's metrics failed",
            monitor.scrape_failures()
        ));
    }
    let mut results = assemble::assemble(
        plan,
        started_wall,
        run_start.elapsed(),
        status,
        reason,
        steps,
    );
    results.run.warnings.extend(warnings);
    results.run.abort = stop.abort_record();
    results.lifecycle = lifecycle;
    Ok(results)
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

/// The next tick after `now`: whole seconds from the step's start, plus the ends of the
/// ramp-up and the warm-up (`phase_ends`) so no tick straddles one.
fn next_boundary(start: Instant, now: Instant, phase_ends: &[Instant]) -> Instant {
    let elapsed = now.saturating_duration_since(start);
    let whole = start
        + TICK
            * (u32::try_from(elapsed.as_secs())
                .unwrap_or(u32::MAX)
                .saturating_add(1));
    phase_ends
        .iter()
        .copied()
        .filter(|&end| end > now)
        .fold(whole, Instant::min)
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_whole_seconds_with_the_phase_ends_inserted() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let ramp_end = start + ms(2500);
        let ends = [ramp_end, ramp_end];
        assert_eq!(next_boundary(start, start, &ends), start + ms(1000));
        assert_eq!(next_boundary(start, start + ms(2000), &ends), ramp_end);
        assert_eq!(next_boundary(start, ramp_end, &ends), start + ms(3000));
        assert_eq!(
            next_boundary(start, start, &[start, start]),
            start + ms(1000)
        );
        // A ramp-up ending at 1.2 s and a warm-up at 1.7 s: both become tick ends.
        let ends = [start + ms(1200), start + ms(1700)];
        assert_eq!(next_boundary(start, start + ms(1000), &ends), ends[0]);
        assert_eq!(next_boundary(start, ends[0], &ends), ends[1]);
        assert_eq!(next_boundary(start, ends[1], &ends), start + ms(2000));
    }
}
