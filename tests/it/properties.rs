//! Property tests (proptest) of the arithmetic the reports and verdicts rest on: histogram
//! merging, profile start times, verdict monotonicity and the unit parsers. The fuzz targets
//! under `fuzz/` cover the parsers and loaders on arbitrary input; see `docs/fuzzing.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use loadspec::criteria::{Verdict, judge};
use loadspec_runner::metrics::histogram::{
    HIGHEST_MICROS, LatencyHistogram, decode, encode, new_histogram, record,
};
use loadspec_runner::plan::{user_start_offset, users_started_at};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Proptest's defaults, without writing `proptest-regressions/` files next to the tests: a
/// failure prints its minimal input, which belongs in a named regression test.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Histograms: merging per-label, per-worker or per-step histograms (stored as base64 and decoded
// again) gives exactly the histogram of recording every sample into one.

/// Latencies in µs as they come: mostly plausible ones up to a few hours, plus the edges.
fn latency() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..=10_000_000u64,
        2 => 0..=3 * HIGHEST_MICROS,
        1 => Just(0u64),
        1 => Just(1u64),
        1 => Just(HIGHEST_MICROS),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

fn assert_same_histogram(merged: &LatencyHistogram, single: &LatencyHistogram) {
    assert_eq!(merged.len(), single.len(), "counts");
    assert_eq!(merged.min(), single.min(), "min");
    assert_eq!(merged.max(), single.max(), "max");
    assert_eq!(merged.mean().to_bits(), single.mean().to_bits(), "mean");
    // Equal counts at every recorded value (checked below) mean equal percentiles; a few are
    // compared explicitly for readable failures.
    for q in [
        0.0, 0.001, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 1.0,
    ] {
        assert_eq!(
            merged.value_at_quantile(q),
            single.value_at_quantile(q),
            "percentile {q}"
        );
    }
    assert!(
        merged
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .eq(single
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))),
        "recorded values"
    );
}

proptest! {
    // Each case builds, merges and encodes several 24k-bucket histograms (slow unoptimized).
    #![proptest_config(config(128))]

    #[test]
    fn merging_histograms_equals_recording_into_one(
        samples in prop::collection::vec((latency(), 0..5usize), 0..300),
        through_storage in any::<bool>(),
        q in 0.0..=1.0f64,
    ) {
        let mut parts: Vec<LatencyHistogram> = (0..5).map(|_| new_histogram()).collect();
        let mut single = new_histogram();
        for &(micros, part) in &samples {
            record(&mut parts[part], micros);
            record(&mut single, micros);
        }
        let mut merged = new_histogram();
        for part in &parts {
            if through_storage {
                // As `loadspec report`/`compare` merge stored results.
                merged.add(decode(&encode(part)).unwrap()).unwrap();
            } else {
                merged.add(part).unwrap();
            }
        }
        prop_assert_eq!(single.len(), samples.len() as u64);
        assert_same_histogram(&merged, &single);
        prop_assert_eq!(merged.value_at_quantile(q), single.value_at_quantile(q), "percentile {}", q);
        if !samples.is_empty() {
            prop_assert!(single.min() >= 1);
            prop_assert!(single.max() <= single.highest_equivalent(HIGHEST_MICROS));
        }
    }

    #[test]
    fn histograms_round_trip_through_encode_and_decode(
        samples in prop::collection::vec(latency(), 0..300),
    ) {
        let mut h = new_histogram();
        for &micros in &samples {
            record(&mut h, micros);
        }
        let text = encode(&h);
        let back = decode(&text).unwrap();
        assert_same_histogram(&back, &h);
        prop_assert_eq!(encode(&back), text);
    }
}

// ---------------------------------------------------------------------------------------------
// Profiles: a step never has more users started than it asked for, users start in order, and
// the count at any time agrees with the start offsets the engine schedules users at.

/// Ramp-ups and times at millisecond granularity (what attributes and the CLI can express).
fn millis(max: u64) -> impl Strategy<Value = Duration> {
    (0..=max).prop_map(Duration::from_millis)
}

/// Ramp-ups and times at nanosecond granularity.
fn nanos(max: Duration) -> impl Strategy<Value = Duration> {
    (0..=max.as_nanos() as u64).prop_map(Duration::from_nanos)
}

fn ramp_up() -> impl Strategy<Value = Duration> {
    prop_oneof![
        1 => Just(Duration::ZERO),
        4 => millis(2 * 3_600_000),
        1 => nanos(Duration::from_millis(50)),
    ]
}

