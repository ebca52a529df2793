//! The loadspec results schema: what a run writes and every tool reads back.
//!
//! A run's `results.json` ([`RunResults`], schema [`SCHEMA_NAME`] version [`SCHEMA_VERSION`],
//! documented in `docs/results-schema.md`) holds the plan, every step's per-label statistics
//! with their HDR histograms, the machine's samples and the criteria verdicts. This crate owns
//! the model, the criteria (their model, CSV files and the verdict matrix), the histogram
//! codec, and reading and writing the file, so reports, merges and comparisons work on stored
//! runs without the engine. It changes only with the schema.
//!
//! ```no_run
//! use loadspec_results::criteria::{evaluate, load_file};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let results = loadspec_results::load("target/loadspec/checkout/20261127T115331Z/results.json".as_ref())?;
//! // Judge the stored run against another criteria table than the one it ran with.
//! let criteria = load_file("load/criteria.csv".as_ref())?;
//! let table = criteria.into_iter().map(|c| c.criterion).collect();
//! let report = evaluate(&results, &[(results.run.name.clone(), table)]);
//! println!("{} steps judged, verdict {:?}", report.steps.len(), report.verdict);
//! # Ok(())
//! # }
//! ```

pub mod criteria;
pub mod custom;
mod error_kind;
pub mod histogram;
mod io;
mod mode;
pub mod model;
pub mod phases;
mod time;

pub use self::error_kind::{ErrorKind, LOCKOUT_PHRASES, is_lockout, lockout_phrase};
pub use self::io::{LoadError, WriteError, create_run_dir, load, write_atomically, write_json};
pub use self::mode::{Mode, ProfileKind};
pub use self::model::{RunResults, SCHEMA_NAME, SCHEMA_VERSION};
pub use self::time::{compact_timestamp, parse_unix_seconds, rfc3339, unix_seconds};

/// An error and its causes on one line (`cannot write x: permission denied`): how every
/// error reaches a terminal or a warning.
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
