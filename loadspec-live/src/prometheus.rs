//! The generator's own metrics in the Prometheus text format (version 0.0.4), as
//! `--metrics-listen` serves them. The names and labels are listed in docs/monitoring.md.

use std::fmt::Write as _;

use loadspec_results::criteria::Verdict;

use crate::Kind;
use crate::state::{BUCKETS_S, State};

/// The content type of the exposition.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes every series of `state`.
pub(crate) fn render(state: &State) -> String {
    let mut out = String::with_capacity(4096);
    let shard = state
        .info
        .shard
        .as_deref()
        .map(|s| format!(",shard=\"{}\"", escape(s)))
        .unwrap_or_default();
    let scenario_name = |i: usize| state.info.scenarios.get(i).map_or("", String::as_str);

    head(
        &mut out,
        "loadspec_run_info",
        "gauge",
        "The run: always 1, its name and target as labels.",
    );
    let _ = writeln!(
        out,
        "loadspec_run_info{{name=\"{}\",target=\"{}\"{shard}}} 1",
        escape(&state.info.name),
        escape(&state.info.target)
    );
    head(
        &mut out,
        "loadspec_run_finished",
        "gauge",
        "1 once the run has ended.",
    );
    let _ = writeln!(
        out,
        "loadspec_run_finished{{{}}} {}",
        shard.trim_start_matches(','),
        u8::from(state.finished.is_some())
    );
    head(
        &mut out,
        "loadspec_step",
        "gauge",
        "The step running (1-based; 0 before the first).",
    );
    let _ = writeln!(
        out,
        "loadspec_step{{{}}} {}",
        shard.trim_start_matches(','),
        state.step.map_or(0, |s| s + 1)
    );
    head(
        &mut out,
        "loadspec_steps_planned",
        "gauge",
        "Steps in the plan.",
    );
    let _ = writeln!(
        out,
        "loadspec_steps_planned{{{}}} {}",
        shard.trim_start_matches(','),
        state.info.steps.len()
    );
    head(
        &mut out,
        "loadspec_active_users",
        "gauge",
        "Users running now, per scenario.",
    );
    for (i, users) in state.active_users.iter().enumerate() {
        let _ = writeln!(
            out,
            "loadspec_active_users{{scenario=\"{}\"{shard}}} {users}",
            escape(scenario_name(i))
        );
    }

    for kind in [Kind::Request, Kind::Transaction, Kind::Iteration] {
        let (count, failures, duration) = kind.metric_names();
        let mine: Vec<_> = state
            .series
            .iter()
            .filter(|(k, _)| k.kind == kind)
            .collect();
        head(
            &mut out,
            count,
            "counter",
            &format!("{}s completed (failed ones included).", kind.noun()),
        );
        let labels = |k: &crate::state::SeriesKey| {
            format!(
                "scenario=\"{}\",label=\"{}\",step=\"{}\"{shard}",
                escape(scenario_name(k.scenario)),
                escape(&k.label),
                k.step + 1
            )
        };
        for (k, s) in &mine {
            let _ = writeln!(out, "{count}{{{}}} {}", labels(k), s.count);
        }
        head(
            &mut out,
            failures,
            "counter",
            &format!("Failed {}s, by error kind.", kind.noun()),
        );
        for (k, s) in &mine {
            for (error, n) in &s.failures_by_kind {
                let _ = writeln!(
                    out,
                    "{failures}{{{},error_kind=\"{error}\"}} {n}",
                    labels(k)
                );
            }
        }
        head(
            &mut out,
            duration,
            "histogram",
            &format!("{} durations in seconds.", kind.noun()),
        );
        for (k, s) in &mine {
            let l = labels(k);
            for (bound, n) in BUCKETS_S.iter().zip(s.buckets) {
                let _ = writeln!(out, "{duration}_bucket{{{l},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "{duration}_bucket{{{l},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "{duration}_sum{{{l}}} {}", s.sum_s);
            let _ = writeln!(out, "{duration}_count{{{l}}} {}", s.count);
        }
    }

    custom(&mut out, state, &shard);

    head(
        &mut out,
        "loadspec_label_tags",
        "gauge",
        "Always 1: a tag a label's samples were sent with (join on scenario, label).",
    );
    for ((scenario, kind, label), tags) in &state.tags {
        for (tag, value) in tags {
            let _ = writeln!(
                out,
                "loadspec_label_tags{{scenario=\"{}\",kind=\"{}\",label=\"{}\",tag=\"{}\",value=\"{}\"{shard}}} 1",
                escape(scenario_name(*scenario)),
                kind.as_str(),
                escape(label),
                escape(tag),
                escape(value)
            );
        }
    }

    // Declared even before the first step has been judged, so dashboards find the names.
    let rows = state.criteria.iter().flat_map(|r| &r.rows);
    head(
        &mut out,
        "loadspec_criterion_verdict",
        "gauge",
        "A criterion's verdict in a step: 0 pass, 1 warn, 2 fail.",
    );
    let cells: Vec<(String, &loadspec_results::criteria::Cell)> = rows
        .flat_map(|row| {
            let scope = format!(
                "scenario=\"{}\",criterion=\"{}\"",
                escape(&row.scenario),
                escape(&row.title)
            );
            row.cells.iter().map(move |cell| (scope.clone(), cell))
        })
        .collect();
    for (scope, cell) in &cells {
        let (step, verdict) = (cell.step + 1, verdict_value(cell.verdict));
        let _ = writeln!(
            out,
            "loadspec_criterion_verdict{{{scope},step=\"{step}\"{shard}}} {verdict}"
        );
    }
    head(
        &mut out,
        "loadspec_criterion_measured",
        "gauge",
        "The value a criterion measured in a step (absent: no data).",
    );
    for (scope, cell) in &cells {
        if let Some(v) = cell.measured {
            let step = cell.step + 1;
            let _ = writeln!(
                out,
                "loadspec_criterion_measured{{{scope},step=\"{step}\"{shard}}} {v}"
            );
        }
    }

    let plain = shard.trim_start_matches(',');
    if let Some(s) = &state.system {
        head(
            &mut out,
            "loadspec_machine_cpu_busy_percent",
            "gauge",
            "CPU busy on the generator's machine, percent of all cores.",
        );
        let _ = writeln!(
            out,
            "loadspec_machine_cpu_busy_percent{{{plain}}} {}",
            100.0 - s.cpu_idle
        );
        head(
            &mut out,
            "loadspec_machine_memory_used_bytes",
            "gauge",
            "Memory in use on the generator's machine.",
        );
        let _ = writeln!(
            out,
            "loadspec_machine_memory_used_bytes{{{plain}}} {}",
            s.mem_used
        );
        head(
            &mut out,
            "loadspec_process_cpu_percent",
            "gauge",
            "CPU of the loadspec process, percent of one core.",
        );
        let _ = writeln!(
            out,
            "loadspec_process_cpu_percent{{{plain}}} {}",
            s.process_cpu
        );
    }
    if let Some(lag) = state.lag_p99_ms {
        head(
            &mut out,
            "loadspec_scheduling_lag_p99_seconds",
            "gauge",
            "How late the workers' timers fired (p99 of the last tick): the generator's own health.",
        );
        let _ = writeln!(
            out,
            "loadspec_scheduling_lag_p99_seconds{{{plain}}} {}",
            lag / 1000.0
        );
    }
    out
}

/// The scenarios' own metrics: counters, gauges, trends (as summaries) and rates.
fn custom(out: &mut String, state: &State, shard: &str) {
    use crate::CustomSample;
    let labels = |k: &crate::state::CustomKey| {
        format!(
            "scenario=\"{}\",name=\"{}\",step=\"{}\"{shard}",
            escape(
                state
                    .info
                    .scenarios
                    .get(k.scenario)
                    .map_or("", String::as_str)
            ),
            escape(&k.name),
            k.step + 1
        )
    };
    let of = |kind: &'static str| state.custom.iter().filter(move |(k, _)| k.kind == kind);
    head(
        out,
        "loadspec_custom_counter_total",
        "counter",
        "A scenario's counter (user.counter(name).add(n)).",
    );
    for (k, v) in of("counter") {
        if let CustomSample::Counter(n) = v {
            let _ = writeln!(out, "loadspec_custom_counter_total{{{}}} {n}", labels(k));
        }
    }
    head(
        out,
        "loadspec_custom_gauge",
        "gauge",
        "A scenario's gauge: the value set last (user.gauge(name).set(v)).",
    );
    for (k, v) in of("gauge") {
        if let CustomSample::Gauge(g) = v {
            let _ = writeln!(out, "loadspec_custom_gauge{{{}}} {}", labels(k), g.last);
        }
    }
    head(
        out,
        "loadspec_custom_trend",
        "summary",
        "A scenario's trend (user.trend(name).add(v)); durations in ms.",
    );
    for (k, v) in of("trend") {
        if let CustomSample::Trend(t) = v {
            let s = t.summary();
            let l = labels(k);
            for (q, value) in [
                ("0.5", s.p50),
                ("0.9", s.p90),
                ("0.95", s.p95),
                ("0.99", s.p99),
            ] {
                let _ = writeln!(out, "loadspec_custom_trend{{{l},quantile=\"{q}\"}} {value}");
            }
            let _ = writeln!(
                out,
                "loadspec_custom_trend_sum{{{l}}} {}",
                s.mean * s.count as f64
            );
            let _ = writeln!(out, "loadspec_custom_trend_count{{{l}}} {}", s.count);
        }
    }
    head(
        out,
        "loadspec_custom_rate_true_total",
        "counter",
        "A scenario's rate: samples added as true (user.rate(name).add(true)).",
    );
    head(
        out,
        "loadspec_custom_rate_samples_total",
        "counter",
        "A scenario's rate: all samples.",
    );
    for (k, v) in of("rate") {
        if let CustomSample::Rate { trues, total } = v {
            let l = labels(k);
            let _ = writeln!(out, "loadspec_custom_rate_true_total{{{l}}} {trues}");
            let _ = writeln!(out, "loadspec_custom_rate_samples_total{{{l}}} {total}");
        }
    }
}

/// The value of a verdict as a gauge.
pub(crate) fn verdict_value(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Warn => 1,
        _ => 2,
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RunInfo, StepInfo, Tick, TickLabel};
    use loadspec_results::histogram::{new_histogram, record};

    fn state() -> State {
        let info = RunInfo {
            name: "insuree \"flow\"".into(),
            target: "http://127.0.0.1:8000".into(),
            scenarios: vec!["search".into()],
            steps: vec![StepInfo {
                users: 5,
                planned_s: 10.0,
            }],
            shard: None,
        };
        let mut state = State::new(info, 0);
        let mut histogram = new_histogram();
        for ms in [3, 30, 300] {
            record(&mut histogram, ms * 1000);
        }
        state.tick(&Tick {
            step: 0,
            t_s: 1.0,
            width_s: 1.0,
            elapsed_s: 1.0,
            planned_s: 10.0,
            phase: "measured",
            active_users: vec![5],
            labels: vec![TickLabel {
                scenario: 0,
                kind: Kind::Request,
                label: "find".into(),
                count: 3,
                failures: 1,
                errors: vec![("http", 1)],
                histogram,
                sum_micros: 333_000,
                tags: vec![("endpoint".into(), "search".into())],
            }],
            custom: custom_samples(),
            system: None,
            lag_p99_ms: Some(2.0),
        });
        state
    }

    fn custom_samples() -> Vec<crate::TickCustom> {
        use crate::CustomSample;
        use loadspec_results::custom::{GaugeStats, TrendStats};
        let mut trend = TrendStats::new();
        for v in 1..=100 {
            trend.record(f64::from(v));
        }
        let one = |name: &str, value| crate::TickCustom {
            scenario: 0,
            name: name.into(),
            value,
        };
        vec![
            one("claims_approved", CustomSample::Counter(7.0)),
            one(
                "queue_depth",
                CustomSample::Gauge(GaugeStats::new(17.0, 1.0)),
            ),
            one("queue_wait", CustomSample::Trend(Box::new(trend))),
            one("claims_ok", CustomSample::Rate { trues: 3, total: 4 }),
        ]
    }

    #[test]
    fn custom_metrics_and_tags_are_written_per_step() {
        let text = render(&state());
        let l = r#"scenario="search",name="claims_approved",step="1""#;
        // Trend quantiles are the histogram's, 3 significant digits, as results.json has them.
        for line in [
            format!("loadspec_custom_counter_total{{{l}}} 7"),
            r#"loadspec_custom_gauge{scenario="search",name="queue_depth",step="1"} 17"#.to_owned(),
            r#"loadspec_custom_trend{scenario="search",name="queue_wait",step="1",quantile="0.95"} 95.039"#.to_owned(),
            r#"loadspec_custom_trend_count{scenario="search",name="queue_wait",step="1"} 100"#.to_owned(),
            r#"loadspec_custom_trend_sum{scenario="search",name="queue_wait",step="1"} 5050"#.to_owned(),
            r#"loadspec_custom_rate_true_total{scenario="search",name="claims_ok",step="1"} 3"#.to_owned(),
            r#"loadspec_custom_rate_samples_total{scenario="search",name="claims_ok",step="1"} 4"#.to_owned(),
            r#"loadspec_label_tags{scenario="search",kind="request",label="find",tag="endpoint",value="search"} 1"#.to_owned(),
        ] {
            assert!(text.lines().any(|x| x == line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn counters_histograms_and_gauges_are_written_with_their_labels() {
        let text = render(&state());
        let l = r#"scenario="search",label="find",step="1""#;
        for line in [
            r#"loadspec_run_info{name="insuree \"flow\"",target="http://127.0.0.1:8000"} 1"#
                .to_owned(),
            format!("loadspec_requests_total{{{l}}} 3"),
            format!("loadspec_request_failures_total{{{l},error_kind=\"http\"}} 1"),
            format!("loadspec_request_duration_seconds_bucket{{{l},le=\"0.005\"}} 1"),
            format!("loadspec_request_duration_seconds_bucket{{{l},le=\"0.05\"}} 2"),
            format!("loadspec_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 3"),
            format!("loadspec_request_duration_seconds_count{{{l}}} 3"),
            format!("loadspec_request_duration_seconds_sum{{{l}}} 0.333"),
            "loadspec_active_users{scenario=\"search\"} 5".to_owned(),
            "loadspec_step{} 1".to_owned(),
            "loadspec_scheduling_lag_p99_seconds{} 0.002".to_owned(),
        ] {
            assert!(text.lines().any(|x| x == line), "missing {line} in\n{text}");
        }
        assert!(text.contains("# TYPE loadspec_request_duration_seconds histogram"));
    }
}
