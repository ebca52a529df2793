//! HAR import: turns a browser recording (HAR 1.2, as Chrome, Firefox and Safari export it)
//! into a readable, compiling `#[scenario]` file — `loadspec import-har recording.har`.
//!
//! ```no_run
//! use loadspec_cli::har::{ImportOptions, import_file};
//!
//! let options = ImportOptions::default().name("insuree_flow");
//! let generated = import_file("recording.har".as_ref(), &options)?;
//! std::fs::write("tests/insuree_flow.rs", &generated.code)?;
//! for todo in &generated.todos {
//!     eprintln!("TODO check: {todo}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline: [`model`] parses the file (within [`ImportOptions::max_bytes`] and
//! [`ImportOptions::max_entries`]); `filter` drops static assets, other hosts, cached and
//! preflight requests and browser headers; `group` makes one transaction per page (or per
//! burst between idle gaps) with the recorded think time before it; `correlate` turns tokens
//! and ids returned by earlier responses into variables; `codegen` writes the file with
//! `prettyplease`. See `docs/har-import.md`.

mod call;
mod cli;
mod codegen;
mod correlate;
mod filter;
mod group;
mod json;
mod layout;
pub mod model;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::cli::run_cli;
pub use self::filter::DropReason;
pub use self::group::Grouping;

use self::call::Call;
use self::model::{Har, parse_time_ms};

/// Default of [`ImportOptions::max_bytes`]: 200 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 200 * 1024 * 1024;

/// Default of [`ImportOptions::max_entries`].
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// Default of [`ImportOptions::max_body_bytes`]: 64 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// Why a recording could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The recording is larger than [`ImportOptions::max_bytes`].
    #[error("the recording is {size} bytes, above the limit of {limit} bytes (--max-size)")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not JSON, or not a HAR document.
    #[error("not a valid HAR file (line {line}, column {column}): {message}")]
    Malformed {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// More entries than [`ImportOptions::max_entries`].
    #[error("the recording has {count} entries, above the limit of {limit} (--max-entries)")]
    TooManyEntries {
        /// Entries in the recording.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The recording has no entries at all.
    #[error("the recording has no requests (log.entries is empty)")]
    Empty,
    /// Every request was filtered out.
    #[error("no request left to import: {0}")]
    NothingKept(String),
    /// The scenario name is not a Rust identifier.
    #[error(
        "invalid scenario name {0:?}: expected a snake_case Rust identifier such as insuree_flow"
    )]
    InvalidName(String),
    /// A bug: the generated code did not parse.
    #[error("internal error while generating the scenario: {0}")]
    Codegen(String),
}

/// How to import a recording.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Name of the scenario function (default `recorded_flow`).
    pub name: Option<String>,
    /// The recorded host that stands for the target (`host` or `host:port`); by default the
    /// host with the most requests. Its requests use paths relative to the target.
    pub host: Option<String>,
    /// More hosts whose requests are kept (exact names, `*.example.org`, or `*`); they keep
    /// their absolute URLs. Requests to any other host are dropped.
    pub host_filter: Vec<String>,
    /// Keep images, fonts, stylesheets, scripts, source maps and favicons.
    pub keep_static: bool,
    /// How requests are grouped into transactions.
    pub grouping: Grouping,
    /// Without pages, a pause longer than this starts a new transaction (default 1 s).
    pub idle_gap: Duration,
    /// Largest recording accepted, in bytes ([`DEFAULT_MAX_BYTES`]).
    pub max_bytes: u64,
    /// Most entries accepted ([`DEFAULT_MAX_ENTRIES`]).
    pub max_entries: usize,
    /// Request bodies larger than this are left out of the code, with a `TODO check`
    /// ([`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// Add `fn main() { loadspec::main() }`, for a `harness = false` test target of its own.
    pub with_main: bool,
    /// Name of the recording, shown in the file's header comment.
    pub source_name: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            name: None,
            host: None,
            host_filter: Vec::new(),
            keep_static: false,
            grouping: Grouping::Auto,
            idle_gap: Duration::from_secs(1),
            max_bytes: DEFAULT_MAX_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            with_main: false,
            source_name: None,
        }
    }
}

impl ImportOptions {
    /// Sets the scenario function's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the recorded host that stands for the target.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Adds hosts whose requests are kept.
    pub fn host_filter(mut self, hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.host_filter.extend(hosts.into_iter().map(Into::into));
        self
    }

    /// Keeps static assets.
    pub fn keep_static(mut self, keep: bool) -> Self {
        self.keep_static = keep;
        self
    }

    /// Sets how requests are grouped into transactions.
    pub fn grouping(mut self, grouping: Grouping) -> Self {
        self.grouping = grouping;
        self
    }

    /// Sets the idle gap that separates transactions when grouping by gaps.
    pub fn idle_gap(mut self, gap: Duration) -> Self {
        self.idle_gap = gap;
        self
    }

