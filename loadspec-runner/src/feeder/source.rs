//! Loading a data file into shared rows: CSV (with a header line) or JSON lines (one object
//! per line). Every value is an `Arc<str>` and the rows an `Arc<[Row]>`, so handing a row or a
//! value to a user never copies data.

use std::path::Path;
use std::sync::Arc;

use super::FeederError;

/// The file formats a feeder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Comma-separated values with a header line naming the columns.
    Csv,
    /// One JSON object per line; keys are columns, blank lines are skipped.
    JsonLines,
}

/// One row: column names (shared by every row of the file) and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    columns: Arc<[Arc<str>]>,
    values: Box<[Option<Arc<str>>]>,
    line: u64,
}

impl Row {
    /// A row of `columns` and `values` (missing values are `None`), from line `line`.
    pub fn new(columns: Arc<[Arc<str>]>, values: Vec<Option<Arc<str>>>, line: u64) -> Self {
        let mut values = values;
        values.resize(columns.len(), None);
        Self {
            columns,
            values: values.into_boxed_slice(),
            line,
        }
    }

    /// The value of `column`, if the column exists and the row has a value.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.value(column).map(|v| &**v)
    }

    /// The shared value of `column`: clone it to keep it beyond the row (a reference-count
    /// increment, no copy).
    pub fn value(&self, column: &str) -> Option<&Arc<str>> {
        let index = self.columns.iter().position(|c| &**c == column)?;
        self.values.get(index)?.as_ref()
    }

    /// The value of `column`, or an error naming the file's line.
    pub fn require(&self, column: &str) -> Result<&str, FeederError> {
        self.get(column).ok_or_else(|| FeederError::MissingValue {
            column: column.to_owned(),
            line: self.line,
        })
    }

    /// The value of `column` parsed as `T` (a number, a bool...).
    pub fn parse<T: std::str::FromStr>(&self, column: &str) -> Result<T, FeederError>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.require(column)?;
        text.parse().map_err(|e: T::Err| FeederError::InvalidValue {
            column: column.to_owned(),
            line: self.line,
            message: format!("{text:?}: {e}"),
        })
    }

    /// The column names.
    pub fn columns(&self) -> &[Arc<str>] {
        &self.columns
    }

    /// `(column, value)` pairs of the values present, in column order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.columns
            .iter()
            .zip(self.values.iter())
            .filter_map(|(c, v)| v.as_deref().map(|v| (&**c, v)))
    }

    /// The line of the file the row came from (from 1; the header is line 1 of a CSV file).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The row as a JSON object of strings, e.g. to post it as it is.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.iter()
                .map(|(c, v)| (c.to_owned(), serde_json::Value::String(v.to_owned())))
                .collect(),
        )
    }
}

/// Loads the rows of `path`.
pub(crate) fn load(path: &Path, format: Format) -> Result<Arc<[Row]>, FeederError> {
    let io_error = |source: std::io::Error| FeederError::Io {
        path: path.to_path_buf(),
        source: Arc::new(source),
    };
    let bytes = std::fs::read(path).map_err(io_error)?;
    let rows = match format {
        Format::Csv => csv(path, &bytes)?,
        Format::JsonLines => json_lines(path, &bytes)?,
    };
    if rows.is_empty() {
        return Err(FeederError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(rows.into())
}

fn csv(path: &Path, bytes: &[u8]) -> Result<Vec<Row>, FeederError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bad = |line: u64, message: String| FeederError::BadRow {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| bad(csv_line(&e).unwrap_or(1), csv_message(&e)))?
        .clone();
    let columns = columns(path, headers.iter().map(str::trim))?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(csv_line(&e).unwrap_or(0), csv_message(&e)))?;
        let line = record.position().map_or(0, |p| p.line());
        let values = record
            .iter()
            .map(|v| (!v.is_empty()).then(|| Arc::from(v)))
            .collect();
        rows.push(Row::new(Arc::clone(&columns), values, line));
    }
    Ok(rows)
}

fn csv_line(error: &::csv::Error) -> Option<u64> {
    error.position().map(::csv::Position::line)
}

fn csv_message(error: &::csv::Error) -> String {
    match error.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        ::csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8: {err}"),
        _ => error.to_string(),
    }
}

/// Checked column names: none empty, none repeated.
fn columns<'a>(
    path: &Path,
    names: impl Iterator<Item = &'a str>,
) -> Result<Arc<[Arc<str>]>, FeederError> {
    let mut columns: Vec<Arc<str>> = Vec::new();
    for name in names {
        if name.is_empty() || columns.iter().any(|c| &**c == name) {
            return Err(FeederError::BadRow {
                path: path.to_path_buf(),
                line: 1,
                message: if name.is_empty() {
                    "the header has an empty column name".to_owned()
                } else {
                    format!("the header names column {name:?} twice")
                },
            });
        }
        columns.push(Arc::from(name));
    }
    if columns.is_empty() {
        return Err(FeederError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(columns.into())
}

/// The values of a row being read: `(column, value)`.
type Values = Vec<(usize, Arc<str>)>;

fn json_lines(path: &Path, bytes: &[u8]) -> Result<Vec<Row>, FeederError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        FeederError::BadRow {
            path: path.to_path_buf(),
            line,
            message: "invalid UTF-8".to_owned(),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut names: Vec<Arc<str>> = Vec::new();
    // (line, [(column, value)]) per row, until every column is known.
    let mut parsed: Vec<(u64, Values)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                return Err(FeederError::BadRow {
                    path: path.to_path_buf(),
                    line: number,
                    message: "expected a JSON object".to_owned(),
                });
            }
            Err(e) => {
                return Err(FeederError::BadRow {
                    path: path.to_path_buf(),
                    line: number,
                    message: format!("invalid JSON: {e}"),
                });
            }
        };
        let mut values = Vec::with_capacity(object.len());
        for (key, value) in object {
            let text: Arc<str> = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => Arc::from(s),
                other => Arc::from(other.to_string()),
            };
            let column = match names.iter().position(|n| **n == *key) {
                Some(column) => column,
                None => {
                    names.push(Arc::from(key));
                    names.len() - 1
                }
            };
            values.push((column, text));
        }
        parsed.push((number, values));
    }
    let columns: Arc<[Arc<str>]> = names.into();
    Ok(parsed
        .into_iter()
        .map(|(line, values)| {
            let mut row = vec![None; columns.len()];
            for (column, value) in values {
                row[column] = Some(value);
            }
            Row::new(Arc::clone(&columns), row, line)
        })
        .collect())
}

/// The format of a file by its extension: `.jsonl`/`.ndjson` are JSON lines, anything else CSV.
pub(crate) fn format_of(path: &Path) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl" | "ndjson") => Format::JsonLines,
        _ => Format::Csv,
    }
}
