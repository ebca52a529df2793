//! A recorded request turned into what the generated code sends: method, path, query, kept
//! headers, body and expected status, plus the response's JSON for correlation.

use base64::Engine as _;
use url::Url;

use super::filter::keep_header;
use super::json::Json;
use super::model::{Entry, header};

/// Response bodies above this size are not searched for correlation sources.
const MAX_SOURCE_JSON: usize = 8 * 1024 * 1024;

/// A value of a request that comes from a variable instead of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Usage {
    /// Index of the variable.
    pub(crate) var: usize,
    /// Text around the variable in the value (e.g. `Token ` before a token).
    pub(crate) prefix: String,
    pub(crate) suffix: String,
}

/// A query parameter, form field or header.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) var: Option<Usage>,
}

impl Field {
    fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            var: None,
        }
    }
}

/// A path segment (as recorded, percent-encoded), possibly replaced by a variable.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) raw: String,
    pub(crate) var: Option<usize>,
}

impl Segment {
    /// The segment percent-decoded.
    pub(crate) fn decoded(&self) -> String {
        url::form_urlencoded::parse(format!("x={}", self.raw.replace('+', "%2B")).as_bytes())
            .next()
            .map_or_else(|| self.raw.clone(), |(_, v)| v.into_owned())
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    None,
    /// A JSON body; `vars` maps JSON pointers of leaves to variables (and whether the
    /// recorded leaf was a string while the variable is a number).
    Json {
        value: Json,
        vars: Vec<(String, usize, bool)>,
    },
    /// An `application/x-www-form-urlencoded` body.
    Form(Vec<Field>),
    /// Any other body, as text, with its content type.
    Text {
        mime: String,
        text: String,
    },
    /// A body too large to put in source code.
    Omitted {
        mime: String,
    },
}

/// A kept request.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Index of the HAR entry.
    pub(crate) entry: usize,
    /// Index of the transaction.
    pub(crate) group: usize,
    /// `GET`, `POST`...
    pub(crate) method: String,
    /// `scheme://host[:port]` for hosts other than the target; `None` for the target.
    pub(crate) origin: Option<String>,
    /// The path's segments after the leading `/`.
    pub(crate) segments: Vec<Segment>,
    pub(crate) query: Vec<Field>,
    pub(crate) headers: Vec<Field>,
    pub(crate) body: Body,
    /// The status to check, if the recorded one can be expected.
    pub(crate) status: Option<u16>,
    /// The recorded status (for redirects, the status of the followed response).
    pub(crate) recorded_status: i64,
    /// Start and end of the request in ms since the epoch, if recorded.
    pub(crate) start_ms: Option<f64>,
    pub(crate) end_ms: Option<f64>,
    /// The response's JSON, for correlation (dropped after it).
    pub(crate) response_json: Option<Json>,
    /// Cookie names the request carried.
    pub(crate) cookies: Vec<String>,
    /// Cookie names the response set.
    pub(crate) set_cookies: Vec<String>,
    /// Where a redirect points (absolute).
    pub(crate) redirect: Option<String>,
    /// The absolute URL as recorded.
    pub(crate) url: String,
    /// `TODO check` notes shown above the request.
    pub(crate) todos: Vec<String>,
    /// A variable to make the session's bearer token before this request.
    pub(crate) bearer: Option<usize>,
    /// Variables extracted from this request's response.
    pub(crate) defines: Vec<usize>,
}

impl Call {
    /// Builds the call of a kept entry. `target` is the authority of the target host.
    pub(crate) fn new(
        index: usize,
        entry: &Entry,
        url: &Url,
        target: &str,
        start_ms: Option<f64>,
        max_body: usize,
    ) -> Self {
        let authority = authority(url);
        let origin = (!authority.eq_ignore_ascii_case(target))
            .then(|| format!("{}://{}", url.scheme(), authority));
        let segments = url
            .path()
            .trim_start_matches('/')
            .split('/')
            .map(|raw| Segment {
                raw: raw.to_owned(),
                var: None,
            })
            .collect::<Vec<_>>();
        let segments = if segments.len() == 1 && segments[0].raw.is_empty() {
            Vec::new()
        } else {
            segments
        };
        let query = url
            .query_pairs()
            .map(|(name, value)| Field::new(name, value))
            .collect();
        let mut todos = Vec::new();
        let body = body(entry, max_body, &mut todos);
        let mut headers: Vec<Field> = Vec::new();
        let mut cookies = Vec::new();
        for h in &entry.request.headers {
            if h.is("cookie") {
                cookies.extend(
                    h.value
                        .split(';')
                        .filter_map(|c| c.split_once('=').map(|(n, _)| n.trim().to_owned()))
                        .filter(|n| !n.is_empty()),
                );
            }
            if !keep_header(&h.name, &h.value) {
                continue;
            }
            let name = h.name.to_ascii_lowercase();
            // `.json()` and `.form()` set the content type; a text body gets it below.
            if name == "content-type" {
                continue;
            }
            if headers.iter().any(|f| f.name == name) {
                continue;
            }
            headers.push(Field::new(name, h.value.clone()));
        }
        let set_cookies = entry
            .response
            .headers
            .iter()
            .filter(|h| h.is("set-cookie"))
            .flat_map(|h| h.value.lines())
            .filter_map(|line| line.split_once('=').map(|(n, _)| n.trim().to_owned()))
            .filter(|n| !n.is_empty())
            .collect();
        let recorded_status = entry.response.status;
        let redirect = if (300..400).contains(&recorded_status) {
            entry
                .response
                .redirect_url
                .as_deref()
                .filter(|r| !r.is_empty())
                .or_else(|| header(&entry.response.headers, "location"))
                .and_then(|location| url.join(location).ok())
                .map(String::from)
        } else {
            None
        };
        let status = expected_status(recorded_status);
        let end_ms = start_ms.map(|start| start + entry.duration_ms());
        Self {
            entry: index,
            group: 0,
            method: entry.request.method.to_ascii_uppercase(),
            origin,
            segments,
            query,
            headers,
            body,
            status,
            recorded_status,
            start_ms,
            end_ms,
            response_json: response_json(entry),
            cookies,
            set_cookies,
            redirect,
            url: url.to_string(),
            todos,
            bearer: None,
            defines: Vec::new(),
        }
    }

