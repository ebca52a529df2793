//! Fuzzes what reads stored results back: `loadspec_runner::results::load` on arbitrary bytes
//! (written to a temporary file, as `loadspec report`/`compare` read them) and
//! `loadspec_runner::metrics::histogram::decode` on arbitrary blobs. Neither may panic, hang or
//! allocate without bound; what they accept must be usable.
//!
//! The first input byte picks the mode (the seeds start with an ASCII digit):
//! - `0`, `1` (mod 4): the rest is a results file;
//! - `2`: the rest is a raw HdrHistogram blob, base64-encoded before `decode`;
//! - `3`: the rest is the text given to `decode` as is.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use libfuzzer_sys::fuzz_target;
use loadspec_runner::metrics::histogram::{self, HIGHEST_MICROS, LatencyHistogram};
use loadspec_runner::results::model::{RunResults, SCHEMA_NAME, SCHEMA_VERSION};
use loadspec_runner::results::{load, write_json};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 | 1 => results(rest),
        2 => blob(&BASE64.encode(rest)),
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                blob(text);
            }
        }
    }
});

fn scratch(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("loadspec-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    });
    dir.join(name)
}

fn results(bytes: &[u8]) {
    let path = scratch("results.json");
    std::fs::write(&path, bytes).expect("write the input");
    let direct = serde_json::from_slice::<RunResults>(bytes);
    let Ok(loaded) = load(&path) else {
        return;
    };
    assert_eq!(loaded.schema, SCHEMA_NAME);
    assert_eq!(loaded.schema_version, SCHEMA_VERSION);
    if let Ok(direct) = &direct {
        assert_values_close(&to_value(direct), &to_value(&loaded), "$");
    }

    // What was loaded can be written and loaded again, unchanged (floats up to rounding).
    let again_path = scratch("again.json");
    write_json(&again_path, &loaded).expect("loaded results can be written");
    let again = load(&again_path).expect("written results load again");
    assert_values_close(&to_value(&loaded), &to_value(&again), "$");

    // Every stored histogram decodes or is refused, without panicking.
    let mut blobs = Vec::new();
    collect_histograms(&to_value(&loaded), &mut blobs);
    for text in blobs {
        blob(&text);
    }
}

fn blob(text: &str) {
    let Ok(h) = histogram::decode(text) else {
        return;
    };
    check_usable(&h);
    // A decoded histogram encodes and decodes to itself.
    let back = histogram::decode(&histogram::encode(&h)).expect("re-encoded histogram decodes");
    assert_eq!(back.len(), h.len());
    assert_eq!((back.min(), back.max()), (h.min(), h.max()));
    assert!(
        back.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .eq(h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value())))
    );
}

fn check_usable(h: &LatencyHistogram) {
    // The statistics the reports read never panic and stay within loadspec's bounds.
    let _ = h.mean();
    let _ = h.stdev();
    for q in [0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
        let v = h.value_at_quantile(q);
        if !h.is_empty() {
            assert!(v <= h.highest_equivalent(HIGHEST_MICROS), "p{q} = {v}");
        }
    }
    if !h.is_empty() {
        assert!(h.min() <= h.max());
        assert!(
            h.max() <= h.highest_equivalent(HIGHEST_MICROS),
            "max {}",
            h.max()
        );
    }
}

fn to_value(results: &RunResults) -> Value {
    serde_json::to_value(results).expect("results serialize")
}

fn collect_histograms(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(s) if key == "histogram" => out.push(s.clone()),
                    _ => collect_histograms(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_histograms(v, out)),
        _ => {}
    }
}

/// Equal JSON values, except that numbers may differ by float rounding.
fn assert_values_close(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let close = (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
            assert!(close, "{at}: {x} != {y}");
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: keys differ");
            for (key, v) in x {
                let w = y
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key} is missing"));
                assert_values_close(v, w, &format!("{at}.{key}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                assert_values_close(v, w, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}
