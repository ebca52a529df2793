//! One virtual user's life within a step: wait for its start, loop iterations with think
//! times until the step stops, record each iteration.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use crate::lifecycle::Hook;
use crate::metrics::recorder::LabelId;
use crate::metrics::stats::{LabelKind, Sample};
use crate::plan::defaults::INTERRUPT_GRACE;
use crate::plan::{PlannedScenario, RunPlan};
use crate::user::{ErrorKind, User, UserContext, panic_message};

/// When the users of a step start, stop and must be gone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepTiming {
    /// No iteration starts after this.
    pub(crate) stop_at: Instant,
    /// In-flight iterations are cut off here.
    pub(crate) hard_stop: Instant,
    /// Iterations per user, if fixed.
    pub(crate) iterations: Option<u32>,
}

/// One user to start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserOrder {
    pub(crate) scenario: usize,
    pub(crate) step: u32,
    pub(crate) index: u64,
    pub(crate) start: Instant,
    pub(crate) seed: u64,
}

pub(crate) async fn run_user(
    ctx: Rc<UserContext>,
    plan: std::sync::Arc<RunPlan>,
    order: UserOrder,
    timing: StepTiming,
    mut interrupted: watch::Receiver<bool>,
) {
    tokio::time::sleep_until(order.start).await;
    if Instant::now() >= timing.stop_at || *interrupted.borrow() {
        return;
    }
    let recorder = Rc::clone(&ctx.recorder);
    let scenario = order.scenario;
    let planned = &plan.scenarios[scenario];
    let label =
        recorder
            .borrow_mut()
            .label(scenario, LabelKind::Iteration, planned.scenario.name());
    recorder.borrow_mut().user_started(scenario);
    let mut think = ThinkTime::new(planned.think_time, order.seed);
    let mut user = User::new(ctx, order.index, order.step, order.seed);
    let mut cutoff = Cutoff::new(timing.hard_stop, &interrupted);
    let started_ok = match &planned.scenario.hooks.on_start {
        Some(hook) => run_hook(&mut user, hook.as_ref(), "on_start", planned.hung_after).await,
        None => true,
    };
    // A user whose on_start failed (e.g. could not log in), or stopped itself there, runs no
    // iteration.
    loop {
        if !started_ok || user.stop_requested {
            break;
        }
        if timing
            .iterations
            .is_some_and(|n| user.iteration >= u64::from(n))
            || Instant::now() >= timing.stop_at
            || *interrupted.borrow()
        {
            break;
        }
        if !iterate(&mut user, planned, label, &mut cutoff, None).await {
            break;
        }
        user.iteration += 1;
        if user.stop_requested {
            break;
        }
        if let Some(pause) = think.next() {
            let until = (Instant::now() + pause).min(timing.stop_at);
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                () = until_interrupted(&mut interrupted) => break,
            }
        }
    }
    run_on_stop(&mut user, planned, plan.graceful_stop.max(INTERRUPT_GRACE)).await;
    recorder.borrow_mut().user_stopped(scenario);
}

/// What cuts a user's iterations short: the step's hard stop, and a request to stop.
///
/// Made once per user and reused by all its iterations: a timer and a stop-signal registration
/// per iteration cost more than recording the iteration. Both stay registered with the task
/// that last polled them, and are polled again only when one of them may have fired (the
/// timer has elapsed, the stop signal changed) or another task polls them.
pub(crate) struct Cutoff {
    hard_stop: Pin<Box<Sleep>>,
    stop: Pin<Box<dyn Future<Output = ()>>>,
    /// A receiver never marked seen: `has_changed` says whether a stop may have come.
    stop_signal: watch::Receiver<bool>,
    stopped: bool,
    /// The waker both are registered with.
    waker: Option<Waker>,
}

/// Why an iteration was cut off.
enum Cut {
    HardStop,
    Interrupted,
}

impl Cutoff {
    pub(crate) fn new(hard_stop: Instant, interrupted: &watch::Receiver<bool>) -> Self {
        let mut receiver = interrupted.clone();
        Self {
            hard_stop: Box::pin(tokio::time::sleep_until(hard_stop)),
            stop: Box::pin(async move { until_interrupted(&mut receiver).await }),
            stop_signal: interrupted.clone(),
            stopped: false,
            waker: None,
        }
    }

    /// Ready with the first of the hard stop and a stop request that came; `stop: false` polls
    /// only the hard stop.
    fn poll_cut(&mut self, cx: &mut Context<'_>, stop: bool) -> Poll<Cut> {
        let fresh = !self
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if fresh {
            self.waker = Some(cx.waker().clone());
        }
        if (fresh || self.hard_stop.is_elapsed()) && self.hard_stop.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Cut::HardStop);
        }
        if !stop {
            return Poll::Pending;
        }
        if !self.stopped
            && (fresh || self.stop_signal.has_changed().unwrap_or(true))
            && self.stop.as_mut().poll(cx).is_ready()
        {
            self.stopped = true;
        }
        if self.stopped {
            Poll::Ready(Cut::Interrupted)
        } else {
            Poll::Pending
        }
    }
}

