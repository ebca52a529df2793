//! Attribute macros of loadspec. Use them through the `loadspec` crate, which documents them and
//! provides the items their expansions refer to.

mod ctxt;
mod lit;
mod paths;
mod scenario;
mod units;

use proc_macro::TokenStream;

/// Registers an `async fn` taking `&mut User` as a load-test scenario.
///
/// The function runs once per iteration of each virtual user and returns `()` or
/// `Result<(), E>` with `E: Into<Failure>`. Every option is optional; values are checked at
/// compile time, and durations accept the same syntax as the command line (`"75s"`,
/// `"500ms"`, `"1m 30s"`).
///
/// ```ignore
/// #[scenario(threads = [1, 5, 10], profile = "ramp", ramp_up = "75s", hold = "60s")]
/// async fn checkout(user: &mut User) -> Result<(), Failure> {
///     user.get("/cart").send().await?.expect_status(200)?;
///     Ok(())
/// }
/// ```
///
/// # Options
///
/// - `threads = [1, 5, 10]`: users of each load step, run in order (distinct, at least 1).
/// - `profile = "spike" | "ramp" | "stress"`: how users start within a step.
/// - `ramp_up = "75s"`: time to start all users of a step; required by `"ramp"`, rejected
///   with `"spike"`.
/// - `hold = "60s"`: time at full load per step.
/// - `cooldown = "10s"`: pause between steps.
/// - `think_time = "500ms..2s"` or `"1s"`: pause between iterations, drawn from the range.
/// - `iterations = 3`: fixed iterations per user instead of a timed hold.
/// - `tags = ["checkout"]`: free-form tags for selecting scenarios.
/// - `name = "checkout_v2"`: the registered name (default: the function's name).
/// - `ignore` or `ignore = true`: skipped unless ignored scenarios are asked for.
/// - `hung_after = "30s"`: a transaction running longer is cancelled and counted as hung.
/// - `request_timeout = "10s"`: timeout of each HTTP request.
/// - `crate = ::loadspec`: where to find loadspec, for crates that rename it.
#[proc_macro_attribute]
pub fn scenario(args: TokenStream, item: TokenStream) -> TokenStream {
    scenario::expand(args.into(), item.into()).into()
}
