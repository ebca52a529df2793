//! Where the time goes: the `Server-Timing` entries the target reported (what the case study
//! learned with cProfile, here on every response) beside the time the client measured. The
//! gap between the client's time and the server's own total is spent outside the
//! application: network, proxies, queues in front of it.
//!
//! Nothing here is drawn for a target that sends no `Server-Timing` header.

use std::collections::BTreeMap;

use super::charts::{Chart, category_chart};
use super::format;
use super::svg::{self, Series, Style, Unit};
use super::totals::StepTotals;
use loadspec_results::model::{LabelSummary, RunResults, ScenarioStepResult};

/// Entries shown at most (the most reported first): more lines would not be readable.
const MAX_ENTRIES: usize = 6;

/// The entry names of the run, most reported first.
pub(crate) fn entry_names(results: &RunResults) -> Vec<String> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for label in results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .flat_map(|s| &s.requests)
    {
        for (name, entry) in &label.server_timing {
            *counts.entry(name.as_str()).or_default() += entry.count;
        }
    }
    let mut names: Vec<(&str, u64)> = counts.into_iter().collect();
    names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    names
        .into_iter()
        .take(MAX_ENTRIES)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Mean client time and mean of each entry over `labels` (count-weighted), in ms; entries
/// that no label reported are `None`.
fn means<'a>(
    labels: impl Iterator<Item = &'a LabelSummary>,
    names: &[String],
) -> (Option<f64>, Vec<Option<f64>>) {
    let mut client = (0.0, 0_u64);
    let mut entries = vec![(0.0, 0_u64); names.len()];
    for label in labels.filter(|l| l.count > 0) {
        client.0 += label.mean_ms * label.count as f64;
        client.1 += label.count;
        for (i, name) in names.iter().enumerate() {
            if let Some(entry) = label.server_timing.get(name) {
                entries[i].0 += entry.mean_ms * entry.count as f64;
                entries[i].1 += entry.count;
            }
        }
    }
    let mean = |(sum, n): (f64, u64)| (n > 0).then(|| sum / n as f64);
    (mean(client), entries.into_iter().map(mean).collect())
}

/// "Server time versus threads": one point per step for the client's mean and each entry.
pub(crate) fn chart(results: &RunResults, totals: &[StepTotals]) -> Option<Chart> {
    let names = entry_names(results);
    if names.is_empty() || totals.len() < 2 {
        return None;
    }
    let per_step: Vec<(Option<f64>, Vec<Option<f64>>)> = totals
        .iter()
        .map(|t| {
            let labels = results
                .steps
                .iter()
                .filter(|s| s.index == t.step)
                .flat_map(|s| &s.scenarios)
                .flat_map(|s| &s.requests);
            means(labels, &names)
        })
        .collect();
    let line = |name: &str, color: &str, style, points: Vec<(f64, Option<f64>)>| Series {
        name: name.to_owned(),
        color: color.to_owned(),
        style,
        points,
        markers: true,
    };
    let mut series = vec![line(
        "client mean",
        svg::color(0),
        Style::Line,
        per_step
            .iter()
            .enumerate()
            .map(|(x, (client, _))| (x as f64, *client))
            .collect(),
    )];
    for (i, name) in names.iter().enumerate() {
        series.push(line(
            &format!("server {name}"),
            svg::color(i + 1),
            Style::Dashed,
            per_step
                .iter()
                .enumerate()
                .map(|(x, (_, entries))| (x as f64, entries[i]))
                .collect(),
        ));
    }
    Some(Chart {
        id: "chart-server-timing".into(),
        title: "Server time versus threads".into(),
        caption: "Mean time per request as the client measured it (solid) beside the \
                  Server-Timing entries the target reported (dashed), one point per step. The \
                  gap between the client's time and the server's total is spent outside the \
                  application: network, proxies, queues in front of it. An entry that grows \
                  with the threads (a database, a lock) is where the bottleneck lives."
            .into(),
        svg: category_chart(
            "Server time versus threads",
            totals,
            Unit::Millis,
            series,
            None,
        ),
        wide: false,
    })
}

/// One step's breakdown per request label.
#[derive(Debug)]
pub(crate) struct Breakdown {
    /// The entry names, in column order.
    pub(crate) names: Vec<String>,
    pub(crate) rows: Vec<BreakdownRow>,
}

/// One request label's client mean, entry means and the part no entry covers.
#[derive(Debug)]
pub(crate) struct BreakdownRow {
    pub(crate) label: String,
    pub(crate) client: String,
    pub(crate) entries: Vec<String>,
    /// Client mean minus the largest entry (usually the server's own total): time spent
    /// outside the application.
    pub(crate) outside: String,
}

/// The breakdown of one scenario's step, if its target reported any entry.
pub(crate) fn breakdown(step: &ScenarioStepResult, names: &[String]) -> Option<Breakdown> {
    let rows: Vec<BreakdownRow> = step
        .requests
        .iter()
        .filter(|l| l.count > 0 && !l.server_timing.is_empty())
        .map(|label| {
            let (client, entries) = means(std::iter::once(label), names);
            let client = client.unwrap_or(label.mean_ms);
            let largest = entries.iter().flatten().copied().fold(0.0, f64::max);
            BreakdownRow {
                label: label.label.clone(),
                client: format::ms(client),
                entries: entries
                    .iter()
                    .map(|e| e.map_or_else(|| "—".to_owned(), format::ms))
                    .collect(),
                outside: format::ms((client - largest).max(0.0)),
            }
        })
        .collect();
    (!rows.is_empty()).then(|| Breakdown {
        names: names.to_vec(),
        rows,
    })
}

/// At the peak load, where the request that took the most time in total spent it, by the
/// target's own account.
pub(crate) fn peak_finding(results: &RunResults, totals: &[StepTotals]) -> Option<String> {
    let names = entry_names(results);
    if names.is_empty() {
        return None;
    }
    let peak = totals
        .iter()
        .filter(|t| t.count > 0)
        .max_by_key(|t| t.users)?;
    let step = results.steps.iter().find(|s| s.index == peak.step)?;
    let label = step
        .scenarios
        .iter()
        .flat_map(|s| &s.requests)
        .filter(|l| l.count > 0 && !l.server_timing.is_empty())
        .max_by(|a, b| (a.mean_ms * a.count as f64).total_cmp(&(b.mean_ms * b.count as f64)))?;
    let parts: Vec<String> = names
        .iter()
        .filter_map(|name| {
            let entry = label.server_timing.get(name)?;
            let share = if label.mean_ms > 0.0 {
                format!(" ({})", format::percent(entry.mean_ms / label.mean_ms))
            } else {
                String::new()
            };
            Some(format!("{name} {}{share}", format::time(entry.mean_ms)))
        })
        .collect();
    let at = if totals.len() > 1 {
        format!(
            "At the peak load (step {}, {})",
            peak.step + 1,
            super::charts::threads(peak.users)
        )
    } else {
        "In the run".to_owned()
    };
    Some(format!(
        "{at}, {} took the most time in total: {} per request on average as the client saw \
         it, of which the target reported {} in Server-Timing.",
        label.label,
        format::time(label.mean_ms),
        parts.join(", ")
    ))
}
