//! Parsers for the unit strings loadspec accepts in attributes, criteria files, the CLI and
//! environment variables.
//!
//! The macros validate attribute values at compile time and the runner parses the same strings
//! from the command line; both call this crate so `ramp_up = "75s"` and `--ramp-up 75s` accept
//! exactly the same text.
//!
//! ```
//! //! assert_eq!(loadspec_units::duration("1m 15s").unwrap(), Duration::from_secs(75));
//! assert_eq!(loadspec_units::percent("0.5%").unwrap(), 0.005);
//! assert_eq!(loadspec_units::rate("200/s").unwrap(), 200.0);
//! assert_eq!(loadspec_units::size("64MiB").unwrap(), 64 << 20);
//! ```
//!
//! [`Metric`] is the one list of what criteria measure, with how their values are written;
//! [`options::OPTIONS`] the one list of a run's options.

mod custom;
mod metric;
pub mod options;

use std::time::Duration;

pub use self::custom::{CustomKind, parse_tag, tag_accepts};
pub use self::metric::{Metric, Notation, Unit};

/// A unit string that could not be parsed; the message names the value and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// Not a duration such as `"75s"`, `"500ms"` or `"1m 30s"`.
    #[error(
        "invalid duration {value:?}: {reason}; expected a number with a unit, like \"75s\", \"500ms\" or \"1m 30s\""
    )]
    Duration {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a duration range such as `"500ms..2s"`.
    #[error(
        "invalid duration range {value:?}: {reason}; expected \"<min>..<max>\" like \"500ms..2s\", or one duration"
    )]
    DurationRange {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a percentage such as `"0.5%"`.
    #[error(
        "invalid percentage {value:?}: {reason}; expected a number from 0 to 100 followed by `%`, like \"0.5%\""
    )]
    Percent {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a multiplier such as `"2x"`.
    #[error(
        "invalid multiplier {value:?}: {reason}; expected a positive number followed by `x`, like \"2x\""
    )]
    Multiplier {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a number such as `17`, `"0.5"` or a duration such as `"50ms"`.
    #[error(
        "invalid number {value:?}: {reason}; expected a plain number like \"17\" or \"0.5\", or a duration like \"50ms\" (read in milliseconds)"
    )]
    Number {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a tag such as `"endpoint:search"`.
    #[error(
        "invalid tag {value:?}: {reason}; expected \"<key>:<value>\", like \"endpoint:search\""
    )]
    Tag {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a size such as `"64MiB"`, `"500kB"` or `1048576`.
    #[error(
        "invalid size {value:?}: {reason}; expected a whole number of bytes above 0, alone or with a unit, like \"1048576\", \"500kB\" or \"64MiB\" (B, kB, MB, GB: powers of 1000; KiB, MiB, GiB: of 1024)"
    )]
    Size {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Not a rate such as `"200/s"`.
    #[error(
        "invalid rate {value:?}: {reason}; expected a positive number per unit of time, like \"200/s\", \"90/m\" or \"1000/h\""
    )]
    Rate {
        /// The text given.
        value: String,
        /// What was wrong with it.
        reason: String,
    },
}

/// Parses a duration in humantime syntax: `"75s"`, `"500ms"`, `"1m 30s"`, `"2h"`.
pub fn duration(text: &str) -> Result<Duration, UnitError> {
    let trimmed = text.trim();
    let err = |reason: String| UnitError::Duration {
        value: text.to_owned(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(err("it is empty".into()));
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("the unit is missing".into()));
    }
    humantime::parse_duration(trimmed).map_err(|e| err(e.to_string()))
}

