#![doc = include_str!("../../README.md")]
//!
//! # The API
//!
//! - **Writing scenarios**: [`scenario`], [`assertion`], [`setup`] and [`teardown`] (attributes);
//!   [`User`] (requests, transactions, data), [`Transaction`], [`RequestBuilder`],
//!   [`Request`] (for [`User::batch`]: requests sent together), [`Response`], [`Session`],
//!   [`WebSocket`] (from [`User::websocket`]) and [`WsMessage`], [`Failure`] and
//!   [`ErrorKind`]; test data from
//!   [`feeder::Feeder`]; [`prelude`] imports what a scenario file needs.
//! - **Without macros**: [`Scenario::builder`] gives the same scenarios the attributes do.
//! - **Running**: [`main`] (what `harness = false` test targets call) and [`Harness`] (its
//!   scenarios, default target, mode and [`Overrides`], a hook on each run's results);
//!   [`exit_code`] documents the process's exit codes.
//! - **Results**: [`results`] is the results file's schema ([`results::RunResults`],
//!   [`results::load`]), [`criteria`] the criteria and their verdicts, [`report`] renders
//!   stored results again (HTML, JUnit, Markdown, CSV).
//!
//! The engine itself (plans, workers, metrics, the monitor) is `loadspec-runner`; nothing of
//! it is public here beyond the items above.

pub use loadspec_macros::{assertion, scenario, setup, teardown};
pub use loadspec_report as report;
pub use loadspec_results as results;
pub use loadspec_results::criteria;
pub use loadspec_runner::feeder;
pub use loadspec_runner::{
    ConfigError, ErrorKind, Failure, Harness, HttpClient, HttpVersion, Method, Mode, Overrides,
    ProfileKind, Request, RequestBuilder, Response, RunError, Scenario, ScenarioBuilder, Session,
    ShardSpec, Transaction, User, UserRng, WebSocket, WebSocketBuilder, WsMessage, exit_code, main,
    rand, registered,
};

/// The names a scenario file needs: `use loadspec::prelude::*;`.
pub mod prelude {
    pub use crate::feeder::Feeder;
    pub use crate::rand::Rng as _;
    pub use crate::rand::seq::{IndexedRandom as _, SliceRandom as _};
    pub use crate::{
        Failure, Request, Response, Transaction, User, assertion, scenario, setup, teardown,
    };
    pub use std::time::Duration;
}

/// Used by the code `#[scenario]` generates; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use ::inventory;
    pub use ::loadspec_results::criteria::{AbortWindow, CriterionSpec, Metric, ScopeSpec};
    pub use ::loadspec_runner::lifecycle::{SetupFuture, into_shared};
    pub use ::loadspec_runner::registry::{EntryOptions, RunHook, RunHookEntry, ScenarioEntry};
    pub use ::loadspec_runner::{Failure, IntoIterationResult, ProfileKind, ScenarioFuture, User};
    pub use ::std::boxed::Box;
}
