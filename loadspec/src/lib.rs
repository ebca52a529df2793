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
//!
//! # Custom metrics and tags
//!
//! Besides the requests and transactions it times, a scenario can record its own figures
//! (k6's Counter, Gauge, Trend and Rate) through [`User::counter`], [`User::gauge`],
//! [`User::trend`] and [`User::rate`] (also on [`Transaction`]), and tag requests
//! ([`RequestBuilder::tag`], [`Request::tag`]) and transactions ([`Transaction::tag`]).
//! Each step's results hold every custom metric of each scenario (`custom` in
//! `results.json`, the "Custom metrics" table of the report) and each label the tags it was
//! sent with; criteria judge them with a scope of their own:
//!
//! ```no_run
//! use loadspec::prelude::*;
//!
//! #[scenario(threads = [5, 10], hold = "60s")]
//! #[assertion(counter = "claims_approved", count = 100)]
//! #[assertion(trend = "queue_wait", p95 = "50ms", threshold = "80ms")]
//! #[assertion(rate = "claims_ok", share = "95%", threshold = "90%")]
//! #[assertion(gauge = "queue_depth", max = 20)]
//! #[assertion(tag = "endpoint:search", p95 = "2s")]
//! async fn claims(user: &mut User) -> Result<(), Failure> {
//!     let started = std::time::Instant::now();
//!     let answer = user.get("/api/claims?q=new").tag("endpoint", "search").send().await?;
//!     user.trend("queue_wait").add(started.elapsed()); // durations in milliseconds
//!     user.trend("claims_listed").add(3.0); // or plain values
//!     user.gauge("queue_depth").set(17.0);
//!     let approved = answer.status() == 200;
//!     user.rate("claims_ok").add(approved);
//!     if approved {
//!         user.counter("claims_approved").add(1);
//!     }
//!     user.transaction("review", async |tx| {
//!         tx.tag("flow", "claims");
//!         tx.counter("reviews").add(1);
//!         tx.get("/api/claims/1").send().await?;
//!         Ok(())
//!     })
//!     .await
//! }
//! # fn main() {}
//! ```
//!
//! Names are interned per worker like request labels: recording costs a table lookup, no
//! lock. Tags do not split a label's row; `docs/criteria.md` has the criteria syntax and
//! `docs/results-schema.md` the fields.

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
pub use loadspec_runner::{Counter, Gauge, Rate, Trend, TrendValue};

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
    pub use ::loadspec_results::criteria::{
        AbortWindow, CriterionSpec, CustomKind, Metric, ScopeSpec,
    };
    pub use ::loadspec_runner::lifecycle::{SetupFuture, into_shared};
    pub use ::loadspec_runner::registry::{EntryOptions, RunHook, RunHookEntry, ScenarioEntry};
    pub use ::loadspec_runner::{Failure, IntoIterationResult, ProfileKind, ScenarioFuture, User};
    pub use ::std::boxed::Box;
}
