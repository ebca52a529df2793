//! Why a request, transaction or iteration failed: the classes counted in results, and the
//! phrases with which targets say an account is locked.

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
    /// The TLS handshake failed (a refused certificate, a server that speaks no TLS).
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

/// Whether a failure of `kind` with `message` says an account was locked out. Transport
/// failures, hung transactions and panics carry no answer of the target, so they never do.
pub fn is_lockout(kind: ErrorKind, message: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