/// Parses a duration range `"<min>..<max>"` (both ends inclusive) or a single duration, which
/// stands for a fixed value.
pub fn duration_range(text: &str) -> Result<(Duration, Duration), UnitError> {
    let err = |reason: String| UnitError::DurationRange {
        value: text.to_owned(),
        reason,
    };
    match text.split_once("..") {
        None => {
            let d = duration(text).map_err(|e| err(inner_reason(&e)))?;
            Ok((d, d))
        }
        Some((lo, hi)) => {
            let hi = hi.strip_prefix('=').unwrap_or(hi);
            let lo = duration(lo).map_err(|e| err(format!("its start: {}", inner_reason(&e))))?;
            let hi = duration(hi).map_err(|e| err(format!("its end: {}", inner_reason(&e))))?;
            if lo > hi {
                return Err(err("the start is longer than the end".into()));
            }
            Ok((lo, hi))
        }
    }
}

/// Parses a percentage such as `"0.5%"` into a fraction (`0.005`).
pub fn percent(text: &str) -> Result<f64, UnitError> {
    let err = |reason: &str| UnitError::Percent {
        value: text.to_owned(),
        reason: reason.into(),
    };
    let number = text
        .trim()
        .strip_suffix('%')
        .ok_or_else(|| err("the `%` sign is missing"))?;
    let value = parse_number(number).ok_or_else(|| err("it is not a number"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(err("it is outside 0..100"));
    }
    Ok(value / 100.0)
}

/// Parses a multiplier such as `"2x"` or `"1.5x"`.
pub fn multiplier(text: &str) -> Result<f64, UnitError> {
    let err = |reason: &str| UnitError::Multiplier {
        value: text.to_owned(),
        reason: reason.into(),
    };
    let number = text
        .trim()
        .strip_suffix(['x', 'X', '×'])
        .ok_or_else(|| err("the `x` suffix is missing"))?;
    let value = parse_number(number).ok_or_else(|| err("it is not a number"))?;
    if value <= 0.0 {
        return Err(err("it is not positive"));
    }
    // Hundreds of digits parse to infinity.
    if !value.is_finite() {
        return Err(err("it is too large"));
    }
    Ok(value)
}

/// Parses a rate such as `"200/s"`, `"90/m"` or `"1000/h"` into events per second.
pub fn rate(text: &str) -> Result<f64, UnitError> {
    let err = |reason: &str| UnitError::Rate {
        value: text.to_owned(),
        reason: reason.into(),
    };
    let (number, unit) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| err("the `/<unit>` part is missing"))?;
    let value = parse_number(number).ok_or_else(|| err("its count is not a number"))?;
    if value <= 0.0 {
        return Err(err("it is not positive"));
    }
    // Hundreds of digits parse to infinity.
    if !value.is_finite() {
        return Err(err("it is too large"));
    }
    let per_second = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(err("the unit must be `s`, `m` or `h`")),
    };
    // A count of ~1e-320 per hour rounds to 0 per second.
    let per_second = value / per_second;
    if per_second <= 0.0 {
        return Err(err("it is too small"));
    }
    Ok(per_second)
}

/// The units [`size`] accepts, with their factors, in the order [`format_size`] prefers them:
/// binary first (limits are usually powers of two, and 1 MiB is also 1048.576 kB), larger
/// first; `KB` is an alias of `kB` it never writes.
const SIZE_UNITS: [(&str, u64); 8] = [
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("GB", 1000 * 1000 * 1000),
    ("MB", 1000 * 1000),
    ("kB", 1000),
    ("KB", 1000),
    ("B", 1),
];

/// Parses a size in bytes: a whole number alone (`"1048576"`) or with a unit, `B`, `kB` (or
/// `KB`), `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024): `"64MiB"`,
/// `"500 kB"`. Zero is refused: a size limit of nothing would fail every response.
pub fn size(text: &str) -> Result<u64, UnitError> {
    let err = |reason: &str| UnitError::Size {
        value: text.to_owned(),
        reason: reason.into(),
    };
    let trimmed = text.trim();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = trimmed.split_at(digits);
    if number.is_empty() {
        return Err(err(if trimmed.starts_with('-') {
            "it is negative"
        } else if trimmed.is_empty() {
            "it is empty"
        } else {
            "it does not start with a number"
        }));
    }
    let unit = unit.trim_start();
    let factor = if unit.is_empty() {
        1
    } else if unit.starts_with(['.', ',']) {
        return Err(err("it is not a whole number"));
    } else {
        SIZE_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, factor)| *factor)
            .ok_or_else(|| err("the unit must be B, kB, MB, GB, KiB, MiB or GiB"))?
    };
    let count: u64 = number.parse().map_err(|_| err("it is too large"))?;
    let bytes = count
        .checked_mul(factor)
        .ok_or_else(|| err("it is too large"))?;
    if bytes == 0 {
        return Err(err("it is 0"));
    }
    Ok(bytes)
}

