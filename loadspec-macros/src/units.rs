//! Unit strings in attribute values, parsed at compile time by `loadspec_units` (the parser the
//! CLI and criteria files use too, so all accept the same text) and turned into numbers for the
//! expansion: integer nanoseconds for `#[scenario]` options, `f64` in the runner's criteria units
//! (milliseconds, fractions, per second, multipliers) for `#[assertion]` values.
//!
//! Errors point at the string literal and start with `context`, e.g. "`#[scenario]`: `hold`".

use std::time::Duration;

use syn::LitStr;

/// A duration such as `"75s"`, in nanoseconds.
pub(crate) fn duration_nanos(lit: &LitStr, context: &str) -> syn::Result<u64> {
    let duration = loadspec_units::duration(&lit.value()).map_err(|e| error(lit, context, e))?;
    nanos(duration, lit, context)
}

/// A range such as `"500ms..2s"`, or one duration standing for a fixed value, in nanoseconds.
pub(crate) fn duration_range_nanos(lit: &LitStr, context: &str) -> syn::Result<(u64, u64)> {
    let (min, max) =
        loadspec_units::duration_range(&lit.value()).map_err(|e| error(lit, context, e))?;
    Ok((nanos(min, lit, context)?, nanos(max, lit, context)?))
}

/// A duration such as `"2s"`, in milliseconds (criteria times).
pub(crate) fn duration_millis(lit: &LitStr, context: &str) -> syn::Result<f64> {
    let duration = loadspec_units::duration(&lit.value()).map_err(|e| error(lit, context, e))?;
    finite(duration.as_secs_f64() * 1000.0, lit, context)
}

/// A percentage such as `"0.5%"`, as a fraction (`0.005`).
pub(crate) fn percent(lit: &LitStr, context: &str) -> syn::Result<f64> {
    let fraction = loadspec_units::percent(&lit.value()).map_err(|e| error(lit, context, e))?;
    finite(fraction, lit, context)
}

/// A rate such as `"50/s"` or `"90/m"`, per second.
pub(crate) fn rate(lit: &LitStr, context: &str) -> syn::Result<f64> {
    let per_second = loadspec_units::rate(&lit.value()).map_err(|e| error(lit, context, e))?;
    finite(per_second, lit, context)
}

/// A custom metric's value: a number such as `"17"`, or a duration read in milliseconds.
pub(crate) fn number(lit: &LitStr, context: &str) -> syn::Result<f64> {
    let value = loadspec_units::number(&lit.value()).map_err(|e| error(lit, context, e))?;
    finite(value, lit, context)
}

/// A multiplier such as `"2x"`.
pub(crate) fn multiplier(lit: &LitStr, context: &str) -> syn::Result<f64> {
    let factor = loadspec_units::multiplier(&lit.value()).map_err(|e| error(lit, context, e))?;
    finite(factor, lit, context)
}

/// Rejects the infinity a number with hundreds of digits parses to: the expansion writes values
/// as `f64` literals, which must be finite.
fn finite(value: f64, lit: &LitStr, context: &str) -> syn::Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        let message = format!("{context}: {:?} is too large", lit.value());
        Err(syn::Error::new(lit.span(), message))
    }
}

fn nanos(duration: Duration, lit: &LitStr, context: &str) -> syn::Result<u64> {
    u64::try_from(duration.as_nanos()).map_err(|_| {
        let message = format!(
            "{context}: {:?} is longer than the limit of 584 years",
            lit.value()
        );
        syn::Error::new(lit.span(), message)
    })
}

fn error(lit: &LitStr, context: &str, error: loadspec_units::UnitError) -> syn::Error {
    syn::Error::new(lit.span(), format!("{context}: {error}"))
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;

    use super::*;

    fn lit(text: &str) -> LitStr {
        LitStr::new(text, Span::call_site())
    }

    #[test]
    fn durations_become_nanoseconds() {
        assert_eq!(duration_nanos(&lit("75s"), "x").unwrap(), 75_000_000_000);
        assert_eq!(duration_nanos(&lit("1m 30s"), "x").unwrap(), 90_000_000_000);
        assert_eq!(
            duration_range_nanos(&lit("500ms..2s"), "x").unwrap(),
            (500_000_000, 2_000_000_000)
        );
        assert_eq!(
            duration_range_nanos(&lit("1s"), "x").unwrap(),
            (1_000_000_000, 1_000_000_000)
        );
    }

    #[test]
    fn errors_carry_the_context_and_the_parser_message() {
        let error = duration_nanos(&lit("75"), "`#[scenario]`: `hold`")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`#[scenario]`: `hold`: invalid duration \"75\""),
            "{error}"
        );
        assert!(error.contains("the unit is missing"), "{error}");
    }

    #[test]
    fn criteria_values_use_the_runner_units() {
        assert_eq!(duration_millis(&lit("2s"), "x").unwrap(), 2000.0);
        assert_eq!(duration_millis(&lit("350ms"), "x").unwrap(), 350.0);
        assert_eq!(duration_millis(&lit("1500us"), "x").unwrap(), 1.5);
        assert_eq!(percent(&lit("0.5%"), "x").unwrap(), 0.005);
        assert_eq!(percent(&lit("0%"), "x").unwrap(), 0.0);
        assert_eq!(rate(&lit("50/s"), "x").unwrap(), 50.0);
        assert_eq!(rate(&lit("120/m"), "x").unwrap(), 2.0);
        assert_eq!(multiplier(&lit("2x"), "x").unwrap(), 2.0);
        let error = percent(&lit("0.5"), "`#[assertion]`: `failures`")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("`#[assertion]`: `failures`: invalid percentage \"0.5\""),
            "{error}"
        );
        assert!(percent(&lit("150%"), "x").is_err());
        assert!(rate(&lit("50"), "x").is_err());
        assert!(multiplier(&lit("2"), "x").is_err());
    }

    #[test]
    fn numbers_too_large_for_an_f64_are_rejected_not_infinite() {
        let huge = format!("{}x", "9".repeat(400));
        let error = multiplier(&lit(&huge), "x").unwrap_err().to_string();
        assert!(error.contains("too large"), "{error}");
        let huge = format!("{}/s", "9".repeat(400));
        assert!(rate(&lit(&huge), "x").is_err());
    }

    #[test]
    fn durations_beyond_u64_nanoseconds_are_rejected() {
        let error = duration_nanos(&lit("1000years"), "x")
            .unwrap_err()
            .to_string();
        assert!(error.contains("584 years"), "{error}");
    }
}