    /// `GET /api/insurees`, for messages.
    pub(crate) fn describe(&self) -> String {
        let mut path = String::new();
        if let Some(origin) = &self.origin {
            path.push_str(origin);
        }
        path.push('/');
        path.push_str(
            &self
                .segments
                .iter()
                .map(|s| s.raw.as_str())
                .collect::<Vec<_>>()
                .join("/"),
        );
        format!("{} {path}", self.method)
    }

    /// Follows a redirect recorded as a separate request: the client follows it, so the
    /// redirecting request expects the final status and yields the final response.
    pub(crate) fn absorb_redirect(&mut self, followed: Call) {
        self.status = followed.status;
        self.recorded_status = followed.recorded_status;
        self.end_ms = followed.end_ms.or(self.end_ms);
        self.response_json = followed.response_json;
        self.set_cookies.extend(followed.set_cookies);
        self.redirect = followed.redirect;
    }
}

/// `host[:port]` of a URL (the port only when it is not the scheme's default).
pub(crate) fn authority(url: &Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    };
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// The status the generated request checks: the recorded one, except for answers the HTTP
/// client will not see (revalidations, redirects it follows, informational statuses).
fn expected_status(status: i64) -> Option<u16> {
    match status {
        200..=299 | 400..=599 => u16::try_from(status).ok(),
        _ => None,
    }
}

fn mime_of(text: Option<&str>) -> String {
    text.unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The request body of an entry.
fn body(entry: &Entry, max_body: usize, todos: &mut Vec<String>) -> Body {
    let Some(post) = &entry.request.post_data else {
        return Body::None;
    };
    let full_mime = post
        .mime_type
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| header(&entry.request.headers, "content-type").map(str::to_owned))
        .unwrap_or_default();
    let mime = mime_of(Some(&full_mime));
    let text = post.text.clone().unwrap_or_default();
    if text.is_empty() && post.params.is_empty() {
        return Body::None;
    }
    if text.len() > max_body {
        todos.push(format!(
            "the recorded body ({} bytes, {full_mime}) is too large to include: send it from a file",
            text.len()
        ));
        return Body::Omitted { mime: full_mime };
    }
    let trimmed = text.trim_start();
    let looks_json = mime.contains("json")
        || (mime.is_empty() && (trimmed.starts_with('{') || trimmed.starts_with('[')));
    if looks_json && let Ok(value) = serde_json::from_str::<Json>(&text) {
        return Body::Json {
            value,
            vars: Vec::new(),
        };
    }
    if mime == "application/x-www-form-urlencoded" {
        let fields = if text.is_empty() {
            post.params
                .iter()
                .map(|p| Field::new(p.name.clone(), p.value.clone().unwrap_or_default()))
                .collect()
        } else {
            url::form_urlencoded::parse(text.as_bytes())
                .map(|(n, v)| Field::new(n, v))
                .collect()
        };
        return Body::Form(fields);
    }
    if mime.starts_with("multipart/") {
        todos.push(
            "a multipart body, recorded as text: uploaded files may be missing from it".to_owned(),
        );
    }
    if text.is_empty() {
        todos.push("the recorded body has form parameters but no text: rebuild it".to_owned());
    }
    Body::Text {
        mime: full_mime,
        text,
    }
}

/// The response body parsed as JSON, if it is JSON and not too large.
fn response_json(entry: &Entry) -> Option<Json> {
    let content = &entry.response.content;
    let text = content.text.as_deref()?;
    if text.len() > MAX_SOURCE_JSON {
        return None;
    }
    let mime = mime_of(
        content
            .mime_type
            .as_deref()
            .or_else(|| header(&entry.response.headers, "content-type")),
    );
    let decoded;
    let text = if content
        .encoding
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"))
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        decoded = String::from_utf8(bytes).ok()?;
        decoded.as_str()
    } else {
        text
    };
    let trimmed = text.trim_start();
    if !mime.contains("json") && !trimmed.starts_with('{') && !trimmed.starts_with('[') {
        return None;
    }
    serde_json::from_str(text).ok()
}
