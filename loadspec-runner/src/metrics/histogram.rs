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
        if usize::try_from(declared).unwrap_or(usize::MAX) > held {
            return Err(HistogramDecodeError {
                reason: format!("it declares {declared} bytes of counts but holds {held}"),
            });
        }
    }
    let decoded: LatencyHistogram = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| HistogramDecodeError {
            reason: format!("not an HdrHistogram V2 blob: {e:?}"),
        })?;
    let mut histogram = new_histogram();
    histogram.add(&decoded).map_err(|e| HistogramDecodeError {
        reason: format!("values out of range: {e:?}"),
    })?;
    Ok(histogram)
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
}
