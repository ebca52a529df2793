//! The report's charts, built from the results: what each plots, its series, bands, markers
//! and captions. Drawing is `svg`'s job; this module decides the content.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::downsample::{MAX_POINTS, Point, Reduce, downsample};
use super::format;
use super::knee::Knee;
use super::svg::{self, Band, BarChart, LineChart, RED, Series, Stack, Style, Unit, VLine, XAxis};
use super::totals::{Basis, StepTotals};
use loadspec_results::model::{RunResults, TimePoint};

/// One chart of the report.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// Anchor id.
    pub(crate) id: String,
    /// Heading.
    pub(crate) title: String,
    /// What it shows and how it was derived.
    pub(crate) caption: String,
    /// The `<svg>` markup (escaped by the builders).
    pub(crate) svg: String,
    /// Spans the full width (time charts) rather than half.
    pub(crate) wide: bool,
}

/// Transactions drawn on the response-time chart at most (the busiest ones).
const MAX_TRANSACTIONS: usize = 6;
/// Steps drawn on the percentile chart at most.
const MAX_DISTRIBUTIONS: usize = 8;
/// Hover columns on a time chart.
const HOVER_COLUMNS: usize = 120;

const WIDE: f64 = 960.0;
const HALF: f64 = 470.0;

/// Every chart the results support, in reading order. Charts without data are left out
/// rather than drawn empty.
pub(crate) fn charts(
    results: &RunResults,
    totals: &[StepTotals],
    basis: Basis,
    knee: Option<&Knee>,
) -> Vec<Chart> {
    let time = TimeAxis::new(results);
    let mut out = Vec::new();
    out.extend(response_times(results, &time));
    out.extend(throughput_over_time(results, &time));
    out.extend(active_users(results, &time));
    out.extend(scalability(totals, basis, knee));
    out.extend(transactions_by_step(results, totals));
    out.extend(super::server_timing::chart(results, totals));
    out.extend(percentiles(totals, basis));
    out.extend(status_codes(totals, basis));
    out
}

/// The shared x axis of the time charts: elapsed run time, step bands, hover columns.
#[derive(Debug)]
pub(crate) struct TimeAxis {
    axis: XAxis,
    bands: Vec<Band>,
    hover: Vec<(f64, String)>,
}

impl TimeAxis {
    pub(crate) fn new(results: &RunResults) -> Self {
        let last_tick = results
            .steps
            .iter()
            .flat_map(|s| &s.scenarios)
            .flat_map(|s| s.time_series.last())
            .map(|p| p.t_s)
            .fold(0.0, f64::max);
        let max = results.run.duration_s.max(last_tick).max(1.0);
        let step = [
            1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
            7200.0, 14400.0, 21600.0, 43200.0, 86400.0,
        ]
        .into_iter()
        .find(|s| max / s <= 8.0)
        .unwrap_or(86400.0);
        let ticks = (0..=(max / step).floor() as usize)
            .map(|i| {
                let t = i as f64 * step;
                (t, format::elapsed(t))
            })
            .collect();
        let mut bands = Vec::new();
        for (i, step) in results.steps.iter().enumerate() {
            let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
            bands.push(Band {
                x0: step.offset_s,
                x1: step.offset_s + step.duration_s,
                label: Some(threads(users)),
                label_inside: false,
                class: if i % 2 == 0 { "band-step" } else { "band-alt" },
            });
            let measured_from = step.measured_from_s.min(step.duration_s);
            let warmup = warmup_s(results, step).min(measured_from);
            if measured_from - warmup > 0.0 {
                bands.push(Band {
                    x0: step.offset_s,
                    x1: step.offset_s + measured_from - warmup,
                    label: None,
                    label_inside: false,
                    class: "band-ramp",
                });
            }
            if warmup > 0.0 {
                bands.push(Band {
                    x0: step.offset_s + measured_from - warmup,
                    x1: step.offset_s + measured_from,
                    label: Some("warm-up".to_owned()),
                    label_inside: true,
                    class: "band-warmup",
                });
            }
        }
        let start = humantime::parse_rfc3339_weak(&results.run.started_at).ok();
        let hover = (0..HOVER_COLUMNS)
            .map(|i| {
                let t = (i as f64 + 0.5) * max / HOVER_COLUMNS as f64;
                (t, time_heading(results, start, t))
            })
            .collect();
        Self {
            axis: XAxis {
                min: 0.0,
                max,
                ticks,
                title: "elapsed time (m:ss)".to_owned(),
            },
            bands,
            hover,
        }
    }

