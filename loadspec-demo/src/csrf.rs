//! Django's CSRF check as openIMIS' `tokenAuth` applies it: the `csrftoken` cookie and the
//! `X-CSRFToken` header must carry the same 32-character secret, either of them possibly
//! masked (64 characters: a salt and the salted secret), letters and digits only.

use rand::Rng;

/// The cookie Django keeps the secret in.
pub(crate) const COOKIE: &str = "csrftoken";
/// The header a client echoes the secret in.
pub(crate) const HEADER: &str = "x-csrftoken";
/// The error message of a failed check.
pub(crate) const FAILURE: &str = "CSRF token missing or incorrect.";

const CHARS: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_LEN: usize = 32;

/// A new secret for the `csrftoken` cookie.
pub(crate) fn new_secret() -> String {
    let mut rng = rand::rng();
    (0..SECRET_LEN)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// Whether `text` is a well-formed secret or masked token.
pub(crate) fn is_well_formed(text: &str) -> bool {
    matches!(text.len(), SECRET_LEN | 64) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The secret inside a secret or masked token.
fn unmask(token: &str) -> Option<String> {
    if !is_well_formed(token) {
        return None;
    }
    if token.len() == SECRET_LEN {
        return Some(token.to_owned());
    }
    let index = |b: u8| CHARS.iter().position(|c| *c == b);
    let (mask, cipher) = token.as_bytes().split_at(SECRET_LEN);
    cipher
        .iter()
        .zip(mask)
        .map(|(c, m)| {
            let (c, m) = (index(*c)?, index(*m)?);
            Some(char::from(CHARS[(c + CHARS.len() - m) % CHARS.len()]))
        })
        .collect()
}

/// Django's check: both present and carrying the same secret.
pub(crate) fn matches(cookie: Option<&str>, header: Option<&str>) -> bool {
    match (cookie.and_then(unmask), header.and_then(unmask)) {
        (Some(cookie), Some(header)) => cookie == header,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(secret: &str, salt: &str) -> String {
        let index = |b: u8| CHARS.iter().position(|c| *c == b).unwrap_or(0);
        let cipher: String = secret
            .bytes()
            .zip(salt.bytes())
            .map(|(s, m)| char::from(CHARS[(index(s) + index(m)) % CHARS.len()]))
            .collect();
        format!("{salt}{cipher}")
    }

    #[test]
    fn cookie_and_header_must_carry_the_same_secret() {
        let secret = new_secret();
        assert!(is_well_formed(&secret));
        assert!(matches(Some(&secret), Some(&secret)));
        let masked = mask(&secret, &new_secret());
        assert_eq!(masked.len(), 64);
        assert!(matches(Some(&secret), Some(&masked)));
        assert!(matches(Some(&masked), Some(&secret)));
        assert!(!matches(Some(&secret), Some(&new_secret())));
        assert!(!matches(None, Some(&secret)));
        assert!(!matches(Some(&secret), None));
        assert!(!matches(Some("short"), Some("short")));
        assert!(!matches(Some("null"), Some("null")));
    }
}
