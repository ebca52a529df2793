//! Locust-style CSV files: per-step statistics (`stats.csv`) and the per-second history
//! (`stats_history.csv`), for spreadsheets and plotting scripts.

use loadspec_results::histogram;
use loadspec_results::model::{LabelSummary, RunResults};

/// Percentiles of `stats.csv`, as Locust writes them.
const PERCENTILES: [(f64, &str); 11] = [
    (0.5, "50%"),
    (0.66, "66%"),
    (0.75, "75%"),
    (0.8, "80%"),
    (0.9, "90%"),
    (0.95, "95%"),
    (0.98, "98%"),
    (0.99, "99%"),
    (0.999, "99.9%"),
    (0.9999, "99.99%"),
    (1.0, "100%"),
];

/// `stats.csv`: one row per step, scenario and label (transactions, requests, the total), with
/// Locust's columns after `Step`, `Users` and `Scenario`; times in milliseconds.
pub fn stats_csv(results: &RunResults) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "Step",
        "Users",
        "Scenario",
        "Type",
        "Name",
        "Request Count",
        "Failure Count",
        "Median Response Time",
        "Average Response Time",
        "Min Response Time",
        "Max Response Time",
        "Average Content Size",
        "Requests/s",
        "Failures/s",
    ];
    header.extend(PERCENTILES.iter().map(|(_, name)| *name));
    out.write_record(&header)?;
    for step in &results.steps {
        for s in &step.scenarios {
            let rows = s
                .transactions
                .iter()
                .map(|l| ("transaction", l))
                .chain(s.requests.iter().map(|l| ("request", l)))
                .chain(std::iter::once(("", &s.total_requests)));
            for (kind, label) in rows {
                let mut record = vec![
                    (step.index + 1).to_string(),
                    s.users.to_string(),
                    s.scenario.clone(),
                    kind.to_owned(),
                    label.label.clone(),
                    label.count.to_string(),
                    label.failures.to_string(),
                    ms(label.p50_ms),
                    ms(label.mean_ms),
                    ms(label.min_ms),
                    ms(label.max_ms),
                    label
                        .bytes_received
                        .checked_div(label.count)
                        .unwrap_or(0)
                        .to_string(),
                    format!("{:.3}", label.throughput_per_s),
                    format!("{:.3}", label.throughput_per_s * label.error_rate),
                ];
                record.extend(percentiles(label));
                out.write_record(&record)?;
            }
        }
    }
    finish(out)
}

/// `stats_history.csv`: one row per tick, scenario and series (all requests, then each
/// transaction): timestamp (seconds from the run's start), users, rates and percentiles.
pub fn history_csv(results: &RunResults) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "Time (s)",
        "Step",
        "Ramp-up",
        "Warm-up",
        "Scenario",
        "User Count",
        "Type",
        "Name",
        "Count",
        "Failures",
        "Requests/s",
        "Failures/s",
        "50%",
        "95%",
    ])?;
    for step in &results.steps {
        for s in &step.scenarios {
            for p in &s.time_series {
                let per_s = |n: u64| {
                    if p.width_s > 0.0 {
                        format!("{:.3}", n as f64 / p.width_s)
                    } else {
                        "0".into()
                    }
                };
                let common = [
                    format!("{:.3}", p.t_s),
                    (step.index + 1).to_string(),
                    p.ramp_up.to_string(),
                    p.warmup.to_string(),
                    s.scenario.clone(),
                    p.active_users.to_string(),
                ];
                let mut row: Vec<String> = common.to_vec();
                row.extend([
                    "request".into(),
                    "Aggregated".into(),
                    p.requests.to_string(),
                    p.failures.to_string(),
                    per_s(p.requests),
                    per_s(p.failures),
                    ms(p.p50_ms),
                    ms(p.p95_ms),
                ]);
                out.write_record(&row)?;
                for (name, t) in &p.transactions {
                    let mut row: Vec<String> = common.to_vec();
                    row.extend([
                        "transaction".into(),
                        name.clone(),
                        t.count.to_string(),
                        t.failures.to_string(),
                        per_s(t.count),
                        per_s(t.failures),
                        ms(t.p50_ms),
                        ms(t.p95_ms),
                    ]);
                    out.write_record(&row)?;
                }
            }
        }
    }
    finish(out)
}

fn percentiles(label: &LabelSummary) -> Vec<String> {
    match histogram::decode(&label.histogram) {
        Ok(h) if !h.is_empty() => PERCENTILES
            .iter()
            .map(|(q, _)| {
                ms((h.value_at_quantile(*q) as f64 / 1000.0)
                    .clamp(label.min_ms, label.max_ms.max(label.min_ms)))
            })
            .collect(),
        _ => PERCENTILES.iter().map(|_| String::new()).collect(),
    }
}

fn ms(value: f64) -> String {
    format!("{value:.3}")
}

fn finish(out: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
