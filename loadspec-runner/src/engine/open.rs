//! The open model on a worker: iterations start on a schedule (k6's arrival-rate executors,
//! Gatling's users per second), each on a free user from a pool; an arrival that finds no free
//! user and no room for a new one is dropped and counted, never queued. Workers take every
//! `workers`-th arrival, so no arrival crosses a thread.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::vu::{self, StepTiming};
use crate::metrics::stats::LabelKind;
use crate::plan::{Arrivals, RunPlan};
use crate::user::{User, UserContext};

/// This worker's share of an open-model scenario in a step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenOrder {
    pub(crate) scenario: usize,
    pub(crate) step: u32,
    pub(crate) arrivals: Arrivals,
    /// This worker's position and the number of workers: it takes arrivals `worker`,
    /// `worker + workers`, …
    pub(crate) worker: u32,
    pub(crate) workers: u32,
    /// Users created at once, and at most, on this worker.
    pub(crate) pre_allocated: u32,
    pub(crate) max_users: u32,
    /// When the step's schedule starts.
    pub(crate) start: Instant,
}

/// A user of the pool, with whether its `on_start` ran, and what cuts its iterations short.
struct Pooled {
    user: User,
    started: bool,
    cutoff: vu::Cutoff,
}

/// The pool's shared state: idle users, and the count of running iterations.
struct Pool {
    idle: RefCell<Vec<Pooled>>,
    created: Cell<u32>,
    running: Cell<u32>,
    all_idle: Notify,
}

/// Dispatches this worker's arrivals until the step stops, then waits for running iterations
/// and runs `on_stop` for the users that started.
pub(crate) async fn dispatch(
    ctx: Rc<UserContext>,
    plan: Arc<RunPlan>,
    order: OpenOrder,
    timing: StepTiming,
    mut stopped: watch::Receiver<bool>,
) {
    let planned = &plan.scenarios[order.scenario];
    let recorder = Rc::clone(&ctx.recorder);
    let label = recorder.borrow_mut().label(
        order.scenario,
        LabelKind::Iteration,
        planned.scenario.name(),
    );
    let pool = Rc::new(Pool {
        idle: RefCell::default(),
        created: Cell::new(0),
        running: Cell::new(0),
        all_idle: Notify::new(),
    });
    let stop_signal = stopped.clone();
    let new_user = |pool: &Pool| {
        let local = pool.created.get();
        pool.created.set(local + 1);
        // Global index: the k-th user of worker w is k·workers + w, so seeds do not depend on
        // how arrivals land on workers.
        let index = u64::from(local) * u64::from(order.workers) + u64::from(order.worker);
        let seed = crate::seed::user_seed(
            plan.seed,
            planned.scenario.name(),
            order.step as usize,
            index,
        );
        Pooled {
            user: User::new(Rc::clone(&ctx), index, order.step, seed),
            started: false,
            cutoff: vu::Cutoff::new(timing.hard_stop, &stop_signal),
        }
    };
    for _ in 0..order.pre_allocated.min(order.max_users) {
        let user = new_user(&pool);
        pool.idle.borrow_mut().push(user);
    }
    let mut n = u64::from(order.worker);
    while let Some(offset) = order.arrivals.due_at(n) {
        let due = order.start + offset;
        if due >= timing.stop_at || *stopped.borrow() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            () = vu::until_interrupted(&mut stopped) => break,
        }
        n += u64::from(order.workers);
        let user = pool.idle.borrow_mut().pop();
        let user = match user {
            Some(user) => user,
            None if pool.created.get() < order.max_users => new_user(&pool),
            None => {
                recorder.borrow_mut().dropped(order.scenario);
                continue;
            }
        };
        pool.running.set(pool.running.get() + 1);
        recorder.borrow_mut().user_started(order.scenario);
        let (pool, plan) = (Rc::clone(&pool), Arc::clone(&plan));
        tokio::task::spawn_local(async move {
            let mut pooled = user;
            let planned = &plan.scenarios[order.scenario];
            let mut ready = true;
            if !pooled.started {
                pooled.started = true;
                if let Some(hook) = &planned.scenario.hooks.on_start {
                    ready = vu::run_hook(
                        &mut pooled.user,
                        hook.as_ref(),
                        "on_start",
                        planned.hung_after,
                    )
                    .await;
                }
            }
            if ready && !pooled.user.stop_requested {
                vu::iterate(
                    &mut pooled.user,
                    planned,
                    label,
                    &mut pooled.cutoff,
                    Some(due),
                )
                .await;
                pooled.user.iteration += 1;
            }
            pooled
                .user
                .ctx
                .recorder
                .borrow_mut()
                .user_stopped(order.scenario);
            // A user whose on_start failed is not reused: its session is not usable. A user
            // that asked to stop leaves the pool after its on_stop hook.
            if ready && pooled.user.stop_requested {
                vu::run_on_stop(&mut pooled.user, planned, plan.graceful_stop).await;
            } else if ready {
                pool.idle.borrow_mut().push(pooled);
            }
            pool.running.set(pool.running.get() - 1);
            if pool.running.get() == 0 {
                pool.all_idle.notify_waiters();
            }
        });
    }
    while pool.running.get() > 0 {
        let idle = pool.all_idle.notified();
        if pool.running.get() == 0 {
            break;
        }
        tokio::select! {
            () = idle => {}
            () = tokio::time::sleep_until(timing.hard_stop + crate::plan::defaults::INTERRUPT_GRACE) => break,
        }
    }
    let users: Vec<Pooled> = pool.idle.borrow_mut().drain(..).collect();
    for mut pooled in users.into_iter().filter(|p| p.started) {
        vu::run_on_stop(&mut pooled.user, planned, plan.graceful_stop).await;
    }
}
