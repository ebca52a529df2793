//! Sliding windows of ticks for the criteria that abort a step (`abort_on_fail` with a
//! `window`): the last ticks' statistics, kept per tick so old ticks can slide out, merged on
//! demand into a [`ScenarioStepResult`] that the criteria code judges like any step.

use std::collections::VecDeque;
use std::time::Duration;

use super::custom::{CustomKey, CustomValue};
use super::recorder::{Interval, LabelKey};
use super::stats::LabelStats;
use super::step::{Phase, StepAccumulator};
use loadspec_results::model::ScenarioStepResult;

/// One closed tick of the watched scenarios.
struct Tick {
    /// Its start and end, from the step's start.
    start: Duration,
    end: Duration,
    labels: Vec<(LabelKey, LabelStats)>,
    /// The scenarios' own metrics, so criteria on them abort like the others.
    custom: Vec<(CustomKey, CustomValue)>,
    /// Per scenario: open-model arrivals dropped in the tick.
    dropped: Vec<u64>,
}

/// The recent ticks of a step, for the scenarios some abort criterion watches.
pub(crate) struct TickWindow {
    scenario_names: Vec<String>,
    /// Scenarios whose labels are kept (the others cost nothing).
    watched: Vec<bool>,
    /// Ticks older than this (from the newest tick's end) are dropped.
    keep: Duration,
    ticks: VecDeque<Tick>,
}

impl TickWindow {
    /// A window over `scenario_names`, keeping the labels of the `watched` ones for `keep`
    /// (the longest window of their criteria).
    pub(crate) fn new(scenario_names: Vec<String>, watched: Vec<bool>, keep: Duration) -> Self {
        Self {
            scenario_names,
            watched,
            keep,
            ticks: VecDeque::new(),
        }
    }

    /// Takes a copy of the tick `acc` is about to close, which ran `start..end` from the
    /// step's start, and lets the ticks older than the window slide out.
    pub(crate) fn push(&mut self, acc: &StepAccumulator, start: Duration, end: Duration) {
        let labels = acc
            .tick_labels()
            .filter(|(key, stats)| {
                !stats.is_empty() && self.watched.get(key.scenario).copied().unwrap_or(false)
            })
            .map(|(key, stats)| (key.clone(), stats.clone()))
            .collect();
        let custom = acc
            .tick_custom()
            .filter(|(key, _)| self.watched.get(key.scenario).copied().unwrap_or(false))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        self.push_tick(Tick {
            start,
            end,
            labels,
            custom,
            dropped: acc.tick_dropped().to_vec(),
        });
    }

    fn push_tick(&mut self, tick: Tick) {
        let horizon = tick.end.saturating_sub(self.keep);
        self.ticks.push_back(tick);
        while self.ticks.front().is_some_and(|t| t.end <= horizon) {
            self.ticks.pop_front();
        }
    }

