//! The virtual user a scenario drives: its session, random stream, transactions and requests.

mod batch;
mod connection;
mod custom;
mod failure;
mod headers;
mod http1;
mod http2;
mod redact;
mod request;
mod response;
mod session;
mod tls;
mod transport;
mod websocket;

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use rand::SeedableRng as _;

pub use self::batch::{HTTP1_CONNECTIONS, Request};
pub(crate) use self::connection::DirectSettings;
pub use self::custom::{Counter, Gauge, Rate, Trend, TrendValue};
pub use self::failure::{ErrorKind, Failure, LOCKOUT_PHRASES, lockout_phrase};
pub use self::http2::HttpVersion;
pub(crate) use self::tls::TlsClient;
pub use self::tls::{TlsOptions, TlsSetupError};

pub use self::redact::{MASK, redact};
pub use self::request::RequestBuilder;
pub(crate) use self::request::describe;
pub use self::response::Response;
pub use self::session::Session;
pub use self::websocket::{WebSocket, WebSocketBuilder, WsMessage};
use crate::metrics::recorder::Recorder;
use crate::metrics::samples::SampleRow;
use crate::metrics::stats::{LabelKind, Sample};

/// A user's random stream: ChaCha8, whose output is stable across platforms and releases, so
/// `--seed` reproduces a run's data.
pub type UserRng = rand_chacha::ChaCha8Rng;

pub use reqwest::Method;

/// What the users of one scenario on one worker thread share.
pub(crate) struct UserContext {
    pub(crate) scenario: usize,
    pub(crate) scenario_name: std::sync::Arc<str>,
    /// reqwest's pooled client: HTTPS, streamed bodies, and everything with `--http-client reqwest`.
    pub(crate) client: reqwest::Client,
    /// The direct client's connect and read timeouts; `None` sends everything through `client`.
    pub(crate) direct: Option<DirectSettings>,
    /// The run's TLS configuration, for the direct client's `https://` connections.
    pub(crate) tls: std::sync::Arc<TlsClient>,
    /// Local addresses the direct client's connections come from, user `i` from the `i % n`th
    /// (empty: the system chooses).
    pub(crate) sources: std::sync::Arc<[std::net::IpAddr]>,
    /// The target's base URL without a trailing slash.
    pub(crate) base_url: Box<str>,
    pub(crate) recorder: Rc<RefCell<Recorder>>,
    pub(crate) hung_after: Duration,
    pub(crate) request_timeout: Duration,
    /// The largest response body read, in bytes (`--max-response-body`), for the bodies
    /// reqwest reads; the direct client has it in `direct`.
    pub(crate) max_response_body: u64,
    /// False in smoke mode, which skips think times and pauses (JMeter's validation mode).
    pub(crate) pauses: bool,
    /// Mask secrets in failure messages and sample logs.
    pub(crate) redact: bool,
    /// The value the scenario's setup returned, for every user.
    pub(crate) shared: RefCell<Option<SharedData>>,
    /// Compiled extraction patterns: compiling a regex per request would dominate its cost.
    pub(crate) patterns: RefCell<std::collections::HashMap<String, regex_lite::Regex>>,
}

/// The value a scenario's setup function returned, shared by all users.
pub type SharedData = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// One virtual user (JMeter's "thread"): it runs the scenario's iterations one after another
/// with its own session, random stream and iteration counter.
pub struct User {
    pub(crate) ctx: Rc<UserContext>,
    index: u64,
    pub(crate) step: u32,
    pub(crate) iteration: u64,
    rng: UserRng,
    session: Session,
    /// The direct client's keep-alive connection, opened by the first request.
    connection: Option<connection::Link>,
    /// The local address this user's connections come from, if the run spreads them.
    source: Option<std::net::IpAddr>,
    /// A batch's spare HTTP/1.1 connections, or, for a batch's lane, what goes back.
    batch: Option<Box<batch::BatchState>>,
    vars: Vec<(Box<str>, String)>,
    /// Open model: how late the current iteration started after it was due (µs); every
    /// latency of the iteration is also recorded from when it was due.
    pub(crate) schedule_delay: Option<u64>,
    /// Set by [`User::stop`]: no iteration starts after the current one.
    pub(crate) stop_requested: bool,
}

