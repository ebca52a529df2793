//! A response whose body has been read: checks that fail the request with a readable message,
//! and extraction of values for later requests.

use std::cell::{Cell, OnceCell};
use std::rc::Rc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::UserContext;
use super::failure::{ErrorKind, Failure};
use super::headers::ResponseHeaders;
use super::request::{BODY_EXCERPT, masked, status_message};
use crate::metrics::recorder::LabelId;

/// A response whose body has been read.
pub struct Response {
    status: u16,
    headers: ResponseHeaders,
    body: bytes::Bytes,
    elapsed: Duration,
    label: LabelId,
    ctx: Rc<UserContext>,
    failed: Cell<bool>,
    /// Why the request was recorded as failed when it was (an unexpected status, GraphQL
    /// `errors`): what [`Response::expect_ok`] returns.
    failure: Option<Box<Failure>>,
    /// Parsed on first use, then shared by every JSON check and extraction.
    json: OnceCell<Result<serde_json::Value, String>>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .field("elapsed", &self.elapsed)
            .field("failed", &self.failed.get())
            .finish_non_exhaustive()
    }
}

impl Response {
    pub(crate) fn new(
        status: u16,
        headers: ResponseHeaders,
        body: bytes::Bytes,
        elapsed: Duration,
        label: LabelId,
        ctx: Rc<UserContext>,
        failure: Option<Failure>,
    ) -> Self {
        Self {
            status,
            headers,
            body,
            elapsed,
            label,
            ctx,
            failed: Cell::new(failure.is_some()),
            failure: failure.map(Box::new),
            json: OnceCell::new(),
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.headers.map()
    }

    /// One header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Time from sending the request to the last byte of the body.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Whether this request was recorded as failed.
    pub fn is_failed(&self) -> bool {
        self.failed.get()
    }

    /// Fails with the request's own failure when it was recorded as failed — a status of
    /// 400 or more (or outside `expected_statuses`), or for GraphQL requests an answer with
    /// `errors` or no GraphQL answer at all — so that `?` ends the transaction with it.
    pub fn expect_ok(mut self) -> Result<Self, Failure> {
        match self.failure.take() {
            Some(failure) => Err(*failure),
            None => Ok(self),
        }
    }

    /// The JSON value at `pointer` (RFC 6901, e.g. `/data/insurees/edges`) parsed into `T`;
    /// a missing value or one of another shape fails the request.
    pub fn json_at<T: DeserializeOwned>(&self, pointer: &str) -> Result<T, Failure> {
        let value = self.json_at_value(pointer)?;
        T::deserialize(value).map_err(|e| {
            self.fail(Failure::check(format!(
                "the JSON value at {pointer} is not the expected one ({e}): {}",
                excerpt(value.to_string().as_bytes())
            )))
        })
    }

    /// Fails (and records the request as failed) unless the status is `expected`.
    pub fn expect_status(self, expected: u16) -> Result<Self, Failure> {
        if self.status == expected {
            return Ok(self);
        }
        let kind = if self.status >= 400 {
            ErrorKind::of_status(self.status)
        } else {
            ErrorKind::CheckFailed
        };
        let failure = Failure::new(
            kind,
            status_message(self.status, Some(expected), self.headers.map(), &self.body),
        )
        .with_status(self.status);
        Err(self.fail(failure))
    }

    /// Fails unless the header `name` is present.
    pub fn expect_header_exists(self, name: &str) -> Result<Self, Failure> {
        if self.headers.get(name).is_some() {
            return Ok(self);
        }
        Err(self.fail(Failure::check(format!(
            "expected a {name} header, found none"
        ))))
    }

    /// Fails unless the header `name` has the value `expected`.
    pub fn expect_header(self, name: &str, expected: &str) -> Result<Self, Failure> {
        match self.header(name) {
            Some(value) if value == expected => Ok(self),
            found => {
                let found = found.map_or_else(|| "no such header".to_owned(), |v| format!("{v:?}"));
                Err(self.fail(Failure::check(format!(
                    "expected header {name}: {expected:?}, found {found}"
                ))))
            }
        }
    }

    /// Fails unless the body contains `text`.
    pub fn expect_body_contains(self, text: &str) -> Result<Self, Failure> {
        let body = String::from_utf8_lossy(&self.body);
        if body.contains(text) {
            return Ok(self);
        }
        let message = format!(
            "expected the body to contain {text:?}: {}",
            excerpt(&self.body)
        );
        Err(self.fail(Failure::check(message)))
    }

    /// Fails if the body is larger than `bytes`.
    pub fn expect_max_size(self, bytes: usize) -> Result<Self, Failure> {
        if self.body.len() <= bytes {
            return Ok(self);
        }
        let message = format!(
            "expected a body of at most {bytes} bytes, got {}",
            self.body.len()
        );
        Err(self.fail(Failure::check(message)))
    }

    /// Fails unless the JSON value at `pointer` (RFC 6901, e.g. `/results/0/chfId`) equals
    /// `expected`.
    pub fn expect_json(
        self,
        pointer: &str,
        expected: impl Into<serde_json::Value>,
    ) -> Result<Self, Failure> {
        let expected = expected.into();
        let found = self.json_at_value(pointer)?;
        if *found == expected {
            return Ok(self);
        }
        let message = format!("expected {expected} at {pointer}, found {found}");
        Err(self.fail(Failure::check(message)))
    }

    /// Fails unless the JSON body has a value at `pointer`.
    pub fn expect_json_exists(self, pointer: &str) -> Result<Self, Failure> {
        self.json_at_value(pointer)?;
        Ok(self)
    }

    /// The value at `pointer` in the JSON body, as text (strings unquoted); a missing value
    /// fails the request.
    pub fn extract_json(&self, pointer: &str) -> Result<String, Failure> {
        Ok(match self.json_at_value(pointer)? {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }

    /// The first capture group of `pattern` in the body (the whole match if it has none); no
    /// match fails the request. Patterns are compiled once per worker.
    pub fn extract_regex(&self, pattern: &str) -> Result<String, Failure> {
        let mut patterns = self.ctx.patterns.borrow_mut();
        if !patterns.contains_key(pattern) {
            let compiled = regex_lite::Regex::new(pattern).map_err(|e| {
                Failure::new(
                    ErrorKind::Scenario,
                    format!("invalid pattern {pattern:?}: {e}"),
                )
            })?;
            patterns.insert(pattern.to_owned(), compiled);
        }
        let body = String::from_utf8_lossy(&self.body);
        let found = patterns.get(pattern).and_then(|regex| {
            let captures = regex.captures(&body)?;
            captures
                .get(1)
                .or_else(|| captures.get(0))
                .map(|m| m.as_str().to_owned())
        });
        drop(patterns);
        found.ok_or_else(|| {
            self.fail(Failure::check(format!(
                "no match for {pattern:?} in {}",
                excerpt(&self.body)
            )))
        })
    }

    /// The value of the header `name`; a missing header fails the request.
    pub fn extract_header(&self, name: &str) -> Result<String, Failure> {
        self.header(name).map(str::to_owned).ok_or_else(|| {
            self.fail(Failure::check(format!(
                "expected a {name} header, found none"
            )))
        })
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, Failure> {
        std::str::from_utf8(&self.body).map_err(|e| {
            self.fail(Failure::check(format!(
                "the response body is not UTF-8: {e}"
            )))
        })
    }

    /// The body parsed as JSON into `T`; a body that does not parse fails the request.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        serde_json::from_slice(&self.body).map_err(|e| {
            self.fail(Failure::check(format!(
                "the response body is not the expected JSON ({e}): {}",
                excerpt(&self.body)
            )))
        })
    }

    /// The body parsed as untyped JSON.
    pub fn json_value(&self) -> Result<serde_json::Value, Failure> {
        self.parsed().cloned()
    }

    /// Fails the request with `message` unless `condition` holds.
    pub fn check(
        &self,
        condition: bool,
        message: impl FnOnce() -> String,
    ) -> Result<&Self, Failure> {
        if condition {
            Ok(self)
        } else {
            Err(self.fail(Failure::check(message())))
        }
    }

    /// Fails the request as a database deadlock (kind `deadlock`, judged by the `deadlocks`
    /// criterion) when `detected` holds, e.g. when the body reports one.
    pub fn deadlock_if(
        self,
        detected: bool,
        message: impl FnOnce() -> String,
    ) -> Result<Self, Failure> {
        if !detected {
            return Ok(self);
        }
        Err(self.fail(Failure::deadlock(message())))
    }

    fn parsed(&self) -> Result<&serde_json::Value, Failure> {
        let parsed = self
            .json
            .get_or_init(|| serde_json::from_slice(&self.body).map_err(|e| e.to_string()));
        parsed.as_ref().map_err(|e| {
            self.fail(Failure::check(format!(
                "the response body is not JSON ({e}): {}",
                excerpt(&self.body)
            )))
        })
    }

    fn json_at_value(&self, pointer: &str) -> Result<&serde_json::Value, Failure> {
        let value = self.parsed()?;
        value.pointer(pointer).ok_or_else(|| {
            self.fail(Failure::check(format!(
                "no JSON value at {pointer} in {}",
                excerpt(&self.body)
            )))
        })
    }

    /// Records a late failure once (an HTTP-status failure was already recorded at send).
    fn fail(&self, failure: Failure) -> Failure {
        let failure = if self.ctx.redact {
            Failure::new(failure.kind(), masked(true, failure.message().to_owned()))
                .with_status_of(&failure)
        } else {
            failure
        };
        let name = self
            .failure
            .as_ref()
            .and_then(|own| own.request_name())
            .unwrap_or_else(|| self.ctx.recorder.borrow().label_name(self.label));
        let failure = failure.in_request(name);
        if !self.failed.replace(true) {
            self.ctx.recorder.borrow_mut().record_late_failure(
                self.label,
                failure.kind(),
                failure.message(),
            );
        }
        failure
    }
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT)]).into_owned()
}
