//! What openIMIS adds in `MODE=PROD`, off by default here as there: a fixed-window rate
//! limit on `/api/graphql` per client address (django-ratelimit, `150/m`) answering `429`
//! `{"detail":"Rate limit exceeded"}`, and a lockout of an account after repeated failed
//! logins (django-axes, 5 failures, 5 minutes' cool-off).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A limit of `requests` per `window`, per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests accepted per window.
    pub requests: u32,
    /// The window's length; windows are aligned to multiples of it since the server started.
    pub window: Duration,
}

/// A lockout after `failures` failed logins of one account, for `cool_off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failed logins that lock the account.
    pub failures: u32,
    /// How long the account stays locked after its last failure.
    pub cool_off: Duration,
}

/// The rate limiter's windows and its counts of what it let through and refused.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<IpAddr, (u64, u32)>>,
    accepted: AtomicU64,
    rejected: AtomicU64,
}

impl RateLimiter {
    /// Counts one request of `client` at `elapsed` since the server started; `false` when
    /// it is over the limit.
    pub(crate) fn admit(&self, limit: RateLimit, client: IpAddr, elapsed: Duration) -> bool {
        let window_ns = limit.window.as_nanos().max(1);
        let window = u64::try_from(elapsed.as_nanos() / window_ns).unwrap_or(u64::MAX);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = windows.entry(client).or_insert((window, 0));
        if slot.0 != window {
            *slot = (window, 0);
        }
        slot.1 = slot.1.saturating_add(1);
        let admitted = slot.1 <= limit.requests;
        let counter = if admitted {
            &self.accepted
        } else {
            &self.rejected
        };
        counter.fetch_add(1, Ordering::Relaxed);
        admitted
    }

    /// (accepted, rejected) so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.accepted.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
        )
    }
}

/// Failed logins per account (lower-cased), with the time of the last one.
#[derive(Debug, Default)]
pub(crate) struct LoginFailures {
    accounts: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginFailures {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The time left on a lockout of `username`, if it is locked.
    pub(crate) fn locked(&self, lockout: Lockout, username: &str) -> Option<Duration> {
        let accounts = self.lock();
        let (failures, last) = accounts.get(&username.to_lowercase())?;
        let left = lockout.cool_off.checked_sub(last.elapsed())?;
        (*failures >= lockout.failures).then_some(left)
    }

    /// Counts a failed login.
    pub(crate) fn failed(&self, username: &str) {
        let mut accounts = self.lock();
        let entry = accounts
            .entry(username.to_lowercase())
            .or_insert((0, Instant::now()));
        *entry = (entry.0.saturating_add(1), Instant::now());
    }

    /// Forgets the failures of an account that logged in.
    pub(crate) fn succeeded(&self, username: &str) {
        self.lock().remove(&username.to_lowercase());
    }
}

/// openIMIS' message for a locked account (its typo included: no space after the stop).
pub(crate) fn lockout_message(left: Duration) -> String {
    format!(
        "Too many failed attempts.Try again in {} minutes.",
        left.as_secs() / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn windows_admit_their_share_and_then_refuse() {
        let limiter = RateLimiter::default();
        let limit = RateLimit {
            requests: 3,
            window: Duration::from_secs(60),
        };
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let at = |s| Duration::from_secs(s);
        let admitted: Vec<bool> = (0..5).map(|_| limiter.admit(limit, ip, at(1))).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        assert!(
            limiter.admit(limit, ip, at(61)),
            "a new window starts afresh"
        );
        assert_eq!(limiter.counts(), (4, 2));
    }

    #[test]
    fn accounts_lock_after_their_failures() {
        let failures = LoginFailures::default();
        let lockout = Lockout {
            failures: 2,
            cool_off: Duration::from_secs(300),
        };
        failures.failed("Admin");
        assert_eq!(failures.locked(lockout, "admin"), None);
        failures.failed("admin");
        let left = failures.locked(lockout, "ADMIN");
        assert!(
            left.is_some_and(|l| l > Duration::from_secs(290)),
            "{left:?}"
        );
        assert_eq!(
            lockout_message(Duration::from_secs(299)),
            "Too many failed attempts.Try again in 4 minutes."
        );
        failures.succeeded("Admin");
        assert_eq!(failures.locked(lockout, "admin"), None);
    }
}
