//! Errors of the library API (the HTTP handlers answer with status codes instead).

use std::net::SocketAddr;

/// Why the demo target could not be seeded, started or queried.
///
/// The message includes the underlying cause (which is therefore not repeated as
/// `source()`), so `{}` alone tells the whole story.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The configured bind address is not a loopback address.
    #[error("refusing to bind {0}: the demo target only listens on loopback addresses")]
    NonLoopbackBind(SocketAddr),
    /// The configuration is unusable (e.g. a zero pool size).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A file-system operation failed (temp dir, socket).
    #[error("{context}: {cause}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// SQLite failed.
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    /// The server thread or task ended unexpectedly.
    #[error("server failed: {0}")]
    Server(String),
}

impl DemoError {
    pub(crate) fn io(context: impl Into<String>, cause: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            cause,
        }
    }
}

impl From<rusqlite::Error> for DemoError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Database(err)
    }
}
