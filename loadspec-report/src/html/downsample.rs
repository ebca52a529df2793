//! Downsampling of chart series so long runs keep the report small: a one-hour run at one
//! tick per second has 3,600 points per series and step, far more than a chart is wide.
//!
//! Series are `(x, Some(y))` points with `(x, None)` gaps (between steps); every segment
//! between gaps is reduced on its own so a bucket never straddles a cooldown.

/// One chart point; `None` breaks the line.
pub(crate) type Point = (f64, Option<f64>);

/// Points per series the charts show at most (about one per horizontal pixel pair).
pub(crate) const MAX_POINTS: usize = 600;

/// How a bucket of points becomes fewer points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reduce {
    /// Keep each bucket's lowest and highest point, in time order: spikes stay visible
    /// (latencies, active users).
    MinMax,
    /// Average each bucket: rates stay true to their totals (requests per second).
    Mean,
}

/// Reduces `points` to about `max_points` (each segment keeps at least its two ends).
pub(crate) fn downsample(points: &[Point], max_points: usize, reduce: Reduce) -> Vec<Point> {
    let segments: Vec<&[Point]> = points
        .split(|(_, y)| y.is_none())
        .filter(|s| !s.is_empty())
        .collect();
    let total: usize = segments.iter().map(|s| s.len()).sum();
    if total <= max_points.max(2) {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(max_points + 2 * segments.len());
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            // Keep the gap where the previous segment ended.
            out.push((segment[0].0, None));
        }
        let budget = (max_points * segment.len() / total).max(2);
        reduce_segment(segment, budget, reduce, &mut out);
    }
    out
}

fn reduce_segment(segment: &[Point], budget: usize, reduce: Reduce, out: &mut Vec<Point>) {
    if segment.len() <= budget {
        out.extend_from_slice(segment);
        return;
    }
    let buckets = match reduce {
        Reduce::MinMax => (budget / 2).max(1),
        Reduce::Mean => budget,
    };
    for b in 0..buckets {
        let bucket = &segment[b * segment.len() / buckets..(b + 1) * segment.len() / buckets];
        let values = bucket.iter().filter_map(|&(x, y)| y.map(|y| (x, y)));
        match reduce {
            Reduce::Mean => {
                let (n, sx, sy) = values.fold((0.0, 0.0, 0.0), |(n, sx, sy), (x, y)| {
                    (n + 1.0, sx + x, sy + y)
                });
                if n > 0.0 {
                    out.push((sx / n, Some(sy / n)));
                }
            }
            Reduce::MinMax => {
                let mut low: Option<(usize, f64, f64)> = None;
                let mut high: Option<(usize, f64, f64)> = None;
                for (i, (x, y)) in values.enumerate() {
                    if low.is_none_or(|(_, _, v)| y < v) {
                        low = Some((i, x, y));
                    }
                    if high.is_none_or(|(_, _, v)| y > v) {
                        high = Some((i, x, y));
                    }
                }
                if let (Some(l), Some(h)) = (low, high) {
                    let (first, second) = if l.0 <= h.0 { (l, h) } else { (h, l) };
                    out.push((first.1, Some(first.2)));
                    if second.0 != first.0 {
                        out.push((second.1, Some(second.2)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(steps: usize, per_step: usize, value: impl Fn(usize) -> f64) -> Vec<Point> {
        let mut points = Vec::new();
        for s in 0..steps {
            if s > 0 {
                points.push(((s * per_step) as f64, None));
            }
            for i in 0..per_step {
                let n = s * per_step + i;
                points.push((n as f64, Some(value(n))));
            }
        }
        points
    }

    #[test]
    fn short_series_are_kept_as_they_are() {
        let points = series(2, 10, |n| n as f64);
        assert_eq!(downsample(&points, MAX_POINTS, Reduce::MinMax), points);
    }

    #[test]
    fn a_one_hour_run_of_eight_steps_fits_the_budget_and_keeps_its_gaps() {
        let points = series(8, 3600, |n| (n % 7) as f64);
        for reduce in [Reduce::MinMax, Reduce::Mean] {
            let out = downsample(&points, MAX_POINTS, reduce);
            assert!(out.len() <= MAX_POINTS + 8, "{reduce:?}: {}", out.len());
            assert_eq!(out.iter().filter(|(_, y)| y.is_none()).count(), 7);
            assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "x stays sorted");
        }
    }

    #[test]
    fn min_max_keeps_a_single_spike_and_mean_keeps_the_level() {
        let points = series(1, 3600, |n| if n == 1234 { 900.0 } else { 10.0 });
        let out = downsample(&points, MAX_POINTS, Reduce::MinMax);
        assert!(out.iter().any(|&(x, y)| x == 1234.0 && y == Some(900.0)));
        let flat = series(1, 3600, |_| 5.0);
        let mean = downsample(&flat, MAX_POINTS, Reduce::Mean);
        assert!(mean.iter().all(|(_, y)| *y == Some(5.0)));
        assert!(mean.len() <= MAX_POINTS);
    }
}
