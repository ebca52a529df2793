//! Numbers, times and sizes for people: the report's tables, captions, findings and chart
//! labels all format through here, so a value reads the same everywhere.

use std::time::{Duration, SystemTime};

/// `12345` → `12,345`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count in little room: `950`, `12.3k`, `1.08M`.
pub(crate) fn compact(n: f64) -> String {
    let n = n.max(0.0);
    if n >= 1e6 {
        format!("{}M", trim(n / 1e6, if n >= 1e7 { 1 } else { 2 }))
    } else if n >= 1e4 {
        format!("{}k", trim(n / 1e3, 1))
    } else {
        count(n.round() as u64)
    }
}

/// Milliseconds for a table column headed "ms": more decimals for small values, so 0.42 and
/// 4,213 both read at a glance.
pub(crate) fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    if v >= 1000.0 {
        count(v.round() as u64)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A time with its unit: `420 ms`, `3.1 ms`, `1.25 s`, `2 min 5 s`.
pub(crate) fn time(v_ms: f64) -> String {
    if !v_ms.is_finite() {
        return "—".to_owned();
    }
    if v_ms >= 120_000.0 {
        duration(v_ms / 1000.0)
    } else if v_ms >= 1000.0 {
        format!("{} s", trim(v_ms / 1000.0, 2))
    } else {
        format!("{} ms", ms(v_ms))
    }
}

/// A fraction as a percentage: `0.0052` → `0.52%`; tiny non-zero rates do not round to 0.
pub(crate) fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p == 0.0 {
        "0%".to_owned()
    } else if p < 0.01 {
        "<0.01%".to_owned()
    } else if p >= 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A rate per second without its unit: `317.5`, `12,400`.
pub(crate) fn per_s(v: f64) -> String {
    if v >= 10_000.0 {
        count(v.round() as u64)
    } else if v >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A signed relative change: `+12%`, `−4%`.
pub(crate) fn change(ratio: f64) -> String {
    let p = (ratio - 1.0) * 100.0;
    if p < 0.0 {
        format!("−{:.0}%", -p)
    } else {
        format!("+{p:.0}%")
    }
}

/// A duration in seconds: `0.5 s`, `45 s`, `1 min 30 s`, `1 h 5 min`.
pub(crate) fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".to_owned();
    }
    if secs > 0.0 && secs < 1.0 {
        return time(secs * 1000.0);
    }
    if secs < 60.0 {
        return format!("{} s", trim(secs, 1));
    }
    let total = secs.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    match (h, m, s) {
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// Elapsed time on a chart axis: `0:30`, `12:05`, `1:02:03`.
pub(crate) fn elapsed(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// `25276514304` → `23.5 GiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{} {}", trim(v, 1), UNITS[unit])
    }
}

/// An RFC 3339 time as `2026-11-27 12:40:27 UTC` (unchanged if it does not parse).
pub(crate) fn timestamp(rfc3339: &str) -> String {
    match humantime::parse_rfc3339_weak(rfc3339) {
        Ok(time) => {
            let text = humantime::format_rfc3339_seconds(time).to_string();
            format!("{} UTC", text.trim_end_matches('Z').replacen('T', " ", 1))
        }
        Err(_) => rfc3339.to_owned(),
    }
}

/// The wall-clock time `offset_s` after `start` as `12:40:31` (UTC), for chart tooltips.
pub(crate) fn clock(start: Option<SystemTime>, offset_s: f64) -> Option<String> {
    let time = start?.checked_add(Duration::from_secs_f64(offset_s.max(0.0)))?;
    let text = humantime::format_rfc3339_seconds(time).to_string();
    text.get(11..19).map(str::to_owned)
}

/// `value` with at most `decimals` decimals and no trailing zeros: `1.50` → `1.5`.
pub(crate) fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(1_080_000.0), "1.08M");
        assert_eq!(compact(25_000_000.0), "25M");
    }

    #[test]
    fn times_pick_their_unit_and_precision() {
        assert_eq!(ms(0.4213), "0.42");
        assert_eq!(ms(12.34), "12.3");
        assert_eq!(ms(4213.4), "4,213");
        assert_eq!(time(420.0), "420 ms");
        assert_eq!(time(1250.0), "1.25 s");
        assert_eq!(time(125_000.0), "2 min 5 s");
    }

    #[test]
    fn rates_and_durations_read_naturally() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.000_01), "<0.01%");
        assert_eq!(percent(0.0052), "0.52%");
        assert_eq!(percent(0.25), "25.0%");
        assert_eq!(duration(1.5), "1.5 s");
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(0.0042), "4.20 ms");
        assert_eq!(duration(90.0), "1 min 30 s");
        assert_eq!(duration(3900.0), "1 h 5 min");
        assert_eq!(elapsed(3723.0), "1:02:03");
        assert_eq!(elapsed(65.0), "1:05");
        assert_eq!(bytes(25_276_514_304), "23.5 GiB");
        assert_eq!(change(1.04), "+4%");
        assert_eq!(change(0.5), "−50%");
    }

    #[test]
    fn timestamps_read_as_utc() {
        assert_eq!(timestamp("2026-11-27T12:40:27Z"), "2026-11-27 12:40:27 UTC");
        assert_eq!(timestamp("yesterday"), "yesterday");
        let start = humantime::parse_rfc3339_weak("2026-11-27T12:40:27Z").ok();
        assert_eq!(clock(start, 64.6).as_deref(), Some("12:41:31"));
    }
}
