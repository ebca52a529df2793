//! Findings: plain, factual sentences derived from the results — what a reader would
//! otherwise work out from the tables by hand. No judgement beyond the criteria and the knee
//! rule; every number quoted comes from the results.

use super::charts::threads;
use super::format;
use super::knee::Knee;
use super::totals::{Basis, StepTotals};
use loadspec_results::ErrorKind;
use loadspec_results::criteria::Verdict;
use loadspec_results::model::{LabelSummary, RunResults, RunStatus, SaturationCause, StepStatus};

/// How a finding reads: colours its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Something that met expectations.
    Good,
    /// Neutral information.
    Info,
    /// A warning sign.
    Warn,
    /// A failure.
    Bad,
}

impl Tone {
    /// The CSS class.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Bad => "bad",
        }
    }
}

/// One observation.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// How it reads.
    pub(crate) tone: Tone,
    /// The sentence.
    pub(crate) text: String,
}

fn finding(tone: Tone, text: String) -> Finding {
    Finding { tone, text }
}

/// The findings of a run, most important first.
pub(crate) fn findings(
    results: &RunResults,
    totals: &[StepTotals],
    basis: Basis,
    knee: Option<&Knee>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    outcome(results, &mut out);
    generator(results, &mut out);
    // A throttled target or locked accounts explain the failures and latencies below.
    for text in super::limits::limit_findings(results) {
        out.push(finding(Tone::Bad, text));
    }
    criteria(results, &mut out);
    scaling(totals, basis, knee, &mut out);
    slowest(results, totals, &mut out);
    if let Some(text) = super::server_timing::peak_finding(results, totals) {
        out.push(finding(Tone::Info, text));
    }
    failures(results, totals, basis, &mut out);
    cut_off(results, totals, &mut out);
    for warning in &results.run.warnings {
        out.push(finding(Tone::Warn, format!("Run warning: {warning}.")));
    }
    out
}

fn step_name(t: &StepTotals) -> String {
    format!("step {} ({})", t.step + 1, threads(t.users))
}

fn outcome(results: &RunResults, out: &mut Vec<Finding>) {
    let planned = results.plan.steps.len();
    let ran = results.steps.len();
    let reason = results
        .run
        .status_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match results.run.status {
        RunStatus::Completed => {}
        RunStatus::Running => out.push(finding(
            Tone::Bad,
            format!(
                "These results are a checkpoint of a run that did not finish (it was killed after \
                 step {ran} of {planned})."
            ),
        )),
        RunStatus::Interrupted => out.push(finding(
            Tone::Bad,
            format!(
                "The run was interrupted during step {ran} of {planned}{reason}; the steps \
                 after it did not run."
            ),
        )),
        RunStatus::Aborted => out.push(finding(
            Tone::Bad,
            format!("The run was aborted after step {ran} of {planned}{reason}."),
        )),
    }
}

/// Steps where the load generator or its machine was the limit come first after the outcome:
/// they qualify every other number of those steps. Each says who took the CPU.
fn generator(results: &RunResults, out: &mut Vec<Finding>) {
    for step in &results.steps {
        let Some(g) = step.generator.as_ref() else {
            continue;
        };
        let cause = g.saturation();
        let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
        let what = match cause {
            SaturationCause::None => continue,
            SaturationCause::Generator => "measured the load generator as much as the target",
            SaturationCause::SameProcess | SaturationCause::OtherProcesses => {
                "ran on a saturated machine: its times include waiting for the CPU"
            }
        };
        out.push(finding(
            Tone::Bad,
            format!(
                "Step {} ({}) {what} ({}{}): {}.",
                step.index + 1,
                threads(users),
                cause.flag().to_lowercase(),
                cause.mark(),
                g.describe()
            ),
        ));
    }
}

