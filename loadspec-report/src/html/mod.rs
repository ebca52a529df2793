//! The HTML report: one self-contained file per run, rendered only from [`RunResults`] (so
//! stored, loaded and merged runs get one too). Charts are inline SVG built in Rust, the page
//! goes through an auto-escaping askama template (`templates/report.html`), and CSS and the
//! small optional script are inline: the file opens from `file://` without any network
//! access (its Content-Security-Policy forbids every fetch).
//!
//! Module map: `view` builds the page model from the results; `charts` decides what each
//! chart plots and `svg` draws it; `totals` sums each step's scenarios; `knee` finds where
//! throughput stops scaling; `phases` splits each request label's time into its phases;
//! `findings` writes the observations; `system` draws the
//! generator's CPU, memory, network and disk when the run sampled them; `downsample` keeps long
//! runs small; `format` and `escape` are shared helpers.

mod charts;
mod custom;
mod downsample;
mod escape;
mod findings;
mod format;
mod generators;
mod knee;
mod limits;
mod phases;
mod server_timing;
mod svg;
mod system;
mod totals;
mod view;

pub use self::limits::limit_findings;
pub use self::limits::step_rate_limit_line;

use std::path::{Path, PathBuf};

use askama::Template as _;

use loadspec_results::model::RunResults;
use loadspec_results::write_atomically;

/// A report that could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The template failed to render (a bug: the template is checked at compile time).
    #[error("failed to render the HTML report: {reason}")]
    Render {
        /// The template engine's message.
        reason: String,
    },
    /// The file could not be written.
    #[error("failed to write the HTML report {}", path.display())]
    Write {
        /// The file (or its directory).
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Renders the HTML report of `results`. `notes` are free-text notes and assumptions shown in
/// the overview (e.g. "target ran in debug mode", "database seeded with 100k insurees").
pub fn render_html(results: &RunResults, notes: &[String]) -> Result<String, ReportError> {
    view::Page::new(results, notes)
        .render()
        .map_err(|e| ReportError::Render {
            reason: e.to_string(),
        })
}

/// Renders the report and writes it to `path` atomically (a crash never leaves half a file).
pub fn write_html(results: &RunResults, path: &Path, notes: &[String]) -> Result<(), ReportError> {
    let html = render_html(results, notes)?;
    // Name the report itself, even when its directory was what failed.
    write_atomically(path, html.as_bytes()).map_err(|e| ReportError::Write {
        path: path.to_owned(),
        source: e.source,
    })
}
