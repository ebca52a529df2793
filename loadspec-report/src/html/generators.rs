//! The load generators of a merged (sharded) run: one row per shard and one line per host on
//! the CPU and memory charts. Hosts are kept apart, never averaged: one saturated generator
//! among healthy ones is exactly what a reader must be able to see.

use super::charts::{Chart, TimeAxis};
use super::downsample::{MAX_POINTS, Point, Reduce, downsample};
use super::format;
use super::svg::{self, Series, Style, Unit};
use loadspec_results::model::{HostResults, RunResults, RunStatus, SystemSample};

/// One shard's row in the "Load generators" table.
#[derive(Debug)]
pub(crate) struct GeneratorRow {
    pub(crate) shard: String,
    pub(crate) host: String,
    pub(crate) status: String,
    pub(crate) late_by: String,
    pub(crate) users: String,
    pub(crate) cpu: String,
    pub(crate) lag: String,
    /// Steps whose numbers this generator made unreliable, with who took its CPU, e.g.
    /// "step 3 (generator-bound*), step 4 (machine-saturated‡)"; empty when none.
    pub(crate) bound: String,
}

/// The table rows, in shard order; empty for a run that was not merged from shards.
pub(crate) fn rows(results: &RunResults) -> Vec<GeneratorRow> {
    let mut hosts: Vec<&HostResults> = results.hosts.iter().collect();
    hosts.sort_by_key(|h| h.shard.index);
    hosts.into_iter().map(row).collect()
}

fn row(host: &HostResults) -> GeneratorRow {
    let health: Vec<_> = host
        .steps
        .iter()
        .filter_map(|s| s.generator.as_ref().map(|g| (s.index, g)))
        .collect();
    let worst = |value: fn(&loadspec_results::model::GeneratorHealth) -> f64| {
        health
            .iter()
            .map(|(_, g)| value(g))
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.max(v)))
            })
    };
    let bound: Vec<String> = health
        .iter()
        .filter(|(_, g)| g.bound)
        .map(|(i, g)| {
            let cause = g.saturation();
            format!(
                "step {} ({}{})",
                i + 1,
                cause.flag().to_lowercase(),
                cause.mark()
            )
        })
        .collect();
    GeneratorRow {
        shard: format!("{}/{}", host.shard.index, host.shard.count),
        host: format!(
            "{} · {} CPUs",
            host.environment.hostname, host.environment.cpus
        ),
        status: match host.status {
            RunStatus::Completed => "completed",
            RunStatus::Running => "unfinished",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Aborted => "aborted",
        }
        .to_owned(),
        late_by: host
            .shard
            .late_by_s
            .map_or_else(|| "—".to_owned(), |s| format::ms(s * 1000.0)),
        users: host
            .steps
            .iter()
            .map(|s| s.users.to_string())
            .collect::<Vec<_>>()
            .join(" · "),
        cpu: worst(|g| g.cpu_share_max).map_or_else(|| "—".to_owned(), format::percent),
        lag: worst(|g| g.lag_p99_ms).map_or_else(|| "—".to_owned(), format::ms),
        bound: bound.join(", "),
    }
}

/// CPU and memory of every generator, one line per host; empty without samples.
pub(crate) fn charts(results: &RunResults) -> Vec<Chart> {
    if results
        .hosts
        .iter()
        .all(|h| h.steps.iter().all(|s| s.system.is_empty()))
    {
        return Vec::new();
    }
    let time = TimeAxis::new(results);
    let mut hosts: Vec<&HostResults> = results.hosts.iter().collect();
    hosts.sort_by_key(|h| h.shard.index);
    let mut out = Vec::new();
    let mut add = |id: &str, title: &str, caption: &str, unit, series: Vec<Series>| {
        out.extend(time.wide_chart(id, title, caption, unit, series));
    };
    add(
        "chart-generators-cpu",
        "Load generators CPU, per shard",
        "Each generator's busy share of all its cores. A shard near 100% measured itself: \
         its part of the merged latencies is inflated.",
        Unit::Percent,
        hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                line(h, svg::color(i), |s| {
                    s.cpu_user + s.cpu_system + s.cpu_iowait
                })
            })
            .collect(),
    );
    add(
        "chart-generators-memory",
        "Load generators memory, per shard",
        "Each generator's loadspec process resident memory.",
        Unit::Bytes,
        hosts
            .iter()
            .enumerate()
            .map(|(i, h)| line(h, svg::color(i), |s| s.process_rss as f64))
            .collect(),
    );
    out
}

/// One host's samples across the run (times already on the merged run's clock), a gap
/// between steps.
fn line(host: &HostResults, color: &str, value: impl Fn(&SystemSample) -> f64) -> Series {
    let mut points: Vec<Point> = Vec::new();
    for step in host.steps.iter().filter(|s| !s.system.is_empty()) {
        if !points.is_empty() {
            points.push((step.offset_s, None));
        }
        points.extend(step.system.iter().map(|s| (s.t_s, Some(value(s)))));
    }
    Series {
        name: format!("shard {} ({})", host.shard.index, host.environment.hostname),
        color: color.to_owned(),
        style: Style::Line,
        points: downsample(&points, MAX_POINTS, Reduce::MinMax),
        markers: false,
    }
}
