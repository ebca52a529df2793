//! `POST /api/graphql`, answered as openIMIS' Django view answers: the rate limit first
//! (`MODE=PROD` only), `400` for a body that is not a GraphQL request, the caller from the
//! JWT (`Authorization: Bearer` or the `JWT` cookie), the CSRF check for `tokenAuth`, and a
//! fresh `csrftoken` cookie for a client that has none.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::AppState;
use crate::csrf;
use crate::graphql::{self, Caller, RequestContext};

/// A standard GraphQL-over-HTTP request body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphqlRequest {
    query: Option<String>,
    variables: Option<Json>,
    operation_name: Option<String>,
}

fn json_response(status: u16, body: &Json) -> Response {
    text_response(status, body.to_string())
}

fn text_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn errors(status: u16, message: &str) -> Response {
    json_response(status, &json!({ "errors": [{ "message": message }] }))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The JWT of a request: the bearer token, else the `JWT` cookie.
pub(crate) fn token(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    bearer.or_else(|| cookie(headers, "JWT"))
}

/// Who sent the request: verifies its JWT and loads the user, as graphql-jwt does.
pub(crate) async fn caller(state: &AppState, headers: &HeaderMap) -> Caller {
    let Some(token) = token(headers) else {
        return Caller::Anonymous;
    };
    let claims = match state.jwt.verify(token, crate::date::unix_now()) {
        Ok(claims) => claims,
        Err(e) => return Caller::Refused(e.to_string()),
    };
    let username = claims.username;
    let lookup = username.clone();
    let id = state
        .pool
        .run(move |conn| {
            Ok(rusqlite::OptionalExtension::optional(
                conn.prepare_cached("SELECT id FROM users WHERE username = ?1")?
                    .query_row([lookup], |r| r.get::<_, i64>(0)),
            )?)
        })
        .await;
    match id {
        Ok(Some(id)) => Caller::User { id, username },
        Ok(None) => Caller::Refused("User not found".to_owned()),
        Err(e) => Caller::Refused(e.to_string()),
    }
}

/// Answers a GraphQL request.
pub(crate) async fn graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(limit) = state.config.rate_limit
        && !state
            .rate_limiter
            .admit(limit, peer.ip(), state.started.elapsed())
    {
        return json_response(429, &json!({ "detail": "Rate limit exceeded" }));
    }
    let Ok(request) = serde_json::from_slice::<GraphqlRequest>(&body) else {
        return errors(400, "POST body sent invalid JSON.");
    };
    let Some(query) = request.query.filter(|q| !q.trim().is_empty()) else {
        return errors(400, "Must provide query string.");
    };
    let caller = caller(&state, &headers).await;
    let cookie_secret = cookie(&headers, csrf::COOKIE).filter(|c| csrf::is_well_formed(c));
    let csrf_ok = csrf::matches(
        cookie_secret,
        headers.get(csrf::HEADER).and_then(|h| h.to_str().ok()),
    );
    let new_secret = cookie_secret.is_none().then(csrf::new_secret);

    let mut gql = async_graphql::Request::new(query);
    if let Some(variables) = request.variables.filter(|v| !v.is_null()) {
        gql = gql.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(name) = request.operation_name {
        gql = gql.operation_name(name);
    }
    let schema = state.schema.clone();
    let request_state = state.clone();
    let runtime = tokio::runtime::Handle::current();
    let answered = state
        .pool
        .run_request(move |db| {
            let context = RequestContext {
                db,
                caller,
                csrf_ok,
                state: request_state,
            };
            // On the request's blocking thread: resolvers query SQLite synchronously.
            runtime.block_on(schema.execute(gql.data(context)))
        })
        .await;
    let response = match answered {
        Ok(response) => response,
        Err(e) => return errors(500, &e.to_string()),
    };
    let headers = response.http_headers.clone();
    let (status, body) = graphql::http_body(response);
    let mut http = text_response(status, body);
    for (name, value) in &headers {
        http.headers_mut().append(name.clone(), value.clone());
    }
    if let Some(secret) = new_secret
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{}={secret}; Max-Age=31449600; Path=/; SameSite=Lax",
            csrf::COOKIE
        ))
    {
        http.headers_mut().append(SET_COOKIE, value);
    }
    http
}
