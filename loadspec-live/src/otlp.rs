//! OpenTelemetry metrics pushed over OTLP/HTTP (`--otlp URL`): protobuf bodies to
//! `URL/v1/metrics`, cumulative temporality, latencies as exponential histograms. The same
//! names as the Prometheus endpoint, with dots (docs/monitoring.md).

pub mod proto;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message as _;

use self::proto::{
    AnyValue, Buckets, ExponentialHistogram, ExponentialHistogramDataPoint,
    ExportMetricsServiceRequest, Gauge, InstrumentationScope, KeyValue, Metric, NumberDataPoint,
    Resource, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint, ValueAtQuantile,
    any_value, metric, number_data_point,
};
use crate::Kind;
use crate::state::{EXP_SCALE, State};

const CUMULATIVE: i32 = 2;

/// How long one push may take before it counts as failed: pushes never queue up behind a
/// slow collector.
pub(crate) const PUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The endpoint metrics go to: `URL` as given when it ends in `/v1/metrics`, else with it
/// appended (the collector's convention for `OTEL_EXPORTER_OTLP_ENDPOINT`).
pub(crate) fn metrics_url(base: &str) -> String {
    if base.trim_end_matches('/').ends_with("/v1/metrics") {
        base.to_owned()
    } else {
        format!("{}/v1/metrics", base.trim_end_matches('/'))
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn kv(key: &str, value: impl Into<any_value::Value>) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(value.into()),
        }),
    }
}

impl From<&str> for any_value::Value {
    fn from(s: &str) -> Self {
        Self::StringValue(s.to_owned())
    }
}

impl From<String> for any_value::Value {
    fn from(s: String) -> Self {
        Self::StringValue(s)
    }
}

impl From<i64> for any_value::Value {
    fn from(n: i64) -> Self {
        Self::IntValue(n)
    }
}

fn int_point(attributes: Vec<KeyValue>, start: u64, now: u64, value: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(number_data_point::Value::AsInt(
            i64::try_from(value).unwrap_or(i64::MAX),
        )),
    }
}

fn double_point(attributes: Vec<KeyValue>, start: u64, now: u64, value: f64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(number_data_point::Value::AsDouble(value)),
    }
}

fn sum(name: &str, description: &str, unit: &str, points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.to_owned(),
        description: description.to_owned(),
        unit: unit.to_owned(),
        data: Some(metric::Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: CUMULATIVE,
            is_monotonic: true,
        })),
    }
}

fn gauge(name: &str, description: &str, unit: &str, points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.to_owned(),
        description: description.to_owned(),
        unit: unit.to_owned(),
        data: Some(metric::Data::Gauge(Gauge {
            data_points: points,
        })),
    }
}

/// The request for everything in `state` now.
pub(crate) fn build(state: &State) -> ExportMetricsServiceRequest {
    let now = now_nanos();
    let start = state.started_unix_nanos;
    let mut metrics = Vec::new();
    let scenario_name = |i: usize| state.info.scenarios.get(i).cloned().unwrap_or_default();
    for kind in [Kind::Request, Kind::Transaction, Kind::Iteration] {
        let (count, failures, duration) = kind.metric_names();
        let dotted = |name: &str| name.replacen('_', ".", 1).replace("_total", "");
        let mine: Vec<_> = state
            .series
            .iter()
            .filter(|(k, _)| k.kind == kind)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let attributes = |k: &crate::state::SeriesKey| {
            vec![
                kv("scenario", scenario_name(k.scenario)),
                kv("label", k.label.as_str()),
                kv("step", i64::try_from(k.step + 1).unwrap_or(i64::MAX)),
            ]
        };
        let counts = mine
            .iter()
            .map(|(k, s)| int_point(attributes(k), start, now, s.count))
            .collect();
        metrics.push(sum(
            &dotted(count),
            &format!("{}s completed", kind.noun()),
            "1",
            counts,
        ));
        let fails = mine
            .iter()
            .flat_map(|(k, s)| {
                s.failures_by_kind.iter().map(move |(error, n)| {
                    let mut a = attributes(k);
                    a.push(kv("error_kind", *error));
                    int_point(a, start, now, *n)
                })
            })
            .collect();
        metrics.push(sum(
            &dotted(failures),
            &format!("failed {}s by error kind", kind.noun()),
            "1",
            fails,
        ));
        let histograms = mine
            .iter()
            .map(|(k, s)| {
                let (offset, bucket_counts) = match (s.exp.keys().next(), s.exp.keys().next_back())
                {
                    (Some(&lo), Some(&hi)) => (
                        lo,
                        (lo..=hi)
                            .map(|i| s.exp.get(&i).copied().unwrap_or(0))
                            .collect(),
                    ),
                    _ => (0, Vec::new()),
                };
                ExponentialHistogramDataPoint {
                    attributes: attributes(k),
                    start_time_unix_nano: start,
                    time_unix_nano: now,
                    count: s.count,
                    sum: Some(s.sum_s),
                    scale: EXP_SCALE,
                    zero_count: 0,
                    positive: Some(Buckets {
                        offset,
                        bucket_counts,
                    }),
                    min: s.min_s,
                    max: s.max_s,
                }
            })
            .collect();
        metrics.push(Metric {
            name: dotted(duration).replace("_seconds", ""),
            description: format!("{} durations", kind.noun()),
            unit: "s".to_owned(),
            data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: histograms,
                aggregation_temporality: CUMULATIVE,
            })),
        });
    }
    custom(state, start, now, &mut metrics);
    let users = state
        .active_users
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            double_point(
                vec![kv("scenario", scenario_name(i))],
                start,
                now,
                f64::from(n),
            )
        })
        .collect();
    metrics.push(gauge(
        "loadspec.active_users",
        "users running now",
        "{user}",
        users,
    ));
    let step = state.step.map_or(0, |s| s + 1) as f64;
    metrics.push(gauge(
        "loadspec.step",
        "the step running (1-based)",
        "1",
        vec![double_point(Vec::new(), start, now, step)],
    ));
    if let Some(report) = &state.criteria {
        let verdicts = report
            .rows
            .iter()
            .flat_map(|row| {
                row.cells.iter().map(move |cell| {
                    double_point(
                        vec![
                            kv("scenario", row.scenario.as_str()),
                            kv("criterion", row.title.as_str()),
                            kv("step", i64::try_from(cell.step + 1).unwrap_or(i64::MAX)),
                        ],
                        start,
                        now,
                        f64::from(crate::prometheus::verdict_value(cell.verdict)),
                    )
                })
            })
            .collect();
        metrics.push(gauge(
            "loadspec.criterion.verdict",
            "0 pass, 1 warn, 2 fail",
            "1",
            verdicts,
        ));
    }
    let mut resource = vec![
        kv("service.name", "loadspec"),
        kv("loadspec.run", state.info.name.as_str()),
        kv("loadspec.target", state.info.target.as_str()),
    ];
    if let Some(shard) = &state.info.shard {
        resource.push(kv("loadspec.shard", shard.as_str()));
    }
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: resource,
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "loadspec".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                }),
                metrics,
            }],
        }],
    }
}

