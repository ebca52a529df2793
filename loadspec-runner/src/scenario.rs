//! A scenario at run time: its name, options and body, whether it came from `#[scenario]` or
//! from [`Scenario::builder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use crate::func::{IntoIterationResult, ScenarioFn, ScenarioFuture};
use crate::lifecycle::{AsyncHook, AsyncSetup, Hooks};
use crate::registry::{EntryOptions, ScenarioEntry};
use crate::user::{Failure, User};
use loadspec_results::ProfileKind;
use loadspec_results::criteria::Criterion;

trait Body: Send + Sync {
    fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u>;
}

impl Body for ScenarioFn {
    fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u> {
        self(user)
    }
}

struct AsyncFnBody<F>(Arc<F>);

impl<F> Body for AsyncFnBody<F>
where
    F: AsyncFn(&mut User) -> Result<(), Failure> + Send + Sync + 'static,
{
    fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u> {
        let body = Arc::clone(&self.0);
        Box::pin(async move { body(user).await })
    }
}

/// A runnable scenario: a name, options, and the async function one virtual user runs per
/// iteration.
#[derive(Clone)]
pub struct Scenario {
    pub(crate) name: Arc<str>,
    pub(crate) module_path: Arc<str>,
    pub(crate) location: Option<(&'static str, u32)>,
    pub(crate) options: EntryOptions,
    owned_threads: Option<Arc<[u32]>>,
    owned_rates: Option<Arc<[f64]>>,
    owned_tags: Arc<[String]>,
    owned_criteria: Arc<[Criterion]>,
    owned_criteria_file: Option<Arc<str>>,
    owned_health: Option<Arc<str>>,
    pub(crate) hooks: Hooks,
    body: Arc<dyn Body>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("module_path", &self.module_path)
            .field("options", &self.options)
            .field("threads", &self.threads())
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// Starts a scenario without the macro.
    ///
    /// ```
    /// use loadspec_runner::{Scenario, ProfileKind, User, Failure};
    /// use std::time::Duration;
    ///
    /// async fn browse(user: &mut User) -> Result<(), Failure> {
    ///     user.get("/").send().await?.expect_status(200)?;
    ///     Ok(())
    /// }
    ///
    /// let scenario = Scenario::builder("browse")
    ///     .threads([1, 5, 10])
    ///     .profile(ProfileKind::Ramp)
    ///     .ramp_up(Duration::from_secs(10))
    ///     .hold(Duration::from_secs(30))
    ///     .build(browse);
    /// assert_eq!(scenario.name(), "browse");
    /// ```
    pub fn builder(name: impl Into<String>) -> ScenarioBuilder {
        ScenarioBuilder {
            name: name.into(),
            module_path: String::new(),
            options: EntryOptions::new(),
            threads: None,
            rates: None,
            tags: Vec::new(),
            criteria: Vec::new(),
            criteria_file: None,
            health: None,
            hooks: Hooks::default(),
        }
    }

    pub(crate) fn from_entry(entry: &'static ScenarioEntry) -> Self {
        Self {
            name: entry.name.into(),
            module_path: entry.module_path.into(),
            location: Some((entry.file, entry.line)),
            options: entry.options,
            owned_threads: None,
            owned_rates: None,
            owned_tags: Arc::from(Vec::new()),
            owned_criteria: Arc::from(Vec::new()),
            owned_criteria_file: None,
            owned_health: None,
            hooks: entry.options.hooks(),
            body: Arc::new(entry.body),
        }
    }

    /// Takes the binary's `#[setup]` / `#[teardown]` where the scenario names none.
    pub(crate) fn with_run_hooks(mut self, hooks: &crate::lifecycle::RunHooks) -> Self {
        if self.hooks.setup.is_none() {
            self.hooks.setup.clone_from(&hooks.setup);
        }
        if self.hooks.teardown.is_none() {
            self.hooks.teardown.clone_from(&hooks.teardown);
        }
        self
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module the scenario was defined in (empty for builder scenarios without one).
    pub fn module_path(&self) -> &str {
        &self.module_path
    }

    /// The test name the harness lists: the module path without the crate, then the name.
    pub fn test_name(&self) -> String {
        match self.module_path.split_once("::") {
            Some((_crate, rest)) => format!("{rest}::{}", self.name),
            None => self.name.to_string(),
        }
    }

    /// Source file and line of a `#[scenario]` function.
    pub fn location(&self) -> Option<(&'static str, u32)> {
        self.location
    }

    /// Users per load step, as written in the attribute or builder.
    pub fn threads(&self) -> Option<&[u32]> {
        self.owned_threads.as_deref().or(self.options.threads)
    }

    /// Open model: iterations per second of each step, as written in the attribute or builder.
    pub fn rates(&self) -> Option<&[f64]> {
        self.owned_rates.as_deref().or(self.options.rates)
    }

    /// Tags, as written in the attribute or builder.
    pub fn tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = self.options.tags.to_vec();
        tags.extend(self.owned_tags.iter().map(String::as_str));
        tags
    }

    /// The options written in the attribute or builder.
    pub fn options(&self) -> &EntryOptions {
        &self.options
    }

    /// The criteria written in `#[assertion]` rows or given to the builder (not those of a
    /// criteria file, which the plan loads).
    pub fn criteria(&self) -> Vec<Criterion> {
        let mut criteria: Vec<Criterion> = self
            .options
            .criteria
            .iter()
            .map(|c| c.to_criterion())
            .collect();
        criteria.extend(self.owned_criteria.iter().cloned());
        criteria
    }

    /// The criteria file of the attribute or builder.
    pub fn criteria_file(&self) -> Option<&str> {
        self.owned_criteria_file
            .as_deref()
            .or(self.options.criteria_file)
    }

    /// The health-check path of the attribute or builder.
    pub fn health(&self) -> Option<&str> {
        self.owned_health.as_deref().or(self.options.health)
    }

    /// Whether the scenario is skipped unless ignored tests are asked for.
    pub fn is_ignored(&self) -> bool {
        self.options.ignore
    }

    pub(crate) fn call<'u>(&self, user: &'u mut User) -> ScenarioFuture<'u> {
        self.body.call(user)
    }
}

