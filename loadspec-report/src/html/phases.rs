//! Where the time goes, phase by phase: for each request label the direct client timed, the
//! mean time per request split into dns, connect, tls, send, wait and receive (a stacked bar
//! whose segments add up to about the mean request time), and each phase's own statistics
//! over the requests that went through it.
//!
//! Every figure comes from the label's `phases` in the results; nothing is drawn for a label
//! without them (requests sent through reqwest).

use loadspec_results::model::{LabelSummary, ScenarioStepResult};
use loadspec_results::phases::{Phase, PhasesSummary};

use super::format;
use super::svg::{self, HBarChart, Stack, Unit};

/// One scenario step's breakdown: the chart and one table per label.
#[derive(Debug)]
pub(crate) struct PhaseBreakdown {
    /// The stacked bars, one per label.
    pub(crate) svg: String,
    pub(crate) labels: Vec<PhaseLabel>,
}

/// One label's phases.
#[derive(Debug)]
pub(crate) struct PhaseLabel {
    pub(crate) label: String,
    /// Requests measured phase by phase.
    pub(crate) requests: String,
    /// The phases' means per request added up.
    pub(crate) per_request: String,
    /// The label's mean request time, for comparison.
    pub(crate) mean: String,
    pub(crate) rows: Vec<PhaseRow>,
    /// "3 TLS handshakes, 1 resumed", when any request did one.
    pub(crate) tls: Option<String>,
}

/// One phase of one label.
#[derive(Debug)]
pub(crate) struct PhaseRow {
    pub(crate) phase: &'static str,
    /// Requests that went through it.
    pub(crate) count: String,
    pub(crate) mean: String,
    pub(crate) p95: String,
    pub(crate) p99: String,
    /// Its mean per measured request (its segment of the bar).
    pub(crate) per_request: String,
}

/// A phase's colour: fixed, so every step's chart reads the same.
fn color(phase: Phase) -> &'static str {
    match phase {
        Phase::Dns => svg::color(4),
        Phase::Connect => svg::color(2),
        Phase::Tls => svg::color(3),
        Phase::Send => svg::color(6),
        Phase::Wait => svg::color(0),
        Phase::Receive => svg::color(1),
    }
}

/// The breakdown of one scenario's step, if any of its request labels has phases. With more
/// than one such label, the scenario's total comes last.
pub(crate) fn breakdown(step: &ScenarioStepResult) -> Option<PhaseBreakdown> {
    let mut measured: Vec<(&LabelSummary, &PhasesSummary)> = step
        .requests
        .iter()
        .filter_map(|l| Some((l, l.phases.as_ref().filter(|p| p.requests > 0)?)))
        .collect();
    if measured.is_empty() {
        return None;
    }
    if measured.len() > 1
        && let Some(total) = step.total_requests.phases.as_ref()
        && total.requests > 0
    {
        measured.push((&step.total_requests, total));
    }
    // Phases no label went through (dns for an IP address, tls on http://) get no legend entry.
    let shown: Vec<Phase> = Phase::ALL
        .into_iter()
        .filter(|phase| measured.iter().any(|(_, p)| p.phases.contains_key(phase)))
        .collect();
    let chart = HBarChart {
        label: format!("Where the time goes per request: {}", step.scenario),
        width: 900.0,
        rows: measured.iter().map(|(l, _)| l.label.clone()).collect(),
        totals: measured
            .iter()
            .map(|(_, p)| format!("{} per request", format::time(sum_per_request(p))))
            .collect(),
        unit: Unit::Millis,
        stacks: shown
            .iter()
            .map(|&phase| Stack {
                name: phase.as_str().to_owned(),
                color: color(phase).to_owned(),
                values: measured
                    .iter()
                    .map(|(_, p)| p.mean_per_request_ms(phase))
                    .collect(),
            })
            .collect(),
    };
    Some(PhaseBreakdown {
        svg: chart.render(),
        labels: measured
            .iter()
            .map(|(label, phases)| label_view(label, phases))
            .collect(),
    })
}

/// The phases' means per request added up: about the mean request time.
fn sum_per_request(phases: &PhasesSummary) -> f64 {
    Phase::ALL
        .into_iter()
        .map(|phase| phases.mean_per_request_ms(phase))
        .sum()
}

fn label_view(label: &LabelSummary, phases: &PhasesSummary) -> PhaseLabel {
    PhaseLabel {
        label: label.label.clone(),
        requests: format::count(phases.requests),
        per_request: format::ms(sum_per_request(phases)),
        mean: format::ms(label.mean_ms),
        rows: Phase::ALL
            .into_iter()
            .filter_map(|phase| {
                let p = phases.phases.get(&phase)?;
                Some(PhaseRow {
                    phase: phase.as_str(),
                    count: format::count(p.count),
                    mean: format::ms(p.mean_ms),
                    p95: format::ms(p.p95_ms),
                    p99: format::ms(p.p99_ms),
                    per_request: format::ms(phases.mean_per_request_ms(phase)),
                })
            })
            .collect(),
        tls: phases.phases.get(&Phase::Tls).map(|tls| {
            format!(
                "{} TLS {}, {} resumed",
                format::count(tls.count),
                if tls.count == 1 {
                    "handshake"
                } else {
                    "handshakes"
                },
                format::count(phases.tls_resumed)
            )
        }),
    }
}
