//! Unit strings in attribute values, parsed at compile time by `loadspec_units` (the parser the
//! CLI uses too, so both accept the same text) and turned into integers for the expansion.
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
    fn durations_beyond_u64_nanoseconds_are_rejected() {
        let error = duration_nanos(&lit("1000years"), "x")
            .unwrap_err()
            .to_string();
        assert!(error.contains("584 years"), "{error}");
    }
}