    /// Sets the size limit of the recording.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets the entry limit of the recording.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// Sets the size above which request bodies are left out of the code.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Adds a `main` function to the generated file.
    pub fn with_main(mut self, with_main: bool) -> Self {
        self.with_main = with_main;
        self
    }

    /// Names the recording in the generated file's header.
    pub fn source_name(mut self, name: impl Into<String>) -> Self {
        self.source_name = Some(name.into());
        self
    }
}

/// The generated scenario and what the importer did.
#[derive(Debug, Clone)]
pub struct GeneratedScenario {
    /// The Rust source, formatted.
    pub code: String,
    /// The scenario function's name.
    pub name: String,
    /// The recorded host the target stands for.
    pub target_host: String,
    /// The transactions, in order.
    pub transactions: Vec<TransactionSummary>,
    /// Requests in the scenario.
    pub requests: usize,
    /// Recorded requests left out, and why.
    pub dropped: Vec<DroppedRequest>,
    /// Values extracted from responses.
    pub correlations: Vec<Correlation>,
    /// The `TODO check` notes of the code, each prefixed with its request.
    pub todos: Vec<String>,
}

/// One transaction of the generated scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSummary {
    /// Its name.
    pub name: String,
    /// Its requests.
    pub requests: usize,
    /// The recorded think time before it.
    pub pause_before: Option<Duration>,
}

/// A recorded request the scenario does not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedRequest {
    /// Index in `log.entries`.
    pub entry: usize,
    /// Method and URL.
    pub request: String,
    /// Why it was dropped.
    pub reason: DropReason,
}

/// A value the scenario extracts from a response instead of sending the recorded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correlation {
    /// The variable.
    pub variable: String,
    /// The request whose response holds it (`POST /api/auth/login`).
    pub source: String,
    /// JSON pointer of the field (`/access`).
    pub pointer: String,
    /// The recorded value.
    pub recorded: String,
    /// How many recorded values it replaces.
    pub uses: usize,
}

