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

/// Reads a histogram written by [`encode`] (or any HdrHistogram V2 base64 blob).
pub fn decode(text: &str) -> Result<LatencyHistogram, HistogramDecodeError> {
    if text.is_empty() {
        return Ok(new_histogram());
    }
    let bytes = BASE64.decode(text).map_err(|e| HistogramDecodeError {
        reason: format!("not base64: {e}"),
    })?;
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
}
