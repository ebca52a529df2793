//! The JSON Web Tokens `tokenAuth` issues, as django-graphql-jwt makes them: HS256 over
//! `{"username","exp","origIat","jti","nbf"}`, valid for a day, refreshable for 30 days.
//! The key is random per server, so a token from another server fails its signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use pbkdf2::hmac::{Hmac, KeyInit, Mac};
use pbkdf2::sha2::Sha256;
use serde::{Deserialize, Serialize};

/// How long a token is valid (django-graphql-jwt's `JWT_EXPIRATION_DELTA` in openIMIS).
pub(crate) const TOKEN_TTL_S: i64 = 86_400;
/// How long a token can be refreshed (`JWT_REFRESH_EXPIRATION_DELTA`).
pub(crate) const REFRESH_TTL_S: i64 = 30 * 86_400;

const HEADER: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Claims {
    pub(crate) username: String,
    pub(crate) exp: i64,
    pub(crate) orig_iat: i64,
    pub(crate) jti: String,
    pub(crate) nbf: i64,
}

/// Why a token was refused, worded as PyJWT / graphql-jwt word it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    /// Not three parts, not base64, not JSON, or a wrong signature.
    #[error("Error decoding signature")]
    Malformed,
    /// Past `exp`.
    #[error("Signature has expired")]
    Expired,
}

/// The server's signing key.
#[derive(Clone)]
pub(crate) struct JwtKey([u8; 64]);

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKey(..)")
    }
}

impl JwtKey {
    /// A fresh random key.
    pub(crate) fn random() -> Self {
        let mut key = [0; 64];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        Self(key)
    }

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        // A key of SHA-256's block size is used as it is.
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.0.into());
        mac.update(signed.as_bytes());
        mac
    }

    /// Issues a token for `username` at `now` (Unix seconds); `jti` makes it unique.
    pub(crate) fn issue(&self, username: &str, now: i64, jti: String) -> (String, Claims) {
        let claims = Claims {
            username: username.to_owned(),
            exp: now + TOKEN_TTL_S,
            orig_iat: now,
            jti,
            nbf: now,
        };
        let payload = serde_json::to_string(&claims).unwrap_or_default();
        let signed = format!("{}.{}", B64URL.encode(HEADER), B64URL.encode(payload));
        let signature = B64URL.encode(self.mac(&signed).finalize().into_bytes());
        (format!("{signed}.{signature}"), claims)
    }

    /// Verifies a token's signature and expiry at `now`.
    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (_, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = B64URL
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(signed)
            .verify_slice(&signature)
            .map_err(|_| TokenError::Malformed)?;
        let payload = B64URL.decode(payload).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire() {
        let key = JwtKey::random();
        let (token, claims) = key.issue("Admin", 1_000, "j1".into());
        assert_eq!(token.split('.').count(), 3);
        assert!(token.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."));
        assert_eq!(key.verify(&token, 1_001), Ok(claims));
        assert_eq!(
            key.verify(&token, 1_000 + TOKEN_TTL_S),
            Err(TokenError::Expired)
        );
        assert_eq!(
            JwtKey::random().verify(&token, 1_001),
            Err(TokenError::Malformed)
        );
        assert_eq!(key.verify("abc.def.ghi", 1), Err(TokenError::Malformed));
        assert_eq!(key.verify("nonsense", 1), Err(TokenError::Malformed));
        assert_eq!(
            TokenError::Malformed.to_string(),
            "Error decoding signature"
        );
    }
}
