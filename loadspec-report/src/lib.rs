//! Renders loadspec results: the self-contained HTML report, JUnit XML, a Markdown summary,
//! Locust-style and dstat-like CSV files, and the console's text tables. Everything renders
//! from a [`RunResults`](loadspec_results::RunResults) alone, so a stored or merged run gets
//! the same files as a fresh one, through one [`write_outputs`].
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let results = loadspec_results::load("run/results.json".as_ref())?;
//! let html = loadspec_report::render_html(&results, &["target ran in debug mode".to_owned()])?;
//! std::fs::write("run/report-again.html", html)?;
//! # Ok(())
//! # }
//! ```

pub mod html;
mod junit;
mod locust;
mod markdown;
mod outputs;
mod system_csv;
pub mod text;

pub use self::html::{ReportError, limit_findings, render_html, step_rate_limit_line, write_html};
pub use self::junit::junit_xml;
pub use self::locust::{history_csv, stats_csv};
pub use self::markdown::markdown_summary;
pub use self::outputs::{OutputError, Written, write_outputs};
pub use self::system_csv::system_csvs;

/// The report's style sheet, so pages served while a run goes look like its report.
pub const STYLE: &str = include_str!("../templates/report/style.css");
