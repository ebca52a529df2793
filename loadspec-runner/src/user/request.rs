//! Requests a user sends, and the responses they get: timed, labelled and recorded.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName};
use serde::Serialize;

use super::failure::{ErrorKind, Failure};
use super::headers::ResponseHeaders;
use super::response::Response;
use super::transport::{self, Received};
use super::{Method, TxTracker, User};
use crate::metrics::phases::PhaseTimes;
use crate::metrics::recorder::LabelId;
use crate::metrics::samples::SampleRow;
use crate::metrics::stats::{LabelKind, Sample};

/// How much of a failing response's body goes into its error message.
pub(crate) const BODY_EXCERPT: usize = 200;

/// A request being built; nothing is sent until [`send`](Self::send).
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder<'a> {
    user: &'a mut User,
    tracker: Option<TxTracker<'a>>,
    inner: reqwest::RequestBuilder,
    label: Option<Cow<'a, str>>,
    expected: Option<Vec<u16>>,
    /// A GraphQL request: a 200 answer with `errors` fails it.
    graphql: bool,
    /// Tags given with [`Self::tag`].
    tags: Vec<(super::Tag, super::Tag)>,
}

impl<'a> RequestBuilder<'a> {
    pub(crate) fn new(
        user: &'a mut User,
        tracker: Option<TxTracker<'a>>,
        method: Method,
        path: &str,
    ) -> Self {
        let ctx = &user.ctx;
        let inner = urls::request(&ctx.client, method, &ctx.base_url, path);
        // A worker's clients carry the scenario's request timeout as their default; only other
        // clients (setup and teardown users) need it on every request.
        let client_times_out = ctx
            .recorder
            .try_borrow()
            .is_ok_and(|recorder| recorder.clients_apply_request_timeout());
        let inner = if client_times_out {
            inner
        } else {
            inner.timeout(ctx.request_timeout)
        };
        Self {
            user,
            tracker,
            inner,
            label: None,
            expected: None,
            graphql: false,
            tags: Vec::new(),
        }
    }

    /// Records the request under `label` instead of its method and path template.
    pub fn label(mut self, label: &'a str) -> Self {
        self.label = Some(Cow::Borrowed(label));
        self
    }

    /// Tags the request (k6's tags): `results.json` lists the tags its label was sent with,
    /// and criteria can judge every label carrying a tag (`tag = "endpoint:search"`). The
    /// label stays the row; tags do not split it.
    pub fn tag(mut self, key: impl Into<super::Tag>, value: impl Into<super::Tag>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Makes this a GraphQL request: the body is `{query, variables, operationName}`, the label
    /// is `GraphQL <operation>`, and a 200 answer that carries `errors` fails the request with
    /// their messages.
    pub(crate) fn graphql(mut self, query: &str, variables: serde_json::Value) -> Self {
        let operation = operation_name(query);
        let body = serde_json::json!({ "query": query, "variables": variables, "operationName": operation });
        self.inner = self.inner.json(&body);
        if self.label.is_none() {
            self.label = Some(Cow::Owned(format!(
                "GraphQL {}",
                operation.unwrap_or("(anonymous)")
            )));
        }
        self.graphql = true;
        self
    }

    /// Adds a header to this request (it wins over the session's header of the same name).
    /// An invalid name or value fails the request when it is sent.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.header(name, value);
        self
    }