    pub(crate) fn chart(&self, label: &str, unit: Unit, series: Vec<Series>) -> String {
        LineChart {
            label: label.to_owned(),
            width: WIDE,
            height: 300.0,
            x: self.axis.clone(),
            unit,
            series,
            bands: self.bands.clone(),
            markers: Vec::new(),
            hover: self.hover.clone(),
        }
        .render()
    }

    /// A full-width time chart of `series`, or `None` when there is nothing to draw.
    pub(crate) fn wide_chart(
        &self,
        id: &str,
        title: &str,
        caption: &str,
        unit: Unit,
        mut series: Vec<Series>,
    ) -> Option<Chart> {
        drawable(&mut series).then(|| Chart {
            id: id.to_owned(),
            title: title.to_owned(),
            caption: caption.to_owned(),
            svg: self.chart(title, unit, series),
            wide: true,
        })
    }
}

/// Whether a time chart has something to draw: a line needs two points. Lone points (a
/// series with fewer than three) get markers so they stay visible.
pub(crate) fn drawable(series: &mut [Series]) -> bool {
    for s in series.iter_mut() {
        if s.points.iter().filter(|p| p.1.is_some()).count() < 3 {
            s.markers = true;
        }
    }
    series
        .iter()
        .any(|s| s.points.iter().filter(|p| p.1.is_some()).count() >= 2)
}

/// `+1:05 · 12:41:32 UTC · step 2, 4 threads` (or `cooldown`).
fn time_heading(results: &RunResults, start: Option<SystemTime>, t: f64) -> String {
    let mut heading = format!("+{}", format::elapsed(t));
    if let Some(clock) = format::clock(start, t) {
        heading.push_str(&format!(" · {clock} UTC"));
    }
    match results
        .steps
        .iter()
        .find(|s| t >= s.offset_s && t <= s.offset_s + s.duration_s)
    {
        Some(step) => {
            let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
            let measured_from = step.offset_s + step.measured_from_s;
            let phase = if t >= measured_from {
                ""
            } else if t >= measured_from - warmup_s(results, step) {
                " (warm-up)"
            } else {
                " (ramp-up)"
            };
            heading.push_str(&format!(
                " · step {}, {}{phase}",
                step.index + 1,
                threads(users),
            ));
        }
        None => heading.push_str(" · between steps"),
    }
    heading
}

/// The planned warm-up of a step (its measured window starts after it), 0 without one.
fn warmup_s(results: &RunResults, step: &loadspec_results::model::StepResult) -> f64 {
    results
        .plan
        .steps
        .iter()
        .find(|p| p.index == step.index)
        .map_or(0.0, |p| p.warmup_s)
}

/// `1 thread`, `50 threads`.
pub(crate) fn threads(users: u32) -> String {
    if users == 1 {
        "1 thread".to_owned()
    } else {
        format!("{} threads", format::count(u64::from(users)))
    }
}

/// The names of the scenarios, in order of first appearance.
fn scenario_names(results: &RunResults) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in results.steps.iter().flat_map(|s| &s.scenarios) {
        if !names.contains(&s.scenario) {
            names.push(s.scenario.clone());
        }
    }
    names
}

