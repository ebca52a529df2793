//! Fuzzes the unit parsers of `loadspec-units` on arbitrary UTF-8: they must never panic, and
//! every value they accept must make sense (ranges ordered, percentages within 0..=1, rates and
//! multipliers finite and positive, durations printable and parsable again).

#![no_main]

use libfuzzer_sys::fuzz_target;
use loadspec_units::{duration, duration_range, multiplier, percent, rate};

fuzz_target!(|text: &str| {
    // Every error names the value it refused.
    let names_value = |error: &loadspec_units::UnitError| {
        let message = error.to_string();
        assert!(message.contains(&format!("{text:?}")), "{message}");
    };

    match duration(text) {
        Ok(d) => {
            // What the runner prints (humantime) reads back as the same duration.
            let printed = humantime::format_duration(d).to_string();
            assert_eq!(duration(&printed), Ok(d), "{text:?} printed as {printed:?}");
        }
        Err(e) => names_value(&e),
    }

    match duration_range(text) {
        Ok((lo, hi)) => {
            assert!(lo <= hi, "{text:?} gave {lo:?}..{hi:?}");
            if !text.contains("..") {
                assert_eq!(lo, hi);
                assert_eq!(duration(text), Ok(lo));
            }
        }
        Err(e) => names_value(&e),
    }

    match percent(text) {
        Ok(p) => assert!(
            p.is_finite() && (0.0..=1.0).contains(&p),
            "{text:?} gave {p}"
        ),
        Err(e) => names_value(&e),
    }

    match multiplier(text) {
        Ok(m) => assert!(m.is_finite() && m > 0.0, "{text:?} gave {m}"),
        Err(e) => names_value(&e),
    }

    match rate(text) {
        Ok(r) => assert!(r.is_finite() && r > 0.0, "{text:?} gave {r}"),
        Err(e) => names_value(&e),
    }
});
