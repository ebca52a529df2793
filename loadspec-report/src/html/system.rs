//! System usage: the load generator's CPU, memory, network and disk during the steps — what
//! the case study watched with dstat to make sure the testing machine was not the limit. The
//! charts appear only when the run recorded samples (`StepResult::system`); without them the
//! report has no "System usage" section at all.
//!
//! The target's Prometheus series (`StepResult::target_metrics`) are drawn here too, on the
//! same [`TimeAxis`]: gauges as scraped, counters as rates.

use super::charts::{Chart, TimeAxis};
use super::downsample::{MAX_POINTS, Point, Reduce, downsample};
use super::svg::{self, RED, Series, Style, Unit};
use loadspec_results::model::{RunResults, SystemSample};

/// The system usage charts, in reading order; empty without samples.
pub(crate) fn system_usage(results: &RunResults) -> Vec<Chart> {
    if results.steps.iter().all(|s| s.system.is_empty()) {
        return Vec::new();
    }
    let time = TimeAxis::new(results);
    let cpus = results.environment.cpus.max(1) as f64;
    let mut out = Vec::new();
    let mut add = |id: &str, title: &str, caption: &str, unit, mut series: Vec<Series>| {
        series.retain(|s| s.points.iter().any(|p| p.1.is_some_and(|v| v > 0.0)));
        out.extend(time.wide_chart(id, title, caption, unit, series));
    };
    add(
        "chart-system-cpu",
        "Load generator CPU",
        "Share of all cores in use, by kind, and the loadspec process's own share. A busy \
         generator (near 100%) delays requests and inflates response times: judge such steps \
         with care.",
        Unit::Percent,
        vec![
            line(results, "busy", svg::color(0), Style::Area, |s| {
                s.cpu_user + s.cpu_system + s.cpu_iowait
            }),
            line(results, "user", svg::color(4), Style::Line, |s| s.cpu_user),
            line(results, "system", svg::color(3), Style::Line, |s| {
                s.cpu_system
            }),
            line(results, "iowait", svg::color(6), Style::Line, |s| {
                s.cpu_iowait
            }),
            line(results, "loadspec process", RED, Style::Dashed, |s| {
                s.process_cpu / cpus
            }),
        ],
    );
    add(
        "chart-system-memory",
        "Load generator memory",
        "Memory in use on the machine (total minus available), the loadspec process's \
         resident memory and swap in use.",
        Unit::Bytes,
        vec![
            line(results, "used", svg::color(0), Style::Area, |s| {
                s.mem_used as f64
            }),
            line(results, "loadspec process", RED, Style::Dashed, |s| {
                s.process_rss as f64
            }),
            line(results, "swap", svg::color(6), Style::Line, |s| {
                s.swap_used as f64
            }),
        ],
    );
    add(
        "chart-system-network",
        "Load generator network",
        "Bytes per second over all interfaces, loopback included (a target on the same \
         machine talks over loopback).",
        Unit::BytesPerSecond,
        vec![
            line(results, "received", svg::color(2), Style::Area, |s| {
                s.net.iter().map(|n| n.rx_bps).sum()
            }),
            line(results, "sent", svg::color(1), Style::Line, |s| {
                s.net.iter().map(|n| n.tx_bps).sum()
            }),
        ],
    );
    add(
        "chart-system-disk",
        "Load generator disk",
        "Bytes per second read and written, all disks.",
        Unit::BytesPerSecond,
        vec![
            line(results, "read", svg::color(0), Style::Line, |s| {
                s.disk_read_bps
            }),
            line(results, "written", svg::color(1), Style::Line, |s| {
                s.disk_write_bps
            }),
        ],
    );
    out
}

/// One value per system sample across the run, a gap between steps.
fn line(
    results: &RunResults,
    name: &str,
    color: &str,
    style: Style,
    value: impl Fn(&SystemSample) -> f64,
) -> Series {
    let mut points: Vec<Point> = Vec::new();
    for step in results.steps.iter().filter(|s| !s.system.is_empty()) {
        if !points.is_empty() {
            points.push((step.offset_s, None));
        }
        points.extend(step.system.iter().map(|s| (s.t_s, Some(value(s)))));
    }
    Series {
        name: name.to_owned(),
        color: color.to_owned(),
        style,
        points: downsample(&points, MAX_POINTS, Reduce::MinMax),
        markers: false,
    }
}

/// The target's Prometheus series (`StepResult::target_metrics`), as scraped: gauges as they
/// are, counters (`…_total`) as a rate per second. At most one line per palette colour in
/// each chart, the first names in order; empty when nothing was scraped.
pub(crate) fn target_series(results: &RunResults) -> Vec<Chart> {
    let mut names: Vec<&str> = results
        .steps
        .iter()
        .flat_map(|s| &s.target_metrics)
        .flat_map(|sample| sample.series.keys())
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Vec::new();
    }
    let time = TimeAxis::new(results);
    let (counters, gauges): (Vec<&str>, Vec<&str>) = names.into_iter().partition(|n| is_counter(n));
    let mut out = Vec::new();
    for (id, title, caption, unit, names, rate) in [
        (
            "chart-target-gauges",
            "Target's gauges",
            "Gauges scraped from the target's Prometheus endpoint (requests in flight, pool \
             connections in use or waiting…): saturation shows here before it shows in \
             response times.",
            Unit::Count,
            gauges,
            false,
        ),
        (
            "chart-target-counters",
            "Target's counters, per second",
            "Counters scraped from the target's Prometheus endpoint, as the rate between two \
             scrapes (errors per second, database time per second…).",
            Unit::PerSecond,
            counters,
            true,
        ),
    ] {
        let series: Vec<Series> = names
            .iter()
            .take(svg::PALETTE.len())
            .enumerate()
            .map(|(i, name)| target_line(results, name, svg::color(i), rate))
            .collect();
        out.extend(time.wide_chart(id, title, caption, unit, series));
    }
    out
}

/// Prometheus counters end in `_total` (OpenMetrics), possibly before the labels.
fn is_counter(series: &str) -> bool {
    series
        .split('{')
        .next()
        .is_some_and(|name| name.ends_with("_total"))
}

fn target_line(results: &RunResults, name: &str, color: &str, rate: bool) -> Series {
    let mut points: Vec<Point> = Vec::new();
    for step in results
        .steps
        .iter()
        .filter(|s| !s.target_metrics.is_empty())
    {
        if !points.is_empty() {
            points.push((step.offset_s, None));
        }
        let values = step
            .target_metrics
            .iter()
            .filter_map(|s| s.series.get(name).map(|v| (s.t_s, *v)));
        if rate {
            let values: Vec<(f64, f64)> = values.collect();
            points.extend(values.windows(2).filter_map(|w| {
                let ((t0, v0), (t1, v1)) = (w[0], w[1]);
                // A reset (the target restarted) is not a negative rate.
                (t1 > t0 && v1 >= v0).then(|| (t1, Some((v1 - v0) / (t1 - t0))))
            }));
        } else {
            points.extend(values.map(|(t, v)| (t, Some(v))));
        }
    }
    Series {
        name: name.to_owned(),
        color: color.to_owned(),
        style: Style::Line,
        points: downsample(&points, MAX_POINTS, Reduce::MinMax),
        markers: false,
    }
}