    /// Adds query parameters, e.g. `.query(&[("q", "Doe")])`.
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        self.inner = self.inner.query(query);
        self
    }

    /// Sends `value` as a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.inner = self.inner.json(value);
        self
    }

    /// Sends `value` as a URL-encoded form.
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.inner = self.inner.form(value);
        self
    }

    /// Sends a raw body.
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.inner = self.inner.body(body);
        self
    }

    /// Overrides the scenario's request timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// Statuses that count as success for this request (default: any status below 400).
    pub fn expected_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.expected = Some(statuses.into_iter().collect());
        self
    }

    /// Sends the request and reads the whole body.
    ///
    /// Any HTTP status is `Ok` (an unexpected one is recorded as a failed request); transport
    /// failures — refused connections, timeouts, resets — are recorded and returned as `Err`.
    //
    // Not an `async fn`: an async fn keeps its arguments (this builder, with reqwest's, about
    // 0.3 KiB) in its future until it completes. The request is prepared — built, labelled,
    // its clock started — when `send` is called (`.send().await` sends it at once); the future
    // keeps only what finishing it needs, so the scenario's future, boxed for every iteration
    // and held by every user in flight, stays small.
    pub fn send(self) -> impl Future<Output = Result<Response, Failure>> + 'a {
        let mut prepared = self.prepare();
        async move {
            match &mut prepared {
                Ok(in_flight) => in_flight.finish().await,
                Err(failure) => Err(std::mem::replace(
                    failure,
                    Failure::new(ErrorKind::Scenario, String::new()),
                )),
            }
        }
    }

    /// Builds the request, applies the session, labels it and starts its clock.
    fn prepare(self) -> Result<InFlight<'a>, Failure> {
        let Self {
            user,
            mut tracker,
            inner,
            label,
            expected,
            graphql,
            tags,
        } = self;
        let ctx = Rc::clone(&user.ctx);
        let mut request = inner.build().map_err(|e| {
            Failure::new(
                ErrorKind::Scenario,
                format!("invalid request: {}", chain(&e)),
            )
        })?;
        let mut headers = std::mem::take(request.headers_mut());
        user.session.apply(request.url(), &mut headers);
        *request.headers_mut() = headers;
        let (label, sampling) = {
            let mut recorder = ctx.recorder.borrow_mut();
            let label = match label {
                Some(name) => recorder.label(ctx.scenario, LabelKind::Request, &name),
                None => recorder.request_label(
                    ctx.scenario,
                    request.method().as_str(),
                    request.url().path(),
                ),
            };
            if !tags.is_empty() {
                let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (&**k, &**v)).collect();
                recorder.tag(label, &tags);
            }
            (label, recorder.sampling())
        };
        if let Some(tracker) = tracker.as_mut() {
            tracker.request_sent();
        }
        let exchange = Exchange {
            label,
            started: Instant::now(),
            headers_micros: 0,
            micros: 0,
            phases: None,
            // Only the sample log needs the URL and body size: no copy otherwise.
            url: sampling.then(|| urls::masked(ctx.redact, request.url())),
            sent_bytes: if sampling {
                request
                    .body()
                    .and_then(|b| b.as_bytes())
                    .map_or(0, |b| b.len() as u64)
            } else {
                0
            },
        };
        Ok(InFlight {
            user,
            tracker,
            ctx,
            expected,
            graphql,
            exchange,
            pending: Some(request),
        })
    }
}

/// A prepared request: what sending and finishing it needs.
struct InFlight<'a> {
    user: &'a mut User,
    tracker: Option<TxTracker<'a>>,
    ctx: Rc<super::UserContext>,
    expected: Option<Vec<u16>>,
    graphql: bool,
    exchange: Exchange,
    /// The request, taken when it is sent.
    pending: Option<reqwest::Request>,
}

impl InFlight<'_> {
    /// The request's name in iteration and transaction errors: its label, and for GraphQL
    /// requests the endpoint too (`GraphQL tokenAuth (POST /api/graphql)`). Only built for
    /// failures.
    fn request_name(&self) -> Arc<str> {
        let label = self.ctx.recorder.borrow().label_name(self.exchange.label);
        if self.graphql {
            format!("{label} (POST {})", self.user.session.graphql_path()).into()
        } else {
            label
        }
    }

    /// Waits for the response, reads its body, records the request.
    async fn finish(&mut self) -> Result<Response, Failure> {
        let Some(pending) = self.pending.take() else {
            return Err(Failure::new(
                ErrorKind::Scenario,
                "the request was already sent",
            ));
        };
        let ctx = Rc::clone(&self.ctx);
        let received = transport::exchange(pending, self.user, self.exchange.started).await;
        let Received {
            status,
            headers,
            body,
            head_micros,
            phases,
        } = match received {
            Ok(received) => received,
            Err(fault) => {
                let mut failure = Failure::new(fault.kind, masked(ctx.redact, fault.message))
                    .in_request(self.request_name());
                if let Some(status) = fault.status {
                    failure = failure.with_status(status);
                }
                self.exchange.headers_micros = fault.head_micros;
                self.exchange.phases = fault.phases;
                self.exchange.micros = self.exchange.started.elapsed().as_micros() as u64;
                self.exchange.record(
                    self.user.who(),
                    fault.status,
                    Some(&failure),
                    0,
                    self.tracker.as_mut(),
                    &[],
                );
                return Err(failure);
            }
        };
        let elapsed = self.exchange.started.elapsed();
        self.exchange.headers_micros = head_micros;
        self.exchange.phases = phases;
        let ok = match &self.expected {
            Some(statuses) => statuses.contains(&status),
            None => status < 400,
        };
        let graphql_problem = if self.graphql {
            graphql_problem(&headers, &body)
        } else {
            None
        };
        let failure = match (ok, graphql_problem) {
            (true, None) => None,
            (true, Some((kind, message))) => {
                Some(Failure::new(kind, masked(ctx.redact, message)).with_status(status))
            }
            (false, problem) => {
                let kind = if status >= 400 {
                    ErrorKind::of_status(status)
                } else {
                    ErrorKind::CheckFailed
                };
                // A GraphQL server's 4xx carries its errors: they say more than the body.
                let message = match problem {
                    Some((ErrorKind::Graphql, errors)) => {
                        format!("unexpected status {status}: {errors}")
                    }
                    _ => status_message(status, None, headers.map(), &body),
                };
                Some(Failure::new(kind, masked(ctx.redact, message)).with_status(status))
            }
        };
        let failure = failure.map(|f| f.in_request(self.request_name()));
        if status == TOO_MANY_REQUESTS {
            self.note_rate_limit(headers.map(), failure.as_ref(), &body);
        }
        let timing = ServerTiming::parse(&headers);
        // The response's elapsed time is the request's: one clock read serves both.
        self.exchange.micros = elapsed.as_micros() as u64;
        self.exchange.record(
            self.user.who(),
            Some(status),
            failure.as_ref(),
            body.len() as u64,
            self.tracker.as_mut(),
            timing.entries(),
        );
        Ok(Response::new(
            status,
            headers,
            body,
            elapsed,
            self.exchange.label,
            Rc::clone(&ctx),
            failure,
        ))
    }
}

