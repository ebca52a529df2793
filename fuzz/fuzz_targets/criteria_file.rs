//! Fuzzes `loadspec_runner::criteria::parse_file` (criteria CSV files) on arbitrary text: it
//! must never panic, every row it accepts must be a valid criterion, and every error must name
//! the file.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use loadspec_runner::criteria::{Metric, parse_file, parse_value};

const PATH: &str = "load/criteria-under-fuzz.csv";

fuzz_target!(|text: &str| {
    let path = Path::new(PATH);
    match parse_file(path, text) {
        Ok(rows) => {
            for row in rows {
                let c = &row.criterion;
                assert_eq!(c.validate(), Ok(()), "{c:?} from {text:?}");
                assert!(c.target.is_finite() && c.threshold.is_finite(), "{c:?}");
                assert_eq!(Metric::parse(c.metric.key()), Some(c.metric));
                if let Some(scenario) = &row.scenario {
                    assert!(!scenario.is_empty());
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains(PATH),
                "error does not name the file: {message}"
            );
            assert_eq!(e.path, path);
            if let Some(line) = e.line {
                // Lines are 1-based and within the text (one past its end at most; csv ends
                // lines at `\n`, `\r` or `\r\n`).
                let lines = text.bytes().filter(|b| matches!(b, b'\n' | b'\r')).count() as u64 + 1;
                assert!(
                    line >= 1 && line <= lines + 1,
                    "line {line} of {lines}: {message}"
                );
            }
        }
    }

    // Each cell is also parsed alone by `parse_value`, for every metric.
    for metric in Metric::ALL {
        if let Ok(value) = parse_value(metric, text) {
            assert!(
                value.is_finite() && value >= 0.0,
                "{metric} {text:?} gave {value}"
            );
        }
    }
});
