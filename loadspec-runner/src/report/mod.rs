//! Writers of the results model besides JSON and the console: JUnit XML and a Markdown summary.

mod junit;
mod markdown;

pub use self::junit::junit_xml;
pub use self::markdown::markdown_summary;
