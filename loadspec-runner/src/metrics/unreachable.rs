//! Requests that could not reach the target, in a row: each worker counts them per scenario,
//! and raises an alarm the moment a streak reaches the scenario's
//! `abort_after_consecutive_errors`, so the step stops then instead of at its next tick (a
//! refused connect takes microseconds: a second of them is thousands).

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// A scenario's requests that failed to reach the target in a row, on one worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Streak {
    pub(crate) scenario: usize,
    pub(crate) requests: u32,
}

/// Shared by the coordinator and its workers for the whole run: the first streak that reached
/// its limit since the alarm was last cleared.
#[derive(Debug, Default)]
pub(crate) struct UnreachableAlarm {
    raised: Notify,
    first: Mutex<Option<Streak>>,
}

impl UnreachableAlarm {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Keeps the first streak until it is taken; later ones add nothing to the step's reason.
    fn raise(&self, streak: Streak) {
        let mut first = self.first.lock().unwrap_or_else(PoisonError::into_inner);
        if first.is_none() {
            *first = Some(streak);
            drop(first);
            self.raised.notify_one();
        }
    }

    /// Forgets a streak raised in an earlier step.
    pub(crate) fn clear(&self) {
        self.first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Waits for a streak to reach its limit. Cancel-safe: the streak stays until returned.
    pub(crate) async fn raised(&self) -> Streak {
        loop {
            // A wake-up left over from a cleared streak finds nothing and waits again.
            self.raised.notified().await;
            if let Some(streak) = self
                .first
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                return streak;
            }
        }
    }
}

/// One worker's streaks, per scenario, and the limits that raise the alarm.
#[derive(Debug)]
pub(crate) struct Streaks {
    requests: Vec<u32>,
    limits: Vec<Option<u32>>,
    alarm: Option<Arc<UnreachableAlarm>>,
}

impl Streaks {
    /// No limits and no alarm: streaks are only counted.
    pub(crate) fn new(scenarios: usize) -> Self {
        Self {
            requests: vec![0; scenarios],
            limits: vec![None; scenarios],
            alarm: None,
        }
    }

    /// Raises `alarm` when a scenario's streak reaches its entry in `limits`.
    pub(crate) fn arm(&mut self, limits: Vec<Option<u32>>, alarm: Arc<UnreachableAlarm>) {
        self.limits = limits;
        self.alarm = Some(alarm);
    }

    /// Counts a request that could not reach the target, or ends the streak on any answer.
    #[inline]
    pub(crate) fn record(&mut self, scenario: usize, unreachable: bool) {
        let Some(requests) = self.requests.get_mut(scenario) else {
            return;
        };
        if !unreachable {
            *requests = 0;
            return;
        }
        *requests = requests.saturating_add(1);
        // Equal, not above: a streak raises the alarm once, however long it grows.
        if self.limits.get(scenario).copied().flatten() == Some(*requests)
            && let Some(alarm) = &self.alarm
        {
            alarm.raise(Streak {
                scenario,
                requests: *requests,
            });
        }
    }

    /// Each scenario's streak now.
    pub(crate) fn current(&self) -> Vec<u32> {
        self.requests.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armed(limit: u32) -> (Streaks, Arc<UnreachableAlarm>) {
        let alarm = UnreachableAlarm::new();
        let mut streaks = Streaks::new(2);
        streaks.arm(vec![None, Some(limit)], Arc::clone(&alarm));
        (streaks, alarm)
    }

    /// The raised streak, if there is one now.
    fn taken(alarm: &UnreachableAlarm) -> Option<Streak> {
        use futures::FutureExt;
        alarm.raised().now_or_never()
    }

    #[test]
    fn the_alarm_is_raised_when_the_streak_reaches_the_limit_and_not_before() {
        let (mut streaks, alarm) = armed(3);
        streaks.record(1, true);
        streaks.record(1, true);
        assert_eq!(taken(&alarm), None);
        streaks.record(1, true);
        assert_eq!(
            taken(&alarm),
            Some(Streak {
                scenario: 1,
                requests: 3
            })
        );
        streaks.record(1, true);
        assert_eq!(taken(&alarm), None, "once per streak");
        assert_eq!(streaks.current(), vec![0, 4]);
    }

    #[test]
    fn an_answer_ends_the_streak_and_scenarios_without_a_limit_never_raise_it() {
        let (mut streaks, alarm) = armed(2);
        streaks.record(1, true);
        streaks.record(1, false);
        streaks.record(1, true);
        for _ in 0..10 {
            streaks.record(0, true);
        }
        assert_eq!(taken(&alarm), None);
        assert_eq!(streaks.current(), vec![10, 1]);
        streaks.record(1, true);
        assert_eq!(taken(&alarm).map(|s| s.requests), Some(2));
    }

    #[test]
    fn a_cleared_streak_is_not_raised_in_the_next_step() {
        let (mut streaks, alarm) = armed(1);
        streaks.record(1, true);
        alarm.clear();
        assert_eq!(taken(&alarm), None);
        streaks.record(1, false);
        streaks.record(1, true);
        assert_eq!(taken(&alarm).map(|s| s.scenario), Some(1));
    }
}
