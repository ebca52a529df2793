//! Data feeders: rows of a CSV or JSON-lines file handed to virtual users — shared in sequence,
//! at random from each user's seeded stream, or unique per user — plus generated data
//! ([`fake`]).
//!
//! A feeder is created once and shared by every user of every worker thread: the file is read
//! on first use (or by [`Feeder::load`]) into an `Arc<[Row]>` whose values are `Arc<str>`, and
//! a user gets a `&Row` into it — nothing is copied.
//!
//! ```no_run
//! use std::sync::LazyLock;
//! use loadspec_runner::{Failure, User, feeder::Feeder};
//!
//! // data/insurees.csv: chfId,lastName,otherNames,gender,dob
//! static INSUREES: LazyLock<Feeder> =
//!     LazyLock::new(|| Feeder::csv("data/insurees.csv").unique_per_user(300));
//!
//! async fn create_insuree(user: &mut User) -> Result<(), Failure> {
//!     let row = INSUREES.next(user)?; // user i, iteration k: row i + 300 k
//!     user.post("/api/insurees")
//!         .json(&row.to_json())
//!         .send()
//!         .await?
//!         .expect_status(201)?;
//!     Ok(())
//! }
//! ```
//!
//! See `docs/feeders.md`.

pub mod fake;
mod source;
mod strategy;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rand::Rng;

pub use self::source::{Format, Row};
pub use self::strategy::{OnEnd, Strategy};

use self::strategy::Miss;
use crate::user::User;

/// Why a feeder has no row to give.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FeederError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A line that does not parse, or a header that cannot name columns.
    #[error("{}:{line}: {message}", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file has no rows.
    #[error("{} has no rows", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Every row was used and the feeder stops at the end.
    #[error("feeder {name} ran out of rows after {rows} (use .on_end(OnEnd::Wrap) to start over)")]
    Exhausted {
        /// The feeder's file.
        name: String,
        /// Its number of rows.
        rows: usize,
    },
    /// A unique-per-user feeder got a user index beyond the users it was sized for.
    #[error(
        "feeder {name} is unique per user for {users} users, but user {index} asked for a row: size it for the largest step"
    )]
    UserOutOfRange {
        /// The feeder's file.
        name: String,
        /// Users it was sized for.
        users: u64,
        /// The user's index.
        index: u64,
    },
    /// A unique-per-user feeder has fewer rows than users.
    #[error("feeder {name} has {rows} rows: not enough for user {index} to get one of its own")]
    NotEnoughRows {
        /// The feeder's file.
        name: String,
        /// Its number of rows.
        rows: usize,
        /// The user's index.
        index: u64,
    },
    /// A row without a value for a column.
    #[error("line {line} has no value for column {column:?}")]
    MissingValue {
        /// The column.
        column: String,
        /// The row's line.
        line: u64,
    },
    /// A value that does not parse as the type asked for.
    #[error("line {line}, column {column:?}: cannot parse {message}")]
    InvalidValue {
        /// The column.
        column: String,
        /// The row's line.
        line: u64,
        /// The value and the parser's message.
        message: String,
    },
}

/// Where the rows come from.
#[derive(Debug)]
enum Origin {
    File { path: PathBuf, format: Format },
    Rows,
}

/// Rows of a data file, and the rule that hands them to users.
///
/// `Feeder::csv(path)` and `Feeder::jsonl(path)` do not touch the file: it is read on first
/// use (once, whatever the number of users and threads) or by [`Feeder::load`], which also
/// reports a missing file or a bad line early. A failed load is remembered: every later call
/// returns the same error.
#[derive(Debug)]
pub struct Feeder {
    origin: Origin,
    name: String,
    strategy: Strategy,
    on_end: OnEnd,
    rows: OnceLock<Result<Arc<[Row]>, FeederError>>,
    cursor: AtomicU64,
}

impl Feeder {
    fn new(origin: Origin, name: String) -> Self {
        Self {
            origin,
            name,
            strategy: Strategy::Sequential,
            on_end: OnEnd::Wrap,
            rows: OnceLock::new(),
            cursor: AtomicU64::new(0),
        }
    }