/// Builds a [`Scenario`] in code; every option mirrors one of `#[scenario]`.
#[derive(Debug, Clone)]
pub struct ScenarioBuilder {
    name: String,
    module_path: String,
    options: EntryOptions,
    threads: Option<Vec<u32>>,
    rates: Option<Vec<f64>>,
    tags: Vec<String>,
    criteria: Vec<Criterion>,
    criteria_file: Option<String>,
    health: Option<String>,
    hooks: Hooks,
}

impl ScenarioBuilder {
    /// Users of each load step, run in the order given.
    pub fn threads(mut self, threads: impl IntoIterator<Item = u32>) -> Self {
        self.threads = Some(threads.into_iter().collect());
        self
    }

    /// Open model: the steps start iterations at these rates (per second) instead of running
    /// a number of users in a loop; users are taken from a pool as needed.
    pub fn rates(mut self, rates: impl IntoIterator<Item = f64>) -> Self {
        self.rates = Some(rates.into_iter().collect());
        self
    }

    /// Open model: the most users (concurrent iterations) a step may use; an arrival with
    /// none free is dropped, not queued.
    pub fn max_users(mut self, users: u32) -> Self {
        self.options.max_users = Some(users);
        self
    }

    /// Open model: users created when a step starts.
    pub fn pre_allocated_users(mut self, users: u32) -> Self {
        self.options.pre_allocated_users = Some(users);
        self
    }

    /// How users start within a step.
    pub fn profile(mut self, profile: ProfileKind) -> Self {
        self.options.profile = Some(profile);
        self
    }

    /// Time to start all users of a ramp step.
    pub fn ramp_up(mut self, ramp_up: Duration) -> Self {
        self.options.ramp_up = Some(ramp_up);
        self
    }

    /// Time at full load after the ramp-up whose requests are left out of the step's
    /// statistics (they stay in its time series), for targets slow on their first requests;
    /// the hold is measured after it.
    pub fn warmup(mut self, warmup: Duration) -> Self {
        self.options.warmup = Some(warmup);
        self
    }

    /// Time at full load per step.
    pub fn hold(mut self, hold: Duration) -> Self {
        self.options.hold = Some(hold);
        self
    }

