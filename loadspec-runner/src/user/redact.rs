//! Masking secrets before they are stored: error samples, sample logs and reports quote
//! response bodies, URLs and headers, which may carry passwords, tokens and cookies.
//! On by default; `--no-redact` (or `LOADSPEC_REDACT=off`) keeps them.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex_lite::Regex;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Names that mark a value as secret (matched case-insensitively, anywhere in the name).
const SECRET_NAME: &str = r"[A-Za-z0-9_\-]*(?:pass(?:word)?|pwd|secret|token|access|auth|session|cookie|api[_\-]?key)[A-Za-z0-9_\-]*";

struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

#[expect(
    clippy::expect_used,
    reason = "the patterns are constants, checked by the tests"
)]
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: String, replacement| Rule {
        pattern: Regex::new(&pattern).expect("valid pattern"),
        replacement,
    };
    vec![
        // JSON fields: "password": "hunter2", "accessToken":"abc"
        rule(
            format!(r#"(?i)"({SECRET_NAME})"\s*:\s*"(?:[^"\\]|\\.)*""#),
            r#""$1": "***""#,
        ),
        // Headers quoted in messages: Authorization: Bearer x, Cookie: a=b
        rule(
            r"(?i)\b((?:proxy-)?authorization|set-cookie|cookie)\s*:\s*[^\r\n]*".to_owned(),
            "$1: ***",
        ),
        // Bare bearer tokens.
        rule(
            r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*".to_owned(),
            "Bearer ***",
        ),
        // Query strings and forms: ?token=abc&x=1, password=hunter2
        rule(
            format!(r"(?i)(^|[?&\s;,])({SECRET_NAME})=[^&\s#;,]*"),
            "$1$2=***",
        ),
    ]
});

/// `text` with every secret masked; borrowed when there was nothing to mask.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if let Cow::Owned(replaced) = rule.pattern.replace_all(&out, rule.replacement) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_json_fields_headers_tokens_and_query_strings() {
        let cases = [
            (
                r#"{"username":"u","password":"hunter2"}"#,
                r#"{"username":"u","password": "***"}"#,
            ),
            (
                r#"{"access": "eyJhbGci.x.y", "expires_in": 3600}"#,
                r#"{"access": "***", "expires_in": 3600}"#,
            ),
            (r#"{"clientSecret":"a\"b"}"#, r#"{"clientSecret": "***"}"#),
            ("Authorization: Bearer abc.def", "Authorization: ***"),
            ("sent cookie: sid=42; theme=dark", "sent cookie: ***"),
            ("token was Bearer abc-123_x", "token was Bearer ***"),
            (
                "http://h/api?q=Doe&access_token=abc123&page=2",
                "http://h/api?q=Doe&access_token=***&page=2",
            ),
            ("username=bob&password=hunter2", "username=bob&password=***"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone_without_copying() {
        let text = r#"{"error":"database is locked","lastName":"Mushi"} GET /api/insurees?q=Doe"#;
        assert!(matches!(redact(text), Cow::Borrowed(_)));
    }
}
