//! Lifecycle hooks of a scenario: `setup` runs once before the first step and its value is
//! shared with every user; `teardown` runs once after the last step, even after failures;
//! `on_start` and `on_stop` run once per user, around its iterations.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::scenario::{ScenarioFn, ScenarioFuture};
use crate::user::{Failure, SharedData, User};

/// The future of a setup function: the value it shares with the users.
pub type SetupFuture<'u> = Pin<Box<dyn Future<Output = Result<SharedData, Failure>> + 'u>>;

/// The setup function pointer the macro registers.
pub type SetupFn = for<'u> fn(&'u mut User) -> SetupFuture<'u>;

/// Turns a setup function's output into the shared value.
#[doc(hidden)]
pub fn into_shared<T: Any + Send + Sync, E: Into<Failure>>(
    result: Result<T, E>,
) -> Result<SharedData, Failure> {
    result
        .map(|value| Arc::new(value) as SharedData)
        .map_err(Into::into)
}

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

impl Hooks {
    pub(crate) fn from_entry(options: &crate::registry::EntryOptions) -> Self {
        Self {
            setup: options.setup.map(|f| Arc::new(f) as Arc<dyn SetupHook>),
            teardown: options.teardown.map(|f| Arc::new(f) as Arc<dyn Hook>),
            on_start: options.on_start.map(|f| Arc::new(f) as Arc<dyn Hook>),
            on_stop: options.on_stop.map(|f| Arc::new(f) as Arc<dyn Hook>),
        }
    }
}

/// The binary-wide `#[setup]` and `#[teardown]`, shared (one `Arc` each) by every scenario
/// that names no hook of its own, so a run of several scenarios calls each once.
#[derive(Default)]
pub(crate) struct RunHooks {
    pub(crate) setup: Option<Arc<dyn SetupHook>>,
    pub(crate) teardown: Option<Arc<dyn Hook>>,
}

impl RunHooks {
    /// The one `#[setup]` and the one `#[teardown]` among `entries`.
    pub(crate) fn pick<'a>(
        entries: impl IntoIterator<Item = &'a crate::registry::RunHookEntry>,
    ) -> Result<Self, crate::ConfigError> {
        use crate::registry::RunHook;
        let mut setups = Vec::new();
        let mut teardowns = Vec::new();
        for entry in entries {
            match entry.hook {
                RunHook::Setup(f) => setups.push((entry, f)),
                RunHook::Teardown(f) => teardowns.push((entry, f)),
            }
        }
        let one = |kind: &'static str, found: &[&crate::registry::RunHookEntry]| {
            if found.len() <= 1 {
                return Ok(());
            }
            let mut names: Vec<String> = found
                .iter()
                .map(|e| format!("{}::{}", e.module_path, e.name))
                .collect();
            names.sort();
            Err(crate::ConfigError::DuplicateRunHook {
                kind,
                functions: names.join(", "),
            })
        };
        one("setup", &setups.iter().map(|s| s.0).collect::<Vec<_>>())?;
        one(
            "teardown",
            &teardowns.iter().map(|t| t.0).collect::<Vec<_>>(),
        )?;
        Ok(Self {
            setup: setups
                .first()
                .map(|(_, f)| Arc::new(*f) as Arc<dyn SetupHook>),
            teardown: teardowns
                .first()
                .map(|(_, f)| Arc::new(*f) as Arc<dyn Hook>),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{RunHook, RunHookEntry};

    fn seed(_user: &mut User) -> SetupFuture<'_> {
        Box::pin(async { into_shared(Ok::<u32, Failure>(1)) })
    }

    fn clean(_user: &mut User) -> ScenarioFuture<'_> {
        Box::pin(async { Ok(()) })
    }

    fn entry(name: &'static str, hook: RunHook) -> RunHookEntry {
        RunHookEntry {
            name,
            module_path: "suite::load",
            hook,
        }
    }

    #[test]
    fn one_hook_of_each_kind_is_picked_and_two_are_refused_by_name() {
        let picked = RunHooks::pick(&[
            entry("seed", RunHook::Setup(seed)),
            entry("clean", RunHook::Teardown(clean)),
        ])
        .unwrap();
        assert!(picked.setup.is_some() && picked.teardown.is_some());
        assert!(RunHooks::pick(&[]).unwrap().setup.is_none());

        let error = RunHooks::pick(&[
            entry("seed_b", RunHook::Setup(seed)),
            entry("clean", RunHook::Teardown(clean)),
            entry("seed_a", RunHook::Setup(seed)),
        ])
        .err()
        .unwrap()
        .to_string();
        assert!(
            error.contains("more than one #[setup]")
                && error.contains("suite::load::seed_a, suite::load::seed_b"),
            "{error}"
        );
    }
}
