//! How results write times: RFC 3339 in documents, compact in file and directory names.

use std::time::{SystemTime, UNIX_EPOCH};

/// RFC 3339 UTC time with second precision.
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// `2026-11-27T11:53:31Z` → `20261127T115331Z`, for file and directory names.
pub fn compact_timestamp(rfc3339: &str) -> String {
    rfc3339.chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// Seconds since the Unix epoch (negative before it).
pub fn unix_seconds(time: SystemTime) -> f64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The Unix seconds of an [`rfc3339`] time, `None` if it is not one.
pub fn parse_unix_seconds(text: &str) -> Option<f64> {
    let time = humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()?;
    Some(unix_seconds(time))
}
