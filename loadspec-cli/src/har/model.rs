//! Serde types for HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>), as Chrome,
//! Firefox and Safari export it.
//!
//! Only what the importer reads is modelled; unknown fields are ignored. Every optional field
//! tolerates being absent or `null`, since exporters differ.

use serde::{Deserialize, Deserializer};

/// `null` or absent as the type's default (exporters write `null` for empty lists).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The document: `{"log": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Har {
    /// The recording.
    pub log: Log,
}

/// The recording: pages and their requests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// HAR version (`"1.2"`).
    #[serde(default)]
    pub version: Option<String>,
    /// The pages (navigations) the browser recorded, if any.
    #[serde(default, deserialize_with = "nullable")]
    pub pages: Vec<Page>,
    /// The requests, usually in the order they started.
    #[serde(default, deserialize_with = "nullable")]
    pub entries: Vec<Entry>,
}

/// A page: a navigation and what it loaded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// What entries refer to in `pageref`.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// The page title (often its URL).
    #[serde(default)]
    pub title: Option<String>,
    /// When the page started loading (ISO 8601).
    #[serde(default)]
    pub started_date_time: Option<String>,
}

/// One request and its response.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The page the request belongs to.
    #[serde(default)]
    pub pageref: Option<String>,
    /// When the request started (ISO 8601 with an offset or `Z`).
    #[serde(default)]
    pub started_date_time: Option<String>,
    /// Total time of the request in milliseconds.
    #[serde(default)]
    pub time: Option<f64>,
    /// The request.
    pub request: Request,
    /// The response (an aborted request may lack one).
    #[serde(default, deserialize_with = "nullable")]
    pub response: Response,
    /// Phases of the request in milliseconds (`-1` when not applicable).
    #[serde(default)]
    pub timings: Option<Timings>,
    /// Chrome's resource type: `document`, `xhr`, `fetch`, `script`, `image`, `preflight`...
    #[serde(default, rename = "_resourceType")]
    pub resource_type: Option<String>,
    /// Chrome: `"memory"` or `"disk"` when the browser answered from its cache.
    #[serde(default, rename = "_fromCache")]
    pub from_cache: Option<String>,
}

/// A request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `GET`, `POST`...
    #[serde(default, deserialize_with = "nullable")]
    pub method: String,
    /// The absolute URL, query included.
    #[serde(default, deserialize_with = "nullable")]
    pub url: String,
    /// Headers as sent (HTTP/2 pseudo-headers included).
    #[serde(default, deserialize_with = "nullable")]
    pub headers: Vec<NameValue>,
    /// The query, decoded.
    #[serde(default, deserialize_with = "nullable")]
    pub query_string: Vec<NameValue>,
    /// The body, if any.
    #[serde(default)]
    pub post_data: Option<PostData>,
}

/// A header or query parameter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NameValue {
    /// Name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Value.
    #[serde(default, deserialize_with = "nullable")]
    pub value: String,
}

/// A request body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostData {
    /// Its content type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// The body as text.
    #[serde(default)]
    pub text: Option<String>,
    /// Form fields, for form bodies that were recorded as parameters.
    #[serde(default, deserialize_with = "nullable")]
    pub params: Vec<Param>,
}

/// A form field of a recorded body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    /// Name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Value (absent for uploaded files).
    #[serde(default)]
    pub value: Option<String>,
    /// Name of an uploaded file.
    #[serde(default)]
    pub file_name: Option<String>,
}

/// A response.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The status; `0` (or negative) when the request got no answer.
    #[serde(default, deserialize_with = "nullable")]
    pub status: i64,
    /// Headers as received.
    #[serde(default, deserialize_with = "nullable")]
    pub headers: Vec<NameValue>,
    /// The body.
    #[serde(default, deserialize_with = "nullable")]
    pub content: Content,
    /// Where a redirect pointed.
    #[serde(default, rename = "redirectURL")]
    pub redirect_url: Option<String>,
}

/// A response body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// Its content type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// The body, as text or base64 (see `encoding`); often absent for binary bodies.
    #[serde(default)]
    pub text: Option<String>,
    /// `"base64"` when `text` is base64.
    #[serde(default)]
    pub encoding: Option<String>,
}