/// `429 Too Many Requests`.
const TOO_MANY_REQUESTS: u16 = 429;

/// The headers a rate limiter may explain itself with (IETF RateLimit drafts, the common
/// `X-RateLimit-*`), kept with the first 429 of an interval.
const RATE_LIMIT_HEADERS: &[&str] = &[
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

impl InFlight<'_> {
    /// Keeps what a 429 said, once per worker and tick: the counts come from the status codes.
    #[cold]
    fn note_rate_limit(&self, headers: &HeaderMap, failure: Option<&Failure>, body: &[u8]) {
        let ctx = &self.ctx;
        let mut recorder = ctx.recorder.borrow_mut();
        if !recorder.wants_rate_limit(ctx.scenario) {
            return;
        }
        let text = |name: &str| {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        let message = match failure {
            Some(f) if f.status() == Some(TOO_MANY_REQUESTS) => f.message().to_owned(),
            _ => masked(
                ctx.redact,
                status_message(TOO_MANY_REQUESTS, None, headers, body),
            ),
        };
        let seen = crate::metrics::recorder::RateLimitSeen {
            at: Instant::now(),
            label: recorder.label_name(self.exchange.label),
            message,
            retry_after: text("retry-after"),
            headers: RATE_LIMIT_HEADERS
                .iter()
                .filter_map(|name| Some(((*name).to_owned(), text(name)?)))
                .collect(),
        };
        recorder.rate_limited(ctx.scenario, seen);
    }
}

/// One request on the wire (or one WebSocket exchange): what its measurement needs once it
/// ends.
pub(super) struct Exchange {
    pub(super) label: LabelId,
    pub(super) started: Instant,
    pub(super) headers_micros: u64,
    /// From `started` to the end (set just before recording).
    pub(super) micros: u64,
    pub(super) url: Option<Box<str>>,
    pub(super) sent_bytes: u64,
    /// Where the time went, when the client measured it.
    pub(super) phases: Option<PhaseTimes>,
}

/// Who a sample is recorded for: a user, or what a WebSocket kept of its user.
#[derive(Clone, Copy)]
pub(super) struct Who<'a> {
    pub(super) ctx: &'a super::UserContext,
    pub(super) step: u32,
    pub(super) index: u64,
    /// Open model: how late the iteration started (µs).
    pub(super) schedule_delay: Option<u64>,
}

impl User {
    pub(super) fn who(&self) -> Who<'_> {
        Who {
            ctx: &self.ctx,
            step: self.step,
            index: self.index(),
            schedule_delay: self.schedule_delay,
        }
    }
}

