//! The non-GraphQL pages an openIMIS client touches: Django's admin login page (where a
//! script can pick up a `csrftoken` cookie) and the frontend's `current_user` call.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::json;

use super::AppState;
use super::graphql::{caller, cookie};
use crate::csrf;
use crate::graphql::Caller;

/// `GET /api/admin/login/`: a login form and a `csrftoken` cookie.
pub(crate) async fn admin_login(headers: HeaderMap) -> Response {
    let secret = cookie(&headers, csrf::COOKIE)
        .filter(|c| csrf::is_well_formed(c))
        .map_or_else(csrf::new_secret, str::to_owned);
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Log in | openIMIS</title></head>\n\
         <body><form method=\"post\" action=\"/api/admin/login/\">\
         <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{secret}\">\
         <input name=\"username\"><input type=\"password\" name=\"password\">\
         <input type=\"submit\" value=\"Log in\"></form></body></html>\n"
    );
    let mut response = page.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{}={secret}; Max-Age=31449600; Path=/; SameSite=Lax",
        csrf::COOKIE
    )) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// `GET /api/core/users/current_user/`: the logged-in user, or 401 as Django REST
/// framework answers.
pub(crate) async fn current_user(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (id, username) = match caller(&state, &headers).await {
        Caller::User { id, username } => (id, username),
        Caller::Anonymous => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "detail": "Authentication credentials were not provided." })),
            )
                .into_response();
        }
        Caller::Refused(_) => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "detail": "INCORRECT_CREDENTIALS" })),
            )
                .into_response();
        }
    };
    let user = state
        .pool
        .run(move |conn| {
            Ok(conn
                .prepare_cached("SELECT uuid, role FROM users WHERE id = ?1")?
                .query_row([id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?)
        })
        .await;
    match user {
        Ok(Some((uuid, role))) => Json(json!({
            "id": uuid,
            "username": username,
            "i_user": {
                "id": id,
                "language": "en",
                "last_name": username,
                "other_names": username,
                "health_facility_id": null,
                "rights": if role == "admin" { json!([101001, 101101, 101102, 101103, 111001, 111002]) } else { json!([101001, 101101, 101102]) },
                "has_password": true,
            },
            "t_user": null,
        }))
        .into_response(),
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "detail": "INCORRECT_CREDENTIALS" })),
        )
            .into_response(),
        Err(e) => super::ApiError::from(e).into_response(),
    }
}
