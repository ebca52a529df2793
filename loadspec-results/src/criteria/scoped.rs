//! What criteria on tags and on custom metrics look at.

use super::model::{CustomKind, Metric};
use crate::custom::CustomMetrics;
use crate::histogram;
use crate::model::{LabelSummary, ScenarioStepResult};

/// The statistic `metric` of the custom metric `name` of `kind`; `None` (no data, a fail)
/// when the step did not record it.
pub(super) fn measure_custom(
    kind: CustomKind,
    name: &str,
    metric: Metric,
    custom: &CustomMetrics,
) -> Option<f64> {
    match kind {
        CustomKind::Counter => {
            let c = custom.counters.get(name)?;
            match metric {
                Metric::Count => Some(c.total),
                Metric::Throughput => Some(c.per_s),
                _ => None,
            }
        }
        CustomKind::Gauge => {
            let g = custom.gauges.get(name).filter(|g| g.count > 0)?;
            match metric {
                Metric::Last => Some(g.last),
                Metric::Min => Some(g.min),
                Metric::Max => Some(g.max),
                _ => None,
            }
        }
        CustomKind::Trend => {
            let t = custom.trends.get(name).filter(|t| t.count > 0)?;
            match metric {
                Metric::Mean => Some(t.mean),
                Metric::P50 => Some(t.p50),
                Metric::P90 => Some(t.p90),
                Metric::P95 => Some(t.p95),
                Metric::P99 => Some(t.p99),
                Metric::P999 => Some(t.p999),
                Metric::Max => Some(t.max),
                _ => None,
            }
        }
        CustomKind::Rate => {
            let r = custom.rates.get(name).filter(|r| r.total > 0)?;
            (metric == Metric::Share).then_some(r.share)
        }
    }
}

/// The request labels sent with `tag` (`key:value`) merged into one summary — or, when no
/// request carries it, the transactions that do; `None` when no label carries it.
pub(super) fn tagged(tag: &str, step: &ScenarioStepResult) -> Option<LabelSummary> {
    let (key, value) = loadspec_units::parse_tag(tag).ok()?;
    let carries = |l: &&LabelSummary| {
        l.tags
            .get(key)
            .is_some_and(|vs| vs.iter().any(|v| v == value))
    };
    let requests: Vec<&LabelSummary> = step.requests.iter().filter(carries).collect();
    let labels = if requests.is_empty() {
        step.transactions.iter().filter(carries).collect()
    } else {
        requests
    };
    merged(tag, &labels)
}

/// Several labels' summaries as one: counts, failures, statuses and throughput add up, the
/// mean is weighted, percentiles come from the added histograms. Latencies corrected for
/// coordinated omission are not merged: a tag is judged on measured times.
fn merged(name: &str, labels: &[&LabelSummary]) -> Option<LabelSummary> {
    let (first, rest) = labels.split_first()?;
    let mut total = (*first).clone();
    total.label = format!("tag {name}");
    total.corrected = None;
    total.phases = None;
    let mut hist = histogram::decode(&first.histogram).ok()?;
    let mut sum_ms = first.mean_ms * first.count as f64;
    for l in rest {
        let _same_bounds = hist.add(histogram::decode(&l.histogram).ok()?);
        sum_ms += l.mean_ms * l.count as f64;
        total.count += l.count;
        total.failures += l.failures;
        total.throughput_per_s += l.throughput_per_s;
        total.min_ms = total.min_ms.min(l.min_ms);
        total.max_ms = total.max_ms.max(l.max_ms);
        for (status, n) in &l.status_codes {
            *total.status_codes.entry(status.clone()).or_insert(0) += n;
        }
    }
    if total.count > 0 {
        total.error_rate = total.failures as f64 / total.count as f64;
        total.mean_ms = sum_ms / total.count as f64;
        let (min, max) = (total.min_ms, total.max_ms);
        let q = |quantile: f64| (hist.value_at_quantile(quantile) as f64 / 1000.0).clamp(min, max);
        total.p50_ms = q(0.5);
        total.p90_ms = q(0.9);
        total.p95_ms = q(0.95);
        total.p99_ms = q(0.99);
        total.p999_ms = q(0.999);
    }
    Some(total)
}
