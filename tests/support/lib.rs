//! Test support for loadspec's own tests, examples and benches: an in-process target server
//! on `127.0.0.1:0` with known behaviour, running on its own thread and runtime so the load
//! generator under test never shares a scheduler with it.

mod fault;
mod h2_faults;
#[cfg(target_os = "linux")]
mod netns;
#[cfg(target_os = "linux")]
mod nfqueue;
mod tls;
mod websocket;

pub use fault::{ENDLESS_BYTES, Fault, FaultServer, HUGE_LENGTH, TRICKLE_BYTES};
pub use h2_faults::{H2Counters, H2FaultServer};
#[cfg(target_os = "linux")]
pub use netns::{NetNs, REQUIRE_NETEM, REQUIRE_NETNS};
#[cfg(target_os = "linux")]
pub use nfqueue::{PacketQueue, QueueFault, QueueStats};
pub use tls::{ServerCert, TestCa, TlsCounters, Validity};
pub use websocket::{WsCounters, WsServer};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use loadspec::results::model::RunResults;
use loadspec::{RunError, Scenario};
use loadspec_runner::engine::{self, Silent, StopHandle};
use loadspec_runner::plan::{self, Mode, Overrides};

/// The overrides of a quick full-mode run against `target`: no cooldown between steps, seed 1
/// (`..full_run(target)` for the rest).
pub fn full_run(target: &str) -> Overrides {
    Overrides {
        target: Some(target.to_owned()),
        mode: Some(Mode::Full),
        cooldown: Some(Duration::ZERO),
        seed: Some(1),
        ..Default::default()
    }
}

/// Plans and runs `scenarios` with `overrides`, printing nothing.
pub fn run_silently(scenarios: &[Scenario], overrides: &Overrides) -> Result<RunResults, RunError> {
    let plan = plan::resolve(scenarios, overrides)?;
    engine::run(&plan, &mut Silent, &StopHandle::new())
}

/// Counters shared by the handlers.
#[derive(Debug)]
pub struct Counters {
    /// Requests to `/fail-every/{n}`.
    pub fail_every: AtomicU64,
    /// Requests to `/cold-start/{slow}/{ms}`.
    pub cold_start: AtomicU64,
    /// `/limited/…` requests let through.
    pub limited_accepted: AtomicU64,
    /// `/limited/…` requests answered 429.
    pub limited_rejected: AtomicU64,
    /// `/limited/…` requests let through before the first 429.
    pub limited_before_first_rejection: AtomicU64,
    limiter: std::sync::Mutex<Limiter>,
    /// `POST /graphql` login attempts.
    pub logins: AtomicU64,
    /// Requests seen by any handler.
    pub requests: AtomicU64,
    /// Highest number of requests in flight at once.
    pub max_in_flight: AtomicU64,
    in_flight: AtomicU64,
    started: std::time::Instant,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            fail_every: AtomicU64::new(0),
            cold_start: AtomicU64::new(0),
            limited_accepted: AtomicU64::new(0),
            limited_rejected: AtomicU64::new(0),
            limited_before_first_rejection: AtomicU64::new(0),
            limiter: std::sync::Mutex::new(Limiter::default()),
            logins: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            started: std::time::Instant::now(),
        }
    }
}

/// An axum router served on `127.0.0.1:<ephemeral>` from its own thread and single-worker
/// runtime; stops when dropped. The building block of [`TestServer`] and of the tests' own
/// targets.
pub struct ServedRouter {
    addr: SocketAddr,
    /// Set when served over TLS.
    tls: Option<Arc<TlsCounters>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServedRouter {
    /// Binds, then serves `app` on a thread called `name`.
    pub fn start(name: &str, app: Router) -> std::io::Result<Self> {
        Self::serve(name, app, None)
    }

    /// Serves `app` over HTTPS with `cert` (see [`TestCa`]), counting handshakes; ALPN offers
    /// `http/1.1` only.
    pub fn start_tls(name: &str, app: Router, cert: ServerCert) -> std::io::Result<Self> {
        Self::serve(name, app, Some((cert, &[b"http/1.1"])))
    }

    /// As [`start_tls`](Self::start_tls), with ALPN offering `h2` and `http/1.1`: clients
    /// that offer `h2` speak HTTP/2. (Cleartext [`start`](Self::start) serves HTTP/2 to
    /// clients with prior knowledge.)
    pub fn start_tls_h2(name: &str, app: Router, cert: ServerCert) -> std::io::Result<Self> {
        Self::serve(name, app, Some((cert, &[b"h2", b"http/1.1"])))
    }

    /// As [`start_tls`](Self::start_tls), with ALPN offering `alpn` (none: the server takes
    /// no part in ALPN and clients fall back to HTTP/1.1).
    pub fn start_tls_alpn(
        name: &str,
        app: Router,
        cert: ServerCert,
        alpn: &'static [&'static [u8]],
    ) -> std::io::Result<Self> {
        Self::serve(name, app, Some((cert, alpn)))
    }

