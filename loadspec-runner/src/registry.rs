//! Scenarios registered by `#[scenario]` through `inventory`, and their const-constructible
//! options.
//!
//! Everything here is built in `const` context by the macro's expansion: durations arrive as
//! nanoseconds already validated at compile time, so nothing in the form `"75s"` reaches run time.

use std::time::Duration;

use loadspec_results::ProfileKind;
use std::sync::Arc;

use crate::func::{ScenarioFn, SetupFn};
use crate::lifecycle::{Hook, Hooks, RunHooks, SetupHook};
use loadspec_results::criteria::CriterionSpec;

/// One `#[scenario]` as the macro registers it. Not built by hand: use [`Scenario::builder`].
#[doc(hidden)]
#[derive(Debug)]
pub struct ScenarioEntry {
    /// The scenario's name (the function's name unless `name = "..."` overrides it).
    pub name: &'static str,
    /// `module_path!()` where the function is defined.
    pub module_path: &'static str,
    /// `file!()` where the function is defined.
    pub file: &'static str,
    /// `line!()` of the function.
    pub line: u32,
    /// The options written in the attribute.
    pub options: EntryOptions,
    /// Calls the user's function.
    pub body: ScenarioFn,
}

inventory::collect!(ScenarioEntry);

/// The options of a `#[scenario]` attribute; unset options are `None` and take the documented
/// defaults (or the environment / CLI values) when the run is planned.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EntryOptions {
    /// Users per load step.
    pub threads: Option<&'static [u32]>,
    /// How users start and stop within steps.
    pub profile: Option<ProfileKind>,
    /// Time to start all users of a ramp step.
    pub ramp_up: Option<Duration>,
    /// Time at full load after the ramp-up, excluded from the step's statistics.
    pub warmup: Option<Duration>,
    /// Time at full load per step.
    pub hold: Option<Duration>,
    /// Pause between steps.
    pub cooldown: Option<Duration>,
    /// Pause between iterations of one user, drawn uniformly from the range.
    pub think_time: Option<(Duration, Duration)>,
    /// Fixed iterations per user instead of a timed hold.
    pub iterations: Option<u32>,
    /// Free-form tags.
    pub tags: &'static [&'static str],
    /// Skipped unless `--ignored` / `--include-ignored`.
    pub ignore: bool,
    /// A transaction running longer than this is cancelled and counted as hung.
    pub hung_after: Option<Duration>,
    /// Timeout of each HTTP request.
    pub request_timeout: Option<Duration>,
    /// Timeout of establishing a connection.
    pub connect_timeout: Option<Duration>,
    /// Longest wait for the next bytes of a response (catches slow bodies).
    pub read_timeout: Option<Duration>,
    /// A path the runner polls before each step until the target answers 2xx.
    pub health: Option<&'static str>,
    /// Stop a step after this many requests in a row failed to connect.
    pub abort_after_consecutive_errors: Option<u32>,
    /// Open model: iterations started per second, one step per rate (instead of `threads`).
    pub rates: Option<&'static [f64]>,
    /// Open model: the most users (concurrent iterations) a step may use.
    pub max_users: Option<u32>,
    /// Open model: users created when a step starts (more are created up to `max_users`).
    pub pre_allocated_users: Option<u32>,
    /// Criteria written as `#[assertion(...)]` rows.
    pub criteria: &'static [CriterionSpec],
    /// A criteria CSV file (an absolute path: the macro resolves it against the crate root).
    pub criteria_file: Option<&'static str>,
    /// Stop the sweep after the first step where a criterion fails.
    pub abort_on_fail: bool,
    /// Runs once before the first step; its value is shared with every user.
    pub setup: Option<SetupFn>,
    /// Runs once after the last step, even after failures.
    pub teardown: Option<ScenarioFn>,
    /// Runs once per user before its first iteration.
    pub on_start: Option<ScenarioFn>,
    /// Runs once per user after its last iteration.
    pub on_stop: Option<ScenarioFn>,
}

impl EntryOptions {
    /// No option set.
    pub const fn new() -> Self {
        Self {
            threads: None,
            profile: None,
            ramp_up: None,
            warmup: None,
            hold: None,
            cooldown: None,
            think_time: None,
            iterations: None,
            tags: &[],
            ignore: false,
            hung_after: None,
            request_timeout: None,
            connect_timeout: None,
            read_timeout: None,
            health: None,
            abort_after_consecutive_errors: None,
            rates: None,
            max_users: None,
            pre_allocated_users: None,
            criteria: &[],
            criteria_file: None,
            abort_on_fail: false,
            setup: None,
            teardown: None,
            on_start: None,
            on_stop: None,
        }
    }

