//! Request accounting: the `Server-Timing` header, Prometheus counters and the server-side
//! request timeout, all applied by one middleware around every route.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::db::pool::PoolStats;
use crate::routes::{ApiError, AppState};

tokio::task_local! {
    static TIMING: Arc<RequestTiming>;
}

/// Database time spent on behalf of the current request.
#[derive(Debug, Default)]
pub(crate) struct RequestTiming {
    db_micros: AtomicU64,
}

impl RequestTiming {
    /// Adds `elapsed` to the current request's `db` timing (no-op outside a request).
    pub(crate) fn add_db(elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        // Outside a request scope (e.g. startup) there is nothing to attribute it to.
        let _ = TIMING.try_with(|t| t.db_micros.fetch_add(micros, Ordering::Relaxed));
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct RouteStats {
    count: u64,
    seconds: f64,
}

/// Process-wide counters exposed on `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// (method, route, status) -> count and total duration.
    requests: Mutex<BTreeMap<(String, String, u16), RouteStats>>,
    in_flight: AtomicI64,
    timeouts: AtomicU64,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut map = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.seconds += elapsed.as_secs_f64();
    }

    /// Renders the Prometheus text exposition format.
    pub(crate) fn render(&self, pool: &PoolStats) -> String {
        let mut out = String::with_capacity(4096);
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        out.push_str(
            "# HELP demo_http_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE demo_http_requests_total counter\n");
        for ((method, route, status), stats) in &requests {
            let _ = writeln!(
                out,
                "demo_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                stats.count
            );
        }
        out.push_str(
            "# HELP demo_http_request_seconds_total Total time spent answering, by route and status.\n",
        );
        out.push_str("# TYPE demo_http_request_seconds_total counter\n");
        for ((method, route, status), stats) in &requests {
            let _ = writeln!(
                out,
                "demo_http_request_seconds_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {:.6}",
                stats.seconds
            );
        }
        let gauges: [(&str, &str, &str, String); 7] = [
            (
                "demo_http_requests_in_flight",
                "gauge",
                "Requests being handled right now.",
                self.in_flight.load(Ordering::Relaxed).to_string(),
            ),
            (
                "demo_http_timeouts_total",
                "counter",
                "Requests answered 504 by the server-side timeout.",
                self.timeouts.load(Ordering::Relaxed).to_string(),
            ),
            (
                "demo_db_pool_size",
                "gauge",
                "SQLite connections in the pool.",
                pool.size.to_string(),
            ),
            (
                "demo_db_pool_waiting",
                "gauge",
                "Requests waiting for a pooled connection.",
                pool.waiting.to_string(),
            ),
            (
                "demo_db_busy_errors_total",
                "counter",
                "Database calls that failed with 'database is locked'.",
                pool.busy_errors.to_string(),
            ),
            (
                "demo_db_seconds_total",
                "counter",
                "Time spent in SQLite calls.",
                format!("{:.6}", pool.db_seconds_total),
            ),
            (
                "demo_db_pool_connections_in_use",
                "gauge",
                "Pooled connections checked out.",
                pool.in_use.to_string(),
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        }
        let _ = write!(
            out,
            "# HELP demo_db_pool_connections_idle Pooled connections idle.\n# TYPE demo_db_pool_connections_idle gauge\ndemo_db_pool_connections_idle {}\n",
            pool.idle
        );
        out
    }
}

struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware around every route: enforces the request timeout (504), measures the
/// handler and its database time into `Server-Timing`, and counts the request.
pub(crate) async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let metrics = &state.metrics;
    metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let _in_flight = InFlight(&metrics.in_flight);

    let started = Instant::now();
    let timing = Arc::new(RequestTiming::default());
    let handler = TIMING.scope(Arc::clone(&timing), next.run(req));
    let timeout = state.config.request_timeout;
    let mut response = match tokio::time::timeout(timeout, handler).await {
        Ok(response) => response,
        Err(_) => {
            metrics.timeouts.fetch_add(1, Ordering::Relaxed);
            ApiError::Timeout(timeout).into_response()
        }
    };
    let elapsed = started.elapsed();
    let db_ms = timing.db_micros.load(Ordering::Relaxed) as f64 / 1000.0;
    let app_ms = elapsed.as_secs_f64() * 1000.0;
    let header = format!("db;dur={db_ms:.3}, app;dur={app_ms:.3}");
    if let Ok(value) = HeaderValue::from_str(&header) {
        response.headers_mut().insert("server-timing", value);
    }
    metrics.record(&method, &route, response.status().as_u16(), elapsed);
    response
}