/// Phases of a request in milliseconds; `-1` means "does not apply".
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Timings {
    /// Waiting for a connection.
    #[serde(default)]
    pub blocked: Option<f64>,
    /// DNS lookup.
    #[serde(default)]
    pub dns: Option<f64>,
    /// TCP (and TLS) connection.
    #[serde(default)]
    pub connect: Option<f64>,
    /// Sending the request.
    #[serde(default)]
    pub send: Option<f64>,
    /// Waiting for the first byte.
    #[serde(default)]
    pub wait: Option<f64>,
    /// Reading the response.
    #[serde(default)]
    pub receive: Option<f64>,
}

impl Timings {
    /// The sum of the phases that apply.
    pub fn total(&self) -> f64 {
        [
            self.blocked,
            self.dns,
            self.connect,
            self.send,
            self.wait,
            self.receive,
        ]
        .into_iter()
        .flatten()
        .filter(|ms| *ms > 0.0)
        .sum()
    }
}

impl Entry {
    /// How long the request took in milliseconds: `time`, else the sum of its timings.
    pub fn duration_ms(&self) -> f64 {
        match self.time {
            Some(ms) if ms.is_finite() && ms >= 0.0 => ms,
            _ => self.timings.as_ref().map_or(0.0, Timings::total),
        }
    }
}

impl NameValue {
    /// Whether the name is `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// The first value of a header, by name (any case).
pub fn header<'a>(headers: &'a [NameValue], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.is(name))
        .map(|h| h.value.as_str())
}

/// Milliseconds since the Unix epoch of an ISO 8601 / RFC 3339 time such as
/// `2024-05-02T10:15:30.123Z` or `2024-05-02T12:15:30.123+02:00`; `None` if it does not parse.
pub fn parse_time_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Split the time of day from the offset.
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0_i64)
    } else if let Some(at) = rest.rfind(['+', '-']) {
        let (clock, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let offset = &offset[1..];
        if !offset.bytes().all(|b| b.is_ascii_digit() || b == b':') {
            return None;
        }
        let (hours, minutes) = match offset.split_once(':') {
            Some((h, m)) => (h, m),
            None if offset.len() == 4 => offset.split_at(2),
            None => (offset, "0"),
        };
        let hours: i64 = hours.parse().ok()?;
        let minutes: i64 = minutes.parse().ok()?;
        (clock, sign * (hours * 60 + minutes))
    } else {
        (rest, 0)
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let seconds: f64 = clock_parts.next().unwrap_or("0").parse().ok()?;
    if hour > 23 || minute > 59 || !(0.0..61.0).contains(&seconds) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let minutes = days * 1440 + hour * 60 + minute - offset_minutes;
    Some(minutes as f64 * 60_000.0 + seconds * 1000.0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_with_any_offset() {
        let utc = parse_time_ms("2024-05-02T10:15:30.123Z");
        let paris = parse_time_ms("2024-05-02T12:15:30.123+02:00");
        let compact = parse_time_ms("2024-05-02T12:15:30.123+0200");
        assert!(utc.is_some());
        assert_eq!(utc, paris);
        assert_eq!(utc, compact);
        assert_eq!(parse_time_ms("1970-01-01T00:00:01Z"), Some(1000.0));
        assert_eq!(
            parse_time_ms("1970-01-01T00:00:00-01:00"),
            Some(3_600_000.0)
        );
        assert_eq!(parse_time_ms("yesterday"), None);
        assert_eq!(parse_time_ms("2024-13-02T10:15:30Z"), None);
        assert_eq!(parse_time_ms("2024-01-02T10:15:30+aé1"), None);
        assert_eq!(parse_time_ms("2024-01-02T10:15:30+0é"), None);
    }

    #[test]
    fn missing_and_null_fields_are_tolerated() {
        let har: Har = serde_json::from_str(
            r#"{"log": {"pages": null, "entries": [{"request": {"method": "GET", "url": "http://a/", "headers": null}, "response": null}]}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(har.log.entries.len(), 1);
        assert_eq!(har.log.entries[0].response.status, 0);
    }
}
