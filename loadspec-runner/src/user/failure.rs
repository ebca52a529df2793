//! Why a request, transaction or iteration failed.

use std::fmt;

pub use loadspec_results::{ErrorKind, LOCKOUT_PHRASES, lockout_phrase};

/// The error type of scenarios: a classified failure with a readable message.
///
/// Any `std::error::Error` converts into a `Failure` of kind [`ErrorKind::Scenario`], so `?`
/// works on serde, parsing and I/O errors inside a scenario.
pub struct Failure {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    /// The request that failed, when a request did: named in iteration and transaction
    /// errors (a request's own error tables need no such prefix).
    request: Option<std::sync::Arc<str>>,
}

impl Failure {
    /// A failure of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            request: None,
        }
    }

    /// A failed check on a response.
    pub fn check(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::CheckFailed, message)
    }

    /// A response the scenario recognises as a database deadlock.
    pub fn deadlock(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Deadlock, message)
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_status_of(mut self, other: &Failure) -> Self {
        self.status = other.status;
        self.request.clone_from(&other.request);
        self
    }

    /// Names the request this failure came from (kept if one is named already).
    pub(crate) fn in_request(mut self, request: std::sync::Arc<str>) -> Self {
        self.request.get_or_insert(request);
        self
    }

    /// The failed request's name, shared.
    pub(crate) fn request_name(&self) -> Option<std::sync::Arc<str>> {
        self.request.clone()
    }

    /// The request that failed, e.g. `GraphQL tokenAuth (POST /api/graphql)`, when the
    /// failure came from one.
    pub fn request(&self) -> Option<&str> {
        self.request.as_deref()
    }

    /// The message, after the failed request's name when there is one: what iteration and
    /// transaction errors record.
    pub fn describe(&self) -> std::borrow::Cow<'_, str> {
        match &self.request {
            Some(request) => format!("{request}: {}", self.message).into(),
            None => self.message.as_str().into(),
        }
    }

    /// The class of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status involved, if any.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.describe())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Failure {
    fn from(error: E) -> Self {
        Self::new(ErrorKind::Scenario, loadspec_results::one_line(&error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_convert_with_their_causes() {
        let parse: Result<u32, _> = "x".parse::<u32>();
        let failure: Failure = parse.unwrap_err().into();
        assert_eq!(failure.kind(), ErrorKind::Scenario);
        assert!(failure.message().contains("invalid digit"));
    }
}