impl Exchange {
    /// Records the request, which took `self.micros`.
    pub(super) fn record(
        &mut self,
        user: Who<'_>,
        status: Option<u16>,
        failure: Option<&Failure>,
        bytes_received: u64,
        tracker: Option<&mut TxTracker<'_>>,
        server_timing: &[(&str, f64)],
    ) {
        let micros = self.micros;
        let error = failure.map(|f| (f.kind(), f.message()));
        let ctx = user.ctx;
        let mut recorder = ctx.recorder.borrow_mut();
        recorder.record(
            self.label,
            &Sample {
                micros,
                status,
                error,
                requests: 0,
                bytes_received,
                server_timing,
                corrected_micros: user.schedule_delay.map(|delay| micros + delay),
                phases: self.phases.as_ref(),
            },
        );
        recorder.reachability(
            ctx.scenario,
            failure.is_some_and(|f| f.kind().is_unreachable()),
        );
        if recorder.sampling() {
            let (group_threads, all_threads) = recorder.running(ctx.scenario);
            let row = SampleRow {
                started: self.started,
                elapsed_micros: micros,
                latency_micros: if self.headers_micros > 0 {
                    self.headers_micros
                } else {
                    micros
                },
                label: recorder.label_name(self.label),
                status,
                error: failure.map(|f| (f.kind(), Box::from(f.message()))),
                scenario: Arc::clone(&ctx.scenario_name),
                step: user.step,
                user: user.index,
                bytes: bytes_received,
                sent_bytes: self.sent_bytes,
                group_threads,
                all_threads,
                url: self.url.take(),
                children: None,
            };
            recorder.push_sample(row);
        }
        drop(recorder);
        if let Some(tracker) = tracker {
            tracker.server_timing(server_timing);
            if let Some(failure) = failure {
                tracker.request_failed(failure);
            }
        }
    }
}

/// The entries of a `Server-Timing` header (`db;dur=53.2, app;dur=12`) with a duration, without
/// allocating: at most [`ServerTiming::MAX`] of them.
struct ServerTiming<'h> {
    entries: [(&'h str, f64); ServerTiming::MAX],
    len: usize,
}

impl<'h> ServerTiming<'h> {
    const MAX: usize = 8;

    /// The header's name, parsed once.
    const NAME: HeaderName = HeaderName::from_static("server-timing");

    fn parse(headers: &'h ResponseHeaders) -> Self {
        let mut timing = Self {
            entries: [("", 0.0); Self::MAX],
            len: 0,
        };
        for value in headers.get_all(Self::NAME.as_str()) {
            let Ok(text) = std::str::from_utf8(value) else {
                continue;
            };
            for metric in text.split(',') {
                let mut parts = metric.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let duration = parts
                    .filter_map(|p| p.trim().strip_prefix("dur="))
                    .find_map(|d| d.trim().trim_matches('"').parse::<f64>().ok())
                    .filter(|d| d.is_finite() && *d >= 0.0);
                if let (false, Some(ms), true) = (name.is_empty(), duration, timing.len < Self::MAX)
                {
                    timing.entries[timing.len] = (name, ms);
                    timing.len += 1;
                }
            }
        }
        timing
    }

    fn entries(&self) -> &[(&'h str, f64)] {
        &self.entries[..self.len]
    }
}

/// `text`, with secrets masked when redaction is on.
pub(crate) fn masked(redact: bool, text: String) -> String {
    if !redact {
        return text;
    }
    match super::redact(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(masked) => masked,
    }
}

/// The operation name of a GraphQL document: `query Claims(...)` → `Claims`.
fn operation_name(query: &str) -> Option<&str> {
    let text = query.trim_start();
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|k| text.strip_prefix(k))?;
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// What is wrong with a GraphQL answer: `Graphql` with the messages of its `errors`, or
/// `CheckFailed` when the body is not a GraphQL response at all (an HTML page, a proxy's
/// error, another API's JSON); `None` for an answer with `data` and no errors.
fn graphql_problem(headers: &ResponseHeaders, body: &[u8]) -> Option<(ErrorKind, String)> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        errors: Vec<Message>,
        #[serde(default)]
        data: Option<serde::de::IgnoredAny>,
    }
    #[derive(serde::Deserialize)]
    struct Message {
        #[serde(default)]
        message: String,
    }
    let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
        return Some((
            ErrorKind::CheckFailed,
            format!(
                "expected a GraphQL response (JSON with data or errors), got {}",
                body_summary(headers.map(), body).unwrap_or_else(|| "an empty body".to_owned())
            ),
        ));
    };
    if !answer.errors.is_empty() {
        let messages: Vec<&str> = answer.errors.iter().map(|e| e.message.as_str()).collect();
        return Some((
            ErrorKind::Graphql,
            format!("GraphQL error: {}", messages.join("; ")),
        ));
    }
    if answer.data.is_none() {
        return Some((
            ErrorKind::CheckFailed,
            format!(
                "expected a GraphQL response (JSON with data or errors), got {}",
                body_summary(headers.map(), body).unwrap_or_default()
            ),
        ));
    }
    None
}

