//! Lifecycle hooks of a scenario: `setup` runs once before the first step and its value is
//! shared with every user; `teardown` runs once after the last step, even after failures;
//! `on_start` and `on_stop` run once per user, around its iterations.

use std::any::Any;
use std::sync::Arc;

use crate::func::{ScenarioFn, ScenarioFuture};
pub use crate::func::{SetupFn, SetupFuture, into_shared};
use crate::user::{Failure, User};

pub(crate) trait Hook: Send + Sync {
    fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u>;
}

impl Hook for ScenarioFn {
    fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u> {
        self(user)
    }
}

pub(crate) struct AsyncHook<F>(pub(crate) Arc<F>);

impl<F> Hook for AsyncHook<F>
where
    F: AsyncFn(&mut User) -> Result<(), Failure> + Send + Sync + 'static,
{
    fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u> {
        let hook = Arc::clone(&self.0);
        Box::pin(async move { hook(user).await })
    }
}

pub(crate) trait SetupHook: Send + Sync {
    fn call<'u>(&self, user: &'u mut User) -> SetupFuture<'u>;
}

impl SetupHook for SetupFn {
    fn call<'u>(&self, user: &'u mut User) -> SetupFuture<'u> {
        self(user)
    }
}

pub(crate) struct AsyncSetup<F>(pub(crate) Arc<F>);

impl<F, T> SetupHook for AsyncSetup<F>
where
    F: AsyncFn(&mut User) -> Result<T, Failure> + Send + Sync + 'static,
    T: Any + Send + Sync,
{
    fn call<'u>(&self, user: &'u mut User) -> SetupFuture<'u> {
        let setup = Arc::clone(&self.0);
        Box::pin(async move { into_shared(setup(user).await) })
    }
}

/// The hooks of one scenario.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) setup: Option<Arc<dyn SetupHook>>,
    pub(crate) teardown: Option<Arc<dyn Hook>>,
    pub(crate) on_start: Option<Arc<dyn Hook>>,
    pub(crate) on_stop: Option<Arc<dyn Hook>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("setup", &self.setup.is_some())
            .field("teardown", &self.teardown.is_some())
            .field("on_start", &self.on_start.is_some())
            .field("on_stop", &self.on_stop.is_some())
            .finish()
    }
}

/// The binary-wide `#[setup]` and `#[teardown]`, shared (one `Arc` each) by every scenario
/// that names no hook of its own, so a run of several scenarios calls each once.
#[derive(Default)]
pub(crate) struct RunHooks {
    pub(crate) setup: Option<Arc<dyn SetupHook>>,
    pub(crate) teardown: Option<Arc<dyn Hook>>,
}