/// One value per tick of `scenario` across the run, with a gap between steps; ticks where
/// `value` gives nothing are skipped (no completions in that second), not gaps.
fn ticks(
    results: &RunResults,
    scenario: &str,
    value: impl Fn(&TimePoint) -> Option<f64>,
) -> Vec<Point> {
    let mut points = Vec::new();
    for step in &results.steps {
        let Some(s) = step.scenarios.iter().find(|s| s.scenario == scenario) else {
            continue;
        };
        if !points.is_empty() {
            points.push((step.offset_s, None));
        }
        points.extend(
            s.time_series
                .iter()
                .map(|p| (p.t_s, value(p)))
                .filter(|p| p.1.is_some()),
        );
    }
    points
}

fn named(multi: bool, scenario: &str, name: &str) -> String {
    if multi {
        format!("{scenario} · {name}")
    } else {
        name.to_owned()
    }
}

fn response_times(results: &RunResults, time: &TimeAxis) -> Option<Chart> {
    let scenarios = scenario_names(results);
    let multi = scenarios.len() > 1;
    // The busiest transactions, kept in order of first appearance.
    let mut counts: Vec<(String, String, u64)> = Vec::new();
    for s in results.steps.iter().flat_map(|s| &s.scenarios) {
        for tx in &s.transactions {
            match counts
                .iter_mut()
                .find(|(sc, name, _)| *sc == s.scenario && *name == tx.label)
            {
                Some(entry) => entry.2 += tx.count,
                None => counts.push((s.scenario.clone(), tx.label.clone(), tx.count)),
            }
        }
    }
    let all = counts.len();
    let mut busiest: Vec<usize> = (0..all).collect();
    busiest.sort_by_key(|&i| std::cmp::Reverse(counts[i].2));
    busiest.truncate(MAX_TRANSACTIONS);
    busiest.sort_unstable();
    let mut series = Vec::new();
    let mut push = |name: String, color: &str, style, points: Vec<Point>| {
        if points.iter().any(|p| p.1.is_some()) {
            series.push(Series {
                name,
                color: color.to_owned(),
                style,
                points: downsample(&points, MAX_POINTS, Reduce::MinMax),
                markers: false,
            });
        }
    };
    let what;
    if busiest.is_empty() {
        what = "request".to_owned();
        for (i, scenario) in scenarios.iter().enumerate() {
            let has = |p: &TimePoint| p.requests > 0;
            let p95 = ticks(results, scenario, |p| has(p).then_some(p.p95_ms));
            let p50 = ticks(results, scenario, |p| has(p).then_some(p.p50_ms));
            push(
                named(multi, scenario, "p95"),
                svg::color(i),
                Style::Line,
                p95,
            );
            push(
                named(multi, scenario, "p50"),
                svg::color(i),
                Style::Dashed,
                p50,
            );
        }
    } else {
        what = "transaction".to_owned();
        for (color, &i) in busiest.iter().enumerate() {
            let (scenario, tx, _) = &counts[i];
            let of = |p: &TimePoint| p.transactions.get(tx).filter(|t| t.count > 0).cloned();
            let p95 = ticks(results, scenario, |p| of(p).map(|t| t.p95_ms));
            let p50 = ticks(results, scenario, |p| of(p).map(|t| t.p50_ms));
            let c = svg::color(color);
            push(
                named(multi, scenario, &format!("{tx} p95")),
                c,
                Style::Line,
                p95,
            );
            push(
                named(multi, scenario, &format!("{tx} p50")),
                c,
                Style::Dashed,
                p50,
            );
        }
    }
    if !drawable(&mut series) {
        return None;
    }
    let mut caption = format!(
        "95th percentile (solid) and median (dashed) per {what}, per tick of the time series. \
         Shaded columns are the steps (darker: ramp-up; amber: warm-up — neither is counted in the step's statistics)."
    );
    if all > MAX_TRANSACTIONS {
        caption.push_str(&format!(
            " Showing the {MAX_TRANSACTIONS} busiest of {all} transactions; the per-step tables list all."
        ));
    }
    caption.push_str(DOWNSAMPLED);
    Some(Chart {
        id: "chart-response-times".into(),
        title: "Response times over time".into(),
        caption,
        svg: time.chart("Response times over time", Unit::Millis, series),
        wide: true,
    })
}

