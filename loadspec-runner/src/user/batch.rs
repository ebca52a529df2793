//! Requests sent together, the way a browser loads a page's resources (k6's `http.batch`,
//! Gatling's `resources`, JMeter's parallel controller). Over HTTP/2 each request is a stream
//! of the user's one connection; over HTTP/1.1 they spread over up to six connections of the
//! user (a browser's limit per host), which it keeps for its next batch.
//!
//! Each request runs in a *lane*: a user sharing this one's context, with a copy of its
//! session and its own connection (or a handle to the shared HTTP/2 connection). What a lane
//! learns comes back: its connection, the cookies its answers set, and its requests' part in
//! the transaction.

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, SET_COOKIE};
use serde::Serialize;

use super::connection::{self, Link, Route};
use super::failure::{ErrorKind, Failure};
use super::headers::ResponseHeaders;
use super::http2::Http2;
use super::request::RequestBuilder;
use super::response::Response;
use super::{Method, TxState, TxTracker, User};
use crate::metrics::phases::PhaseTimes;

/// HTTP/1.1 connections a user opens for a batch, as browsers do per host.
pub const HTTP1_CONNECTIONS: usize = 6;

/// One request of a batch, built like a [`RequestBuilder`] and sent with the others by
/// [`User::batch`](super::User::batch) or [`Transaction::batch`](super::Transaction::batch).
#[must_use = "a request does nothing until a batch sends it"]
pub struct Request {
    method: Method,
    /// `None` for a GraphQL request: the session's GraphQL path.
    path: Option<String>,
    label: Option<String>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Option<Body>,
    graphql: Option<(String, serde_json::Value)>,
    timeout: Option<Duration>,
    expected: Option<Vec<u16>>,
    /// A query, JSON or form that could not be encoded: the request fails when sent.
    invalid: Option<String>,
    /// Tags (see [`RequestBuilder::tag`]).
    tags: Vec<(super::Tag, super::Tag)>,
}

enum Body {
    Encoded(Bytes, &'static str),
    Raw(reqwest::Body),
}

impl Request {
    /// A request with `method` to `path` (relative to the target, or a full URL).
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: Some(path.to_owned()),
            label: None,
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
            graphql: None,
            timeout: None,
            expected: None,
            invalid: None,
            tags: Vec::new(),
        }
    }

    /// A `GET` request.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// A `POST` request.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A `DELETE` request.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// A GraphQL request to the session's GraphQL path (see [`User::graphql`](super::User::graphql)).
    pub fn graphql(query: &str, variables: serde_json::Value) -> Self {
        let mut request = Self::new(Method::POST, "");
        request.path = None;
        request.graphql = Some((query.to_owned(), variables));
        request
    }

    /// Records the request under `label` (see [`RequestBuilder::label`]).
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// Tags the request (see [`RequestBuilder::tag`]).
    pub fn tag(mut self, key: impl Into<super::Tag>, value: impl Into<super::Tag>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Adds a header (see [`RequestBuilder::header`]).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds query parameters, e.g. `.query(&[("q", "Doe")])`.
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        match serde_urlencoded::to_string(query).and_then(|text| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&text)
                .map_err(|e| serde_urlencoded::ser::Error::Custom(e.to_string().into()))
        }) {
            Ok(pairs) => self.query.extend(pairs),
            Err(e) => self.invalid = Some(format!("invalid query: {e}")),
        }
        self
    }

    /// Sends `value` as a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body = Some(Body::Encoded(bytes.into(), "application/json")),
            Err(e) => self.invalid = Some(format!("invalid JSON body: {e}")),
        }
        self
    }

    /// Sends `value` as a URL-encoded form.
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_urlencoded::to_string(value) {
            Ok(text) => {
                let form = "application/x-www-form-urlencoded";
                self.body = Some(Body::Encoded(text.into(), form));
            }
            Err(e) => self.invalid = Some(format!("invalid form: {e}")),
        }
        self
    }

    /// Sends a raw body.
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.body = Some(Body::Raw(body.into()));
        self
    }

    /// Overrides the scenario's request timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Statuses that count as success (default: any status below 400).
    pub fn expected_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.expected = Some(statuses.into_iter().collect());
        self
    }

    /// The request as a lane's builder: what the user's own requests go through.
    fn build<'a>(
        &'a mut self,
        lane: &'a mut User,
        tracker: Option<TxTracker<'a>>,
    ) -> RequestBuilder<'a> {
        let mut builder = match (&self.path, &self.graphql) {
            (None, Some((query, variables))) => {
                let path = lane.session.graphql_path().to_owned();
                RequestBuilder::new(lane, tracker, Method::POST, &path)
                    .graphql(query, variables.clone())
            }
            (path, _) => RequestBuilder::new(
                lane,
                tracker,
                self.method.clone(),
                path.as_deref().unwrap_or_default(),
            ),
        };
        if let Some(label) = &self.label {
            builder = builder.label(label);
        }
        for (key, value) in std::mem::take(&mut self.tags) {
            builder = builder.tag(key, value);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if !self.query.is_empty() {
            builder = builder.query(&self.query);
        }
        match self.body.take() {
            Some(Body::Encoded(bytes, content_type)) => {
                let typed = self
                    .headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case(CONTENT_TYPE.as_str()));
                if !typed {
                    builder = builder.header(CONTENT_TYPE.as_str(), content_type);
                }
                builder = builder.body(bytes);
            }
            Some(Body::Raw(body)) => builder = builder.body(body),
            None => {}
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(expected) = self.expected.take() {
            builder = builder.expected_statuses(expected);
        }
        builder
    }
}

