//! Attribute macros of loadspec. Use them through the `loadspec` crate, which documents them and
//! provides the items their expansions refer to.

mod assertion;
mod ctxt;
mod lit;
mod paths;
mod run_hook;
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
/// - `warmup = "5s"`: time at full load after the ramp-up whose requests are left out of the
///   step's statistics (still in its time series); the hold is measured after it.
/// - `hold = "60s"`: time at full load per step.
/// - `cooldown = "10s"`: pause between steps.
/// - `think_time = "500ms..2s"` or `"1s"`: pause between iterations, drawn from the range.
/// - `iterations = 3`: fixed iterations per user instead of a timed hold.
/// - `tags = ["checkout"]`: free-form tags for selecting scenarios.
/// - `name = "checkout_v2"`: the registered name (default: the function's name).
/// - `ignore` or `ignore = true`: skipped unless ignored scenarios are asked for.
/// - `hung_after = "30s"`: a transaction running longer is cancelled and counted as hung.
/// - `request_timeout = "10s"`: timeout of each HTTP request, body included.
/// - `connect_timeout = "3s"`: timeout of establishing a connection (default 10 s).
/// - `read_timeout = "5s"`: longest wait for the next bytes of a response (slow bodies).
/// - `health = "/health"`: polled before each step until the target answers 2xx; a step whose
///   target stays down is skipped and marked target-unavailable.
/// - `abort_after_consecutive_errors = 50`: stop a step after that many requests in a row
///   could not reach the target.
/// - `setup = seed_data`: an `async fn(&mut User) -> Result<T, E>` run once before the first
///   step; users read its value with `user.setup_data::<T>()`.
/// - `teardown = clean_up`: an `async fn(&mut User) -> Result<(), E>` run once after the last
///   step, even after failures and interrupts.
/// - `on_start = log_in` / `on_stop = log_out`: run once per user, before its first and after
///   its last iteration (a user whose `on_start` fails runs no iteration).
/// - `criteria_file = "load/criteria.csv"`: a CSV criteria table, relative to the crate root
///   (the directory of its `Cargo.toml`; absolute paths are kept). It is read when the run is
///   planned, not at compile time, so it can be edited without recompiling; its rows add to
///   the `#[assertion]` rows.
/// - `abort_on_fail` or `abort_on_fail = true`: stop the sweep after the first load step where
///   a criterion fails.
/// - `crate = ::loadspec`: where to find loadspec, for crates that rename it.
///
/// Criteria are written as [`#[assertion(...)]`](macro@assertion) rows below `#[scenario]`.
#[proc_macro_attribute]
pub fn scenario(args: TokenStream, item: TokenStream) -> TokenStream {
    scenario::expand(args.into(), item.into()).into()
}