impl User {
    pub(crate) fn new(ctx: Rc<UserContext>, index: u64, step: u32, seed: u64) -> Self {
        let source = match ctx.sources.len() {
            0 => None,
            n => Some(ctx.sources[(index % n as u64) as usize]),
        };
        Self {
            ctx,
            source,
            index,
            step,
            iteration: 0,
            rng: UserRng::seed_from_u64(seed),
            session: Session::default(),
            connection: None,
            batch: None,
            vars: Vec::new(),
            schedule_delay: None,
            stop_requested: false,
        }
    }

    /// `n` users sharing this user's target, client and a copy of its session (headers such as
    /// a bearer token, cookies), each with its own random stream: for sending requests in
    /// parallel, e.g. a `setup` that seeds the target in chunks
    /// (`join_all(users.iter_mut().map(..))`). They record like this user.
    pub fn fork(&mut self, n: usize) -> Vec<User> {
        (0..n)
            .map(|i| {
                let seed = rand::RngCore::next_u64(&mut self.rng);
                let mut user = User::new(Rc::clone(&self.ctx), self.index, self.step, seed);
                user.session = self.session.clone();
                user.vars = self.vars.clone();
                user.iteration = i as u64;
                user
            })
            .collect()
    }

    /// The value the scenario's `setup` function returned.
    pub fn setup_data<T: std::any::Any + Send + Sync>(&self) -> Result<std::sync::Arc<T>, Failure> {
        let shared = self.ctx.shared.borrow().clone().ok_or_else(|| {
            Failure::new(
                ErrorKind::Scenario,
                "the scenario has no setup function, so there is no setup data",
            )
        })?;
        shared.downcast::<T>().map_err(|_| {
            Failure::new(
                ErrorKind::Scenario,
                format!("the setup data is not a {}", std::any::type_name::<T>()),
            )
        })
    }

    /// A variable this user set earlier (e.g. a value extracted from a response).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a variable for this user's later requests.
    pub fn set_var(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.vars.iter_mut().find(|(n, _)| &**n == name) {
            Some(slot) => slot.1 = value,
            None => self.vars.push((name.into(), value)),
        }
    }

    /// Puts cookie `name=value` into this user's jar for the target (path `/`), as a browser
    /// holds one it was given earlier: e.g. a CSRF secret the scenario chose itself.
    pub fn set_cookie(&mut self, name: &str, value: &str) -> Result<(), Failure> {
        let url = reqwest::Url::parse(&self.ctx.base_url).map_err(|e| {
            Failure::new(
                ErrorKind::Scenario,
                format!("the target {:?} is not a URL: {e}", self.ctx.base_url),
            )
        })?;
        self.session.set_cookie(&url, name, value)
    }