fn criteria(results: &RunResults, out: &mut Vec<Finding>) {
    let Some(report) = &results.criteria else {
        return;
    };
    let multi = results.plan.scenarios.len() > 1;
    let mut passing = Vec::new();
    for row in &report.rows {
        let title = if multi {
            format!("{} · {}", row.scenario, row.title)
        } else {
            row.title.clone()
        };
        let first = |verdict| row.cells.iter().find(|c| c.verdict == verdict);
        if let Some(cell) = first(Verdict::Fail) {
            let measured = if cell.measured.is_some() {
                format!(
                    "{} against a threshold of {}",
                    cell.display, row.threshold_display
                )
            } else {
                "nothing was measured".to_owned()
            };
            out.push(finding(
                Tone::Bad,
                format!(
                    "{title} first fails at {} (step {}): {measured}.",
                    threads(cell.users),
                    cell.step + 1
                ),
            ));
        } else if let Some(cell) = first(Verdict::Warn) {
            out.push(finding(
                Tone::Warn,
                format!(
                    "{title} first misses its target of {} at {} (step {}): {}, within the \
                     threshold of {}.",
                    row.target_display,
                    threads(cell.users),
                    cell.step + 1,
                    cell.display,
                    row.threshold_display
                ),
            ));
        } else {
            passing.push(title);
        }
    }
    if passing.is_empty() {
        return;
    }
    let peak = report.steps.iter().map(|s| s.users).max().unwrap_or(0);
    let text = if passing.len() == report.rows.len() {
        format!(
            "All {} criteria meet their targets at every step, up to {}.",
            passing.len(),
            threads(peak)
        )
    } else if passing.len() == 1 {
        format!("{} meets its target at every step.", passing[0])
    } else if passing.len() <= 4 {
        format!("{} meet their targets at every step.", passing.join(", "))
    } else {
        format!(
            "{} other criteria meet their targets at every step.",
            passing.len()
        )
    };
    out.push(finding(Tone::Good, text));
}

fn scaling(totals: &[StepTotals], basis: Basis, knee: Option<&Knee>, out: &mut Vec<Finding>) {
    let noun = basis.noun();
    if let Some(k) = knee {
        out.push(finding(
            Tone::Warn,
            format!(
                "Throughput stops growing after {}: from {} to {} it changes {} ({} → {} \
                 {noun}/s) while p95 changes {} ({} → {}).",
                threads(k.at.users),
                threads(k.at.users),
                threads(k.next.users),
                format::change(k.next.throughput / k.at.throughput),
                format::per_s(k.at.throughput),
                format::per_s(k.next.throughput),
                format::change(k.next.p95 / k.at.p95.max(f64::MIN_POSITIVE)),
                format::time(k.at.p95),
                format::time(k.next.p95),
            ),
        ));
        return;
    }
    let measured: Vec<&StepTotals> = totals.iter().filter(|t| t.throughput > 0.0).collect();
    let (Some(low), Some(high)) = (
        measured.iter().min_by_key(|t| t.users),
        measured.iter().max_by_key(|t| t.users),
    ) else {
        return;
    };
    if measured.len() < 2 || low.users == high.users {
        return;
    }
    let text = if high.throughput > low.throughput * 1.1 {
        format!(
            "Throughput grows with the load, from {} {noun}/s at {} to {} {noun}/s at {} \
             ({:.1}× for {:.1}× the users); no knee within the tested range.",
            format::per_s(low.throughput),
            threads(low.users),
            format::per_s(high.throughput),
            threads(high.users),
            high.throughput / low.throughput,
            f64::from(high.users) / f64::from(low.users)
        )
    } else {
        format!(
            "Throughput stays near {} {noun}/s from {} to {} while p95 stays within 10% \
             ({} → {}): the added users did not add work (think times or fixed iterations) \
             rather than saturating the target.",
            format::per_s(low.throughput),
            threads(low.users),
            threads(high.users),
            format::time(low.p95),
            format::time(high.p95)
        )
    };
    out.push(finding(Tone::Info, text));
}