    fn serve(
        name: &str,
        app: Router,
        tls: Option<(ServerCert, &'static [&'static [u8]])>,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
        let counters = tls.as_ref().map(|_| Arc::new(TlsCounters::default()));
        let tls_listener = tls.zip(counters.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let stopped = async {
                        let _ = on_shutdown.await;
                    };
                    match tls_listener {
                        None => {
                            let _ = axum::serve(listener, app)
                                .with_graceful_shutdown(stopped)
                                .await;
                        }
                        Some(((cert, alpn), counters)) => {
                            let Ok(listener) =
                                tls::TlsListener::new(listener, cert, alpn, counters)
                            else {
                                return;
                            };
                            let _ = axum::serve(listener, app)
                                .with_graceful_shutdown(stopped)
                                .await;
                        }
                    }
                });
            })?;
        Ok(Self {
            addr,
            tls: counters,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>` (`https://` when served over TLS).
    pub fn base_url(&self) -> String {
        self.url_via("127.0.0.1")
    }

    /// The base URL with `host` in place of the address, e.g. `https://localhost:<port>`.
    pub fn url_via(&self, host: &str) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{host}:{}", self.addr.port())
    }

    /// What the TLS listener counted (served over TLS only).
    pub fn tls_counters(&self) -> Option<&TlsCounters> {
        self.tls.as_deref()
    }
}

impl Drop for ServedRouter {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A target server running on its own thread; stops when dropped.
pub struct TestServer {
    served: ServedRouter,
    counters: Arc<Counters>,
}

impl TestServer {
    /// Starts the server with the routes below:
    ///
    /// - `GET /ok` → 200 `ok`
    /// - `GET /delay/{ms}` → 200 after `ms` milliseconds
    /// - `GET /fail-every/{n}` → 503 for every `n`-th request (deterministic), else 200
    /// - `GET /limited/{limit}/{window_ms}` → a fixed-window rate limiter like
    ///   django-ratelimit's: windows of `window_ms` from the first request, `limit` requests
    ///   let through (200) per window, the others answered 429 `{"detail":"Rate limit
    ///   exceeded"}` with `Retry-After` (whole seconds to the window's end) and
    ///   `X-RateLimit-Limit`; counted in [`Counters`]
    /// - `POST /graphql` → a login mutation: the first [`LOCKOUT_AFTER`] attempts answer the
    ///   GraphQL error "Invalid credentials", the later ones django-axes' "Too many failed
    ///   attempts.Try again in 5 minutes." (always status 200)
    /// - `GET /cold-start/{slow}/{ms}` → 200; the server's first `slow` requests to it take
    ///   [`COLD_START_MS`] (a target initialising lazily), the later ones `ms` milliseconds
    /// - `GET /status/{code}` → that status
    /// - `GET /echo-auth` → 200 with the `Authorization` header as body
    /// - `POST /login` → 200 `{"access":"token-123"}` and a `sid` cookie
    /// - `GET /whoami` → 200 with the `sid` cookie value, 401 without it
    /// - `GET /concurrency/{ms}` → holds `ms` ms while counting requests in flight
    /// - `GET /never` → never answers
    /// - `GET /stall` → 10 ms normally, but the whole route freezes for 1 s every 5 s from the
    ///   server's start (about 20 % of the time): a coordinated-omission probe
    /// - `GET /timed` → 200 with `Server-Timing: db;dur=12.5, app;dur=20`
    /// - `GET /metrics` → Prometheus text with `test_requests_total` and `test_in_flight`
    pub fn start() -> std::io::Result<Self> {
        let counters = Arc::new(Counters::default());
        let served = ServedRouter::start("test-server", router(Arc::clone(&counters)))?;
        Ok(Self { served, counters })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.served.base_url()
    }