    /// A GraphQL request (outside any transaction): POSTs `{query, variables, operationName}` to
    /// the session's GraphQL path (default `/graphql`), labelled by the operation's name, and
    /// fails the request when the answer carries `errors` or is not a GraphQL answer.
    pub fn graphql(&mut self, query: &str, variables: serde_json::Value) -> RequestBuilder<'_> {
        let path = self.session.graphql_path().to_owned();
        RequestBuilder::new(self, None, Method::POST, &path).graphql(query, variables)
    }

    /// This user's index within its load step, from 0; in a sharded run, its index in the
    /// whole (unsharded) step, so it is unique across shards.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The index of the load step this user belongs to, from 0.
    pub fn step(&self) -> usize {
        self.step as usize
    }

    /// The current iteration of this user, from 0.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Ends this user after the current iteration (Locust's `StopUser`, Gatling's
    /// `exitHere`), e.g. when a sequential feeder has no row left for it: no further iteration
    /// starts, its `on_stop` hook still runs, and the step goes on with the other users; called
    /// in `on_start`, the user runs no iteration. In the open model the user leaves the pool
    /// and still counts toward `max_users`, so arrivals that find no other free user are
    /// dropped (and counted).
    pub fn stop(&mut self) {
        self.stop_requested = true;
    }

    /// This user's seeded random stream.
    pub fn rng(&mut self) -> &mut UserRng {
        &mut self.rng
    }

    /// This user's session: default headers and cookies.
    pub fn session(&mut self) -> &mut Session {
        &mut self.session
    }

    /// A request outside any transaction, recorded under its own label.
    pub fn request(&mut self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder::new(self, None, method, path)
    }

    /// A `GET` request outside any transaction.
    pub fn get(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST` request outside any transaction.
    pub fn post(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// A `PUT` request outside any transaction.
    pub fn put(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// A `DELETE` request outside any transaction.
    pub fn delete(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }

    /// Sends `requests` together, as a browser loads a page's resources (k6's `http.batch`),
    /// and returns their outcomes in order: over HTTP/2 each is a stream of the user's one
    /// connection, over HTTP/1.1 they spread over up to [`HTTP1_CONNECTIONS`] connections,
    /// kept for the next batch. Each is recorded like a request of its own; the cookies their
    /// answers set go into the session.
    ///
    /// ```no_run
    /// # use loadspec_runner::{Request, User};
    /// # async fn page(user: &mut User) {
    /// let answers = user
    ///     .batch([
    ///         Request::get("/api/insurees").label("insurees"),
    ///         Request::get("/api/locations").label("locations"),
    ///     ])
    ///     .await;
    /// # }
    /// ```
    pub async fn batch(
        &mut self,
        requests: impl IntoIterator<Item = Request>,
    ) -> Vec<Result<Response, Failure>> {
        batch::send(self, requests.into_iter().collect(), None).await
    }

    /// A WebSocket to `path` (relative to the target; `ws://`, `wss://` or `http(s)://` URLs
    /// too), opened by [`WebSocketBuilder::connect`]: the upgrade is recorded under its label,
    /// each message exchange under its own.
    ///
    /// ```no_run
    /// # use loadspec_runner::{Failure, User};
    /// # async fn chat(user: &mut User) -> Result<(), Failure> {
    /// let mut socket = user.websocket("/ws/notifications").connect().await?;
    /// let ack = socket.exchange("subscribe", r#"{"subscribe":"claims"}"#).await?;
    /// let event = socket.receive("claim event").await?;
    /// socket.close().await?;
    /// # let _ = (ack, event);
    /// # Ok(())
    /// # }
    /// ```
    pub fn websocket(&mut self, path: &str) -> WebSocketBuilder<'_> {
        WebSocketBuilder::new(self, path)
    }

    /// The custom counter `name` of this scenario (k6's Counter): `user.counter("claims_approved").add(1)`.
    pub fn counter(&self, name: &str) -> Counter<'_> {
        Counter::new(&self.ctx, name)
    }

    /// The custom gauge `name` (k6's Gauge): `user.gauge("queue_depth").set(17.0)`.
    pub fn gauge(&self, name: &str) -> Gauge<'_> {
        Gauge::new(&self.ctx, name)
    }

    /// The custom trend `name` (k6's Trend): `user.trend("queue_wait").add(elapsed)` with a
    /// [`Duration`] (in milliseconds) or a number.
    pub fn trend(&self, name: &str) -> Trend<'_> {
        Trend::new(&self.ctx, name)
    }

    /// The custom rate `name` (k6's Rate): `user.rate("claims_ok").add(approved)`.
    pub fn rate(&self, name: &str) -> Rate<'_> {
        Rate::new(&self.ctx, name)
    }

    /// Waits like a user reading the page; skipped in smoke mode.
    pub async fn pause(&mut self, duration: Duration) {
        if self.ctx.pauses && !duration.is_zero() {
            tokio::time::sleep(duration).await;
        }
    }

    /// Runs one user action as a transaction: its time and outcome are recorded under `name`
    /// beside the requests it issues.
    ///
    /// The transaction fails if `body` returns an error, panics, runs longer than
    /// `hung_after` (it is then cancelled and counted as hung), or if any of its requests
    /// failed; in the last case the value is still returned.
    pub async fn transaction<T>(
        &mut self,
        name: &str,
        body: impl AsyncFnOnce(&mut Transaction<'_>) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let ctx = Rc::clone(&self.ctx);
        let label = ctx
            .recorder
            .borrow_mut()
            .label(ctx.scenario, LabelKind::Transaction, name);
        let started = Instant::now();
        let mut tx = Transaction {
            user: self,
            state: TxState::default(),
        };
        let outcome = tokio::time::timeout(
            ctx.hung_after,
            AssertUnwindSafe(body(&mut tx)).catch_unwind(),
        )
        .await;
        let state = std::mem::take(&mut tx.state);
        let user = &*tx.user;
        let micros = started.elapsed().as_micros() as u64;
        let result = match outcome {
            Err(_elapsed) => Err(Failure::new(
                ErrorKind::Hung,
                format!(
                    "transaction {name:?} ran longer than hung_after ({}) and was cancelled",
                    humantime::format_duration(ctx.hung_after)
                ),
            )),
            Ok(Err(panic)) => Err(Failure::new(
                ErrorKind::Panic,
                panic_message(panic.as_ref()),
            )),
            Ok(Ok(result)) => result,
        };
        let described = result.as_ref().err().map(Failure::describe);
        let (error, status) = match (&result, &state.first_failure) {
            (Err(failure), first) => (
                Some((failure.kind(), described.as_deref().unwrap_or_default())),
                failure.status().or(first.as_ref().and_then(|f| f.2)),
            ),
            (Ok(_), Some((kind, message, status))) => (Some((*kind, message.as_str())), *status),
            (Ok(_), None) => (None, None),
        };
        let timing: Vec<(&str, f64)> = state
            .server_timing
            .iter()
            .map(|(n, ms)| (&**n, *ms))
            .collect();
        let sample = Sample {
            micros,
            status: None,
            error,
            requests: state.requests,
            bytes_received: 0,
            server_timing: &timing,
            corrected_micros: user.schedule_delay.map(|delay| micros + delay),
            phases: None,
        };
        let mut recorder = ctx.recorder.borrow_mut();
        recorder.record(label, &sample);
        if !state.tags.is_empty() {
            let tags: Vec<(&str, &str)> = state.tags.iter().map(|(k, v)| (&**k, &**v)).collect();
            recorder.tag(label, &tags);
        }
        if recorder.sampling() {
            let (group_threads, all_threads) = recorder.running(ctx.scenario);
            let row = SampleRow {
                started,
                elapsed_micros: micros,
                latency_micros: 0,
                label: recorder.label_name(label),
                status,
                error: error.map(|(kind, message)| (kind, Box::from(message))),
                scenario: std::sync::Arc::clone(&ctx.scenario_name),
                step: user.step,
                user: user.index,
                bytes: 0,
                sent_bytes: 0,
                group_threads,
                all_threads,
                url: None,
                children: Some((state.requests, state.failed)),
            };
            recorder.push_sample(row);
        }
        drop(recorder);
        result
    }
}

