//! What recording latencies and merging them cost, through the public histogram API: every
//! request and iteration records one sample into its worker's interval histogram; once a
//! second the coordinator merges each worker's interval into the step (and the tick), and a
//! run's end encodes the step's histograms into `results.json`.
//!
//! Run with: `cargo bench --bench metrics` (divan; `-- --sample-count 1000` for more samples).
//! The per-label statistics around the histogram (`LabelStats::record`: a few counters and a
//! status count) are crate-private; `benches/hot_path.rs` measures the whole request path.
//!
//! The merge, quantile and encode benches take the number of samples already recorded as
//! their argument: their cost depends on the histogram's bounds, not on how many requests it
//! counts, which is why reports take the same time for a 10-second and a 10-hour run.

use divan::{Bencher, black_box};
use loadspec_runner::metrics::histogram::{self, LatencyHistogram};

fn main() {
    divan::main();
}

/// Latencies in µs spread like a run's: most between 0.2 and 20 ms, a tail up to seconds.
fn latencies(n: usize) -> Vec<u64> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 100 {
                0 => 100_000 + state % 3_000_000,
                1..=9 => 20_000 + state % 80_000,
                _ => 200 + state % 20_000,
            }
        })
        .collect()
}

fn filled(samples: usize) -> LatencyHistogram {
    let mut histogram = histogram::new_histogram();
    for micros in latencies(samples) {
        histogram::record(&mut histogram, micros);
    }
    histogram
}

/// One sample into an interval histogram: what every request pays for its latency.
#[divan::bench]
fn record_sample(bencher: Bencher<'_, '_>) {
    let values = latencies(1 << 12);
    let mut histogram = histogram::new_histogram();
    let mut i = 0_usize;
    bencher.bench_local(|| {
        histogram::record(&mut histogram, black_box(values[i & 0xfff]));
        i = i.wrapping_add(1);
    });
}

/// One second of one worker's samples of one label merged into the step's histogram.
#[divan::bench(args = [1_000, 1_000_000])]
fn merge_interval(bencher: Bencher<'_, '_>, samples: usize) {
    let interval = filled(samples);
    let mut step = histogram::new_histogram();
    bencher.bench_local(|| black_box(step.add(black_box(&interval)).is_ok()));
}

/// The empty histogram a worker starts each interval with (one per active label a second).
#[divan::bench]
fn new_interval_histogram() -> LatencyHistogram {
    histogram::new_histogram()
}

/// The percentiles of a label summary (p50 … p99.9 and max), as the step's results take them.
#[divan::bench(args = [1_000, 1_000_000])]
fn step_percentiles(bencher: Bencher<'_, '_>, samples: usize) {
    let step = filled(samples);
    bencher.bench_local(|| {
        [0.5, 0.9, 0.95, 0.99, 0.999].map(|q| black_box(&step).value_at_quantile(q))
    });
}

/// A step histogram written into `results.json` (HdrHistogram V2, base64).
#[divan::bench(args = [1_000, 1_000_000])]
fn encode_step(bencher: Bencher<'_, '_>, samples: usize) {
    let step = filled(samples);
    bencher.bench_local(|| histogram::encode(black_box(&step)));
}

/// A step histogram read back from `results.json` (`loadspec compare`, `merge`, reports).
#[divan::bench(args = [1_000, 1_000_000])]
fn decode_step(bencher: Bencher<'_, '_>, samples: usize) {
    let text = histogram::encode(&filled(samples));
    bencher.bench_local(|| histogram::decode(black_box(&text)).map(|h| h.len()).ok());
}