/// The scenarios' own metrics: counters as sums, gauges, trends as summaries, rates as two sums.
fn custom(state: &State, start: u64, now: u64, metrics: &mut Vec<Metric>) {
    use crate::CustomSample;
    let attributes = |k: &crate::state::CustomKey| {
        vec![
            kv(
                "scenario",
                state
                    .info
                    .scenarios
                    .get(k.scenario)
                    .cloned()
                    .unwrap_or_default(),
            ),
            kv("name", k.name.as_str()),
            kv("step", i64::try_from(k.step + 1).unwrap_or(i64::MAX)),
        ]
    };
    let (mut counters, mut gauges, mut trends, mut trues, mut totals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, v) in &state.custom {
        match v {
            CustomSample::Counter(n) => counters.push(double_point(attributes(k), start, now, *n)),
            CustomSample::Gauge(g) => gauges.push(double_point(attributes(k), start, now, g.last)),
            CustomSample::Trend(t) => {
                let s = t.summary();
                trends.push(SummaryDataPoint {
                    attributes: attributes(k),
                    start_time_unix_nano: start,
                    time_unix_nano: now,
                    count: s.count,
                    sum: s.mean * s.count as f64,
                    quantile_values: [
                        (0.0, s.min),
                        (0.5, s.p50),
                        (0.9, s.p90),
                        (0.95, s.p95),
                        (0.99, s.p99),
                        (1.0, s.max),
                    ]
                    .into_iter()
                    .map(|(quantile, value)| ValueAtQuantile { quantile, value })
                    .collect(),
                });
            }
            CustomSample::Rate { trues: t, total } => {
                trues.push(int_point(attributes(k), start, now, *t));
                totals.push(int_point(attributes(k), start, now, *total));
            }
        }
    }
    if !counters.is_empty() {
        metrics.push(sum(
            "loadspec.custom.counter",
            "a scenario's counter",
            "1",
            counters,
        ));
    }
    if !gauges.is_empty() {
        metrics.push(gauge(
            "loadspec.custom.gauge",
            "a scenario's gauge, the value set last",
            "1",
            gauges,
        ));
    }
    if !trends.is_empty() {
        metrics.push(Metric {
            name: "loadspec.custom.trend".to_owned(),
            description: "a scenario's trend (durations in ms)".to_owned(),
            unit: "1".to_owned(),
            data: Some(metric::Data::Summary(Summary {
                data_points: trends,
            })),
        });
    }
    if !totals.is_empty() {
        metrics.push(sum(
            "loadspec.custom.rate.true",
            "a rate's samples added as true",
            "1",
            trues,
        ));
        metrics.push(sum(
            "loadspec.custom.rate.samples",
            "a rate's samples",
            "1",
            totals,
        ));
    }
}

/// Sends one request; a failure comes back as one line.
pub(crate) async fn push(
    client: &reqwest::Client,
    url: &str,
    body: &ExportMetricsServiceRequest,
) -> Result<(), String> {
    let response = client
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(body.encode_to_vec())
        .timeout(PUSH_TIMEOUT)
        .send()
        .await
        .map_err(|e| loadspec_results::one_line(&e))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the collector answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_path_is_appended_once() {
        assert_eq!(
            metrics_url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/metrics"
        );
        assert_eq!(
            metrics_url("http://127.0.0.1:4318/"),
            "http://127.0.0.1:4318/v1/metrics"
        );
        assert_eq!(
            metrics_url("http://h:1/v1/metrics"),
            "http://h:1/v1/metrics"
        );
    }
}