/// One criterion of a `#[scenario]`: a row of its criteria table, checked at every load step.
///
/// Write one `#[assertion(...)]` per criterion **below** `#[scenario]` on the same function;
/// `#[scenario]` reads and removes them (an `#[assertion]` anywhere else is a compile error).
/// Like any attribute it must be in scope: `use loadspec::prelude::*;` brings both.
/// Each row names one metric with its target, and optionally a threshold, a scope and a
/// display name. At each load step the measured value passes if it meets the target, warns if
/// it misses the target but stays within the threshold, and fails beyond the threshold.
/// Values are checked at compile time and accept the same syntax as criteria files and the
/// command line.
///
/// ```ignore
/// #[scenario(threads = [1, 5, 10, 30, 50, 100, 150, 300], profile = "ramp", ramp_up = "75s")]
/// #[assertion(transaction = "login",          p95 = "2s", threshold = "5s")]
/// #[assertion(transaction = "search",         p95 = "5s", threshold = "7s")]
/// #[assertion(transaction = "create_insuree", p95 = "3s", threshold = "5s")]
/// #[assertion(http_4xx = "0.5%", threshold = "1%")]
/// #[assertion(http_5xx = "0.1%", threshold = "0.2%")]
/// #[assertion(transaction = "login",  failures = "0.2%", threshold = "0.3%")]
/// #[assertion(transaction = "search", failures = "0.5%", threshold = "0.7%")]
/// #[assertion(peak_failures = "2x", threshold = "4x")]
/// #[assertion(deadlocks = 0)]
/// #[assertion(request = "GET /api/insurees", throughput = "50/s", threshold = "30/s")]
/// #[assertion(name = "User authentication requests", transaction = "login", p99 = "4s")]
/// async fn insuree_flow(user: &mut User) -> Result<(), Failure> {
///     // ...
///     Ok(())
/// }
/// ```
///
/// # Metrics (exactly one per row, with its target)
///
/// - `mean`, `p50`, `p90`, `p95`, `p99`, `p999`, `max` = a duration, like `p95 = "2s"` or
///   `"350ms"`: that statistic of the response times.
/// - `ttfb_p95`, `tls_p95`, `connect_p95` = a duration, like `ttfb_p95 = "300ms"`: the 95th
///   percentile of one phase of the requests (time to first byte, the TLS handshakes, the TCP
///   connects), as the direct client times them. They apply to requests: not with
///   `transaction`; with no such phase measured the row fails with "no data".
/// - `http_4xx`, `http_5xx` = a percentage, like `http_4xx = "0.5%"`: the share of responses
///   with such a status. They apply to requests: not with `transaction`.
/// - `failures` = a percentage, like `failures = "0.2%"`: the share of failed transactions
///   (or requests, with `request` or without a scope).
/// - `deadlocks` = `0` or a percentage, like `deadlocks = 0`: the share of transactions that
///   hung past `hung_after` or were classified as deadlocks.
/// - `throughput` = a rate, like `throughput = "50/s"` (or `"/m"`, `"/h"`): a lower bound;
///   higher is better.
/// - `peak_failures` = a multiplier, like `peak_failures = "2x"`: at the peak load step the
///   failure rates may reach this multiple of the `failures` targets, so the scenario needs a
///   `failures` row (or a `criteria_file`).
///
/// # Other keys
///
/// - `threshold = "5s"`, in the metric's unit: the limit beyond which the criterion fails;
///   not better than the target (above it, or below it for `throughput`). Default: the target
///   (pass or fail, no warning).
/// - `transaction = "login"`: the transaction of that name; or
///   `request = "GET /api/insurees"`: the requests of that label; or
///   `tag = "endpoint:search"`: every request label (else transaction) sent with that tag,
///   merged. None: all requests.
/// - `counter`, `gauge`, `trend` or `rate = "<name>"`: a custom metric the scenario records
///   (`user.counter("…")`, …), judged on its kind's statistics: a counter's `count` (a number,
///   higher is better) and `throughput`; a gauge's `last`, `min`, `max` (numbers); a trend's
///   `mean` … `max` (numbers, or durations read in milliseconds); a rate's `share` (a
///   percentage, higher is better). Not recorded in a step: "no data", a fail.
/// - `name = "User authentication requests"`: the criterion's display name in reports.
/// - `abort_on_fail`: stop the run mid-step when this criterion fails over a sliding window,
///   judged every tick (k6's `abortOnFail`); the step is `aborted`, no later step runs.
///   - `window = "30s"`: the window's length (default `10s`); ramp-up and warm-up ticks count.
///   - `delay = "10s"`: from the step's start, ticks before it are neither judged nor counted
///     (k6's `delayAbortEval`; default `0s`).
///
///   `window` and `delay` need `abort_on_fail`; `peak_failures` cannot abort. See
///   docs/criteria.md, "Sliding-window aborts".
///
/// One row per metric and scope. Times become milliseconds, percentages fractions (`"0.5%"` is
/// `0.005`), rates per second and multipliers factors, as in the runner's `Criterion`; rows are
/// registered in source order, before those of the scenario's `criteria_file`.
#[proc_macro_attribute]
pub fn assertion(args: TokenStream, item: TokenStream) -> TokenStream {
    assertion::alone(args.into(), item.into()).into()
}

/// The binary's setup: an `async fn(&mut User) -> Result<T, E>` run once before the first
/// step, whose value every user reads with `user.setup_data::<T>()` (k6's `setup()`).
///
/// It applies to every `#[scenario]` of the binary (the test target) that names no
/// `setup = ...` of its own; when several such scenarios run together (`profile = "stress"`)
/// it still runs once and they share its value. A binary may have one `#[setup]`.
///
/// ```ignore
/// #[setup]
/// async fn seed(user: &mut User) -> Result<Vec<String>, Failure> {
///     let ids = user.get("/api/insurees").send().await?.extract_json("/ids")?;
///     Ok(ids.split(',').map(str::to_owned).collect())
/// }
/// ```
#[proc_macro_attribute]
pub fn setup(args: TokenStream, item: TokenStream) -> TokenStream {
    run_hook::expand(run_hook::Kind::Setup, args.into(), item.into()).into()
}

/// The binary's teardown: an `async fn(&mut User) -> Result<(), E>` run once after the last
/// step, even after failures and interrupts (k6's `teardown()`); its user sees the setup's
/// value. Like [`macro@setup`], it applies to every scenario that names no `teardown = ...`
/// of its own, and runs once per run.
#[proc_macro_attribute]
pub fn teardown(args: TokenStream, item: TokenStream) -> TokenStream {
    run_hook::expand(run_hook::Kind::Teardown, args.into(), item.into()).into()
}