/// One line on a response body for an error message: an HTML page by its title, anything
/// else as its first characters with line breaks folded.
pub(crate) fn body_summary(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * BODY_EXCERPT)]);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let html = content_type.contains("html")
        || text.get(..15).is_some_and(|start| {
            let start = start.to_ascii_lowercase();
            start.starts_with("<!doctype html") || start.starts_with("<html")
        });
    if html {
        let lower = text.to_ascii_lowercase();
        let title = ["<title>", "<h1>"].iter().find_map(|tag| {
            let start = lower.find(tag)? + tag.len();
            let end = start + lower[start..].find('<')?;
            let title = text[start..end].trim();
            (!title.is_empty()).then(|| title.to_owned())
        });
        let kind = if content_type.is_empty() {
            String::new()
        } else {
            format!(" ({content_type})")
        };
        return Some(match title {
            Some(title) => format!("an HTML page \"{title}\"{kind}"),
            None => format!("an HTML page{kind}"),
        });
    }
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut = folded.len().min(BODY_EXCERPT);
    while !folded.is_char_boundary(cut) {
        cut -= 1;
    }
    let ellipsis = if cut < folded.len() { "…" } else { "" };
    Some(format!("{}{ellipsis}", &folded[..cut]))
}

/// A transport error for people: its kind and its causes.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    format!("{}: {}", classify(error), chain(error))
}

/// Classifies a transport error by walking its causes: reqwest's own flags do not tell a
/// refused connection from a DNS failure, or a reset from a bad body.
pub(crate) fn classify(error: &reqwest::Error) -> ErrorKind {
    let mut io_kind = None;
    let mut text = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        text.push_str(&cause.to_string().to_ascii_lowercase());
        text.push('\n');
        source = cause.source();
    }
    classify_parts(
        error.is_timeout(),
        error.is_connect(),
        error.is_builder(),
        io_kind,
        &text,
    )
}

fn classify_parts(
    timeout: bool,
    connect: bool,
    builder: bool,
    io_kind: Option<std::io::ErrorKind>,
    text: &str,
) -> ErrorKind {
    use std::io::ErrorKind as Io;
    if timeout || io_kind == Some(Io::TimedOut) {
        return ErrorKind::Timeout;
    }
    if text.contains("dns error") || text.contains("failed to lookup address") {
        return ErrorKind::Dns;
    }
    if text.contains("scheme is not http") || text.contains("tls") || text.contains("certificate") {
        return ErrorKind::Tls;
    }
    if matches!(
        io_kind,
        Some(Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof)
    ) || text.contains("connection closed before message completed")
        || text.contains("connection reset")
        || text.contains("incomplete")
    {
        return if connect {
            ErrorKind::Connect
        } else {
            ErrorKind::Reset
        };
    }
    // Out of descriptors or local ports is this machine's limit, not an unreachable target.
    if text.contains("os error 24")
        || text.contains("os error 23")
        || io_kind == Some(Io::AddrNotAvailable)
    {
        return ErrorKind::Io;
    }
    if connect || io_kind == Some(Io::ConnectionRefused) {
        return ErrorKind::Connect;
    }
    if builder {
        return ErrorKind::Scenario;
    }
    ErrorKind::Io
}

/// The error and its causes on one line: reqwest's own message rarely says what happened.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

pub(crate) fn status_message(
    status: u16,
    expected: Option<u16>,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    let mut message = match expected {
        Some(expected) => format!("expected status {expected}, got {status}"),
        None => format!("unexpected status {status}"),
    };
    if let Some(summary) = body_summary(headers, body) {
        let _ = write!(message, ": {summary}");
    }
    message
}

/// Request URLs, parsed once per thread (a worker is one thread): scenarios send the same URLs
/// over and over, and parsing one — the host through IDNA processing included — costs more than
/// everything else loadspec does for a request. A small direct-mapped cache keyed by the whole
/// URL keeps the parsed ones, in bounded memory whatever the URLs; a URL it has not seen is
/// parsed relative to the already parsed base URL when that gives the very same URL (it skips
/// the scheme and host), else from scratch.
mod urls {
    use std::cell::RefCell;
    use std::hash::Hasher as _;

    use reqwest::Url;

    use super::Method;
    use crate::metrics::recorder::FxHasher;

    /// Entries of each cache (a power of two).
    const SLOTS: usize = 64;

    thread_local! {
        static CACHE: RefCell<UrlCache> = RefCell::new(UrlCache::default());
    }

