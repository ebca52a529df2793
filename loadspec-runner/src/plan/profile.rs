//! Profile arithmetic: when each user of a step starts and stops. Pure functions, no tokio.

use std::time::Duration;

pub use loadspec_results::ProfileKind;

/// When the `index`-th of `users` users starts, after its step started.
///
/// Like JMeter's ramp-up: the first user starts at once and the others `ramp_up / users`
/// apart, so the last one starts one interval before the ramp-up ends.
pub fn user_start_offset(index: u32, users: u32, ramp_up: Duration) -> Duration {
    if users == 0 || ramp_up.is_zero() {
        return Duration::ZERO;
    }
    let nanos = ramp_up.as_nanos() * u128::from(index.min(users)) / u128::from(users);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// How many of `users` users have started `elapsed` after the step started, before
/// `stop_at`; none after.
pub fn users_started_at(
    elapsed: Duration,
    users: u32,
    ramp_up: Duration,
    stop_at: Duration,
) -> u32 {
    if elapsed >= stop_at {
        return 0;
    }
    if ramp_up.is_zero() {
        return users;
    }
    // User i starts at ⌊ramp_up·i/users⌋ ns (see `user_start_offset`), so it has started when
    // ramp_up·i < (elapsed + 1)·users: the count is ⌈(elapsed + 1)·users / ramp_up⌉, exact to
    // the nanosecond.
    let started = ((elapsed.as_nanos() + 1) * u128::from(users)).div_ceil(ramp_up.as_nanos());
    u32::try_from(started.min(u128::from(users))).unwrap_or(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn ramp_starts_users_evenly_like_jmeter() {
        let ramp = 100 * S;
        let starts: Vec<_> = (0..10).map(|i| user_start_offset(i, 10, ramp)).collect();
        assert_eq!(starts[0], Duration::ZERO);
        assert_eq!(starts[1], 10 * S);
        assert_eq!(starts[9], 90 * S);
    }

    #[test]
    fn spike_starts_everyone_at_once() {
        assert!((0..300).all(|i| user_start_offset(i, 300, Duration::ZERO).is_zero()));
        assert_eq!(
            users_started_at(Duration::ZERO, 300, Duration::ZERO, 60 * S),
            300
        );
    }

    #[test]
    fn started_count_matches_start_offsets_and_never_exceeds_the_step() {
        for users in [1u32, 4, 7, 150, 300] {
            let ramp = 75 * S;
            let stop = ramp + 60 * S;
            for ms in (0..140_000).step_by(250) {
                let t = Duration::from_millis(ms);
                let by_offsets = (0..users)
                    .filter(|&i| user_start_offset(i, users, ramp) <= t)
                    .count() as u32;
                let expected = if t >= stop { 0 } else { by_offsets };
                assert_eq!(
                    users_started_at(t, users, ramp, stop),
                    expected,
                    "users {users} t {t:?}"
                );
                assert!(expected <= users);
            }
        }
    }

    #[test]
    fn nobody_runs_after_the_stop() {
        assert_eq!(users_started_at(10 * S, 5, 2 * S, 10 * S), 0);
    }

    #[test]
    fn profile_names_round_trip() {
        for p in [ProfileKind::Spike, ProfileKind::Ramp, ProfileKind::Stress] {
            assert_eq!(ProfileKind::parse(p.as_str()), Some(p));
        }
        assert_eq!(ProfileKind::parse("soak"), None);
    }
}