/// Imports a recording read from `path` (see [`import`]).
pub fn import_file(path: &Path, options: &ImportOptions) -> Result<GeneratedScenario, HarError> {
    let read_error = |source| HarError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > options.max_bytes {
        return Err(HarError::TooLarge {
            size,
            limit: options.max_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    let mut options = options.clone();
    if options.source_name.is_none() {
        options.source_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    }
    import(&bytes, &options)
}

/// Imports a recording: parses the HAR, filters, groups and correlates its requests, and
/// generates the scenario's source.
pub fn import(har: &[u8], options: &ImportOptions) -> Result<GeneratedScenario, HarError> {
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| "recorded_flow".to_owned());
    if !is_identifier(&name) {
        return Err(HarError::InvalidName(name));
    }
    let size = har.len() as u64;
    if size > options.max_bytes {
        return Err(HarError::TooLarge {
            size,
            limit: options.max_bytes,
        });
    }
    let har = har.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(har);
    let parsed: Har = serde_json::from_slice(har).map_err(|e| {
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        HarError::Malformed {
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    let log = parsed.log;
    if log.entries.is_empty() {
        return Err(HarError::Empty);
    }
    if log.entries.len() > options.max_entries {
        return Err(HarError::TooManyEntries {
            count: log.entries.len(),
            limit: options.max_entries,
        });
    }

    let filter::Selection {
        target,
        kept,
        mut dropped,
    } = filter::select(&log.entries, options)?;
    let mut calls: Vec<Call> = kept
        .iter()
        .map(|(index, url)| {
            let entry = &log.entries[*index];
            let start = entry.started_date_time.as_deref().and_then(parse_time_ms);
            Call::new(*index, entry, url, &target, start, options.max_body_bytes)
        })
        .collect();
    let pagerefs: Vec<Option<String>> = log.entries.iter().map(|e| e.pageref.clone()).collect();
    let groups = group::group(
        &mut calls,
        &pagerefs,
        &log.pages,
        options.grouping,
        options.idle_gap,
    );
    let mut calls = merge_redirects(calls, &mut dropped, &log.entries);
    let vars = correlate::correlate(&mut calls);
    let session_headers = session_headers(&mut calls);
    dropped.sort_by_key(|d| d.entry);

    // Requests per transaction, once redirects are merged.
    let mut requests_per_group = vec![0_usize; groups.len()];
    for call in &calls {
        requests_per_group[call.group] += 1;
    }
    let transactions: Vec<TransactionSummary> = groups
        .iter()
        .zip(&requests_per_group)
        .map(|(g, n)| TransactionSummary {
            name: g.name.clone(),
            requests: *n,
            pause_before: g.pause,
        })
        .collect();
    let doc = header_doc(
        &name,
        options,
        &transactions,
        calls.len(),
        &dropped,
        &target,
    );
    let code = codegen::generate(&codegen::Program {
        name: &name,
        doc,
        groups: &groups,
        calls: &calls,
        vars: &vars,
        session_headers: &session_headers,
        with_main: options.with_main,
    })?;
    let described: Vec<String> = calls.iter().map(Call::describe).collect();
    let correlations = vars
        .iter()
        .map(|v| Correlation {
            variable: v.name.clone(),
            source: described[v.call].clone(),
            pointer: v.pointer.clone(),
            recorded: v.value.clone(),
            uses: v.uses,
        })
        .collect();
    let todos = calls
        .iter()
        .flat_map(|c| {
            c.todos
                .iter()
                .map(move |t| format!("{}: {t}", c.describe()))
        })
        .collect();
    Ok(GeneratedScenario {
        code,
        name,
        target_host: target,
        transactions,
        requests: calls.len(),
        dropped,
        correlations,
        todos,
    })
}

/// Drops the requests a browser made to follow a redirect (the HTTP client follows it
/// itself), handing their response to the redirecting request.
fn merge_redirects(
    calls: Vec<Call>,
    dropped: &mut Vec<DroppedRequest>,
    entries: &[model::Entry],
) -> Vec<Call> {
    let mut out: Vec<Call> = Vec::with_capacity(calls.len());
    for call in calls {
        let follows = out.last().is_some_and(|previous| {
            previous.group == call.group
                && previous.redirect.as_deref() == Some(call.url.as_str())
                && matches!(call.method.as_str(), "GET" | "HEAD")
        });
        if follows && let Some(previous) = out.last_mut() {
            dropped.push(DroppedRequest {
                entry: call.entry,
                request: format!("{} {}", entries[call.entry].request.method, call.url),
                reason: DropReason::FollowedRedirect,
            });
            previous.absorb_redirect(call);
            continue;
        }
        out.push(call);
    }
    out
}

/// Headers every request sends with the same value (two requests at least) move to the
/// session; they are removed from the requests.
fn session_headers(calls: &mut [Call]) -> Vec<(String, String)> {
    if calls.len() < 2 {
        return Vec::new();
    }
    let mut common: Vec<(String, String)> = calls[0]
        .headers
        .iter()
        .filter(|h| h.var.is_none())
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    for call in &calls[1..] {
        common.retain(|(name, value)| {
            call.headers
                .iter()
                .any(|h| h.var.is_none() && h.name == *name && h.value == *value)
        });
    }
    // The recorded authorization stays on the requests (it may change between them).
    common.retain(|(name, _)| name != "authorization");
    for call in calls.iter_mut() {
        call.headers
            .retain(|h| !common.iter().any(|(n, v)| *n == h.name && *v == h.value));
    }
    common
}

fn header_doc(
    name: &str,
    options: &ImportOptions,
    transactions: &[TransactionSummary],
    requests: usize,
    dropped: &[DroppedRequest],
    target: &str,
) -> Vec<String> {
    let from = options
        .source_name
        .as_deref()
        .map_or_else(|| "a HAR recording".to_owned(), |s| format!("`{s}`"));
    let mut doc = vec![format!(
        "`{name}`, generated by `loadspec import-har` from {from}: {} transactions, {requests} \
         requests to {target}.",
        transactions.len()
    )];
    if !dropped.is_empty() {
        doc.push(format!(
            "Dropped recorded requests: {}.",
            dropped_summary(dropped).join(", ")
        ));
    }
    doc.push(String::new());
    doc.push(
        "Review every `TODO check` comment, then set the load (`threads`, `hold`...) in \
         `#[scenario]`."
            .to_owned(),
    );
    doc.into_iter().flat_map(|line| wrap(&line, 96)).collect()
}

/// Splits `text` into lines of at most `width` characters (an empty line stays empty).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Whether `name` can name the scenario function.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name != "_"
        && syn::parse_str::<syn::Ident>(name).is_ok()
        && !matches!(name, "main" | "json_text" | "json_int")
}

/// `["6 static assets", "1 CORS preflight", ..]`, in order of first occurrence.
pub(crate) fn dropped_summary(dropped: &[DroppedRequest]) -> Vec<String> {
    let mut reasons: Vec<(&str, &str, usize)> = Vec::new();
    for d in dropped {
        let (one, many) = match &d.reason {
            DropReason::StaticAsset => ("static asset", "static assets"),
            DropReason::OtherHost(_) => ("request to another host", "requests to other hosts"),
            DropReason::UnsupportedUrl => ("non-http(s) URL", "non-http(s) URLs"),
            DropReason::NoResponse => ("unanswered request", "unanswered requests"),
            DropReason::FromCache => (
                "answer from the browser cache",
                "answers from the browser cache",
            ),
            DropReason::CorsPreflight => ("CORS preflight", "CORS preflights"),
            DropReason::FollowedRedirect => ("followed redirect", "followed redirects"),
            DropReason::InvalidMethod => ("invalid method", "invalid methods"),
        };
        match reasons.iter_mut().find(|(r, _, _)| *r == one) {
            Some((_, _, n)) => *n += 1,
            None => reasons.push((one, many, 1)),
        }
    }
    reasons
        .iter()
        .map(|(one, many, n)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect()
}