const DOWNSAMPLED: &str = " Long runs are downsampled to at most 600 points per series \
    (lowest and highest value of each bucket kept, so spikes stay visible).";
const DOWNSAMPLED_MEAN: &str = " Long runs are downsampled to at most 600 points per series \
    (each bucket averaged, so rates keep their totals).";

fn throughput_over_time(results: &RunResults, time: &TimeAxis) -> Option<Chart> {
    let scenarios = scenario_names(results);
    let multi = scenarios.len() > 1;
    let mut series = Vec::new();
    let mut failures = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let rate = |n: u64, p: &TimePoint| (p.width_s > 0.0).then(|| n as f64 / p.width_s);
        let requests = ticks(results, scenario, |p| rate(p.requests, p));
        let failed = ticks(results, scenario, |p| rate(p.failures, p));
        series.push(Series {
            name: named(multi, scenario, "requests/s"),
            color: svg::color(i).to_owned(),
            style: Style::Area,
            points: downsample(&requests, MAX_POINTS, Reduce::Mean),
            markers: false,
        });
        failures.push(Series {
            name: named(multi, scenario, "failed/s"),
            color: RED.to_owned(),
            style: if i == 0 { Style::Line } else { Style::Dashed },
            points: downsample(&failed, MAX_POINTS, Reduce::Mean),
            markers: false,
        });
    }
    series.extend(failures);
    let any = series
        .iter()
        .any(|s| s.points.iter().any(|p| p.1.is_some_and(|v| v > 0.0)));
    if !any || !drawable(&mut series) {
        return None;
    }
    Some(Chart {
        id: "chart-throughput".into(),
        title: "Throughput and errors over time".into(),
        caption: format!(
            "Requests completed per second and failed requests per second (red), per tick.{}",
            DOWNSAMPLED_MEAN
        ),
        svg: time.chart("Throughput and errors over time", Unit::PerSecond, series),
        wide: true,
    })
}

fn active_users(results: &RunResults, time: &TimeAxis) -> Option<Chart> {
    let scenarios = scenario_names(results);
    let multi = scenarios.len() > 1;
    let mut series: Vec<Series> = scenarios
        .iter()
        .enumerate()
        .map(|(i, scenario)| {
            let points = ticks(results, scenario, |p| Some(f64::from(p.active_users)));
            Series {
                name: named(multi, scenario, "active users"),
                color: svg::color(i).to_owned(),
                style: Style::Steps,
                points: downsample(&points, MAX_POINTS, Reduce::MinMax),
                markers: false,
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    if !drawable(&mut series) {
        return None;
    }
    Some(Chart {
        id: "chart-active-users".into(),
        title: "Active users over time".into(),
        caption: "Users running at the end of each tick: the load profile as it was applied."
            .into(),
        svg: time.chart("Active users over time", Unit::Users, series),
        wide: true,
    })
}

/// Column labels and tooltip headings of per-step category charts.
fn step_categories(totals: &[StepTotals]) -> (Vec<String>, Vec<(f64, String)>) {
    let labels = totals
        .iter()
        .map(|t| format::count(u64::from(t.users)))
        .collect();
    let hover = totals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                i as f64,
                format!("Step {} · {}", t.step + 1, threads(t.users)),
            )
        })
        .collect();
    (labels, hover)
}

