//! Writers of the results model besides JSON and the console: JUnit XML, a Markdown summary,
//! Locust-style CSV statistics.

pub mod html;
mod junit;
mod locust;
mod markdown;
mod system_csv;

pub use self::html::{ReportError, limit_findings, render_html, write_html};
pub use self::junit::junit_xml;
pub use self::locust::{history_csv, stats_csv};
pub use self::markdown::markdown_summary;
pub use self::system_csv::system_csvs;