/// Writes a size the way people read it and [`size`] reads it back: the largest unit it is a
/// whole number of (`64 MiB`, `500 kB`), else bytes (`1000001 B`).
pub fn format_size(bytes: u64) -> String {
    SIZE_UNITS
        .iter()
        .filter(|(name, _)| *name != "KB")
        .find(|(_, factor)| bytes >= *factor && bytes.is_multiple_of(*factor))
        .map_or_else(
            || format!("{bytes} B"),
            |(name, factor)| format!("{} {name}", bytes / factor),
        )
}

/// Parses a custom metric's value: a plain non-negative number (`"17"`, `"0.5"`) or a
/// duration read in milliseconds (`"50ms"` is 50), since trends of durations hold milliseconds.
pub fn number(text: &str) -> Result<f64, UnitError> {
    if let Some(value) = parse_number(text) {
        return if value.is_finite() {
            Ok(value)
        } else {
            Err(UnitError::Number {
                value: text.to_owned(),
                reason: "it is too large".into(),
            })
        };
    }
    duration(text)
        .map(|d| d.as_secs_f64() * 1000.0)
        .map_err(|_| UnitError::Number {
            value: text.to_owned(),
            reason: "it is neither a number nor a duration".into(),
        })
}

fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    // `f64::from_str` accepts "inf" and "NaN", which are never meaningful here.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    text.parse().ok()
}