    /// `method` `base` + `path` (or `path` alone when it is an absolute URL), as
    /// `client.request` would build it from the URL's text.
    pub(super) fn request(
        client: &reqwest::Client,
        method: Method,
        base: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let cached = CACHE.try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            full_url(&mut cache.scratch, base, path);
            Some(match cache.lookup(base, path) {
                Some(url) => client.request(method.clone(), url),
                // Not a URL: reqwest parses the text itself and reports why.
                None => client.request(method.clone(), cache.scratch.as_str()),
            })
        });
        match cached {
            Ok(Some(builder)) => builder,
            // During the thread's teardown, or re-entered: build the URL as usual.
            _ => {
                let mut text = String::new();
                full_url(&mut text, base, path);
                client.request(method, text)
            }
        }
    }

    /// The URL for the sample log, with its secrets masked when `redact` is on; masking runs
    /// a few regular expressions, so masked URLs are cached too.
    pub(super) fn masked(redact: bool, url: &Url) -> Box<str> {
        if !redact {
            return Box::from(url.as_str());
        }
        let cached = CACHE.try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let slot = slot_of(url.as_str());
            let entry = &mut cache.masked[slot];
            match entry {
                Some((key, masked)) if **key == *url.as_str() => Some(masked.clone()),
                _ => {
                    let masked: Box<str> = Box::from(super::masked(true, url.as_str().to_owned()));
                    *entry = Some((Box::from(url.as_str()), masked.clone()));
                    Some(masked)
                }
            }
        });
        match cached {
            Ok(Some(masked)) => masked,
            _ => Box::from(super::masked(true, url.as_str().to_owned())),
        }
    }

    /// Writes the URL a request for `path` goes to into `out`: `path` itself when absolute,
    /// else `base` + `path` with a `/` between them unless `path` starts with one.
    fn full_url<'s>(out: &'s mut String, base: &str, path: &str) -> &'s mut String {
        out.clear();
        if is_absolute(path) {
            out.push_str(path);
        } else {
            out.push_str(base);
            if !path.starts_with('/') {
                out.push('/');
            }
            out.push_str(path);
        }
        out
    }

    fn is_absolute(path: &str) -> bool {
        path.starts_with("http://") || path.starts_with("https://")
    }

    fn slot_of(text: &str) -> usize {
        let mut hasher = FxHasher::default();
        hasher.write(text.as_bytes());
        // FxHash's high bits are its best mixed.
        (hasher.finish() >> (64 - SLOTS.trailing_zeros())) as usize
    }

    struct UrlCache {
        /// Parsed URLs: (text, URL).
        parsed: Vec<Option<(Box<str>, Url)>>,
        /// Masked URLs for the sample log: (text, masked text).
        masked: Vec<Option<(Box<str>, Box<str>)>>,
        /// The base URL last seen, parsed (`None` inside when it cannot serve as a base).
        base: Option<(Box<str>, Option<Base>)>,
        /// The URL being looked up.
        scratch: String,
    }

    impl Default for UrlCache {
        fn default() -> Self {
            Self {
                parsed: (0..SLOTS).map(|_| None).collect(),
                masked: (0..SLOTS).map(|_| None).collect(),
                base: None,
                scratch: String::new(),
            }
        }
    }

    /// A parsed base URL and the length of its `scheme://authority` text.
    struct Base {
        url: Url,
        origin_len: usize,
    }

    impl UrlCache {
        /// The parsed URL in `self.scratch` (written by [`full_url`] from `base` and `path`).
        fn lookup(&mut self, base: &str, path: &str) -> Option<Url> {
            let slot = slot_of(&self.scratch);
            if let Some((key, url)) = &self.parsed[slot]
                && **key == *self.scratch
            {
                return Some(url.clone());
            }
            let url = if is_absolute(path) {
                Url::parse(&self.scratch).ok()?
            } else {
                self.parse_with_base(base)?
            };
            self.parsed[slot] = Some((Box::from(self.scratch.as_str()), url.clone()));
            Some(url)
        }

        /// Parses `self.scratch`, which starts with `base`: relative to the parsed base when
        /// that yields exactly what parsing the whole text would.
        fn parse_with_base(&mut self, base: &str) -> Option<Url> {
            if self.base.as_ref().is_none_or(|(text, _)| **text != *base) {
                self.base = Some((Box::from(base), Base::parse(base)));
            }
            let text = self.scratch.as_str();
            if let Some((_, Some(parsed))) = &self.base
                && let Some(rest) = relative_part(text, parsed.origin_len)
                && let Ok(url) = parsed.url.join(rest)
            {
                return Some(url);
            }
            Url::parse(text).ok()
        }
    }

    impl Base {
        /// `base` parsed, if it can serve as the base of its requests' URLs: an http(s) URL whose
        /// text starts with its own canonical `scheme://authority` (no upper-case scheme or
        /// host, no default port, no IPv6 spelled differently…), so that the scheme and host
        /// parsed once are what parsing each request URL would give.
        fn parse(base: &str) -> Option<Self> {
            let url = Url::parse(base).ok()?;
            if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
                return None;
            }
            let origin = &url[..url::Position::BeforePath];
            if !base.starts_with(origin) {
                return None;
            }
            let origin_len = origin.len();
            Some(Self { url, origin_len })
        }
    }

    /// The part of `text` after its `scheme://authority` (the first `origin_len` bytes) when
    /// parsing it relative to the base gives the same URL as parsing `text` whole: a path
    /// starting with exactly one slash (`//x` or `/\x` would name a host, relatively), and no
    /// tab or newline, which the parser drops before reading slashes.
    fn relative_part(text: &str, origin_len: usize) -> Option<&str> {
        let rest = text.get(origin_len..)?;
        let mut bytes = rest.bytes();
        if bytes.next() != Some(b'/') || matches!(bytes.next(), Some(b'/' | b'\\')) {
            return None;
        }
        if rest.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
            return None;
        }
        Some(rest)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// What the cache must match: the URL parsed from the whole text.
        fn whole(base: &str, path: &str) -> Result<String, String> {
            let mut text = String::new();
            full_url(&mut text, base, path);
            Url::parse(&text)
                .map(String::from)
                .map_err(|e| e.to_string())
        }

        fn cached(cache: &mut UrlCache, base: &str, path: &str) -> Result<String, String> {
            full_url(&mut cache.scratch, base, path);
            cache
                .lookup(base, path)
                .map(String::from)
                .ok_or_else(|| "not a URL".to_owned())
        }

        #[test]
        fn cached_and_relative_urls_equal_whole_parses() {
            let bases = [
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/",
                "http://localhost:80",
                "HTTP://Example.COM",
                "http://example.com/api",
                "http://example.com/api/",
                "http://[::1]:9000",
                "http://[0:0::1]:9000/p",
                "http://user:pw@host:81/a b",
                "http://host?q=1",
                "http://host/p?q=1",
                "https://xn--nxasmq6b.example/ä",
                "http://host:99999",
                "not a url",
            ];
            let paths = [
                "",
                "/",
                "x",
                "/x",
                "//x",
                "/\\x",
                "\\x",
                "/./x/../y",
                "/a b?c d#e f",
                "?q",
                "#f",
                "/%zz",
                "/ä/ü?ö",
                "/x\ty",
                "/\t/x",
                "/x\n",
                "/x ",
                " /x",
                "/..",
                "x/../..",
                "/a?b?c#d#e",
                "http://other:1/z",
                "https://h/a/../b",
                "http://",
                "/%2e%2e/x",
                "/C:/x",
                "/x:y",
                "/@h",
                "/?",
                "/#",
            ];
            // The fast path is taken where it can be…
            let base = Base::parse("http://127.0.0.1:8080/api").unwrap();
            assert_eq!(
                relative_part("http://127.0.0.1:8080/api/x?q", base.origin_len),
                Some("/api/x?q")
            );
            assert!(Base::parse("http://example.com").is_some());
            // …and not where a relative parse would differ.
            assert!(Base::parse("HTTP://example.com").is_none());
            let default_port = Base::parse("http://host:80").unwrap();
            assert_eq!(
                relative_part("http://host:80/x", default_port.origin_len),
                None
            );
            assert_eq!(relative_part("http://h//x", 8), None);
            assert_eq!(relative_part("http://h/\\x", 8), None);
            assert_eq!(relative_part("http://h/\t/x", 8), None);
            let mut cache = UrlCache::default();
            for _round in 0..2 {
                for base in bases {
                    for path in paths {
                        assert_eq!(
                            cached(&mut cache, base, path).ok(),
                            whole(base, path).ok(),
                            "base {base:?}, path {path:?}"
                        );
                    }
                }
            }
        }

        #[test]
        fn generated_paths_match_whole_parses() {
            let alphabet: Vec<char> = "/\\?#%.: @a1\t\n-_~!$&'()*+,;=äé\u{0}\u{7f}[]{}|^`\""
                .chars()
                .collect();
            let mut next = crate::test_rng::below(0x2545_f491_4f6c_dd1d);
            let mut cache = UrlCache::default();
            for base in ["http://127.0.0.1:3000", "http://h.example/base"] {
                for _ in 0..20_000 {
                    let len = next(12);
                    let path: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
                    assert_eq!(
                        cached(&mut cache, base, &path).ok(),
                        whole(base, &path).ok(),
                        "base {base:?}, path {path:?}"
                    );
                }
            }
        }

        #[test]
        fn masked_urls_are_cached_and_equal_to_masking_each_time() {
            let url = Url::parse("http://h/login?token=abc&x=1").unwrap();
            let first = masked(true, &url);
            assert_eq!(&*first, "http://h/login?token=***&x=1");
            assert_eq!(masked(true, &url), first);
            assert_eq!(&*masked(false, &url), url.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind as Io;

    #[test]
    fn graphql_operations_and_errors_are_recognised() {
        assert_eq!(
            operation_name("query Claims($first: Int) { claims { code } }"),
            Some("Claims")
        );
        assert_eq!(
            operation_name("mutation CreateInsuree{ x }"),
            Some("CreateInsuree")
        );
        assert_eq!(operation_name("{ claims { code } }"), None);
        assert_eq!(
            operation_name("query { x }"),
            None,
            "anonymous queries carry no name"
        );
        assert_eq!(operation_name("queryX { x }"), None);
        let none = HeaderMap::new();
        let errors = br#"{"data":null,"errors":[{"message":"Unknown field 'cod'","locations":[]},{"message":"second"}]}"#;
        assert_eq!(
            graphql_problem(&ResponseHeaders::from(none.clone()), errors),
            Some((
                ErrorKind::Graphql,
                "GraphQL error: Unknown field 'cod'; second".to_owned()
            ))
        );
        assert_eq!(
            graphql_problem(
                &ResponseHeaders::from(none.clone()),
                br#"{"data":{"claims":[]}}"#
            ),
            None
        );
        assert_eq!(
            graphql_problem(
                &ResponseHeaders::from(none.clone()),
                br#"{"data":{},"errors":[]}"#
            ),
            None
        );
        let mut html = HeaderMap::new();
        html.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let page = b"<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1></body></html>";
        assert_eq!(
            graphql_problem(&ResponseHeaders::from(html.clone()), page),
            Some((
                ErrorKind::CheckFailed,
                "expected a GraphQL response (JSON with data or errors), got an HTML page \"Not Found\" (text/html; charset=utf-8)".to_owned()
            ))
        );
        assert_eq!(
            graphql_problem(&ResponseHeaders::from(none.clone()), br#"{"detail":"Rate limit exceeded"}"#).map(|p| p.1),
            Some("expected a GraphQL response (JSON with data or errors), got {\"detail\":\"Rate limit exceeded\"}".to_owned())
        );
        assert_eq!(
            status_message(404, None, &html, page),
            "unexpected status 404: an HTML page \"Not Found\" (text/html; charset=utf-8)"
        );
        assert_eq!(
            status_message(500, Some(200), &none, b"line one\n  line two\n"),
            "expected status 200, got 500: line one line two"
        );
        assert_eq!(body_summary(&none, b"  "), None);
    }

    #[test]
    fn server_timing_headers_parse_without_allocating() {
        let mut headers = HeaderMap::new();
        headers.append(
            "server-timing",
            "db;dur=53.2, app;desc=\"handler\";dur=12, cache;desc=hit"
                .parse()
                .unwrap(),
        );
        headers.append(
            "server-timing",
            "total;dur=\"70\", bad;dur=-1, nan;dur=x".parse().unwrap(),
        );
        let headers = ResponseHeaders::from(headers);
        let timing = ServerTiming::parse(&headers);
        assert_eq!(
            timing.entries(),
            &[("db", 53.2), ("app", 12.0), ("total", 70.0)]
        );
        assert!(
            ServerTiming::parse(&ResponseHeaders::default())
                .entries()
                .is_empty()
        );
    }

    #[test]
    fn transport_errors_get_their_own_kinds() {
        let refused =
            "error sending request\nclient error (connect)\nconnection refused (os error 111)";
        assert_eq!(
            classify_parts(false, true, false, Some(Io::ConnectionRefused), refused),
            ErrorKind::Connect
        );
        let dns = "client error (connect)\ndns error\nfailed to lookup address information";
        assert_eq!(
            classify_parts(false, true, false, None, dns),
            ErrorKind::Dns
        );
        let reset = "error sending request\nconnection closed before message completed";
        assert_eq!(
            classify_parts(false, false, false, None, reset),
            ErrorKind::Reset
        );
        assert_eq!(
            classify_parts(false, false, false, Some(Io::ConnectionReset), "body"),
            ErrorKind::Reset
        );
        assert_eq!(
            classify_parts(true, false, false, None, "operation timed out"),
            ErrorKind::Timeout
        );
        assert_eq!(
            classify_parts(
                false,
                false,
                true,
                None,
                "builder error\nurl scheme is not http"
            ),
            ErrorKind::Tls
        );
        assert_eq!(
            classify_parts(false, false, false, None, "error decoding response body"),
            ErrorKind::Io
        );
    }
}