    /// A feeder of a CSV file whose first line names the columns. Relative paths are relative
    /// to the working directory (the package's root under `cargo test`).
    ///
    /// The default strategy is [`Feeder::circular`].
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        Self::file(path.into(), Format::Csv)
    }

    /// A feeder of a JSON-lines file: one JSON object per line, its keys naming the columns
    /// (strings are taken as they are, other values as their JSON text, `null` as missing).
    pub fn jsonl(path: impl Into<PathBuf>) -> Self {
        Self::file(path.into(), Format::JsonLines)
    }

    /// A feeder of a file in `format`.
    pub fn file(path: PathBuf, format: Format) -> Self {
        let name = path.display().to_string();
        Self::new(Origin::File { path, format }, name)
    }

    /// A feeder of a file, its format chosen by extension (`.jsonl` and `.ndjson` are JSON
    /// lines, anything else CSV).
    pub fn open(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let format = source::format_of(&path);
        Self::file(path, format)
    }

    /// A feeder of rows built in code (no file).
    pub fn from_rows(name: impl Into<String>, rows: Vec<Row>) -> Self {
        let feeder = Self::new(Origin::Rows, name.into());
        let rows = if rows.is_empty() {
            Err(FeederError::Empty {
                path: PathBuf::from(&feeder.name),
            })
        } else {
            Ok(Arc::from(rows))
        };
        let _ = feeder.rows.set(rows);
        feeder
    }

    /// One shared cursor that stops after the last row ([`FeederError::Exhausted`]).
    pub fn sequential(mut self) -> Self {
        self.strategy = Strategy::Sequential;
        self.on_end = OnEnd::Stop;
        self
    }

    /// One shared cursor that starts over after the last row (the default).
    pub fn circular(mut self) -> Self {
        self.strategy = Strategy::Sequential;
        self.on_end = OnEnd::Wrap;
        self
    }

    /// A row drawn from each user's seeded random stream.
    pub fn random(mut self) -> Self {
        self.strategy = Strategy::Random;
        self
    }

    /// User `i` gets rows `i`, `i + users`, `i + 2 users`... (one per iteration), so no two
    /// users of a step share a row; `users` is the largest step. Stops after the user's last
    /// row unless [`on_end`](Self::on_end) is [`OnEnd::Wrap`].
    pub fn unique_per_user(mut self, users: u64) -> Self {
        self.strategy = Strategy::UniquePerUser {
            users: users.max(1),
        };
        self.on_end = OnEnd::Stop;
        self
    }

    /// What happens after the last row, for sequential and unique feeders.
    pub fn on_end(mut self, on_end: OnEnd) -> Self {
        self.on_end = on_end;
        self
    }

    /// The strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The file (or the name given to [`Feeder::from_rows`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the file now, if it was not read yet; returns the number of rows.
    pub fn load(&self) -> Result<usize, FeederError> {
        Ok(self.rows()?.len())
    }

    /// The rows, shared: cloning the `Arc` copies no row.
    pub fn shared_rows(&self) -> Result<Arc<[Row]>, FeederError> {
        self.rows().map(Arc::clone)
    }

    fn rows(&self) -> Result<&Arc<[Row]>, FeederError> {
        let loaded = self.rows.get_or_init(|| match &self.origin {
            Origin::File { path, format } => source::load(path, *format),
            Origin::Rows => Err(FeederError::Empty {
                path: Path::new(&self.name).to_path_buf(),
            }),
        });
        loaded.as_ref().map_err(Clone::clone)
    }

    /// The next row for `user`, by the feeder's strategy: the shared cursor, the user's
    /// random stream, or the user's index and iteration.
    pub fn next(&self, user: &mut User) -> Result<&Row, FeederError> {
        match self.strategy {
            Strategy::Sequential => self.next_shared(),
            Strategy::Random => self.random_row(user.rng()),
            Strategy::UniquePerUser { users } => {
                self.unique_row(user.index(), user.iteration(), users)
            }
        }
    }

    /// The next row of the shared cursor (whatever the strategy); wraps or stops at the end.
    pub fn next_shared(&self) -> Result<&Row, FeederError> {
        let rows = self.rows()?;
        let n = self.cursor.fetch_add(1, Ordering::Relaxed);
        let index = strategy::sequential(n, rows.len() as u64, self.on_end)
            .map_err(|miss| self.miss(miss, rows.len(), 0, 0))?;
        Ok(&rows[index as usize])
    }

    /// A row drawn uniformly with `rng` (pass the user's [`UserRng`](crate::UserRng) for
    /// reproducible runs).
    pub fn random_row<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<&Row, FeederError> {
        let rows = self.rows()?;
        Ok(&rows[rng.random_range(0..rows.len())])
    }

    /// The row of user `index` at its `iteration` when rows are split between `users` users:
    /// row `index + iteration * users` (wrapping within the user's own rows with
    /// [`OnEnd::Wrap`]).
    pub fn unique_row(&self, index: u64, iteration: u64, users: u64) -> Result<&Row, FeederError> {
        let rows = self.rows()?;
        let row = strategy::unique(
            index,
            iteration,
            users.max(1),
            rows.len() as u64,
            self.on_end,
        )
        .map_err(|miss| self.miss(miss, rows.len(), index, users))?;
        Ok(&rows[row as usize])
    }

    /// Starts the shared cursor over from the first row.
    pub fn rewind(&self) {
        self.cursor.store(0, Ordering::Relaxed);
    }

    fn miss(&self, miss: Miss, rows: usize, index: u64, users: u64) -> FeederError {
        let name = self.name.clone();
        match miss {
            Miss::Exhausted => FeederError::Exhausted { name, rows },
            Miss::UserOutOfRange => FeederError::UserOutOfRange { name, users, index },
            Miss::NoRowForUser => FeederError::NotEnoughRows { name, rows, index },
        }
    }
}
