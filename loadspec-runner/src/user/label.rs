//! Request labels: method plus path template, so `/insurees/42` and `/insurees/43` share one
//! line in the results instead of one line per id.

/// Writes `"<METHOD> <path template>"` into `out` (cleared first): segments that look like ids
/// become `{id}`; the query and fragment are dropped.
pub(crate) fn write_request_label(out: &mut String, method: &str, path: &str) {
    out.clear();
    out.push_str(method);
    out.push(' ');
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if path.is_empty() {
        out.push('/');
        return;
    }
    let mut first = true;
    for segment in path.split('/') {
        if !first {
            out.push('/');
        }
        first = false;
        if looks_like_id(segment) {
            out.push_str("{id}")
        } else {
            out.push_str(segment)
        }
    }
}

/// Whether a path segment is an identifier rather than part of the route: numbers, UUIDs, long
/// hex strings, and tokens mixing letters with several digits (insurance numbers, codes).
fn looks_like_id(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if digits == bytes.len() {
        return true;
    }
    if is_uuid(bytes) {
        return true;
    }
    if bytes.len() >= 16 && digits > 0 && bytes.iter().all(u8::is_ascii_hexdigit) {
        return true;
    }
    let token_chars = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    token_chars && bytes.len() >= 6 && digits >= 3
}

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(method: &str, path: &str) -> String {
        let mut out = String::from("stale");
        write_request_label(&mut out, method, path);
        out
    }

    #[test]
    fn ids_become_placeholders() {
        assert_eq!(label("GET", "/api/insurees/42"), "GET /api/insurees/{id}");
        assert_eq!(
            label(
                "GET",
                "/api/families/0b3e2c1a-1111-4c4c-9d9d-123456789abc/members"
            ),
            "GET /api/families/{id}/members"
        );
        assert_eq!(
            label("GET", "/api/claims/CLM0001234"),
            "GET /api/claims/{id}"
        );
        assert_eq!(
            label("GET", "/blob/5d41402abc4b2a76b9719d911017c592"),
            "GET /blob/{id}"
        );
    }

    #[test]
    fn route_words_and_short_versions_stay() {
        assert_eq!(
            label("POST", "/api/v1/auth/login"),
            "POST /api/v1/auth/login"
        );
        assert_eq!(label("GET", "/oauth2/token"), "GET /oauth2/token");
        assert_eq!(
            label("GET", "/api/insurees?q=Doe&page=2"),
            "GET /api/insurees"
        );
        assert_eq!(label("GET", ""), "GET /");
        assert_eq!(label("GET", "/"), "GET /");
    }
}