    /// The server's counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

fn router(counters: Arc<Counters>) -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/delay/{ms}", get(delay))
        .route("/fail-every/{n}", get(fail_every))
        .route("/cold-start/{slow}/{ms}", get(cold_start))
        .route("/limited/{limit}/{window_ms}", get(limited))
        .route("/graphql", post(graphql_login))
        .route("/status/{code}", get(status))
        .route("/echo-auth", get(echo_auth))
        .route("/login", post(login))
        .route("/whoami", get(whoami))
        .route("/concurrency/{ms}", get(concurrency))
        .route("/never", get(std::future::pending::<&'static str>))
        .route("/stall", get(stall))
        .route("/timed", get(timed))
        .route("/metrics", get(metrics))
        .with_state(counters)
}

async fn delay(State(c): State<Arc<Counters>>, Path(ms): Path<u64>) -> &'static str {
    c.requests.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
    "ok"
}

/// The fixed windows of `/limited/…`: when the first began, and requests let through in the
/// current one.
#[derive(Debug, Default)]
struct Limiter {
    started: Option<std::time::Instant>,
    window: u128,
    used: u64,
}

async fn limited(
    State(c): State<Arc<Counters>>,
    Path((limit, window_ms)): Path<(u64, u64)>,
) -> impl IntoResponse {
    let window_ms = u128::from(window_ms.max(1));
    let (allowed, retry_after) = {
        let mut l = c
            .limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let started = *l.started.get_or_insert(now);
        let elapsed = now.duration_since(started).as_millis();
        let window = elapsed / window_ms;
        if window != l.window {
            l.window = window;
            l.used = 0;
        }
        let allowed = l.used < limit;
        if allowed {
            l.used += 1;
        }
        // Counted under the lock, so the counts are in the order of the decisions.
        if allowed {
            let accepted = c.limited_accepted.fetch_add(1, Ordering::SeqCst) + 1;
            if c.limited_rejected.load(Ordering::SeqCst) == 0 {
                c.limited_before_first_rejection
                    .store(accepted, Ordering::SeqCst);
            }
        } else {
            c.limited_rejected.fetch_add(1, Ordering::SeqCst);
        }
        let left_ms = (window + 1) * window_ms - elapsed;
        (
            allowed,
            u64::try_from(left_ms.div_ceil(1000)).unwrap_or(u64::MAX),
        )
    };
    if allowed {
        (StatusCode::OK, HeaderMap::new(), "ok").into_response()
    } else {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, retry_after.into());
        headers.insert("x-ratelimit-limit", limit.into());
        (
            StatusCode::TOO_MANY_REQUESTS,
            headers,
            "{\"detail\":\"Rate limit exceeded\"}",
        )
            .into_response()
    }
}

/// Failed logins after which `POST /graphql` locks the account.
pub const LOCKOUT_AFTER: u64 = 5;

async fn graphql_login(State(c): State<Arc<Counters>>) -> impl IntoResponse {
    let attempt = c.logins.fetch_add(1, Ordering::SeqCst) + 1;
    let message = if attempt <= LOCKOUT_AFTER {
        "Invalid credentials"
    } else {
        "Too many failed attempts.Try again in 5 minutes."
    };
    axum::Json(serde_json::json!({"errors": [{"message": message}], "data": null}))
}

/// How long each of the first requests to `/cold-start/{slow}/{ms}` takes.
pub const COLD_START_MS: u64 = 300;

async fn cold_start(
    State(c): State<Arc<Counters>>,
    Path((slow, ms)): Path<(u64, u64)>,
) -> &'static str {
    let seen = c.cold_start.fetch_add(1, Ordering::SeqCst);
    let wait = if seen < slow {
        COLD_START_MS
    } else {
        ms.min(60_000)
    };
    tokio::time::sleep(Duration::from_millis(wait)).await;
    "ok"
}

async fn fail_every(State(c): State<Arc<Counters>>, Path(n): Path<u64>) -> impl IntoResponse {
    let seen = c.fail_every.fetch_add(1, Ordering::Relaxed) + 1;
    if n > 0 && seen % n == 0 {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"error\":\"database is locked\"}",
        )
    } else {
        (StatusCode::OK, "ok")
    }
}

async fn status(Path(code): Path<u16>) -> impl IntoResponse {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, format!("status {code}"))
}

async fn echo_auth(headers: HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn login() -> impl IntoResponse {
    (
        [(header::SET_COOKIE, "sid=s3cr3t; Path=/; HttpOnly")],
        axum::Json(serde_json::json!({"access": "token-123"})),
    )
}

async fn whoami(headers: HeaderMap) -> impl IntoResponse {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match cookie
        .split(';')
        .map(str::trim)
        .find_map(|c| c.strip_prefix("sid="))
    {
        Some(sid) => (StatusCode::OK, sid.to_owned()),
        None => (StatusCode::UNAUTHORIZED, "no session".to_owned()),
    }
}

/// Sleeps 10 ms, but waits out the freeze that covers the 5th second of every 5.
async fn stall(State(c): State<Arc<Counters>>) -> &'static str {
    let since_start = c.started.elapsed();
    let in_cycle = since_start.as_millis() % 5000;
    if in_cycle >= 4000 {
        tokio::time::sleep(Duration::from_millis(5000 - in_cycle as u64)).await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    "ok"
}

async fn timed() -> impl IntoResponse {
    (
        [("server-timing", "db;dur=12.5, app;desc=\"handler\";dur=20")],
        "ok",
    )
}

async fn metrics(State(c): State<Arc<Counters>>) -> String {
    let requests = c.requests.load(Ordering::Relaxed);
    format!(
        "# TYPE test_requests_total counter\ntest_requests_total{{route=\"delay\"}} {requests}\ntest_in_flight {}\nother_series 1\n",
        c.in_flight.load(Ordering::Relaxed)
    )
}

async fn concurrency(State(c): State<Arc<Counters>>, Path(ms): Path<u64>) -> &'static str {
    let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    c.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    c.in_flight.fetch_sub(1, Ordering::SeqCst);
    "ok"
}