/// A transaction in progress: requests issued through it are counted as its requests.
pub struct Transaction<'u> {
    user: &'u mut User,
    state: TxState,
}

/// What a transaction's requests reported.
#[derive(Debug, Default)]
struct TxState {
    requests: u32,
    failed: u32,
    /// The first failed request: kind, message, status.
    first_failure: Option<(ErrorKind, String, Option<u16>)>,
    /// Server-Timing entries summed over the transaction's responses.
    server_timing: Vec<(Box<str>, f64)>,
    /// Tags given with [`Transaction::tag`].
    tags: Vec<(Tag, Tag)>,
}

/// A tag's key or value: static text costs no allocation.
pub(crate) type Tag = std::borrow::Cow<'static, str>;

impl TxState {
    /// Adds what a batch's lane counted for this transaction.
    fn absorb(&mut self, lane: TxState) {
        self.requests += lane.requests;
        self.failed += lane.failed;
        if self.first_failure.is_none() {
            self.first_failure = lane.first_failure;
        }
        for (name, ms) in lane.server_timing {
            match self.server_timing.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 += ms,
                None => self.server_timing.push((name, ms)),
            }
        }
    }
}

impl Transaction<'_> {
    /// The user running the transaction.
    pub fn user(&mut self) -> &mut User {
        self.user
    }

    /// Tags the transaction (k6's tags): `results.json` lists the tags its label was sent
    /// with, and criteria can judge every label carrying a tag (`tag = "flow:claims"`).
    pub fn tag(&mut self, key: impl Into<Tag>, value: impl Into<Tag>) -> &mut Self {
        self.state.tags.push((key.into(), value.into()));
        self
    }

    /// The user's custom counter `name` (see [`User::counter`]).
    pub fn counter(&self, name: &str) -> Counter<'_> {
        self.user.counter(name)
    }

    /// The user's custom gauge `name` (see [`User::gauge`]).
    pub fn gauge(&self, name: &str) -> Gauge<'_> {
        self.user.gauge(name)
    }

    /// The user's custom trend `name` (see [`User::trend`]).
    pub fn trend(&self, name: &str) -> Trend<'_> {
        self.user.trend(name)
    }

    /// The user's custom rate `name` (see [`User::rate`]).
    pub fn rate(&self, name: &str) -> Rate<'_> {
        self.user.rate(name)
    }

    /// The user's session: default headers and cookies.
    pub fn session(&mut self) -> &mut Session {
        &mut self.user.session
    }

    /// The user's seeded random stream.
    pub fn rng(&mut self) -> &mut UserRng {
        &mut self.user.rng
    }

    /// A variable of the user.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.user.var(name)
    }

    /// Sets a variable of the user.
    pub fn set_var(&mut self, name: &str, value: impl Into<String>) {
        self.user.set_var(name, value);
    }

    /// Puts a cookie into the user's jar for the target (see [`User::set_cookie`]).
    pub fn set_cookie(&mut self, name: &str, value: &str) -> Result<(), Failure> {
        self.user.set_cookie(name, value)
    }

    /// A GraphQL request belonging to this transaction (see [`User::graphql`]).
    pub fn graphql(&mut self, query: &str, variables: serde_json::Value) -> RequestBuilder<'_> {
        let path = self.user.session.graphql_path().to_owned();
        self.request(Method::POST, &path).graphql(query, variables)
    }

    /// A request belonging to this transaction.
    pub fn request(&mut self, method: Method, path: &str) -> RequestBuilder<'_> {
        let tracker = TxTracker {
            state: &mut self.state,
        };
        RequestBuilder::new(self.user, Some(tracker), method, path)
    }

    /// A `GET` request belonging to this transaction.
    pub fn get(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// A `POST` request belonging to this transaction.
    pub fn post(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// A `PUT` request belonging to this transaction.
    pub fn put(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// A `DELETE` request belonging to this transaction.
    pub fn delete(&mut self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }

    /// Sends `requests` together as requests of this transaction (see [`User::batch`]).
    pub async fn batch(
        &mut self,
        requests: impl IntoIterator<Item = Request>,
    ) -> Vec<Result<Response, Failure>> {
        let mut states = Vec::new();
        let results =
            batch::send(self.user, requests.into_iter().collect(), Some(&mut states)).await;
        for state in states {
            self.state.absorb(state);
        }
        results
    }

    /// Waits inside the transaction (counted in its time); skipped in smoke mode.
    pub async fn pause(&mut self, duration: Duration) {
        self.user.pause(duration).await;
    }
}

/// Where a request reports to its transaction.
pub(crate) struct TxTracker<'t> {
    state: &'t mut TxState,
}

impl TxTracker<'_> {
    pub(crate) fn request_sent(&mut self) {
        self.state.requests += 1;
    }

    pub(crate) fn server_timing(&mut self, entries: &[(&str, f64)]) {
        for &(name, ms) in entries {
            match self
                .state
                .server_timing
                .iter_mut()
                .find(|(n, _)| &**n == name)
            {
                Some(entry) => entry.1 += ms,
                None => self.state.server_timing.push((name.into(), ms)),
            }
        }
    }

    pub(crate) fn request_failed(&mut self, failure: &Failure) {
        self.state.failed += 1;
        if self.state.first_failure.is_none() {
            self.state.first_failure = Some((
                failure.kind(),
                failure.describe().into_owned(),
                failure.status(),
            ));
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        format!("panicked: {text}")
    } else if let Some(text) = payload.downcast_ref::<String>() {
        format!("panicked: {text}")
    } else {
        "panicked".to_owned()
    }
}