fn slowest(results: &RunResults, totals: &[StepTotals], out: &mut Vec<Finding>) {
    let Some(peak) = totals
        .iter()
        .filter(|t| t.count > 0)
        .max_by_key(|t| t.users)
    else {
        return;
    };
    let Some(step) = results.steps.iter().find(|s| s.index == peak.step) else {
        return;
    };
    let multi = step.scenarios.len() > 1;
    let mut labels: Vec<(String, &LabelSummary)> = Vec::new();
    let mut kind = "transactions";
    for s in &step.scenarios {
        for l in &s.transactions {
            labels.push((s.scenario.clone(), l));
        }
    }
    if labels.is_empty() {
        kind = "requests";
        for s in &step.scenarios {
            for l in &s.requests {
                labels.push((s.scenario.clone(), l));
            }
        }
    }
    labels.retain(|(_, l)| l.count > 0);
    if labels.len() < 2 {
        return;
    }
    labels.sort_by(|a, b| b.1.p95_ms.total_cmp(&a.1.p95_ms));
    let list: Vec<String> = labels
        .iter()
        .take(3)
        .map(|(scenario, l)| {
            let name = if multi {
                format!("{scenario} · {}", l.label)
            } else {
                l.label.clone()
            };
            format!("{name} {}", format::time(l.p95_ms))
        })
        .collect();
    let at = if totals.len() > 1 {
        format!("at the peak load, {}", step_name(peak))
    } else {
        "in the run".to_owned()
    };
    out.push(finding(
        Tone::Info,
        format!("Slowest {kind} {at}, by p95: {}.", list.join(", ")),
    ));
}

fn failures(results: &RunResults, totals: &[StepTotals], basis: Basis, out: &mut Vec<Finding>) {
    let all: u64 = totals.iter().map(|t| t.count).sum();
    let failed: u64 = totals.iter().map(|t| t.failures).sum();
    let noun = basis.noun();
    if all == 0 {
        out.push(finding(
            Tone::Bad,
            format!("No {noun} were measured in any step."),
        ));
        return;
    }
    if failed == 0 {
        out.push(finding(
            Tone::Good,
            format!(
                "None of the {} {noun} failed, in any step.",
                format::count(all)
            ),
        ));
    } else {
        if totals.len() > 1
            && let Some(first) = totals.iter().find(|t| t.failures > 0)
            && first.step != totals[0].step
        {
            out.push(finding(
                Tone::Warn,
                format!(
                    "Failures start at {}: {} of its {noun} failed.",
                    step_name(first),
                    format::percent(first.error_rate())
                ),
            ));
        }
        // Failure hotspots: labels with the most failures over the whole run.
        struct Hotspot {
            label: String,
            failed: u64,
            count: u64,
            kinds: Vec<(ErrorKind, u64)>,
        }
        let mut labels: Vec<Hotspot> = Vec::new();
        for s in results.steps.iter().flat_map(|s| &s.scenarios) {
            let list = match basis {
                Basis::Requests => &s.requests,
                Basis::Iterations => &s.transactions,
            };
            for l in list {
                let i = match labels.iter().position(|h| h.label == l.label) {
                    Some(i) => i,
                    None => {
                        labels.push(Hotspot {
                            label: l.label.clone(),
                            failed: 0,
                            count: 0,
                            kinds: Vec::new(),
                        });
                        labels.len() - 1
                    }
                };
                let entry = &mut labels[i];
                entry.failed += l.failures;
                entry.count += l.count;
                for e in &l.errors {
                    match entry.kinds.iter_mut().find(|(k, _)| *k == e.kind) {
                        Some(k) => k.1 += e.count,
                        None => entry.kinds.push((e.kind, e.count)),
                    }
                }
            }
        }
        labels.retain(|h| h.failed > 0);
        labels.sort_by_key(|h| std::cmp::Reverse(h.failed));
        let list: Vec<String> = labels
            .iter()
            .take(3)
            .map(|h| {
                let main = h
                    .kinds
                    .iter()
                    .max_by_key(|k| k.1)
                    .map(|k| format!(", mostly {}", k.0))
                    .unwrap_or_default();
                format!(
                    "{} ({} of {}, {}{main})",
                    h.label,
                    format::count(h.failed),
                    format::count(h.count),
                    format::percent(h.failed as f64 / h.count.max(1) as f64)
                )
            })
            .collect();
        let overall = format!(
            "{} of {} {noun} failed ({})",
            format::count(failed),
            format::count(all),
            format::percent(failed as f64 / all as f64)
        );
        let text = if list.is_empty() {
            format!("{overall}.")
        } else {
            format!("{overall}; most failures: {}.", list.join("; "))
        };
        out.push(finding(Tone::Bad, text));
    }
    // Hung transactions and deadlocks matter on their own (the case study's "database
    // deadlock" criterion), whatever their share.
    let mut stuck = [
        (ErrorKind::Hung, 0u64, None),
        (ErrorKind::Deadlock, 0u64, None),
    ];
    for step in &results.steps {
        for e in step
            .scenarios
            .iter()
            .flat_map(|s| &s.transactions)
            .flat_map(|t| &t.errors)
        {
            if let Some(slot) = stuck.iter_mut().find(|s| s.0 == e.kind) {
                slot.1 += e.count;
                slot.2.get_or_insert(step.index);
            }
        }
    }
    for (kind, count, first) in stuck {
        if let (true, Some(first)) = (count > 0, first) {
            let what = if kind == ErrorKind::Hung {
                "ran past their hung-after limit and were cancelled"
            } else {
                "were classified as database deadlocks"
            };
            out.push(finding(
                Tone::Bad,
                format!(
                    "{} transactions {what}, first at step {}.",
                    format::count(count),
                    first + 1
                ),
            ));
        }
    }
}

