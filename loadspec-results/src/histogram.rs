//! Latency histograms: HdrHistogram in microseconds, 3 significant digits, bounded and
//! saturating, serialized as base64 V2 so stored results can be merged and re-evaluated.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};

/// The longest latency a histogram distinguishes: 1 hour. Longer values are recorded as 1 hour.
pub const HIGHEST_MICROS: u64 = 3_600_000_000;

/// A latency histogram in microseconds.
pub type LatencyHistogram = Histogram<u64>;

/// A histogram stored in results that could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("failed to decode a stored histogram: {reason}")]
pub struct HistogramDecodeError {
    reason: String,
}

/// An empty latency histogram with loadspec's bounds.
pub fn new_histogram() -> LatencyHistogram {
    #[expect(
        clippy::expect_used,
        reason = "the bounds are constants that hdrhistogram accepts"
    )]
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("valid histogram bounds")
}

/// An empty histogram of one request phase: 2 significant digits (1 %), an eighth of a
/// latency histogram's memory, since a label keeps one per phase.
pub fn new_phase_histogram() -> LatencyHistogram {
    #[expect(
        clippy::expect_used,
        reason = "the bounds are constants that hdrhistogram accepts"
    )]
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 2).expect("valid histogram bounds")
}

/// Records one latency, saturating at [`HIGHEST_MICROS`] so a stalled request never panics.
#[inline]
pub fn record(histogram: &mut LatencyHistogram, micros: u64) {
    histogram.saturating_record(micros.clamp(1, HIGHEST_MICROS));
}

/// Serializes a histogram as base64 of the HdrHistogram V2 format.
pub fn encode(histogram: &LatencyHistogram) -> String {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail; an error would mean a corrupt histogram, stored as empty.
    if V2Serializer::new()
        .serialize(histogram, &mut bytes)
        .is_err()
    {
        bytes.clear();
    }
    BASE64.encode(bytes)
}

/// The cookie of an uncompressed HdrHistogram V2 blob (what [`encode`] writes).
const V2_COOKIE: u32 = 0x1c84_9313;
/// Bytes of a V2 blob before its counts: cookie, payload length, normalizing offset,
/// significant digits, lowest and highest values, integer-to-double ratio.
const V2_HEADER_LEN: usize = 40;

/// More samples than any run records (a million a second for 285 years), so that sums over
/// up to 1024 merged histograms never overflow.
const MAX_SAMPLES: u64 = 1 << 53;

/// Reads a histogram written by [`encode`] (or any uncompressed HdrHistogram V2 base64 blob).
pub fn decode(text: &str) -> Result<LatencyHistogram, HistogramDecodeError> {
    if text.is_empty() {
        return Ok(new_histogram());
    }
    let bytes = BASE64.decode(text).map_err(|e| HistogramDecodeError {
        reason: format!("not base64: {e}"),
    })?;
    // hdrhistogram allocates the payload length a blob declares (up to 4 GiB) before reading
    // it, and a compressed blob declares it only once inflated: accept only uncompressed blobs
    // whose counts are really there, so a corrupt results file cannot exhaust memory.
    if let [c0, c1, c2, c3, l0, l1, l2, l3, ..] = *bytes.as_slice() {
        if u32::from_be_bytes([c0, c1, c2, c3]) != V2_COOKIE {
            return Err(HistogramDecodeError {
                reason: "not an uncompressed HdrHistogram V2 blob".into(),
            });
        }
        let declared = u32::from_be_bytes([l0, l1, l2, l3]);
        let held = bytes.len().saturating_sub(V2_HEADER_LEN);
        let counts = usize::try_from(declared)
            .ok()
            .and_then(|len| bytes.get(V2_HEADER_LEN..V2_HEADER_LEN.checked_add(len)?));
        let Some(counts) = counts else {
            return Err(HistogramDecodeError {
                reason: format!("it declares {declared} bytes of counts but holds {held}"),
            });
        };
        if holds_i64_min(counts) {
            return Err(HistogramDecodeError {
                reason: "a count is out of range".into(),
            });
        }
    }
    let decoded: LatencyHistogram = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| HistogramDecodeError {
            reason: format!("not an HdrHistogram V2 blob: {e:?}"),
        })?;
    // Counts adding up past u64 (a corrupt blob) overflow hdrhistogram's percentile scan.
    if decoded.len() > MAX_SAMPLES {
        return Err(HistogramDecodeError {
            reason: format!(
                "it counts {} samples, more than any run records",
                decoded.len()
            ),
        });
    }
    let mut histogram = new_histogram();
    // `add` refuses only values past the counts array, which reaches ~71.6 min: refuse what
    // `record` would have saturated at 1 h too.
    let highest = histogram.highest_equivalent(HIGHEST_MICROS);
    if decoded.max() > highest {
        return Err(HistogramDecodeError {
            reason: format!(
                "values out of range: {} µs is beyond {highest} µs",
                decoded.max()
            ),
        });
    }
    histogram.add(&decoded).map_err(|e| HistogramDecodeError {
        reason: format!("values out of range: {e:?}"),
    })?;
    Ok(histogram)
}

