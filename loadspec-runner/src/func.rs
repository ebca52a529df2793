//! The function types of scenarios and their setup hooks: what `#[scenario]` and `#[setup]`
//! register, and what the builder API accepts.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::user::{Failure, SharedData, User};

/// The future of one iteration of a scenario.
///
/// Not `Send`: each worker thread drives its own users, so scenarios may hold `Rc` and other
/// thread-local values across awaits.
pub type ScenarioFuture<'u> = Pin<Box<dyn Future<Output = Result<(), Failure>> + 'u>>;

/// The function pointer the macro registers.
pub type ScenarioFn = for<'u> fn(&'u mut User) -> ScenarioFuture<'u>;

/// What a scenario function may return: `()` or `Result<(), Failure>`.
#[diagnostic::on_unimplemented(
    message = "`#[scenario]` functions must return `()` or `Result<(), E>` with `E: Into<Failure>`, not `{Self}`",
    label = "this return type is not `()` or `Result<(), E>`"
)]
pub trait IntoIterationResult {
    /// Converts the function's output into the iteration's outcome.
    fn into_iteration_result(self) -> Result<(), Failure>;
}

impl IntoIterationResult for () {
    fn into_iteration_result(self) -> Result<(), Failure> {
        Ok(())
    }
}

impl<E: Into<Failure>> IntoIterationResult for Result<(), E> {
    fn into_iteration_result(self) -> Result<(), Failure> {
        self.map_err(Into::into)
    }
}

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
