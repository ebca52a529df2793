#![doc = include_str!("../../README.md")]

pub use loadspec_macros::assertion;
pub use loadspec_macros::scenario;
pub use loadspec_macros::{setup, teardown};
pub use loadspec_runner::plan::shard;
pub use loadspec_runner::{
    ConfigError, ErrorKind, Failure, Method, Mode, Overrides, ProfileKind, RequestBuilder,
    Response, RunError, RunPlan, Scenario, ScenarioBuilder, Session, Transaction, User, UserRng,
    exit_code,
};
pub use loadspec_runner::{Harness, main, rand};
pub use loadspec_runner::{
    console, criteria, engine, feeder, harness, metrics, monitor, plan, report, results,
};

/// The registered scenarios and hooks.
pub mod registry {
    pub use loadspec_runner::registered;
    pub use loadspec_runner::registry::*;
}

/// The names a scenario file needs: `use loadspec::prelude::*;`.
pub mod prelude {
    pub use crate::feeder::Feeder;
    pub use crate::rand::Rng as _;
    pub use crate::rand::seq::{IndexedRandom as _, SliceRandom as _};
    pub use crate::{Failure, Response, Transaction, User, assertion, scenario, setup, teardown};
    pub use std::time::Duration;
}

/// Used by the code `#[scenario]` generates; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use ::inventory;
    pub use ::loadspec_runner::criteria::{CriterionSpec, Metric, ScopeSpec};
    pub use ::loadspec_runner::lifecycle::{SetupFuture, into_shared};
    pub use ::loadspec_runner::registry::{EntryOptions, RunHook, RunHookEntry, ScenarioEntry};
    pub use ::loadspec_runner::{Failure, IntoIterationResult, ProfileKind, ScenarioFuture, User};
    pub use ::std::boxed::Box;
}