pub(crate) fn category_chart(
    label: &str,
    totals: &[StepTotals],
    unit: Unit,
    series: Vec<Series>,
    knee: Option<&Knee>,
) -> String {
    let (labels, hover) = step_categories(totals);
    let markers = knee
        .and_then(|k| totals.iter().position(|t| t.step == k.at.step))
        .map(|i| VLine {
            x: i as f64,
            label: format!("knee · {}", threads(totals[i].users)),
        })
        .into_iter()
        .collect();
    LineChart {
        label: label.to_owned(),
        width: HALF,
        height: 280.0,
        x: XAxis::categories(&labels, "threads (users per step)"),
        unit,
        series,
        bands: Vec::new(),
        markers,
        hover,
    }
    .render()
}

fn per_step(totals: &[StepTotals], value: impl Fn(&StepTotals) -> f64) -> Vec<Point> {
    totals
        .iter()
        .enumerate()
        .map(|(i, t)| (i as f64, (t.count > 0).then(|| value(t))))
        .collect()
}

fn scalability(totals: &[StepTotals], basis: Basis, knee: Option<&Knee>) -> Vec<Chart> {
    if totals.len() < 2 {
        return Vec::new();
    }
    let noun = basis.noun();
    let knee_text = match knee {
        Some(k) => format!(
            " The dashed line marks the knee: the last step before throughput stopped growing \
             (from {} to {} it changed {} while p95 changed {}).",
            threads(k.at.users),
            threads(k.next.users),
            format::change(k.next.throughput / k.at.throughput),
            format::change(k.next.p95 / k.at.p95.max(f64::MIN_POSITIVE)),
        ),
        None => " No knee: throughput kept growing (by more than 10% per step) or latency \
                 stayed flat."
            .to_owned(),
    };
    let line = |name: &str, color: &str, points| Series {
        name: name.to_owned(),
        color: color.to_owned(),
        style: Style::Line,
        points,
        markers: true,
    };
    let throughput = vec![
        line(
            &format!("{noun}/s"),
            svg::color(0),
            per_step(totals, |t| t.throughput),
        ),
        line(
            "failed/s",
            RED,
            per_step(totals, |t| t.throughput * t.error_rate()),
        ),
    ];
    let latency = vec![
        line("p50", svg::color(4), per_step(totals, |t| t.p50)),
        line("p95", svg::color(0), per_step(totals, |t| t.p95)),
        line("p99", svg::color(3), per_step(totals, |t| t.p99)),
    ];
    vec![
        Chart {
            id: "chart-scalability-throughput".into(),
            title: "Throughput versus threads".into(),
            caption: format!(
                "All {noun} per second over each step's measured window, one point per step.{knee_text}"
            ),
            svg: category_chart(
                "Throughput versus threads",
                totals,
                Unit::PerSecond,
                throughput,
                knee,
            ),
            wide: false,
        },
        Chart {
            id: "chart-scalability-latency".into(),
            title: "Latency versus threads".into(),
            caption: format!(
                "Median, 95th and 99th percentile of all {noun} at each step (from the merged \
                 histograms). Rising latency with flat throughput means users are queueing."
            ),
            svg: category_chart(
                "Latency versus threads",
                totals,
                Unit::Millis,
                latency,
                knee,
            ),
            wide: false,
        },
    ]
}

