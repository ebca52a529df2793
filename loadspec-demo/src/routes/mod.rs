//! HTTP routes, shared state and the JSON error type.

mod families;
mod graphql;
mod insurees;
mod login;
mod master;
mod ops;
mod site;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::config::DemoConfig;
use crate::db::DbError;
use crate::db::pool::Pool;
use crate::metrics::{Metrics, observe};

/// State shared by all handlers.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: Pool,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) config: Arc<DemoConfig>,
    /// The GraphQL schema (built once).
    pub(crate) schema: crate::graphql::DemoSchema,
    /// The key that signs and checks the JWTs `tokenAuth` issues.
    pub(crate) jwt: crate::jwt::JwtKey,
    /// `/api/graphql` requests per client and window, when [`DemoConfig::rate_limit`] is set.
    pub(crate) rate_limiter: Arc<crate::limits::RateLimiter>,
    /// Failed logins per account, when [`DemoConfig::lockout`] is set.
    pub(crate) login_failures: Arc<crate::limits::LoginFailures>,
    /// When the server started (rate-limit windows are aligned to it).
    pub(crate) started: Instant,
    /// Keeps the database directory alive as long as any handler can use it.
    pub(crate) _dir: Arc<dyn std::any::Any + Send + Sync>,
}

/// Builds the application router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/api/auth/login", post(login::login))
        .route("/api/locations", get(master::locations))
        .route("/api/products", get(master::products))
        .route("/api/genders", get(master::genders))
        .route("/api/professions", get(master::professions))
        .route("/api/education-levels", get(master::education_levels))
        .route("/api/relations", get(master::relations))
        .route("/api/family-types", get(master::family_types))
        .route("/api/health-facilities", get(master::health_facilities))
        .route(
            "/api/insurees",
            get(insurees::search).post(insurees::create),
        )
        .route("/api/insurees/{chf_id}", get(insurees::detail))
        .route("/api/families/{id}", get(families::detail))
        .route("/api/graphql", post(graphql::graphql))
        .route("/api/admin/login/", get(site::admin_login))
        .route("/api/core/users/current_user/", get(site::current_user))
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// One invalid field of a request body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) field: &'static str,
    pub(crate) message: String,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Every failure a handler can answer, each with its status code and a JSON body
/// `{"error": "..."}` naming the cause.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 401: missing, malformed or unknown credentials.
    Unauthorized(&'static str),
    /// Malformed request (bad JSON, bad query string...), with the status axum chose.
    Rejected(StatusCode, String),
    /// 400: a semantically wrong parameter.
    BadRequest(String),
    /// 404.
    NotFound(String),
    /// 409: the resource already exists.
    Conflict(String),
    /// 422: field validation failed.
    Validation(Vec<FieldError>),
    /// 503: SQLite could not get its lock within the busy timeout.
    Busy,
    /// 504: the server-side request timeout elapsed.
    Timeout(Duration),
    /// 500.
    Internal(String),
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Busy => Self::Busy,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::Rejected(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Rejected(StatusCode::BAD_REQUEST, rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::Rejected(StatusCode::BAD_REQUEST, rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::Unauthorized(why) => (StatusCode::UNAUTHORIZED, json!({ "error": why })),
            Self::Rejected(status, why) => (status, json!({ "error": why })),
            Self::BadRequest(why) => (StatusCode::BAD_REQUEST, json!({ "error": why })),
            Self::NotFound(why) => (StatusCode::NOT_FOUND, json!({ "error": why })),
            Self::Conflict(why) => (StatusCode::CONFLICT, json!({ "error": why })),
            Self::Validation(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "validation failed", "fields": fields }),
            ),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": "database is locked" }),
            ),
            Self::Timeout(after) => (
                StatusCode::GATEWAY_TIMEOUT,
                json!({ "error": format!("gateway timeout: no response within {} ms", after.as_millis()) }),
            ),
            Self::Internal(why) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": format!("internal error: {why}") }),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