    /// One scenario's statistics over the ticks that ended within `window` of `now` and
    /// started at or after `delay` (all from the step's start), with the seconds they cover;
    /// `None` when no tick qualifies yet.
    pub(crate) fn merged(
        &self,
        scenario: usize,
        now: Duration,
        window: Duration,
        delay: Duration,
    ) -> Option<(ScenarioStepResult, f64)> {
        let from = now.saturating_sub(window);
        let ticks: Vec<&Tick> = self
            .ticks
            .iter()
            .filter(|t| t.end > from && t.end <= now && t.start >= delay)
            .collect();
        if ticks.is_empty() {
            return None;
        }
        let covered = ticks
            .iter()
            .map(|t| (t.end - t.start).as_secs_f64())
            .sum::<f64>();
        // The step's own accumulator merges the ticks, so a window is summarised exactly
        // like a step (same percentiles, rates and throughput).
        let mut acc = StepAccumulator::new(self.scenario_names.clone());
        for tick in ticks {
            acc.add_interval(Interval {
                labels: tick
                    .labels
                    .iter()
                    .filter(|(key, _)| key.scenario == scenario)
                    .cloned()
                    .collect(),
                custom: tick
                    .custom
                    .iter()
                    .filter(|(key, _)| key.scenario == scenario)
                    .cloned()
                    .collect(),
                dropped: tick.dropped.clone(),
                ..Interval::default()
            });
            acc.close_tick(
                tick.end.as_secs_f64(),
                (tick.end - tick.start).as_secs_f64(),
                Phase::Measured,
            );
        }
        let users = vec![0; self.scenario_names.len()];
        let mut results = acc.finish(&users, covered, std::time::Instant::now());
        (scenario < results.len()).then(|| (results.swap_remove(scenario), covered))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::metrics::stats::LabelKind;
    use loadspec_results::histogram;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// `count` requests of `ms` each, one failed if `failed`.
    fn tick(start: u64, count: u64, ms: u64, failed: bool) -> Tick {
        let mut stats = LabelStats::new();
        for _ in 0..count {
            histogram::record(&mut stats.histogram, ms * 1000);
        }
        stats.count = count;
        stats.failures = u64::from(failed);
        stats.sum_micros = count * ms * 1000;
        stats.min_micros = ms * 1000;
        stats.max_micros = ms * 1000;
        let key = LabelKey {
            scenario: 0,
            kind: LabelKind::Request,
            name: Arc::from("GET /"),
        };
        Tick {
            start: secs(start),
            end: secs(start + 1),
            labels: vec![(key, stats)],
            custom: Vec::new(),
            dropped: vec![0],
        }
    }

    fn window(keep: u64) -> TickWindow {
        TickWindow::new(vec!["s".into()], vec![true], secs(keep))
    }

    #[test]
    fn old_ticks_slide_out_of_the_window() {
        let mut w = window(2);
        // Three slow ticks, then fast ones: the p95 drops once the slow ticks are 2 s old.
        for start in 0..3 {
            w.push_tick(tick(start, 10, 300, false));
        }
        for start in 3..6 {
            w.push_tick(tick(start, 10, 10, false));
            let (merged, covered) = w.merged(0, secs(start + 1), secs(2), secs(0)).unwrap();
            assert_eq!(covered, 2.0);
            assert_eq!(merged.total_requests.count, 20);
            let p95 = merged.total_requests.p95_ms;
            if start == 3 {
                assert!((299.0..=301.0).contains(&p95), "{p95}");
            } else {
                assert!((9.9..=10.1).contains(&p95), "{p95}");
            }
        }
        // Only the ticks within `keep` are held.
        assert_eq!(w.ticks.len(), 2);
    }

    #[test]
    fn ticks_before_the_delay_are_not_counted() {
        let mut w = window(10);
        w.push_tick(tick(0, 10, 300, true));
        assert!(w.merged(0, secs(1), secs(10), secs(1)).is_none());
        w.push_tick(tick(1, 10, 10, false));
        let (merged, covered) = w.merged(0, secs(2), secs(10), secs(1)).unwrap();
        assert_eq!((merged.total_requests.count, covered), (10, 1.0));
        assert_eq!(merged.total_requests.failures, 0);
        // Without the delay the first tick counts: 20 requests, one failed, 10 per second.
        let (merged, _) = w.merged(0, secs(2), secs(10), secs(0)).unwrap();
        assert_eq!(merged.total_requests.count, 20);
        assert_eq!(merged.total_requests.error_rate, 0.05);
        assert_eq!(merged.total_requests.throughput_per_s, 10.0);
    }

    #[test]
    fn unwatched_scenarios_keep_nothing() {
        let mut w = TickWindow::new(vec!["s".into()], vec![false], secs(10));
        let mut acc = StepAccumulator::new(vec!["s".into()]);
        acc.add_interval(Interval {
            labels: tick(0, 5, 10, false).labels,
            ..Interval::default()
        });
        w.push(&acc, secs(0), secs(1));
        let (merged, _) = w.merged(0, secs(1), secs(10), secs(0)).unwrap();
        assert_eq!(merged.total_requests.count, 0);
    }
}
