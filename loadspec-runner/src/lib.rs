//! The loadspec engine. Users depend on the `loadspec` facade, which re-exports what they need.
//!
//! Data flow: `#[scenario]` registers a [`ScenarioEntry`](registry::ScenarioEntry) →
//! [`scenario::registered`] lists them sorted → [`plan::resolve`] layers attribute < env < CLI
//! into a validated [`RunPlan`] → the engine runs it on worker threads → per-worker recorders
//! are merged into per-step metrics → the results model is written as JSON (and shown on the
//! console).

mod assemble;
pub mod console;
pub use loadspec_results::criteria;
pub mod engine;
pub mod error;
pub mod feeder;
mod func;
pub mod harness;
pub mod lifecycle;
pub mod metrics;
pub mod monitor;
pub mod plan;
pub mod registry;
pub use loadspec_report as report;
pub use loadspec_results as results;
pub mod scenario;
mod seed;

#[cfg(test)]
mod test_rng;
pub mod user;

pub use error::{ConfigError, RunError, exit_code};
pub use feeder::Feeder;
pub use harness::{Harness, main};
pub use plan::{HttpClient, Mode, Overrides, ProfileKind, RunPlan, ShardSpec};
/// The random-number traits a scenario needs for [`User::rng`].
pub use rand;
pub use scenario::{
    IntoIterationResult, Scenario, ScenarioBuilder, ScenarioFn, ScenarioFuture, registered,
};
pub use user::{
    Counter, ErrorKind, Failure, Gauge, HttpVersion, Method, Rate, Request, RequestBuilder,
    Response, Session, Transaction, Trend, TrendValue, User, UserRng, WebSocket, WebSocketBuilder,
    WsMessage,
};
