//! Open-model arrival schedules: when the n-th iteration of a step is due, for a rate that
//! ramps linearly from `from` to `to` over `ramp_up` and then holds `to`. Pure functions.

use std::time::Duration;

/// An arrival schedule: rates in iterations per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrivals {
    /// Rate at the step's start.
    pub from: f64,
    /// Rate after the ramp-up.
    pub to: f64,
    /// Time to go from `from` to `to` (zero: `to` from the start).
    pub ramp_up: Duration,
}

impl Arrivals {
    /// A constant rate.
    pub fn constant(rate: f64) -> Self {
        Self {
            from: rate,
            to: rate,
            ramp_up: Duration::ZERO,
        }
    }

    /// Iterations due in the first `elapsed` of the step (the integral of the rate).
    pub fn due_by(&self, elapsed: Duration) -> f64 {
        let t = elapsed.as_secs_f64();
        let ramp = self.ramp_up.as_secs_f64();
        if ramp <= 0.0 {
            return self.to * t;
        }
        if t <= ramp {
            return self.from * t + (self.to - self.from) * t * t / (2.0 * ramp);
        }
        (self.from + self.to) * ramp / 2.0 + self.to * (t - ramp)
    }

    /// When the `n`-th iteration (from 0) is due, after the step's start; `None` if the rate
    /// never gets there (a zero rate).
    pub fn due_at(&self, n: u64) -> Option<Duration> {
        // Iteration n is due when the integral reaches n (the first at once, like k6's
        // constant-arrival-rate).
        let target = n as f64;
        let ramp = self.ramp_up.as_secs_f64();
        let ramp_area = if ramp > 0.0 {
            (self.from + self.to) * ramp / 2.0
        } else {
            0.0
        };
        let seconds = if target <= ramp_area && ramp > 0.0 {
            // from·t + (to−from)·t²/(2·ramp) = n  →  a·t² + b·t − n = 0
            let a = (self.to - self.from) / (2.0 * ramp);
            let b = self.from;
            if a.abs() < 1e-12 {
                if b <= 0.0 {
                    return None;
                }
                target / b
            } else {
                let disc = b * b + 4.0 * a * target;
                if disc < 0.0 {
                    return None;
                }
                (-b + disc.sqrt()) / (2.0 * a)
            }
        } else {
            if self.to <= 0.0 {
                return None;
            }
            ramp + (target - ramp_area) / self.to
        };
        (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_rate_spaces_arrivals_evenly() {
        let a = Arrivals::constant(200.0);
        assert_eq!(a.due_at(0), Some(Duration::ZERO));
        assert_eq!(a.due_at(1), Some(Duration::from_millis(5)));
        assert_eq!(a.due_at(200), Some(Duration::from_secs(1)));
        assert!((a.due_by(Duration::from_secs(10)) - 2000.0).abs() < 1e-9);
        assert_eq!(Arrivals::constant(0.0).due_at(1), None);
    }

    #[test]
    fn a_ramp_follows_the_integral_of_the_rate() {
        let a = Arrivals {
            from: 0.0,
            to: 100.0,
            ramp_up: Duration::from_secs(10),
        };
        // 500 arrivals in the ramp (a triangle), then 100 per second.
        assert!((a.due_by(Duration::from_secs(10)) - 500.0).abs() < 1e-9);
        let at_500 = a.due_at(500).unwrap().as_secs_f64();
        assert!((at_500 - 10.0).abs() < 1e-9, "{at_500}");
        let at_600 = a.due_at(600).unwrap().as_secs_f64();
        assert!((at_600 - 11.0).abs() < 1e-9, "{at_600}");
        // Consistency: every arrival time maps back to its index.
        for n in [1u64, 7, 123, 499, 501, 1500] {
            let t = a.due_at(n).unwrap();
            assert!((a.due_by(t) - n as f64).abs() < 1e-6, "{n}");
        }
        let down = Arrivals {
            from: 100.0,
            to: 20.0,
            ramp_up: Duration::from_secs(4),
        };
        for n in [0u64, 1, 50, 239, 240, 300] {
            let t = down.due_at(n).unwrap();
            assert!((down.due_by(t) - n as f64).abs() < 1e-6, "{n}");
        }
    }

    #[test]
    fn arrival_times_never_go_back() {
        let a = Arrivals {
            from: 5.0,
            to: 5000.0,
            ramp_up: Duration::from_secs(3),
        };
        let mut last = Duration::ZERO;
        for n in 0..20_000 {
            let t = a.due_at(n).unwrap();
            assert!(t >= last);
            last = t;
        }
    }
}
