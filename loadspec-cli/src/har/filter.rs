//! What the importer drops: static assets, other hosts, browser-only requests, and headers the
//! browser adds on its own.

use std::fmt;

use url::Url;

use super::call::authority;
use super::model::{Entry, header};
use super::{DroppedRequest, HarError, ImportOptions};

/// The requests to import and the target host.
pub(crate) struct Selection {
    /// The recorded host that stands for the target (`host[:port]`).
    pub(crate) target: String,
    /// Kept entries (index in `log.entries`) and their URLs.
    pub(crate) kept: Vec<(usize, Url)>,
    pub(crate) dropped: Vec<DroppedRequest>,
}

/// Drops what the scenario must not send, then chooses the target host (the one asked for, or
/// the one with the most requests left) and drops the hosts that are neither it nor in the
/// host filter.
pub(crate) fn select(entries: &[Entry], options: &ImportOptions) -> Result<Selection, HarError> {
    let mut dropped = Vec::new();
    let mut candidates = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let url = Url::parse(&entry.request.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        let reason = match &url {
            None => Some(DropReason::UnsupportedUrl),
            Some(_) if !is_method(&entry.request.method) => Some(DropReason::InvalidMethod),
            Some(_) if entry.response.status <= 0 => Some(DropReason::NoResponse),
            Some(_) if entry.from_cache.as_deref().is_some_and(|c| !c.is_empty()) => {
                Some(DropReason::FromCache)
            }
            Some(_) if is_preflight(entry) => Some(DropReason::CorsPreflight),
            Some(u) if !options.keep_static && is_static(entry, u.path()) => {
                Some(DropReason::StaticAsset)
            }
            Some(_) => None,
        };
        match (reason, url) {
            (None, Some(url)) => candidates.push((index, url)),
            (reason, _) => dropped.push(DroppedRequest {
                entry: index,
                request: format!("{} {}", entry.request.method, entry.request.url),
                reason: reason.unwrap_or(DropReason::UnsupportedUrl),
            }),
        }
    }
    // Requests per host, in order of first appearance.
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (_, url) in &candidates {
        let host = authority(url);
        match counts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, n)) => *n += 1,
            None => counts.push((host, 1)),
        }
    }
    let target = match &options.host {
        Some(pattern) => {
            let mut best: Option<&(String, usize)> = None;
            for count in counts.iter().filter(|(h, _)| host_matches(pattern, h)) {
                if best.is_none_or(|b| count.1 > b.1) {
                    best = Some(count);
                }
            }
            best.map(|(h, _)| h.clone()).ok_or_else(|| {
                let hosts: Vec<String> = counts.iter().map(|(h, n)| format!("{h} ({n})")).collect();
                HarError::NothingKept(format!(
                    "no request went to {pattern}; the recorded hosts are: {}",
                    if hosts.is_empty() {
                        "none".to_owned()
                    } else {
                        hosts.join(", ")
                    }
                ))
            })?
        }
        None => {
            // The most requests wins; the first seen breaks ties.
            let mut best: Option<&(String, usize)> = None;
            for count in &counts {
                if best.is_none_or(|b| count.1 > b.1) {
                    best = Some(count);
                }
            }
            best.map(|(h, _)| h.clone()).ok_or_else(|| {
                HarError::NothingKept(format!(
                    "all {} requests were static assets, cached, preflights or unanswered \
                     (try --keep-static)",
                    entries.len()
                ))
            })?
        }
    };
    let mut kept = Vec::with_capacity(candidates.len());
    for (index, url) in candidates {
        let host = authority(&url);
        if host == target || options.host_filter.iter().any(|p| host_matches(p, &host)) {
            kept.push((index, url));
        } else {
            dropped.push(DroppedRequest {
                entry: index,
                request: format!("{} {url}", entries[index].request.method),
                reason: DropReason::OtherHost(host),
            });
        }
    }
    dropped.sort_by_key(|d| d.entry);
    Ok(Selection {
        target,
        kept,
        dropped,
    })
}

/// Why a recorded request is not in the generated scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// An image, font, stylesheet, script, source map, media file or favicon.
    StaticAsset,
    /// A host that is neither the target nor in the host filter.
    OtherHost(String),
    /// Not an `http(s)` URL (`data:`, `blob:`, `ws:`, extensions) or not a valid URL.
    UnsupportedUrl,
    /// The browser got no response (blocked, cancelled, status 0).
    NoResponse,
    /// The browser answered from its own cache: the server never saw it.
    FromCache,
    /// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`): the HTTP client
    /// does not need it.
    CorsPreflight,
    /// The request the browser made to follow a redirect: the HTTP client follows it itself.
    FollowedRedirect,
    /// A method that is not an HTTP token.
    InvalidMethod,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StaticAsset => f.write_str("static asset"),
            Self::OtherHost(host) => write!(f, "other host ({host})"),
            Self::UnsupportedUrl => f.write_str("not an http(s) URL"),
            Self::NoResponse => f.write_str("no response recorded"),
            Self::FromCache => f.write_str("served from the browser cache"),
            Self::CorsPreflight => f.write_str("CORS preflight"),
            Self::FollowedRedirect => f.write_str("redirect followed by the client"),
            Self::InvalidMethod => f.write_str("invalid method"),
        }
    }
}

