//! Mid-step aborts: every tick, each criterion with `abort_on_fail` and a window is judged over
//! the last `window` of its scenario's ticks (after its `delay`); the first that fails stops
//! the step and ends the run.

use std::time::{Duration, SystemTime};

use super::StopHandle;
use super::worker::{Command, Worker};
use crate::error::RunError;
use crate::metrics::step::StepAccumulator;
use crate::metrics::window::TickWindow;
use crate::plan::RunPlan;
use loadspec_results::Mode;
use loadspec_results::criteria::{
    AbortWindow, Criterion, Verdict, format_measured, format_value, judge, measure,
};
use loadspec_results::model::{RunAbort, ScenarioStepResult, StepStatus};
use loadspec_results::rfc3339;

/// A scenario's statistics over a window, with the seconds it covers.
type Merged = (ScenarioStepResult, f64);

/// The abort criteria of one step and the ticks they are judged over.
pub(super) struct AbortWatch {
    /// (scenario index, its name, the criterion, its window).
    criteria: Vec<(usize, String, Criterion, AbortWindow)>,
    window: TickWindow,
    step: usize,
}

impl AbortWatch {
    /// The watch of step `step`; `None` without abort criteria (or in a smoke run, which
    /// judges nothing), so such runs copy no statistics.
    pub(super) fn new(plan: &RunPlan, step: usize) -> Option<Self> {
        if plan.mode != Mode::Full {
            return None;
        }
        let criteria: Vec<_> = plan
            .scenarios
            .iter()
            .enumerate()
            .flat_map(|(i, planned)| {
                planned.criteria.iter().filter_map(move |c| {
                    let abort = c.abort?;
                    Some((i, planned.scenario.name().to_owned(), c.clone(), abort))
                })
            })
            .collect();
        let keep = criteria
            .iter()
            .map(|(.., abort)| Duration::from_millis(abort.window_ms))
            .max()?;
        let names = plan
            .scenarios
            .iter()
            .map(|s| s.scenario.name().to_owned())
            .collect();
        let watched = (0..plan.scenarios.len())
            .map(|i| criteria.iter().any(|(s, ..)| *s == i))
            .collect();
        Some(Self {
            criteria,
            window: TickWindow::new(names, watched, keep),
            step,
        })
    }

    /// Takes in the tick `acc` is about to close (`start..end` from the step's start) and
    /// judges every abort criterion; on the first fail, stops the workers' step, aborts the
    /// run and returns the step's status and reason.
    pub(super) fn tick(
        &mut self,
        acc: &StepAccumulator,
        start: Duration,
        end: Duration,
        stop: &StopHandle,
        workers: &[Worker],
    ) -> Result<Option<(StepStatus, Option<String>)>, RunError> {
        self.window.push(acc, start, end);
        let Some((abort, reason)) = self.breach(end) else {
            return Ok(None);
        };
        for worker in workers {
            worker.send(Command::StopStep)?;
        }
        stop.abort_with(reason.clone(), abort);
        Ok(Some((StepStatus::Aborted, Some(reason))))
    }

    /// The first criterion that fails over its window at `now`. A window with nothing to
    /// measure (e.g. no transaction finished in it yet) does not abort: only a measured value
    /// beyond the threshold does.
    fn breach(&self, now: Duration) -> Option<(RunAbort, String)> {
        // Criteria of one scenario with the same window share one merge of its ticks.
        let mut merges: Vec<((usize, AbortWindow), Option<Merged>)> = Vec::new();
        self.criteria
            .iter()
            .find_map(|(scenario, name, criterion, abort)| {
                let key = (*scenario, *abort);
                let index = match merges.iter().position(|(k, _)| *k == key) {
                    Some(index) => index,
                    None => {
                        let window = Duration::from_millis(abort.window_ms);
                        let delay = Duration::from_millis(abort.delay_ms);
                        let merged = self.window.merged(*scenario, now, window, delay);
                        merges.push((key, merged));
                        merges.len() - 1
                    }
                };
                let (merged, covered) = merges[index].1.as_ref()?;
                let covered = *covered;
                let value = measure(criterion, merged)?;
                let verdict = judge(
                    criterion.metric.higher_is_better(),
                    value,
                    criterion.target,
                    criterion.threshold,
                );
                (verdict == Verdict::Fail).then(|| {
                    let abort = RunAbort {
                        scenario: name.clone(),
                        criterion: criterion.title(),
                        scope: criterion.scope.to_string(),
                        step: self.step,
                        at_s: now.as_secs_f64(),
                        at: rfc3339(SystemTime::now()),
                        value,
                        threshold: criterion.threshold,
                        window_s: covered,
                    };
                    let reason = describe(criterion, &abort);
                    (abort, reason)
                })
            })
    }
}

/// `abort_on_fail: insuree_flow: login p95 (transaction login) was 312ms over the last 2 s of
/// step 2, beyond its threshold 100ms, 4 s into the step (2026-12-06T12:00:04Z)`.
fn describe(criterion: &Criterion, abort: &RunAbort) -> String {
    format!(
        "abort_on_fail: {}: {} ({}) was {} over the last {} s of step {}, beyond its threshold {}, {} s into the step ({})",
        abort.scenario,
        abort.criterion,
        abort.scope,
        format_measured(criterion.metric, abort.value),
        trim(abort.window_s),
        abort.step + 1,
        format_value(criterion.metric, abort.threshold),
        trim(abort.at_s),
        abort.at
    )
}

/// Seconds with at most one decimal.
fn trim(secs: f64) -> String {
    let text = format!("{secs:.1}");
    text.strip_suffix(".0").unwrap_or(&text).to_owned()
}