    /// Pause between steps.
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.options.cooldown = Some(cooldown);
        self
    }

    /// Pause between iterations of one user, drawn uniformly from `min..=max`.
    pub fn think_time(mut self, min: Duration, max: Duration) -> Self {
        self.options.think_time = Some((min, max));
        self
    }

    /// Runs a fixed number of iterations per user instead of holding for a time.
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.options.iterations = Some(iterations);
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Skips the scenario unless ignored tests are asked for.
    pub fn ignore(mut self, ignore: bool) -> Self {
        self.options.ignore = ignore;
        self
    }

    /// Cancels a transaction that runs longer than this and counts it as hung.
    pub fn hung_after(mut self, hung_after: Duration) -> Self {
        self.options.hung_after = Some(hung_after);
        self
    }

    /// Timeout of each HTTP request.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.options.request_timeout = Some(timeout);
        self
    }

    /// Timeout of establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = Some(timeout);
        self
    }

    /// Longest wait for the next bytes of a response (catches slow bodies).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.options.read_timeout = Some(timeout);
        self
    }

    /// A path polled before each step until the target answers 2xx (e.g. `/health`).
    pub fn health(mut self, path: impl Into<String>) -> Self {
        self.health = Some(path.into());
        self
    }

    /// Stops a step after this many requests in a row could not reach the target.
    pub fn abort_after_consecutive_errors(mut self, errors: u32) -> Self {
        self.options.abort_after_consecutive_errors = Some(errors);
        self
    }

    /// Runs `setup` once before the first step; users read its value with
    /// [`User::setup_data`].
    pub fn setup<F, T>(mut self, setup: F) -> Self
    where
        F: AsyncFn(&mut User) -> Result<T, Failure> + Send + Sync + 'static,
        T: std::any::Any + Send + Sync,
    {
        self.hooks.setup = Some(Arc::new(AsyncSetup(Arc::new(setup))));
        self
    }

    /// Runs `teardown` once after the last step, even after failures and interrupts.
    pub fn teardown<F>(mut self, teardown: F) -> Self
    where
        F: AsyncFn(&mut User) -> Result<(), Failure> + Send + Sync + 'static,
    {
        self.hooks.teardown = Some(Arc::new(AsyncHook(Arc::new(teardown))));
        self
    }

    /// Runs `hook` once per user before its first iteration (e.g. a login per session); if it
    /// fails, the user runs no iteration.
    pub fn on_start<F>(mut self, hook: F) -> Self
    where
        F: AsyncFn(&mut User) -> Result<(), Failure> + Send + Sync + 'static,
    {
        self.hooks.on_start = Some(Arc::new(AsyncHook(Arc::new(hook))));
        self
    }

    /// Runs `hook` once per user after its last iteration.
    pub fn on_stop<F>(mut self, hook: F) -> Self
    where
        F: AsyncFn(&mut User) -> Result<(), Failure> + Send + Sync + 'static,
    {
        self.hooks.on_stop = Some(Arc::new(AsyncHook(Arc::new(hook))));
        self
    }

    /// Adds a criterion, judged at every load step of full runs.
    pub fn criterion(mut self, criterion: Criterion) -> Self {
        self.criteria.push(criterion);
        self
    }

    /// Loads criteria from a CSV file when the run is planned.
    pub fn criteria_file(mut self, path: impl Into<String>) -> Self {
        self.criteria_file = Some(path.into());
        self
    }

    /// Stops the sweep after the first step where a criterion fails.
    pub fn abort_on_fail(mut self, abort: bool) -> Self {
        self.options.abort_on_fail = abort;
        self
    }

    /// The module path shown in listings (defaults to none).
    pub fn module_path(mut self, module_path: impl Into<String>) -> Self {
        self.module_path = module_path.into();
        self
    }

    /// Finishes the scenario with the async function each user runs per iteration.
    pub fn build<F>(self, body: F) -> Scenario
    where
        F: AsyncFn(&mut User) -> Result<(), Failure> + Send + Sync + 'static,
    {
        Scenario {
            name: self.name.into(),
            module_path: self.module_path.into(),
            location: None,
            options: self.options,
            owned_threads: self.threads.map(Arc::from),
            owned_rates: self.rates.map(Arc::from),
            owned_tags: Arc::from(self.tags),
            owned_criteria: Arc::from(self.criteria),
            owned_criteria_file: self.criteria_file.map(Arc::from),
            owned_health: self.health.map(Arc::from),
            hooks: self.hooks,
            body: Arc::new(AsyncFnBody(Arc::new(body))),
        }
    }
}
/// Every registered scenario, sorted by (module path, name): inventory's order is unspecified.
///
/// A scenario without its own `setup` / `teardown` gets the binary's `#[setup]` /
/// `#[teardown]`, the same hook for all: a run of several scenarios calls it once.
///
/// # Errors
/// A binary with more than one `#[setup]` (or `#[teardown]`): which one applies would be
/// a guess.
pub fn registered() -> Result<Vec<Scenario>, crate::ConfigError> {
    let mut entries: Vec<&'static ScenarioEntry> = inventory::iter::<ScenarioEntry>().collect();
    entries.sort_by_key(|e| (e.module_path, e.name));
    let hooks = crate::registry::run_hooks()?;
    Ok(entries
        .into_iter()
        .map(|entry| Scenario::from_entry(entry).with_run_hooks(hooks))
        .collect())
}