/// File extensions of static assets.
const STATIC_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "tif", "tiff", "woff",
    "woff2", "ttf", "otf", "eot", "css", "js", "mjs", "cjs", "map", "wasm", "mp4", "webm", "mp3",
    "ogg", "wav", "m4a",
];

/// Chrome's `_resourceType`s of static assets.
const STATIC_RESOURCE_TYPES: &[&str] =
    &["image", "font", "stylesheet", "script", "media", "manifest"];

/// Whether the request fetched a static asset, by its response type, Chrome's resource type
/// or its path's extension.
pub(crate) fn is_static(entry: &Entry, path: &str) -> bool {
    let mime = entry
        .response
        .content
        .mime_type
        .as_deref()
        .or_else(|| header(&entry.response.headers, "content-type"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let mime = mime.split(';').next().unwrap_or("").trim();
    if mime.starts_with("image/")
        || mime.starts_with("font/")
        || mime.starts_with("audio/")
        || mime.starts_with("video/")
        || mime == "text/css"
        || mime.contains("javascript")
        || mime.contains("ecmascript")
        || mime.contains("font")
        || mime == "application/vnd.ms-fontobject"
        || mime == "application/wasm"
        || mime == "application/manifest+json"
    {
        return true;
    }
    if entry
        .resource_type
        .as_deref()
        .is_some_and(|t| STATIC_RESOURCE_TYPES.contains(&t.to_ascii_lowercase().as_str()))
    {
        return true;
    }
    let file = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    if file.starts_with("favicon") || file.starts_with("apple-touch-icon") {
        return true;
    }
    file.rsplit_once('.')
        .is_some_and(|(_, ext)| STATIC_EXTENSIONS.contains(&ext))
}

/// Whether `method` is an HTTP token (RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``).
pub(crate) fn is_method(method: &str) -> bool {
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether the entry is a CORS preflight.
pub(crate) fn is_preflight(entry: &Entry) -> bool {
    entry.request.method.eq_ignore_ascii_case("OPTIONS")
        && (header(&entry.request.headers, "access-control-request-method").is_some()
            || entry
                .resource_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("preflight")))
}

/// Whether `host` (with or without its port, `authority` is `host[:port]`) matches `pattern`:
/// an exact name, `*.example.org` (any subdomain, and `example.org` itself), or `*`.
pub(crate) fn host_matches(pattern: &str, authority: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    if pattern == "*" || pattern == authority {
        return true;
    }
    let (host, port) = split_authority(&authority);
    let (wanted, wanted_port) = split_authority(&pattern);
    if wanted_port.is_some() && wanted_port != port {
        return false;
    }
    match wanted.strip_prefix("*.") {
        Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
        None => host == wanted,
    }
}

/// `host[:port]` split into the host (IPv6 without brackets) and the port.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, Some(port))
        }
        _ => (authority, None),
    }
}

/// Request headers the browser adds by itself, or that the HTTP client sets (lower case).
const BROWSER_HEADERS: &[&str] = &[
    "accept-encoding",
    "accept-language",
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "dnt",
    "host",
    "if-modified-since",
    "if-none-match",
    "keep-alive",
    "origin",
    "pragma",
    "priority",
    "purpose",
    "referer",
    "te",
    "upgrade-insecure-requests",
    "user-agent",
    "x-client-data",
];

/// Whether a recorded request header belongs in the scenario.
pub(crate) fn keep_header(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.starts_with(':') || name.starts_with("sec-") || name.starts_with("proxy-") {
        return false;
    }
    if BROWSER_HEADERS.contains(&name.as_str()) {
        return false;
    }
    // The browser's generic `Accept` (`*/*`, or the navigation one) says nothing.
    if name == "accept" && (value.contains("*/*") || value.contains("text/html")) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_with_ports_and_wildcards() {
        assert!(host_matches("api.example.org", "api.example.org:443"));
        assert!(host_matches("api.example.org:8443", "api.example.org:8443"));
        assert!(!host_matches(
            "api.example.org:8443",
            "api.example.org:9000"
        ));
        assert!(host_matches("*.example.org", "auth.example.org"));
        assert!(host_matches("*.example.org", "example.org"));
        assert!(!host_matches("*.example.org", "example.org.evil.net"));
        assert!(host_matches("[::1]", "[::1]:8080"));
        assert!(host_matches("*", "anything"));
    }

    #[test]
    fn browser_noise_is_dropped_and_custom_headers_kept() {
        for name in [
            ":authority",
            "Sec-Fetch-Mode",
            "User-Agent",
            "Cookie",
            "Referer",
        ] {
            assert!(!keep_header(name, "x"), "{name}");
        }
        assert!(!keep_header("accept", "application/json, text/plain, */*"));
        assert!(keep_header("accept", "application/vnd.api+json"));
        assert!(keep_header("X-Tenant", "7"));
        assert!(keep_header("Authorization", "Basic YTpi"));
    }
}
