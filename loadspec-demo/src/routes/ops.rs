//! Unauthenticated operational endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;

/// `GET /health`.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /metrics` in the Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut body = state.metrics.render(&state.pool.stats());
    let (accepted, rejected) = state.rate_limiter.counts();
    body.push_str(&format!(
        "# HELP demo_rate_limit_requests_total /api/graphql requests the rate limit let through (accepted) or answered 429 (rejected).\n\
         # TYPE demo_rate_limit_requests_total counter\n\
         demo_rate_limit_requests_total{{outcome=\"accepted\"}} {accepted}\n\
         demo_rate_limit_requests_total{{outcome=\"rejected\"}} {rejected}\n"
    ));
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Unknown paths: Django's HTML 404 page (`DEBUG=False`).
pub(crate) async fn not_found() -> Response {
    let page = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";
    let mut response = (axum::http::StatusCode::NOT_FOUND, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
