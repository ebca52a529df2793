//! Why a request, transaction or iteration failed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The class of a failure, counted separately in the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be established (refused, unreachable).
    #[serde(rename = "connect")]
    Connect,
    /// The target's host name did not resolve.
    #[serde(rename = "dns")]
    Dns,
    /// The TLS handshake failed (or HTTPS without the `tls` feature).
    #[serde(rename = "tls")]
    Tls,
    /// The connection was reset or closed before the response was complete.
    #[serde(rename = "reset")]
    Reset,
    /// The request or its body exceeded its timeout.
    #[serde(rename = "timeout")]
    Timeout,
    /// The connection failed after it was established (reset, truncated body).
    #[serde(rename = "io")]
    Io,
    /// The response had a 4xx status that was not expected.
    #[serde(rename = "http_4xx")]
    Http4xx,
    /// The response had a 5xx status that was not expected.
    #[serde(rename = "http_5xx")]
    Http5xx,
    /// A check on the response failed (status, body, JSON).
    #[serde(rename = "check_failed")]
    CheckFailed,
    /// A GraphQL answer carried `errors`.
    #[serde(rename = "graphql")]
    Graphql,
    /// A transaction ran past `hung_after` and was cancelled.
    #[serde(rename = "hung")]
    Hung,
    /// The scenario classified a response as a deadlock.
    #[serde(rename = "deadlock")]
    Deadlock,
    /// The scenario panicked.
    #[serde(rename = "panic")]
    Panic,
    /// The scenario returned an error of its own.
    #[serde(rename = "scenario_error")]
    Scenario,
}

impl ErrorKind {
    /// The name used in results and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::Reset => "reset",
            Self::Timeout => "timeout",
            Self::Io => "io",
            Self::Http4xx => "http_4xx",
            Self::Http5xx => "http_5xx",
            Self::CheckFailed => "check_failed",
            Self::Graphql => "graphql",
            Self::Hung => "hung",
            Self::Deadlock => "deadlock",
            Self::Panic => "panic",
            Self::Scenario => "scenario_error",
        }
    }

    /// Whether the target could not be reached at all (for `abort_after_consecutive_errors`
    /// and health gates).
    pub fn is_unreachable(self) -> bool {
        matches!(self, Self::Connect | Self::Dns | Self::Tls)
    }

    /// The kind of an HTTP status that was not expected.
    pub fn of_status(status: u16) -> Self {
        if status >= 500 {
            Self::Http5xx
        } else {
            Self::Http4xx
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Phrases (lower case) with which targets say an account is locked after failed logins:
/// django-axes ("Too many failed attempts"), Django, Keycloak, Spring, ASP.NET Identity.
pub const LOCKOUT_PHRASES: &[&str] = &[
    "too many failed attempts",
    "too many failed login",
    "too many login attempts",
    "account locked",
    "account is locked",
    "account has been locked",
    "locked out",
    "account is temporarily disabled",
    "account temporarily disabled",
];

/// Whether a failure of `kind` with `message` says an account was locked out. Transport
/// failures, hung transactions and panics carry no answer of the target, so they never do.
pub(crate) fn is_lockout(kind: ErrorKind, message: &str) -> bool {
    if matches!(
        kind,
        ErrorKind::Connect
            | ErrorKind::Dns
            | ErrorKind::Tls
            | ErrorKind::Reset
            | ErrorKind::Timeout
            | ErrorKind::Io
            | ErrorKind::Hung
            | ErrorKind::Panic
    ) {
        return false;
    }
    lockout_phrase(message).is_some()
}

/// The lockout phrase `message` contains, ignoring case (without allocating: this runs on
/// failures while a load is on).
pub fn lockout_phrase(message: &str) -> Option<&'static str> {
    let bytes = message.as_bytes();
    LOCKOUT_PHRASES.iter().copied().find(|phrase| {
        bytes
            .windows(phrase.len())
            .any(|w| w.eq_ignore_ascii_case(phrase.as_bytes()))
    })
}

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
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::new(ErrorKind::Scenario, message)
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

    #[test]
    fn lockout_messages_are_recognised_whatever_their_case() {
        let axes = "GraphQL error: Too many failed attempts.Try again in 5 minutes.";
        assert!(is_lockout(ErrorKind::Graphql, axes));
        assert_eq!(lockout_phrase(axes), Some("too many failed attempts"));
        assert!(is_lockout(
            ErrorKind::Http4xx,
            "unexpected status 403: {\"detail\":\"Account LOCKED: too many login attempts\"}"
        ));
        assert!(is_lockout(
            ErrorKind::CheckFailed,
            "You have been locked out"
        ));
        assert!(!is_lockout(
            ErrorKind::Graphql,
            "GraphQL error: Invalid credentials"
        ));
        assert!(
            !is_lockout(ErrorKind::Timeout, "account locked"),
            "a timeout carries no answer"
        );
    }

    #[test]
    fn kinds_serialize_as_their_names() {
        for kind in [
            ErrorKind::Http4xx,
            ErrorKind::Http5xx,
            ErrorKind::Scenario,
            ErrorKind::Hung,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ErrorKind::of_status(503), ErrorKind::Http5xx);
        assert_eq!(ErrorKind::of_status(404), ErrorKind::Http4xx);
    }
}