    /// Sets `threads`.
    pub const fn threads(mut self, threads: &'static [u32]) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Sets `profile`.
    pub const fn profile(mut self, profile: ProfileKind) -> Self {
        self.profile = Some(profile);
        self
    }

    /// Sets `ramp_up` from nanoseconds.
    pub const fn ramp_up_nanos(mut self, nanos: u64) -> Self {
        self.ramp_up = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `warmup` from nanoseconds.
    pub const fn warmup_nanos(mut self, nanos: u64) -> Self {
        self.warmup = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `hold` from nanoseconds.
    pub const fn hold_nanos(mut self, nanos: u64) -> Self {
        self.hold = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `cooldown` from nanoseconds.
    pub const fn cooldown_nanos(mut self, nanos: u64) -> Self {
        self.cooldown = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `think_time` from a nanosecond range.
    pub const fn think_time_nanos(mut self, min: u64, max: u64) -> Self {
        self.think_time = Some((Duration::from_nanos(min), Duration::from_nanos(max)));
        self
    }

    /// Sets `iterations`.
    pub const fn iterations(mut self, iterations: u32) -> Self {
        self.iterations = Some(iterations);
        self
    }

    /// Sets `tags`.
    pub const fn tags(mut self, tags: &'static [&'static str]) -> Self {
        self.tags = tags;
        self
    }

    /// Sets `ignore`.
    pub const fn ignore(mut self, ignore: bool) -> Self {
        self.ignore = ignore;
        self
    }

    /// Sets `hung_after` from nanoseconds.
    pub const fn hung_after_nanos(mut self, nanos: u64) -> Self {
        self.hung_after = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `request_timeout` from nanoseconds.
    pub const fn request_timeout_nanos(mut self, nanos: u64) -> Self {
        self.request_timeout = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `connect_timeout` from nanoseconds.
    pub const fn connect_timeout_nanos(mut self, nanos: u64) -> Self {
        self.connect_timeout = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `read_timeout` from nanoseconds.
    pub const fn read_timeout_nanos(mut self, nanos: u64) -> Self {
        self.read_timeout = Some(Duration::from_nanos(nanos));
        self
    }

    /// Sets `health`.
    pub const fn health(mut self, path: &'static str) -> Self {
        self.health = Some(path);
        self
    }

    /// Sets `abort_after_consecutive_errors`.
    pub const fn abort_after_consecutive_errors(mut self, errors: u32) -> Self {
        self.abort_after_consecutive_errors = Some(errors);
        self
    }

    /// Sets the `#[assertion]` rows.
    pub const fn criteria(mut self, criteria: &'static [CriterionSpec]) -> Self {
        self.criteria = criteria;
        self
    }

    /// Sets `criteria_file`.
    pub const fn criteria_file(mut self, path: &'static str) -> Self {
        self.criteria_file = Some(path);
        self
    }

    /// Sets `rate` (iterations per second per step).
    pub const fn rates(mut self, rates: &'static [f64]) -> Self {
        self.rates = Some(rates);
        self
    }

    /// Sets `max_users`.
    pub const fn max_users(mut self, users: u32) -> Self {
        self.max_users = Some(users);
        self
    }

    /// Sets `pre_allocated_users`.
    pub const fn pre_allocated_users(mut self, users: u32) -> Self {
        self.pre_allocated_users = Some(users);
        self
    }

    /// Sets `setup`.
    pub const fn setup(mut self, setup: SetupFn) -> Self {
        self.setup = Some(setup);
        self
    }

    /// Sets `teardown`.
    pub const fn teardown(mut self, teardown: ScenarioFn) -> Self {
        self.teardown = Some(teardown);
        self
    }

    /// Sets `on_start`.
    pub const fn on_start(mut self, hook: ScenarioFn) -> Self {
        self.on_start = Some(hook);
        self
    }

    /// Sets `on_stop`.
    pub const fn on_stop(mut self, hook: ScenarioFn) -> Self {
        self.on_stop = Some(hook);
        self
    }

    /// Sets `abort_on_fail`.
    pub const fn abort_on_fail(mut self, abort: bool) -> Self {
        self.abort_on_fail = abort;
        self
    }
}

/// Hooks compare by presence: function pointers have no meaningful identity.
impl PartialEq for EntryOptions {
    fn eq(&self, other: &Self) -> bool {
        self.threads == other.threads
            && self.profile == other.profile
            && self.ramp_up == other.ramp_up
            && self.warmup == other.warmup
            && self.hold == other.hold
            && self.cooldown == other.cooldown
            && self.think_time == other.think_time
            && self.iterations == other.iterations
            && self.tags == other.tags
            && self.ignore == other.ignore
            && self.hung_after == other.hung_after
            && self.request_timeout == other.request_timeout
            && self.connect_timeout == other.connect_timeout
            && self.read_timeout == other.read_timeout
            && self.health == other.health
            && self.abort_after_consecutive_errors == other.abort_after_consecutive_errors
            && self.rates == other.rates
            && self.max_users == other.max_users
            && self.pre_allocated_users == other.pre_allocated_users
            && self.criteria == other.criteria
            && self.criteria_file == other.criteria_file
            && self.abort_on_fail == other.abort_on_fail
            && self.setup.is_some() == other.setup.is_some()
            && self.teardown.is_some() == other.teardown.is_some()
            && self.on_start.is_some() == other.on_start.is_some()
            && self.on_stop.is_some() == other.on_stop.is_some()
    }
}

impl Default for EntryOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// A binary-wide `#[setup]` or `#[teardown]` as the macro registers it (k6's `setup()` and
/// `teardown()`): the hook of every scenario of the binary that names none of its own.
#[doc(hidden)]
#[derive(Debug)]
pub struct RunHookEntry {
    /// The function's name.
    pub name: &'static str,
    /// `module_path!()` where the function is defined.
    pub module_path: &'static str,
    /// Calls the user's function.
    pub hook: RunHook,
}

/// Which hook a [`RunHookEntry`] is.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum RunHook {
    /// `#[setup]`: runs once before the first step; its value is shared with every user.
    Setup(SetupFn),
    /// `#[teardown]`: runs once after the last step, even after failures.
    Teardown(ScenarioFn),
}

inventory::collect!(RunHookEntry);

/// The binary's hooks, picked once: every `registered()` hands out the same `Arc`s, which is
/// how a run recognises one hook shared by several scenarios.
pub(crate) fn run_hooks() -> Result<&'static RunHooks, crate::ConfigError> {
    static HOOKS: std::sync::OnceLock<RunHooks> = std::sync::OnceLock::new();
    if let Some(hooks) = HOOKS.get() {
        return Ok(hooks);
    }
    let hooks = pick_run_hooks(inventory::iter::<RunHookEntry>())?;
    Ok(HOOKS.get_or_init(|| hooks))
}
impl EntryOptions {
    /// The scenario's own lifecycle hooks.
    pub(crate) fn hooks(&self) -> Hooks {
        let options = self;
        Hooks {
            setup: options.setup.map(|f| Arc::new(f) as Arc<dyn SetupHook>),
            teardown: options.teardown.map(|f| Arc::new(f) as Arc<dyn Hook>),
            on_start: options.on_start.map(|f| Arc::new(f) as Arc<dyn Hook>),
            on_stop: options.on_stop.map(|f| Arc::new(f) as Arc<dyn Hook>),
        }
    }
}

/// The one `#[setup]` and the one `#[teardown]` among `entries`.
fn pick_run_hooks<'a>(
    entries: impl IntoIterator<Item = &'a RunHookEntry>,
) -> Result<RunHooks, crate::ConfigError> {
    let mut setups = Vec::new();
    let mut teardowns = Vec::new();
    for entry in entries {
        match entry.hook {
            RunHook::Setup(f) => setups.push((entry, f)),
            RunHook::Teardown(f) => teardowns.push((entry, f)),
        }
    }
    let one = |kind: &'static str, found: &[&RunHookEntry]| {
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
    Ok(RunHooks {
        setup: setups
            .first()
            .map(|(_, f)| Arc::new(*f) as Arc<dyn SetupHook>),
        teardown: teardowns
            .first()
            .map(|(_, f)| Arc::new(*f) as Arc<dyn Hook>),
    })
}

#[cfg(test)]
mod run_hook_tests {
    use super::*;
    use crate::func::{ScenarioFuture, SetupFuture, into_shared};
    use crate::user::{Failure, User};

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
        let picked = pick_run_hooks(&[
            entry("seed", RunHook::Setup(seed)),
            entry("clean", RunHook::Teardown(clean)),
        ])
        .unwrap();
        assert!(picked.setup.is_some() && picked.teardown.is_some());
        assert!(pick_run_hooks(&[]).unwrap().setup.is_none());

        let error = pick_run_hooks(&[
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