/// How many of `users` have a start offset at or before `t`.
fn started_by_offsets(t: Duration, users: u32, ramp_up: Duration) -> u32 {
    // Offsets are non-decreasing in the index: binary search the first one after `t`.
    let (mut lo, mut hi) = (0u32, users);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if user_start_offset(mid, users, ramp_up) <= t {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn check_profile(
    users: u32,
    ramp_up: Duration,
    hold: Duration,
    times: &[Duration],
) -> Result<(), TestCaseError> {
    let stop = ramp_up + hold;
    let mut previous: Option<(Duration, u32)> = None;
    let mut sorted = times.to_vec();
    sorted.sort();
    for &t in &sorted {
        let started = users_started_at(t, users, ramp_up, stop);
        prop_assert!(started <= users, "{started} of {users} at {t:?}");
        if t >= stop {
            prop_assert_eq!(started, 0, "at {:?}, stop at {:?}", t, stop);
            continue;
        }
        if let Some((before, earlier)) = previous {
            prop_assert!(
                earlier <= started,
                "{earlier} started at {before:?} but {started} at {t:?}"
            );
        }
        previous = Some((t, started));
        let expected = started_by_offsets(t, users, ramp_up);
        prop_assert_eq!(
            started,
            expected,
            "users {} ramp-up {:?} t {:?}: offsets say {}",
            users,
            ramp_up,
            t,
            expected
        );
    }
    // The first user starts at once; offsets are in order and the last one starts before the
    // ramp-up ends (one interval before, like JMeter).
    let offset = |i: u32| user_start_offset(i, users, ramp_up);
    prop_assert_eq!(offset(0), Duration::ZERO);
    let mut probes: Vec<u32> = [1, users / 3, users / 2, users.saturating_sub(1)]
        .into_iter()
        .filter(|&i| i < users)
        .collect();
    probes.sort_unstable();
    for pair in probes.windows(2) {
        prop_assert!(offset(pair[0]) <= offset(pair[1]), "offsets out of order");
    }
    for &i in &probes {
        prop_assert!(
            offset(i) < ramp_up || ramp_up.is_zero(),
            "user {} of {} starts at {:?}, ramp-up {:?}",
            i,
            users,
            offset(i),
            ramp_up
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn profiles_never_start_more_users_than_asked(
        users in 1..=10_000u32,
        ramp_up in prop_oneof![Just(Duration::ZERO), millis(2 * 3_600_000)],
        hold in millis(3_600_000),
        times in prop::collection::vec(millis(3 * 3_600_000), 1..40),
        fractions in prop::collection::vec(0.0..=1.2f64, 0..40),
        users_to_probe in prop::collection::vec(any::<u32>(), 0..20),
    ) {
        // Times spread over the whole step, plus ones near the ramp-up and the stop, plus the
        // milliseconds around some users' start offsets. (At millisecond granularity the two
        // functions' roundings agree for up to 10^6 users; the nanosecond test below shows
        // where they do not.)
        let stop = ramp_up + hold;
        let ms = Duration::from_millis;
        let mut times = times;
        times.extend(fractions.iter().map(|f| ms((stop.as_millis() as f64 * f) as u64)));
        times.extend([Duration::ZERO, ramp_up, stop.saturating_sub(ms(1)), stop]);
        for i in users_to_probe {
            let start = user_start_offset(i % users, users, ramp_up).as_millis() as u64;
            times.extend([ms(start), ms(start + 1), ms(start.saturating_sub(1))]);
        }
        check_profile(users, ramp_up, hold, &times)?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The same at nanosecond granularity (the engine's clock), probing the exact instants users
    /// are scheduled at. This found a rounding disagreement (see docs/fuzzing.md, "Findings"):
    /// 3 users over a 1 s ramp-up, user 1 is scheduled at ⌊1 s / 3⌋ = 333 333 333 ns, yet
    /// `users_started_at` counted 1 user at that instant.
    #[test]
    fn profiles_agree_with_start_offsets_at_nanosecond_granularity(
        users in 1..=10_000u32,
        ramp_up in ramp_up(),
        hold in nanos(Duration::from_millis(50)),
        times in prop::collection::vec(nanos(Duration::from_millis(120)), 1..40),
        users_to_probe in prop::collection::vec(any::<u32>(), 1..20),
    ) {
        // The instants around some users' start offsets, where the rounding matters.
        let mut times = times;
        for i in users_to_probe {
            let start = user_start_offset(i % users, users, ramp_up);
            let around = [Duration::from_nanos(1), Duration::from_micros(1)];
            times.push(start);
            times.extend(around.iter().map(|&d| start + d));
            times.extend(around.iter().filter_map(|&d| start.checked_sub(d)));
        }
        check_profile(users, ramp_up, hold, &times)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Verdicts: a worse measured value never gets a better verdict; exactly at the target passes,
// exactly at the threshold warns at most.

/// A valid (target, threshold) pair: the threshold is never better than the target.
fn bounds(higher_is_better: bool) -> impl Strategy<Value = (f64, f64)> {
    let value = prop_oneof![
        Just(0.0),
        Just(1.0),
        0.0..=1.0f64,
        0.0..=1e7f64,
        (0..=100_000u32).prop_map(|n| f64::from(n) / 1000.0),
    ];
    (value.clone(), value).prop_map(move |(a, b)| {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        if higher_is_better {
            (high, low)
        } else {
            (low, high)
        }
    })
}

fn measured() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        0.0..=1.0f64,
        0.0..=1e7f64,
        (0..=100_000u32).prop_map(|n| f64::from(n) / 1000.0),
        -1e3..=0.0f64,
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
    ]
}

fn check_verdicts(
    higher_is_better: bool,
    (target, threshold): (f64, f64),
    a: f64,
    b: f64,
) -> Result<(), TestCaseError> {
    let verdict = |m: f64| judge(higher_is_better, m, target, threshold);
    // `worse` is the measured value that is worse (or equal) by the metric's direction.
    let (better, worse) = match (higher_is_better, a <= b) {
        (false, true) | (true, false) => (a, b),
        (false, false) | (true, true) => (b, a),
    };
    prop_assert!(
        verdict(worse) >= verdict(better),
        "{worse} got {:?}, better {better} got {:?} (target {target}, threshold {threshold})",
        verdict(worse),
        verdict(better)
    );
    prop_assert_eq!(verdict(target), Verdict::Pass);
    prop_assert!(verdict(threshold) <= Verdict::Warn);
    if threshold == target {
        prop_assert_eq!(verdict(threshold), Verdict::Pass);
    }
    // Three verdicts in order over the whole line: pass up to the target, warn up to the
    // threshold, fail beyond.
    for m in [a, b] {
        let expected = match higher_is_better {
            false if m <= target => Verdict::Pass,
            false if m <= threshold => Verdict::Warn,
            true if m >= target => Verdict::Pass,
            true if m >= threshold => Verdict::Warn,
            _ => Verdict::Fail,
        };
        prop_assert_eq!(verdict(m), expected, "measured {}", m);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn verdicts_are_monotonic_when_lower_is_better(
        bounds in bounds(false), a in measured(), b in measured(),
    ) {
        check_verdicts(false, bounds, a, b)?;
    }

    #[test]
    fn verdicts_are_monotonic_when_higher_is_better(
        bounds in bounds(true), a in measured(), b in measured(),
    ) {
        check_verdicts(true, bounds, a, b)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Unit parsers: what humantime prints (the console, reports) reads back; percentages are exact.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn printed_durations_parse_back(
        millis in prop_oneof![
            4 => 0..=7 * 86_400_000u64,
            1 => any::<u64>(),
            1 => Just(u64::MAX),
        ],
    ) {
        let d = Duration::from_millis(millis);
        let text = humantime::format_duration(d).to_string();
        prop_assert_eq!(loadspec_units::duration(&text), Ok(d), "{}", text);
        prop_assert_eq!(loadspec_units::duration_range(&text), Ok((d, d)), "{}", text);
        let range = format!("{text}..{text}");
        prop_assert_eq!(loadspec_units::duration_range(&range), Ok((d, d)), "{}", range);
    }

    #[test]
    fn percentages_are_their_number_over_100(
        thousandths in prop_oneof![0..=100_000u32, Just(0), Just(100_000)],
        decimals in 0..=3usize,
        padded in any::<bool>(),
    ) {
        let x = f64::from(thousandths) / 1000.0;
        // Shortest form (`12.345`), or fixed decimals when they do not drop digits (`12.300`).
        let exact = format!("{x}");
        let fixed = format!("{x:.decimals$}");
        let text = if fixed.parse::<f64>() == Ok(x) { fixed } else { exact };
        let text = if padded { format!(" {text} %") } else { format!("{text}%") };
        let parsed = loadspec_units::percent(&text);
        prop_assert_eq!(&parsed, &Ok(x / 100.0), "{}", text);
        prop_assert!(parsed.is_ok_and(|fraction| (0.0..=1.0).contains(&fraction)));
    }
}