/// What a batch leaves on a user: for the user, the extra HTTP/1.1 connections its batches
/// keep; for a lane, what goes back to its user.
#[derive(Default)]
pub(super) struct BatchState {
    spare: Vec<Link>,
    lane: bool,
    /// The `set-cookie` values a lane received, with the URL of each answer.
    cookies: Vec<(Url, HeaderValue)>,
    /// The connection the batch opened for this lane's first request, timed.
    opened: Option<PhaseTimes>,
}

impl BatchState {
    /// Notes a lane's answer's cookies, for its user.
    pub(super) fn saw_cookies(&mut self, url: &Url, headers: &ResponseHeaders) {
        if self.lane {
            for value in headers.get_all(SET_COOKIE.as_str()) {
                if let Ok(value) = HeaderValue::from_bytes(value) {
                    self.cookies.push((url.clone(), value));
                }
            }
        }
    }

    /// The phases of a connection opened for this lane before its request.
    pub(super) fn take_opened(&mut self) -> Option<PhaseTimes> {
        self.opened.take()
    }
}

/// Sends `requests` together from `user`; with `states`, each request reports to a
/// transaction through its own state, added up by the caller.
pub(super) async fn send(
    user: &mut User,
    requests: Vec<Request>,
    mut states: Option<&mut Vec<TxState>>,
) -> Vec<Result<Response, Failure>> {
    let count = requests.len();
    if count == 0 {
        return Vec::new();
    }
    let (shared, opened) = shared_connection(user).await;
    let lanes = match &shared {
        Some(_) => count,
        None => count.min(HTTP1_CONNECTIONS),
    };
    let mut spare = user
        .batch
        .as_mut()
        .map(|state| std::mem::take(&mut state.spare))
        .unwrap_or_default();
    let mut users: Vec<User> = Vec::with_capacity(lanes);
    for i in 0..lanes {
        let seed = rand::RngCore::next_u64(&mut user.rng);
        let mut lane = User::new(Rc::clone(&user.ctx), user.index, user.step, seed);
        lane.iteration = user.iteration;
        lane.schedule_delay = user.schedule_delay;
        lane.session = user.session.clone();
        lane.vars = user.vars.clone();
        lane.connection = match &shared {
            Some(http2) => Some(Link::Http2(http2.clone())),
            None if i == 0 => user.connection.take(),
            None => spare.pop(),
        };
        lane.batch = Some(Box::new(BatchState {
            lane: true,
            opened: if i == 0 { opened } else { None },
            ..BatchState::default()
        }));
        users.push(lane);
    }
    // Lane i sends requests i, i + lanes, …, one after another.
    let mut queues: Vec<Vec<(usize, Request)>> = (0..lanes).map(|_| Vec::new()).collect();
    for (index, request) in requests.into_iter().enumerate() {
        queues[index % lanes].push((index, request));
    }
    let mut lane_states: Vec<TxState> = (0..lanes).map(|_| TxState::default()).collect();
    let tracked = states.is_some();
    let runs = users
        .iter_mut()
        .zip(queues)
        .zip(lane_states.iter_mut())
        .map(|((lane, queue), state)| async move {
            let mut answered = Vec::with_capacity(queue.len());
            for (index, mut request) in queue {
                let tracker = tracked.then_some(TxTracker { state: &mut *state });
                let outcome = match request.invalid.take() {
                    Some(problem) => Err(Failure::new(ErrorKind::Scenario, problem)),
                    None => request.build(lane, tracker).send().await,
                };
                answered.push((index, outcome));
            }
            answered
        });
    let answered = futures::future::join_all(runs).await;
    let mut results: Vec<Option<Result<Response, Failure>>> = (0..count).map(|_| None).collect();
    for (index, outcome) in answered.into_iter().flatten() {
        results[index] = Some(outcome);
    }
    for (i, mut lane) in users.into_iter().enumerate() {
        if let Some(state) = lane.batch.take() {
            for (url, value) in &state.cookies {
                let mut headers = HeaderMap::new();
                headers.append(SET_COOKIE, value.clone());
                user.session
                    .store_cookies(url, &ResponseHeaders::from(headers));
            }
        }
        match lane.connection.take() {
            Some(link @ Link::Http1(_)) if i == 0 => user.connection = Some(link),
            Some(link @ Link::Http1(_)) if spare.len() < HTTP1_CONNECTIONS => spare.push(link),
            _ => {}
        }
    }
    if !spare.is_empty() {
        user.batch.get_or_insert_with(Default::default).spare = spare;
    }
    if let Some(states) = states.as_mut() {
        states.extend(lane_states);
    }
    results
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| {
                Err(Failure::new(
                    ErrorKind::Scenario,
                    "a batch request got no answer",
                ))
            })
        })
        .collect()
}

/// The user's HTTP/2 connection to the target for the lanes to share, opened now if there is
/// none (its phases go to the first lane's request); `None` when the user speaks HTTP/1.1 to
/// it, or sends through reqwest.
async fn shared_connection(user: &mut User) -> (Option<Http2>, Option<PhaseTimes>) {
    let ctx = Rc::clone(&user.ctx);
    let Some(settings) = ctx.direct else {
        return (None, None);
    };
    let Ok(url) = Url::parse(&ctx.base_url) else {
        return (None, None);
    };
    let route = Route {
        settings,
        tls: &ctx.tls,
        source: user.source,
    };
    connection::shared(&mut user.connection, &url, route).await
}