fn inner_reason(error: &UnitError) -> String {
    match error {
        UnitError::Duration { value, reason } => format!("{value:?} is not a duration ({reason})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_humantime_syntax() {
        assert_eq!(duration("75s"), Ok(Duration::from_secs(75)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration(" 1m 30s "), Ok(Duration::from_secs(90)));
        assert_eq!(duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_reject_missing_units_and_garbage() {
        for bad in ["75", "", "  ", "abc", "5 parsecs", "-1s"] {
            let error = duration(bad).unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
        assert!(
            duration("75")
                .unwrap_err()
                .to_string()
                .contains("unit is missing")
        );
    }

    #[test]
    fn ranges_accept_one_or_two_ends() {
        let ms = Duration::from_millis;
        assert_eq!(duration_range("500ms..2s"), Ok((ms(500), ms(2000))));
        assert_eq!(duration_range("500ms..=2s"), Ok((ms(500), ms(2000))));
        assert_eq!(duration_range("1s"), Ok((ms(1000), ms(1000))));
        assert!(
            duration_range("2s..1s")
                .unwrap_err()
                .to_string()
                .contains("start is longer")
        );
        assert!(
            duration_range("2s..x")
                .unwrap_err()
                .to_string()
                .contains("its end")
        );
    }

    #[test]
    fn percents_are_fractions_within_0_and_100() {
        assert_eq!(percent("0.5%"), Ok(0.005));
        assert_eq!(percent("100%"), Ok(1.0));
        assert_eq!(percent("0%"), Ok(0.0));
        assert!(
            percent("0.5")
                .unwrap_err()
                .to_string()
                .contains("`%` sign is missing")
        );
        assert!(percent("101%").is_err());
        assert!(percent("NaN%").is_err());
        assert!(percent("-1%").is_err());
    }

    #[test]
    fn multipliers_and_rates() {
        assert_eq!(multiplier("2x"), Ok(2.0));
        assert_eq!(multiplier("1.5x"), Ok(1.5));
        assert!(multiplier("0x").is_err());
        assert!(multiplier("2").is_err());
        assert_eq!(rate("200/s"), Ok(200.0));
        assert_eq!(rate("120/m"), Ok(2.0));
        assert_eq!(rate("3600/h"), Ok(1.0));
        assert!(rate("200").is_err());
        assert!(
            rate("200/d")
                .unwrap_err()
                .to_string()
                .contains("`s`, `m` or `h`")
        );
        assert!(rate("0/s").is_err());
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(size("1048576"), Ok(1_048_576));
        assert_eq!(size("500B"), Ok(500));
        assert_eq!(size("64kB"), Ok(64_000));
        assert_eq!(size("64KB"), Ok(64_000));
        assert_eq!(size("64KiB"), Ok(65_536));
        assert_eq!(size("3MB"), Ok(3_000_000));
        assert_eq!(size(" 64 MiB "), Ok(64 << 20));
        assert_eq!(size("2GB"), Ok(2_000_000_000));
        assert_eq!(size("10GiB"), Ok(10 << 30));
    }

    #[test]
    fn sizes_refuse_zero_negatives_fractions_and_garbage() {
        for (bad, reason) in [
            ("0", "it is 0"),
            ("0MiB", "it is 0"),
            ("-1MiB", "negative"),
            ("-5", "negative"),
            ("", "empty"),
            ("MiB", "does not start with a number"),
            ("1.5MiB", "not a whole number"),
            ("64mib", "the unit must be"),
            ("64 parsecs", "the unit must be"),
            ("64MiB extra", "the unit must be"),
            ("99999999999999999999", "too large"),
            ("17179869184GiB", "too large"),
        ] {
            let error = size(bad).unwrap_err().to_string();
            assert!(
                error.contains(&format!("{bad:?}")) && error.contains(reason),
                "{bad:?}: {error}"
            );
        }
    }

    #[test]
    fn sizes_print_in_the_largest_whole_unit_and_read_back() {
        assert_eq!(format_size(64 << 20), "64 MiB");
        assert_eq!(format_size(1 << 20), "1 MiB");
        assert_eq!(format_size(1536), "1536 B");
        assert_eq!(format_size(500_000), "500 kB");
        assert_eq!(format_size(10 << 30), "10 GiB");
        assert_eq!(format_size(999), "999 B");
        for bytes in [
            1,
            999,
            1000,
            1024,
            1536,
            500_000,
            64 << 20,
            3_000_000_000,
            10 << 30,
        ] {
            assert_eq!(size(&format_size(bytes)), Ok(bytes), "{bytes}");
        }
    }

    #[test]
    fn huge_or_vanishing_numbers_are_refused_not_infinite_or_zero() {
        // Found by the `units` fuzz target: 309+ digits parse to `inf`, which multipliers and
        // rates returned as Ok; a positive count too small for f64 gave a rate of exactly 0.
        let huge = format!("1{}", "0".repeat(310));
        let e = multiplier(&format!("{huge}x")).unwrap_err().to_string();
        assert!(e.contains("too large"), "{e}");
        let e = rate(&format!("{huge}/s")).unwrap_err().to_string();
        assert!(e.contains("too large"), "{e}");
        assert!(percent(&format!("{huge}%")).is_err());
        let tiny = format!("0.{}1", "0".repeat(320));
        let e = rate(&format!("{tiny}/h")).unwrap_err().to_string();
        assert!(e.contains("too small"), "{e}");
        // The largest and smallest values that stay finite and positive are still accepted.
        let big = format!("1{}", "0".repeat(300));
        assert_eq!(multiplier(&format!("{big}x")), Ok(1e300));
        assert_eq!(rate(&format!("{big}/s")), Ok(1e300));
        assert!(rate(&format!("0.{}1/s", "0".repeat(300))).is_ok_and(|r| r > 0.0));
    }
}