fn cut_off(results: &RunResults, totals: &[StepTotals], out: &mut Vec<Finding>) {
    let cut: Vec<String> = totals
        .iter()
        .filter(|t| t.interrupted_iterations > 0)
        .map(|t| {
            format!(
                "{} {}",
                format::count(t.interrupted_iterations),
                step_name(t)
            )
        })
        .collect();
    if !cut.is_empty() {
        out.push(finding(
            Tone::Info,
            format!(
                "Iterations were cut off at the step's hard stop (after the graceful stop of {}): \
                 {}. They are not counted as failures.",
                format::duration(results.plan.graceful_stop_s),
                cut.join(", ")
            ),
        ));
    }
    for step in &results.steps {
        let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
        let reason = step
            .status_reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        let text = match step.status {
            StepStatus::Completed => None,
            StepStatus::Interrupted => Some(format!(
                "Step {} was cut short{reason}; its statistics cover {} instead of the planned \
                 hold.",
                step.index + 1,
                format::duration(step.measured_s)
            )),
            StepStatus::Aborted => Some(format!(
                "Step {} ({}) was aborted early{reason}.",
                step.index + 1,
                threads(users)
            )),
            StepStatus::TargetUnavailable => Some(format!(
                "Step {} did not run: the target did not answer its health check{reason}.",
                step.index + 1
            )),
        };
        if let Some(text) = text {
            out.push(finding(Tone::Bad, text));
        }
        if let Some(h) = &step.health
            && let Some(down) = h.down_s.filter(|_| h.healthy)
        {
            let recovery = h
                .recovery
                .as_ref()
                .map(|r| format!(" after the recovery command `{}`", r.command))
                .unwrap_or_default();
            out.push(finding(
                Tone::Warn,
                format!(
                    "Before step {} the target was down for {}; it answered again{recovery}.",
                    step.index + 1,
                    format::duration(down)
                ),
            ));
        }
    }
}