/// Whether V2 counts hold the zigzag varint of `i64::MIN` (nine `0xff` bytes): hdrhistogram's
/// decoder negates it unchecked, which panics in builds with overflow checks (`cargo test`).
fn holds_i64_min(mut counts: &[u8]) -> bool {
    while !counts.is_empty() {
        // LEB128-64b9B: bytes with the high bit set continue a number, nine bytes at most.
        let len = counts
            .iter()
            .take(8)
            .position(|b| b & 0x80 == 0)
            .map_or(9, |last| last + 1)
            .min(counts.len());
        let (number, rest) = counts.split_at(len);
        if number == [0xff; 9] {
            return true;
        }
        counts = rest;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_second_responses_saturate_instead_of_panicking() {
        let mut h = new_histogram();
        record(&mut h, 90_000_000);
        record(&mut h, u64::MAX);
        record(&mut h, 0);
        assert_eq!(h.len(), 3);
        assert!(h.max() >= HIGHEST_MICROS);
    }

    #[test]
    fn round_trips_through_base64() {
        let mut h = new_histogram();
        for v in [120, 5_000, 50_000, 50_100, 2_000_000] {
            record(&mut h, v);
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back.len(), h.len());
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert_eq!(back.max(), h.max());
        assert!(decode("not base64 !!").is_err());
        assert!(decode("aGVsbG8=").is_err());
        assert_eq!(decode("").unwrap().len(), 0);
    }

    #[test]
    fn blobs_declaring_more_counts_than_they_hold_are_refused_without_allocating() {
        // Found by the `results_loader` fuzz target: a 143-byte blob declaring a 4 GB payload
        // made hdrhistogram's deserializer allocate 4 GB before failing to read it.
        let mut h = new_histogram();
        record(&mut h, 1_500);
        let mut bytes = BASE64.decode(encode(&h)).unwrap();
        let held = bytes.len() - V2_HEADER_LEN;
        bytes[4..8].copy_from_slice(&0xf7ff_ff1a_u32.to_be_bytes());
        let e = decode(&BASE64.encode(&bytes)).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "declares 4160749338 bytes of counts but holds {held}"
            )),
            "{e}"
        );
        // Compressed V2 blobs declare their length only once inflated: refused too.
        bytes[0..4].copy_from_slice(&0x1c84_9314_u32.to_be_bytes());
        let e = decode(&BASE64.encode(&bytes)).unwrap_err().to_string();
        assert!(
            e.contains("not an uncompressed HdrHistogram V2 blob"),
            "{e}"
        );
        // Exactly the counts it declares still decodes.
        assert_eq!(decode(&encode(&h)).unwrap().len(), 1);
    }

    #[test]
    fn a_zero_run_of_i64_min_is_refused_instead_of_overflowing() {
        // Found by the `results_loader` fuzz target: the varint of i64::MIN as a count made
        // hdrhistogram's decoder panic with "attempt to negate with overflow" in debug builds.
        let mut h = new_histogram();
        record(&mut h, 1_500);
        let mut bytes = BASE64.decode(encode(&h)).unwrap();
        bytes.truncate(V2_HEADER_LEN);
        bytes.extend([
            0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
        ]);
        bytes[4..8].copy_from_slice(&11_u32.to_be_bytes());
        let e = decode(&BASE64.encode(&bytes)).unwrap_err().to_string();
        assert!(e.contains("a count is out of range"), "{e}");
        // Nine 0xff bytes split across two numbers are not i64::MIN.
        assert!(!holds_i64_min(&[
            0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        ]));
        assert!(holds_i64_min(&[
            0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        ]));
        assert!(!holds_i64_min(&[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe
        ]));
    }

    #[test]
    fn counts_beyond_any_run_are_refused_before_percentiles_overflow() {
        // Found by the `results_loader` fuzz target: counts summing past u64::MAX decoded fine,
        // then `value_at_quantile` overflowed ("attempt to add with overflow" in debug builds,
        // a wrong percentile in release ones).
        let mut h = new_histogram();
        for micros in [1_000, 2_000, 3_000, 4_000] {
            h.record_n(micros, 1 << 62).unwrap();
        }
        let e = decode(&encode(&h)).unwrap_err().to_string();
        assert!(e.contains("more than any run records"), "{e}");
        let mut h = new_histogram();
        h.record_n(1_000, MAX_SAMPLES).unwrap();
        assert_eq!(decode(&encode(&h)).unwrap().len(), MAX_SAMPLES);
    }

    #[test]
    fn values_beyond_an_hour_are_refused_like_longer_ones() {
        // Found by the `results_loader` fuzz target: a blob with a value of ~66 min decoded
        // (hdrhistogram's `add` only refuses values past ~71.6 min), though `record` saturates
        // at 1 h and results promise 1 µs – 1 h.
        let mut wide = Histogram::<u64>::new_with_bounds(1, 10 * HIGHEST_MICROS, 3).unwrap();
        wide.record(3_988_783_103).unwrap();
        let mut bytes = Vec::new();
        V2Serializer::new().serialize(&wide, &mut bytes).unwrap();
        let e = decode(&BASE64.encode(&bytes)).unwrap_err().to_string();
        assert!(e.contains("values out of range"), "{e}");
        wide.reset();
        wide.record(HIGHEST_MICROS).unwrap();
        let mut bytes = Vec::new();
        V2Serializer::new().serialize(&wide, &mut bytes).unwrap();
        assert_eq!(decode(&BASE64.encode(&bytes)).unwrap().len(), 1);
    }
}
