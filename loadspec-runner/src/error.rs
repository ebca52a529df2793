//! Errors of the runner and the process exit codes, documented in one place.

use std::io;
use std::path::PathBuf;

/// A configuration that cannot be run: a bad flag, variable, attribute value or target.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value that does not parse.
    #[error("invalid {source_name} {value:?}: expected {expected}")]
    Invalid {
        /// The flag or variable.
        source_name: String,
        /// The value given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A unit string that does not parse.
    #[error("invalid {source_name}: {error}")]
    Unit {
        /// The flag or variable.
        source_name: String,
        /// The parser's message.
        #[source]
        error: loadspec_units::UnitError,
    },
    /// Several `#[setup]` (or `#[teardown]`) functions in one binary.
    #[error(
        "more than one #[{kind}] in this binary ({functions}): keep one, or name each scenario's own with `{kind} = function`"
    )]
    DuplicateRunHook {
        /// `setup` or `teardown`.
        kind: &'static str,
        /// The functions, with their module paths.
        functions: String,
    },
    /// No target URL anywhere.
    #[error(
        "no target to load: set --target or LOADSPEC_TARGET to a base URL like http://127.0.0.1:8000"
    )]
    NoTarget,
    /// A target that is not an http(s) base URL.
    #[error("invalid target {value:?}: {reason}; expected a base URL like http://127.0.0.1:8000")]
    Target {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A scenario whose options contradict each other.
    #[error("scenario `{scenario}`: {reason}")]
    Scenario {
        /// The scenario.
        scenario: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing to run.
    #[error("no scenario to run")]
    NoScenarios,
    /// The TLS configuration could not be made (`--ca-cert`).
    #[error(transparent)]
    Tls(#[from] crate::user::TlsSetupError),
    /// A heavy plan against a target that is not loopback, without `--allow-remote-load`.
    #[error(
        "refusing to send {users} users to {target}, which is not on this machine: above {limit} users a remote target needs --allow-remote-load (or LOADSPEC_ALLOW_REMOTE_LOAD=1)"
    )]
    UnsafeLoad {
        /// The target.
        target: String,
        /// The most users of a step.
        users: u32,
        /// The limit.
        limit: u32,
    },
    /// A criteria file that cannot be used.
    #[error(transparent)]
    CriteriaFile(#[from] loadspec_results::criteria::CriteriaFileError),
}

impl ConfigError {
    pub(crate) fn invalid(source_name: &str, value: &str, expected: &str) -> Self {
        Self::Invalid {
            source_name: source_name.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn unit(source_name: &str, error: loadspec_units::UnitError) -> Self {
        Self::Unit {
            source_name: source_name.into(),
            error,
        }
    }

    pub(crate) fn scenario(scenario: &str, reason: impl Into<String>) -> Self {
        Self::Scenario {
            scenario: scenario.into(),
            reason: reason.into(),
        }
    }
}

/// A run that could not be carried out. Failed criteria are not errors: they are verdicts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The plan is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A worker thread or runtime could not start.
    #[error("failed to start the {what}")]
    Start {
        /// Which part.
        what: &'static str,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A live output could not start (`--live-strict`).
    #[error(transparent)]
    Live(#[from] loadspec_live::LiveError),
    /// The HTTP client could not be built.
    #[error("failed to build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// A worker thread stopped answering (it panicked outside any scenario).
    #[error("a worker thread stopped unexpectedly")]
    WorkerLost,
    /// A results file could not be written.
    #[error("failed to write {}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The run's files could not be written after it ran (a full disk): the one line says
    /// which file, why, and what of the run is still on disk.
    #[error("failed to write {}: {cause}; {kept}", path.display())]
    Unsaved {
        /// The file that could not be written.
        path: PathBuf,
        /// The cause (in the message, not a source: it is said once).
        cause: io::Error,
        /// What is still on disk.
        kept: String,
    },
}

impl From<loadspec_results::WriteError> for RunError {
    fn from(e: loadspec_results::WriteError) -> Self {
        Self::Write {
            path: e.path,
            source: e.source,
        }
    }
}

impl From<loadspec_report::OutputError> for RunError {
    fn from(e: loadspec_report::OutputError) -> Self {
        match e {
            loadspec_report::OutputError::Write(e) => e.into(),
            loadspec_report::OutputError::Csv { path, source } => Self::Write {
                path,
                source: io::Error::other(source),
            },
            other => Self::Write {
                path: PathBuf::new(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

/// Process exit codes of the harness and the `loadspec` binary.
pub mod exit_code {
    /// Every scenario ran and passed.
    pub const SUCCESS: u8 = 0;
    /// A flag, variable, attribute or file was invalid; nothing ran.
    pub const CONFIG: u8 = 2;
    /// A scenario failed: a smoke iteration failed, or a criterion failed.
    pub const FAILED: u8 = 3;
    /// A run could not be carried out (threads, runtime, output files).
    pub const RUN_ERROR: u8 = 4;
    /// The run was interrupted (Ctrl-C / SIGTERM); partial results were written.
    pub const INTERRUPTED: u8 = 130;
}

pub use loadspec_results::one_line;
