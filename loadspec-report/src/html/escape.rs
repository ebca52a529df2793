//! The one escaping helper for markup generated in Rust (the SVG charts). Everything shown in
//! a chart — labels, transaction names, status codes, titles — comes from the target or the
//! user, so every text node and attribute value goes through [`escape`]. The HTML around the
//! charts is escaped by the template engine instead.

use std::borrow::Cow;

/// Escapes `text` for use in XML/HTML text and in double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_both_quotes() {
        assert_eq!(
            escape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn leaves_plain_text_alone_without_allocating() {
        assert!(matches!(
            escape("GET /api/insurees/{id} · 200"),
            Cow::Borrowed(_)
        ));
        assert_eq!(escape(""), "");
    }

    #[test]
    fn escaping_twice_escapes_the_ampersands_again() {
        // Callers escape exactly once; this documents that the helper is not idempotent.
        assert_eq!(escape(&escape("<")), "&amp;lt;");
    }

    #[test]
    fn keeps_non_ascii_text() {
        assert_eq!(escape("Überweisung → 5xx"), "Überweisung → 5xx");
    }
}