/// Runs one iteration of `user` and records it under `label`; `due` is when an open-model
/// iteration was due (its latency is also recorded from then). `false` if it was cut off
/// (the step's hard stop or a stop request): the user stops.
pub(crate) async fn iterate(
    user: &mut User,
    planned: &PlannedScenario,
    label: LabelId,
    cutoff: &mut Cutoff,
    due: Option<Instant>,
) -> bool {
    let started = Instant::now();
    user.schedule_delay = due.map(|due| started.saturating_duration_since(due).as_micros() as u64);
    if let Some(lag) = user.schedule_delay {
        user.ctx
            .recorder
            .borrow_mut()
            .start_lag(user.ctx.scenario, lag);
    }
    let outcome = {
        let iteration = AssertUnwindSafe(planned.scenario.call(user)).catch_unwind();
        let mut iteration = std::pin::pin!(iteration);
        // The iteration first, then the hard stop (as `timeout_at` would), then a stop request.
        let first = std::future::poll_fn(|cx| {
            if let Poll::Ready(outcome) = iteration.as_mut().poll(cx) {
                return Poll::Ready(Ok(Some(outcome)));
            }
            cutoff.poll_cut(cx, true).map(|cut| match cut {
                Cut::HardStop => Ok(None),
                Cut::Interrupted => Err(()),
            })
        })
        .await;
        match first {
            Ok(outcome) => outcome,
            // Stopped mid-iteration: requests in flight get a short grace to complete.
            Err(()) => {
                let rest = std::future::poll_fn(|cx| {
                    if let Poll::Ready(outcome) = iteration.as_mut().poll(cx) {
                        return Poll::Ready(Some(outcome));
                    }
                    cutoff.poll_cut(cx, false).map(|_| None)
                });
                tokio::time::timeout(INTERRUPT_GRACE, rest)
                    .await
                    .ok()
                    .flatten()
            }
        }
    };
    let recorder = Rc::clone(&user.ctx.recorder);
    let failure = match outcome {
        None => {
            recorder
                .borrow_mut()
                .iteration_interrupted(user.ctx.scenario);
            return false;
        }
        Some(Err(panic)) => Some((ErrorKind::Panic, panic_message(panic.as_ref()))),
        Some(Ok(Err(failure))) => Some((failure.kind(), failure.describe().into_owned())),
        Some(Ok(Ok(()))) => None,
    };
    let micros = started.elapsed().as_micros() as u64;
    let error = failure
        .as_ref()
        .map(|(kind, message)| (*kind, message.as_str()));
    let corrected_micros = due.map(|due| due.elapsed().as_micros() as u64);
    let sample = Sample {
        micros,
        status: None,
        error,
        requests: 0,
        bytes_received: 0,
        server_timing: &[],
        corrected_micros,
        phases: None,
    };
    recorder.borrow_mut().record(label, &sample);
    true
}

/// Runs the scenario's `on_stop` hook for `user`, if it has one, within `limit`.
pub(crate) async fn run_on_stop(user: &mut User, planned: &PlannedScenario, limit: Duration) {
    if let Some(hook) = &planned.scenario.hooks.on_stop {
        run_hook(user, hook.as_ref(), "on_stop", limit).await;
    }
}

/// Runs a per-user hook, recorded like a transaction of that name; whether it succeeded.
pub(crate) async fn run_hook(
    user: &mut User,
    hook: &dyn Hook,
    name: &str,
    limit: std::time::Duration,
) -> bool {
    let ctx = Rc::clone(&user.ctx);
    let label = ctx
        .recorder
        .borrow_mut()
        .label(ctx.scenario, LabelKind::Transaction, name);
    let started = Instant::now();
    let outcome =
        tokio::time::timeout(limit, AssertUnwindSafe(hook.call(user)).catch_unwind()).await;
    let failure = match outcome {
        Err(_) => Some((
            ErrorKind::Hung,
            format!(
                "{name} ran longer than {}",
                humantime::format_duration(limit)
            ),
        )),
        Ok(Err(panic)) => Some((ErrorKind::Panic, panic_message(panic.as_ref()))),
        Ok(Ok(Err(failure))) => Some((failure.kind(), failure.describe().into_owned())),
        Ok(Ok(Ok(()))) => None,
    };
    let micros = started.elapsed().as_micros() as u64;
    let error = failure
        .as_ref()
        .map(|(kind, message)| (*kind, message.as_str()));
    let sample = Sample {
        micros,
        status: None,
        error,
        requests: 0,
        bytes_received: 0,
        server_timing: &[],
        corrected_micros: user.schedule_delay.map(|delay| micros + delay),
        phases: None,
    };
    ctx.recorder.borrow_mut().record(label, &sample);
    failure.is_none()
}

/// Resolves once the worker is told to stop at once; never if its sender is gone.
pub(crate) async fn until_interrupted(interrupted: &mut watch::Receiver<bool>) {
    if interrupted.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Think times drawn uniformly from a range, from a stream separate from the user's own so
/// the scenario's data does not change when think times do.
struct ThinkTime {
    range: Option<(Duration, Duration)>,
    state: u64,
}

impl ThinkTime {
    fn new(range: Option<(Duration, Duration)>, seed: u64) -> Self {
        Self {
            range,
            state: crate::seed::mix(seed, 0x0074_6869_6E6B),
        }
    }

    fn next(&mut self) -> Option<Duration> {
        let (min, max) = self.range?;
        let span = (max - min).as_nanos() as u64;
        if span == 0 {
            return Some(min);
        }
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let draw = crate::seed::mix(self.state, 0) % (span + 1);
        Some(min + Duration::from_nanos(draw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn think_times_stay_in_range_and_vary() {
        let (min, max) = (Duration::from_millis(500), Duration::from_secs(2));
        let mut think = ThinkTime::new(Some((min, max)), 7);
        let draws: Vec<_> = (0..1000).map(|_| think.next().unwrap()).collect();
        assert!(draws.iter().all(|d| *d >= min && *d <= max));
        assert!(draws.iter().any(|d| *d < Duration::from_millis(800)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(1700)));
        assert_eq!(ThinkTime::new(None, 7).next(), None);
        let fixed = Duration::from_secs(1);
        assert_eq!(ThinkTime::new(Some((fixed, fixed)), 7).next(), Some(fixed));
    }
}