fn transactions_by_step(results: &RunResults, totals: &[StepTotals]) -> Option<Chart> {
    if totals.len() < 2 {
        return None;
    }
    let multi = scenario_names(results).len() > 1;
    let mut keys: Vec<(String, String, u64)> = Vec::new();
    for s in results.steps.iter().flat_map(|s| &s.scenarios) {
        for tx in &s.transactions {
            match keys
                .iter_mut()
                .find(|(sc, name, _)| *sc == s.scenario && *name == tx.label)
            {
                Some(k) => k.2 += tx.count,
                None => keys.push((s.scenario.clone(), tx.label.clone(), tx.count)),
            }
        }
    }
    if keys.is_empty() {
        return None;
    }
    let all = keys.len();
    let mut busiest = keys.clone();
    busiest.sort_by_key(|k| std::cmp::Reverse(k.2));
    busiest.truncate(svg::PALETTE.len());
    keys.retain(|k| busiest.contains(k));
    let series = keys
        .iter()
        .enumerate()
        .map(|(i, (scenario, tx, _))| {
            let points = results
                .steps
                .iter()
                .enumerate()
                .map(|(x, step)| {
                    let value = step
                        .scenarios
                        .iter()
                        .find(|s| &s.scenario == scenario)
                        .and_then(|s| s.transactions.iter().find(|t| &t.label == tx))
                        .filter(|t| t.count > 0)
                        .map(|t| t.p95_ms);
                    (x as f64, value)
                })
                .collect();
            Series {
                name: named(multi, scenario, tx),
                color: svg::color(i).to_owned(),
                style: Style::Line,
                points,
                markers: true,
            }
        })
        .collect();
    let mut caption =
        "95th percentile of each transaction at each step: which transaction degrades first as \
         load grows."
            .to_owned();
    if all > keys.len() {
        caption.push_str(&format!(" Showing the {} busiest of {all}.", keys.len()));
    }
    Some(Chart {
        id: "chart-transactions".into(),
        title: "Transaction p95 per step".into(),
        caption,
        svg: category_chart(
            "Transaction p95 per step",
            totals,
            Unit::Millis,
            series,
            None,
        ),
        wide: false,
    })
}

/// Quantiles with a tick and a hover column on the percentile chart, as `(x, label)` where
/// x = log10(1 / (1 - q)).
const PERCENTILE_MARKS: [(f64, &str); 8] = [
    (0.0, "min"),
    (0.5, "p50"),
    (0.75, "p75"),
    (0.9, "p90"),
    (0.95, "p95"),
    (0.99, "p99"),
    (0.999, "p99.9"),
    (0.9999, "p99.99"),
];

fn spectrum_x(q: f64) -> f64 {
    (1.0 / (1.0 - q)).log10()
}

fn percentiles(totals: &[StepTotals], basis: Basis) -> Option<Chart> {
    let measured: Vec<&StepTotals> = totals
        .iter()
        .filter(|t| t.histogram.as_ref().is_some_and(|h| !h.is_empty()))
        .collect();
    if measured.is_empty() {
        return None;
    }
    // At most MAX_DISTRIBUTIONS steps, evenly spread, always with the first and the last.
    let picked: Vec<&StepTotals> = if measured.len() <= MAX_DISTRIBUTIONS {
        measured.clone()
    } else {
        let last = measured.len() - 1;
        let mut idx: Vec<usize> = (0..MAX_DISTRIBUTIONS)
            .map(|i| (i * last + (MAX_DISTRIBUTIONS - 1) / 2) / (MAX_DISTRIBUTIONS - 1))
            .collect();
        idx.dedup();
        idx.into_iter().map(|i| measured[i]).collect()
    };
    let samples = picked.iter().map(|t| t.count).max().unwrap_or(1).max(10);
    // Beyond 1/count the spectrum is just the maximum; stop there (at most p99.999).
    let x_max = (samples as f64).log10().min(5.0);
    let colors = svg::load_ramp(picked.len());
    let series = picked
        .iter()
        .zip(colors)
        .map(|(t, color)| {
            let points = t.histogram.as_ref().map_or_else(Vec::new, |h| {
                (0..=100)
                    .map(|i| {
                        let x = x_max * f64::from(i) / 100.0;
                        let value = if i == 100 {
                            h.max()
                        } else {
                            h.value_at_quantile(1.0 - 10f64.powf(-x))
                        };
                        (x, Some(value as f64 / 1000.0))
                    })
                    .collect()
            });
            Series {
                name: format!("step {} · {}", t.step + 1, threads(t.users)),
                color,
                style: Style::Line,
                points,
                markers: false,
            }
        })
        .collect();
    let marks: Vec<(f64, String)> = PERCENTILE_MARKS
        .iter()
        .map(|(q, label)| (spectrum_x(*q), (*label).to_owned()))
        .filter(|(x, _)| *x < x_max - 0.05)
        .chain(std::iter::once((x_max, "max".to_owned())))
        .collect();
    let ticks = marks
        .iter()
        .filter(|(_, l)| {
            matches!(
                l.as_str(),
                "min" | "p90" | "p99" | "p99.9" | "p99.99" | "max"
            )
        })
        .cloned()
        .collect();
    let svg = LineChart {
        label: "Response time percentiles".into(),
        width: HALF,
        height: 280.0,
        x: XAxis {
            min: 0.0,
            max: x_max,
            ticks,
            title: "percentile (log scale)".into(),
        },
        unit: Unit::Millis,
        series,
        bands: Vec::new(),
        markers: Vec::new(),
        hover: marks,
    }
    .render();
    let mut caption = format!(
        "The percentile spectrum of all {} at each step, decoded from the stored HdrHistograms: \
         the x axis stretches the tail (90%, 99%, 99.9%…) where slow outliers live. Light \
         lines are low load, dark lines high load.",
        basis.noun()
    );
    if picked.len() < measured.len() {
        caption.push_str(&format!(
            " Showing {} of {} steps.",
            picked.len(),
            measured.len()
        ));
    }
    Some(Chart {
        id: "chart-percentiles".into(),
        title: "Response time percentiles".into(),
        caption,
        svg,
        wide: false,
    })
}

