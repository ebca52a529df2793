//! Calendar dates as day numbers, so the crate needs no date library.
//!
//! Days are counted from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
//! `days_from_civil` algorithm); SQLite stores them as `YYYY-MM-DD` text.

use std::time::{SystemTime, UNIX_EPOCH};

/// The "today" the seeded data is generated around, fixed so that a seed always gives the
/// same rows whatever the day it runs.
pub(crate) const SEED_TODAY: i32 = days_from_civil(2025, 6, 30);

/// Days since 1970-01-01 for a (valid) civil date.
pub(crate) const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number.
pub(crate) const fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats a day number as `YYYY-MM-DD`.
pub(crate) fn format_day(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses a strict `YYYY-MM-DD` date into a day number, rejecting impossible dates.
pub(crate) fn parse_day(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let y: i32 = text.get(0..4)?.parse().ok()?;
    let m: u32 = text.get(5..7)?.parse().ok()?;
    let d: u32 = text.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

const fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Today's day number from the system clock (UTC).
pub(crate) fn today() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i32::try_from(secs / 86_400).unwrap_or(i32::MAX)
}

/// Seconds since the Unix epoch, for token expiry.
pub(crate) fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The current UTC time as openIMIS prints timestamps: `2026-12-04T20:08:06.985804`.
pub(crate) fn now_iso() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let day = i32::try_from(secs / 86_400).unwrap_or(i32::MAX);
    let in_day = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}.{:06}",
        format_day(day),
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60,
        now.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_validates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(format_day(days_from_civil(2024, 2, 29)), "2024-02-29");
        for day in [-25_000, -1, 0, 1, 10_957, 20_000, 30_000] {
            assert_eq!(parse_day(&format_day(day)), Some(day));
        }
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2023-13-01"), None);
        assert_eq!(parse_day("2023-1-01"), None);
        assert_eq!(parse_day("abcd-ef-gh"), None);
        assert_eq!(format_day(SEED_TODAY), "2025-06-30");
        let now = now_iso();
        assert_eq!(now.len(), 26, "{now}");
        assert!(parse_day(&now[..10]).is_some(), "{now}");
    }
}
