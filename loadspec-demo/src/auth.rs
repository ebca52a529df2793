//! Passwords and bearer tokens.
//!
//! Passwords are stored in Django's format, `pbkdf2_sha256$<iterations>$<salt>$<base64>`,
//! i.e. PBKDF2-HMAC-SHA256 like openIMIS' backend. The iteration count is configurable
//! (default 10,000, far below Django's 870,000) so that a login costs a few milliseconds:
//! real CPU work, but not enough to make login rather than claims the bottleneck.
//!
//! Tokens are 32 random bytes (hex) stored in the `auth_tokens` table with an expiry, so a
//! login is a real database write and every authenticated request a real lookup.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use pbkdf2::pbkdf2_hmac;
use pbkdf2::sha2::Sha256;
use rand::RngCore;
use rusqlite::OptionalExtension;

use crate::date::unix_now;
use crate::routes::{ApiError, AppState};

/// Django-style PBKDF2-HMAC-SHA256 hash of `password`.
pub(crate) fn hash_password(password: &str, salt: &str, iterations: u32) -> String {
    let mut out = [0_u8; 32];
    pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut out);
    format!("pbkdf2_sha256${iterations}${salt}${}", BASE64.encode(out))
}

/// Checks `password` against a stored hash, in constant time over the hash bytes.
pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("pbkdf2_sha256"), Some(iterations), Some(salt), Some(expected), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else {
        return false;
    };
    let Ok(expected) = BASE64.decode(expected) else {
        return false;
    };
    let mut out = [0_u8; 32];
    pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut out);
    expected.len() == out.len()
        && expected
            .iter()
            .zip(out)
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A new unguessable token (OS-seeded generator, independent of the data seed).
pub(crate) fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticated caller of an `/api/*` endpoint; extracting it checks the bearer token
/// against the database and rejects the request with 401 otherwise.
#[derive(Debug, Clone)]
pub(crate) struct AuthUser {
    /// Id in the `users` table.
    pub(crate) user_id: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("missing Authorization header"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized(
                "expected 'Authorization: Bearer <token>'",
            ))?
            .to_owned();
        let now = unix_now();
        let user = state
            .pool
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT user_id FROM auth_tokens WHERE token = ?1 AND expires_at > ?2",
                )?;
                Ok(stmt
                    .query_row((token, now), |row| row.get::<_, i64>(0))
                    .optional()?)
            })
            .await?;
        match user {
            Some(user_id) => Ok(Self { user_id }),
            None => Err(ApiError::Unauthorized("invalid or expired token")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify() {
        let stored = hash_password("secret", "c2FsdA", 1000);
        assert!(stored.starts_with("pbkdf2_sha256$1000$c2FsdA$"));
        assert!(verify_password("secret", &stored));
        assert!(!verify_password("Secret", &stored));
        assert!(!verify_password("secret", "md5$x$y"));
        assert_eq!(new_token().len(), 64);
    }
}