fn status_color(code: &str, nth_in_class: usize) -> String {
    let shades: &[&str] = match code.chars().next() {
        Some('2') => &["#16a34a", "#4ade80", "#15803d"],
        Some('3') => &["#0ea5e9", "#7dd3fc"],
        Some('4') => &["#f59e0b", "#fbbf24", "#d97706", "#fcd34d"],
        Some('5') => &["#dc2626", "#f87171", "#991b1b", "#fca5a5"],
        _ => &["#64748b"],
    };
    shades[nth_in_class % shades.len()].to_owned()
}

fn status_codes(totals: &[StepTotals], basis: Basis) -> Option<Chart> {
    if basis != Basis::Requests {
        return None;
    }
    let mut codes: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (i, t) in totals.iter().enumerate() {
        for (code, n) in &t.status_codes {
            codes
                .entry(code.as_str())
                .or_insert_with(|| vec![0.0; totals.len()])[i] = *n as f64;
        }
    }
    let no_response: Vec<f64> = totals
        .iter()
        .map(|t| t.count.saturating_sub(t.status_codes.values().sum()) as f64)
        .collect();
    let mut stacks = Vec::new();
    let mut class_seen: BTreeMap<char, usize> = BTreeMap::new();
    for (code, values) in codes {
        let class = code.chars().next().unwrap_or('?');
        let nth = class_seen.entry(class).or_insert(0);
        stacks.push(Stack {
            name: code.to_owned(),
            color: status_color(code, *nth),
            values,
        });
        *nth += 1;
    }
    if no_response.iter().any(|v| *v > 0.0) {
        stacks.push(Stack {
            name: "no response".into(),
            color: "#64748b".into(),
            values: no_response,
        });
    }
    if stacks.is_empty() {
        return None;
    }
    let (categories, hover) = step_categories(totals);
    let svg = BarChart {
        label: "Status codes per step".into(),
        width: HALF,
        height: 280.0,
        categories,
        headings: hover.into_iter().map(|h| h.1).collect(),
        x_title: "threads (users per step)".into(),
        unit: Unit::Count,
        stacks,
    }
    .render();
    Some(Chart {
        id: "chart-status-codes".into(),
        title: "Status codes per step".into(),
        caption: "Responses per HTTP status over each step's measured window. Results record \
                  status codes per step, not per tick, so this is a per-step view; \"no \
                  response\" counts requests that got no status (connect errors, timeouts)."
            .into(),
        svg,
        wide: false,
    })
}
