//! The root package's integration tests: one module per area, all in one test binary, so the
//! demo, SQLite and axum are compiled into and linked once rather than once per file.
//! (`cargo test --test it <module>` runs one area, e.g. `cargo test --test it sharding`.)
//!
//! One binary means one `inventory` of `#[scenario]`s and one set of binary-wide hooks:
//!
//! - a test that runs registered scenarios takes its own module's (by `module_path!()`), as
//!   `registration`, `lifecycle` and `run_hooks` do, never "all of them";
//! - a free-standing `#[setup]` / `#[teardown]` is the hook of every `#[scenario]` of the binary
//!   without one of its own, and the runner refuses two of either: `run_hooks` declares the
//!   only ones, so the other modules' registered scenarios name their own hooks or are never
//!   run (`registration`'s); the `insuree_flow` example, which has a `#[setup]`, runs as its own
//!   binary (`example_flows`).
//!
//! Two test binaries stay apart: `load` (a user-style `#[scenario]` suite that loadspec's own
//! harness runs, `harness = false`) and `ui` (trybuild's compile-fail cases).

mod support;

mod architecture;
mod checks;
mod criteria;
mod custom_metrics;
mod disk_full;
mod engine;
mod example_flows;
mod faults;
mod feeders;
mod har_import;
mod http2;
mod http_client;
mod https;
mod lifecycle;
mod limits;
mod live;
mod monitoring;
mod netfaults;
mod open_files;
mod open_model;
mod openimis_outage;
mod outputs;
mod properties;
mod registration;
mod report_browser;
mod report_fixture;
mod report_html;
mod resilience;
mod run_hooks;
mod sharding;
mod signals;
mod source_addresses;
mod user_stop;
mod warmup;
mod websocket;
mod window_abort;
