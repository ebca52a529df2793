//! Request labels: method plus path template, so `/insurees/42` and `/insurees/43` share one
//! line in the results instead of one line per id.

/// Writes `"<METHOD> <path template>"` into `out` (cleared first): segments that look like ids
/// become `{id}`; the query and fragment are dropped.
///
/// Runs for every request without an explicit label: one pass over each segment's bytes.
/// Returns whether a segment was replaced (the label then depends on more than the route).
pub(crate) fn write_request_label(out: &mut String, method: &str, path: &str) -> bool {
    out.clear();
    out.push_str(method);
    out.push(' ');
    let path = route_part(path);
    if path.is_empty() {
        out.push('/');
        return false;
    }
    let mut first = true;
    let mut replaced = false;
    for segment in path.split('/') {
        if !first {
            out.push('/');
        }
        first = false;
        if looks_like_id(segment) {
            out.push_str("{id}");
            replaced = true;
        } else {
            out.push_str(segment)
        }
    }
    replaced
}

/// The part of a request path a label is made from: without its query and fragment (`?` and
/// `#` are ASCII, so cutting at their byte offset keeps the text valid).
pub(crate) fn route_part(path: &str) -> &str {
    let end = path
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(path.len());
    &path[..end]
}

/// Whether a path segment is an identifier rather than part of the route: numbers, UUIDs, long
/// hex strings, and tokens mixing letters with several digits (insurance numbers, codes).
fn looks_like_id(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    // One pass through a table: digits, and whether every byte is a hex digit / a token
    // character.
    let (mut digits, mut all) = (0_usize, HEX | TOKEN);
    for &b in bytes {
        let class = CLASSES[usize::from(b)];
        digits += usize::from(class & DIGIT);
        all &= class;
    }
    let (hex, token) = (all & HEX != 0, all & TOKEN != 0);
    if digits == bytes.len() {
        return true;
    }
    if is_uuid(bytes) {
        return true;
    }
    if bytes.len() >= 16 && digits > 0 && hex {
        return true;
    }
    token && bytes.len() >= 6 && digits >= 3
}

/// Byte classes for [`looks_like_id`]: an ASCII digit (the low bit, so it counts), a hex digit,
/// a token character (ASCII letter or digit, `-`, `_`).
const DIGIT: u8 = 1;
const HEX: u8 = 2;
const TOKEN: u8 = 4;
const CLASSES: [u8; 256] = {
    let mut classes = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_digit() {
            class |= DIGIT;
        }
        if c.is_ascii_hexdigit() {
            class |= HEX;
        }
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            class |= TOKEN;
        }
        classes[b] = class;
        b += 1;
    }
    classes
};

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
        let replaced = write_request_label(&mut out, method, path);
        assert_eq!(replaced, out.contains("{id}"), "{path}");
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

    /// The definition `looks_like_id` implements in one pass.
    fn looks_like_id_reference(segment: &str) -> bool {
        let bytes = segment.as_bytes();
        if bytes.is_empty() {
            return false;
        }
        let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
        if digits == bytes.len() || is_uuid(bytes) {
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

    #[test]
    fn the_one_pass_check_matches_the_definition() {
        let alphabets: [&[char]; 3] = [
            &['0', '7', 'a', 'F', 'g', '-', '_', '.', 'é', '~'],
            &['0', '9', 'a', 'f', 'B'],
            &['1', '-', 'c'],
        ];
        let mut next = crate::test_rng::below(0x9e37_79b9_7f4a_7c15);
        for _ in 0..50_000 {
            let alphabet = alphabets[next(alphabets.len())];
            let len = next(40);
            let segment: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            assert_eq!(
                looks_like_id(&segment),
                looks_like_id_reference(&segment),
                "{segment:?}"
            );
        }
        for segment in [
            "0b3e2c1a-1111-4c4c-9d9d-123456789abc",
            "5d41402abc4b2a76b9719d911017c592",
            "CLM0001234",
            "v1",
            "oauth2",
        ] {
            assert_eq!(looks_like_id(segment), looks_like_id_reference(segment));
        }
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
