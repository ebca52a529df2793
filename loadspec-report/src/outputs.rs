//! Every file of a run's directory, written the same way after a run and after a merge.

use std::path::{Path, PathBuf};

use loadspec_results::model::RunResults;
use loadspec_results::{WriteError, write_atomically, write_json};

use crate::html::{ReportError, write_html};

/// A results directory that could not be written (the HTML report aside: see [`Written`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A file or the directory could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A CSV file could not be produced.
    #[error("failed to write {}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: csv::Error,
    },
}

/// The files [`write_outputs`] wrote.
#[derive(Debug)]
pub struct Written {
    /// Every file written, `results.json` first.
    pub files: Vec<PathBuf>,
    /// Why `report.html` is missing, if it is. Not an error: `results.json` is on disk and
    /// `loadspec report` renders it again.
    pub report_error: Option<ReportError>,
}

/// Writes a run's files into `dir`: `results.json`, `summary.md`, `stats.csv`,
/// `stats_history.csv`, one `system_stats_*.csv` per step with system samples, `junit.xml`
/// when criteria were judged, and `report.html` (with `notes` in its overview). Each file is
/// written atomically, `results.json` first so that whatever fails later loses nothing.
pub fn write_outputs(
    results: &RunResults,
    dir: &Path,
    notes: &[String],
) -> Result<Written, OutputError> {
    let json = dir.join("results.json");
    write_json(&json, results)?;
    let mut files = vec![json];
    let csv_error = |name: &str| {
        let path = dir.join(name);
        move |source| OutputError::Csv { path, source }
    };
    let mut texts = vec![
        (
            "summary.md".to_owned(),
            crate::markdown_summary(results, results.criteria.as_ref()),
        ),
        (
            "stats.csv".to_owned(),
            crate::stats_csv(results).map_err(csv_error("stats.csv"))?,
        ),
        (
            "stats_history.csv".to_owned(),
            crate::history_csv(results).map_err(csv_error("stats_history.csv"))?,
        ),
    ];
    texts.extend(crate::system_csvs(results).map_err(csv_error("system_stats.csv"))?);
    if let Some(judged) = &results.criteria {
        texts.push((
            "junit.xml".to_owned(),
            crate::junit_xml(results, judged, false),
        ));
    }
    for (name, text) in texts {
        let path = dir.join(name);
        write_atomically(&path, text.as_bytes())?;
        files.push(path);
    }
    let html = dir.join("report.html");
    let report_error = match write_html(results, &html, notes) {
        Ok(()) => {
            files.push(html);
            None
        }
        Err(e) => Some(e),
    };
    Ok(Written {
        files,
        report_error,
    })
}
