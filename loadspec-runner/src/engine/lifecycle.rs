//! Running a scenario's `setup` and `teardown` on the coordinator thread, with a user of their
//! own whose requests are not part of any step.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt as _;

use crate::lifecycle::Hooks;
use crate::metrics::recorder::Recorder;
use crate::plan::RunPlan;
use crate::user::{Failure, SharedData, User, UserContext, panic_message};
use loadspec_results::model::LifecycleReport;

/// The user `setup` and `teardown` run as.
fn lifecycle_user(
    plan: &RunPlan,
    scenario: usize,
    shared: Option<SharedData>,
) -> Result<User, Failure> {
    let planned = &plan.scenarios[scenario];
    let client = plan
        .tls_client
        .configure(reqwest::Client::builder())
        .no_proxy()
        .connect_timeout(planned.connect_timeout)
        .local_address(plan.source_addresses.first().copied())
        // Redirects are followed by `user::transport`, which keeps each hop's cookies.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(Failure::from)?;
    let ctx = UserContext {
        scenario: 0,
        scenario_name: std::sync::Arc::from(planned.scenario.name()),
        client,
        direct: super::worker::direct_client(plan, planned),
        tls: Arc::clone(&plan.tls_client),
        sources: Arc::clone(&plan.source_addresses),
        base_url: plan.target.clone().into_boxed_str(),
        recorder: Rc::new(RefCell::new(Recorder::new(1, false))),
        hung_after: planned.hung_after,
        request_timeout: planned.request_timeout,
        max_response_body: plan.max_response_body,
        pauses: false,
        redact: plan.redact,
        shared: RefCell::new(shared),
        patterns: RefCell::default(),
    };
    Ok(User::new(
        Rc::new(ctx),
        0,
        0,
        crate::seed::mix(plan.seed, 0x5e7),
    ))
}

fn report(
    plan: &RunPlan,
    scenario: usize,
    hook: &str,
    started: Instant,
    outcome: Result<(), Failure>,
) -> LifecycleReport {
    LifecycleReport {
        scenario: plan.scenarios[scenario].scenario.name().to_owned(),
        hook: hook.to_owned(),
        ok: outcome.is_ok(),
        duration_s: started.elapsed().as_secs_f64(),
        error: outcome.err().map(|f| f.to_string()),
    }
}

/// The earlier scenario of the plan whose setup is the very same hook (a binary-wide
/// `#[setup]`), if any: that setup's value serves this scenario too.
pub(crate) fn same_setup_as_earlier(plan: &RunPlan, scenario: usize) -> Option<usize> {
    earlier_sharing(plan, scenario, |hooks| hooks.setup.as_ref())
}

/// The same for teardown: a shared `#[teardown]` runs once, after the last step.
pub(crate) fn same_teardown_as_earlier(plan: &RunPlan, scenario: usize) -> Option<usize> {
    earlier_sharing(plan, scenario, |hooks| hooks.teardown.as_ref())
}

fn earlier_sharing<H: ?Sized>(
    plan: &RunPlan,
    scenario: usize,
    hook_of: impl Fn(&Hooks) -> Option<&Arc<H>>,
) -> Option<usize> {
    let hook = hook_of(&plan.scenarios[scenario].scenario.hooks)?;
    plan.scenarios[..scenario]
        .iter()
        .position(|earlier| hook_of(&earlier.scenario.hooks).is_some_and(|h| Arc::ptr_eq(h, hook)))
}

/// Runs the scenario's setup, if it has one: its value (for the users) and its report.
pub(crate) async fn setup(
    plan: &RunPlan,
    scenario: usize,
) -> Option<(Option<SharedData>, LifecycleReport)> {
    let hook = plan.scenarios[scenario].scenario.hooks.setup.clone()?;
    let started = Instant::now();
    let outcome = call(plan, scenario, None, |user| hook.call(user)).await;
    let (shared, outcome) = match outcome {
        Ok(shared) => (Some(shared), Ok(())),
        Err(failure) => (None, Err(failure)),
    };
    Some((shared, report(plan, scenario, "setup", started, outcome)))
}

/// Runs the scenario's teardown, if it has one.
pub(crate) async fn teardown(
    plan: &RunPlan,
    scenario: usize,
    shared: Option<SharedData>,
) -> Option<LifecycleReport> {
    let hook = plan.scenarios[scenario].scenario.hooks.teardown.clone()?;
    let started = Instant::now();
    let outcome = call(plan, scenario, shared, |user| hook.call(user)).await;
    Some(report(plan, scenario, "teardown", started, outcome))
}

/// Calls a hook as a lifecycle user of its own; a panic becomes a failure.
async fn call<T>(
    plan: &RunPlan,
    scenario: usize,
    shared: Option<SharedData>,
    hook: impl for<'u> FnOnce(
        &'u mut User,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<T, Failure>> + 'u>>,
) -> Result<T, Failure> {
    let mut user = lifecycle_user(plan, scenario, shared)?;
    match AssertUnwindSafe(hook(&mut user)).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(Failure::new(
            crate::ErrorKind::Panic,
            panic_message(panic.as_ref()),
        )),
    }
}
