//! The knee of the scalability curve: the load after which adding users stops adding
//! throughput and only adds waiting.
//!
//! Rule (documented in `docs/report.md`): walk the steps by increasing users. Compare each
//! step with the previous one whose load was at least [`LOAD_RISE`] lower (closer steps
//! cannot tell scaling from noise). The first time throughput grows by no more than
//! [`THROUGHPUT_GAIN`] while p95 latency rises by more than [`LATENCY_RISE`], the earlier
//! of the two steps is the knee: the highest load that still scaled.

/// Throughput gain between two steps below which throughput "stops growing" (10%).
pub(crate) const THROUGHPUT_GAIN: f64 = 0.10;
/// p95 rise between two steps above which latency "rises" (10%, above run-to-run noise).
pub(crate) const LATENCY_RISE: f64 = 0.10;
/// Load rise two steps need before they are compared (10%).
pub(crate) const LOAD_RISE: f64 = 0.10;

/// One step on the scalability curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LoadPoint {
    /// `StepResult::index`.
    pub(crate) step: usize,
    /// Users of all scenarios.
    pub(crate) users: u32,
    /// Samples per second.
    pub(crate) throughput: f64,
    /// 95th percentile in milliseconds.
    pub(crate) p95: f64,
}

/// Where throughput stopped scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Knee {
    /// The last step that still scaled: the knee.
    pub(crate) at: LoadPoint,
    /// The next, higher load, where it stopped.
    pub(crate) next: LoadPoint,
}

/// Finds the knee; `None` when throughput kept growing (or fewer than two steps measured).
pub(crate) fn find(points: &[LoadPoint]) -> Option<Knee> {
    let mut by_load: Vec<LoadPoint> = points
        .iter()
        .copied()
        .filter(|p| p.throughput > 0.0)
        .collect();
    by_load.sort_by_key(|p| p.users);
    let mut previous = *by_load.first()?;
    for &point in &by_load[1..] {
        if f64::from(point.users) <= f64::from(previous.users) * (1.0 + LOAD_RISE) {
            continue;
        }
        let flat = point.throughput <= previous.throughput * (1.0 + THROUGHPUT_GAIN);
        let slower = point.p95 > previous.p95 * (1.0 + LATENCY_RISE);
        if flat && slower {
            return Some(Knee {
                at: previous,
                next: point,
            });
        }
        previous = point;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(points: &[(u32, f64, f64)]) -> Vec<LoadPoint> {
        points
            .iter()
            .enumerate()
            .map(|(step, &(users, throughput, p95))| LoadPoint {
                step,
                users,
                throughput,
                p95,
            })
            .collect()
    }

    #[test]
    fn a_plateau_with_rising_latency_is_the_knee() {
        let points = curve(&[
            (1, 10.0, 100.0),
            (5, 48.0, 105.0),
            (10, 90.0, 110.0),
            (30, 95.0, 320.0),
            (50, 96.0, 520.0),
        ]);
        let knee = find(&points).unwrap();
        assert_eq!((knee.at.users, knee.next.users), (10, 30));
    }

    #[test]
    fn falling_throughput_counts_as_not_growing() {
        let points = curve(&[(10, 100.0, 50.0), (20, 80.0, 200.0)]);
        assert_eq!(find(&points).unwrap().at.users, 10);
    }

    #[test]
    fn linear_scaling_has_no_knee() {
        let points = curve(&[(1, 10.0, 50.0), (2, 20.0, 51.0), (4, 40.0, 52.0)]);
        assert_eq!(find(&points), None);
    }

    #[test]
    fn flat_throughput_with_flat_latency_is_not_a_knee() {
        // e.g. fixed iterations per user: nothing is saturated.
        let points = curve(&[(1, 10.0, 50.0), (4, 10.5, 52.0)]);
        assert_eq!(find(&points), None);
    }

    #[test]
    fn steps_too_close_in_load_are_not_compared_and_order_does_not_matter() {
        // 100 → 105 users cannot show a 10% gain; 100 → 200 can.
        let points = curve(&[
            (200, 101.0, 400.0),
            (100, 100.0, 100.0),
            (105, 100.0, 130.0),
        ]);
        let knee = find(&points).unwrap();
        assert_eq!((knee.at.users, knee.next.users), (100, 200));
        assert_eq!(find(&curve(&[(5, 10.0, 1.0)])), None);
        assert_eq!(find(&[]), None);
    }
}
