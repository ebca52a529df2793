//! `POST /api/auth/login`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, FieldError};
use crate::auth::{new_token, verify_password};
use crate::date::unix_now;

#[derive(Deserialize)]
pub(crate) struct LoginRequest {
    username: Option<String>,
    password: Option<String>,
}

/// Verifies the password hash off the runtime, then stores a fresh token (a write).
pub(crate) async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let mut errors = Vec::new();
    let username = body.username.filter(|u| !u.is_empty());
    let password = body.password.filter(|p| !p.is_empty());
    if username.is_none() {
        errors.push(FieldError::new("username", "required"));
    }
    if password.is_none() {
        errors.push(FieldError::new("password", "required"));
    }
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::Validation(errors));
    };

    let lookup = username.clone();
    let user = state
        .pool
        .run(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT id, password_hash FROM users WHERE username = ?1")?;
            Ok(stmt
                .query_row([lookup], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .optional()?)
        })
        .await?;
    // Unknown users still pay for one hash so that timing does not reveal which exist.
    let iterations = state.config.password_iterations;
    let (user_id, stored) = user.unwrap_or_else(|| {
        (
            0,
            crate::auth::hash_password("-", "no-such-user", iterations),
        )
    });
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !valid || user_id == 0 {
        return Err(ApiError::Unauthorized("invalid username or password"));
    }

    let token = new_token();
    let ttl = state.config.token_ttl.as_secs();
    let now = unix_now();
    let expires_at = now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    let stored_token = token.clone();
    state
        .pool
        .run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "INSERT INTO auth_tokens (token, user_id, expires_at) VALUES (?1, ?2, ?3)",
            )?
            .execute((stored_token, user_id, expires_at))?;
            tx.prepare_cached("UPDATE users SET last_login = ?1 WHERE id = ?2")?
                .execute((now, user_id))?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Json(json!({
        "access": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "username": username,
    })))
}
