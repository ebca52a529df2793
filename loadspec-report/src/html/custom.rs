//! The "Custom metrics" table of a step: counters, gauges, trends and rates a scenario
//! recorded, one row each.

use loadspec_results::custom::CustomMetrics;

use super::format;

/// One custom metric's row; cells that do not apply to its kind are empty.
#[derive(Debug)]
pub(super) struct CustomRow {
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) count: String,
    /// A counter's total, a gauge's last value, a trend's mean, a rate's share.
    pub(super) value: String,
    pub(super) min: String,
    pub(super) p50: String,
    pub(super) p90: String,
    pub(super) p95: String,
    pub(super) p99: String,
    pub(super) max: String,
    pub(super) per_s: String,
}

impl CustomRow {
    fn new(name: &str, kind: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            count: String::new(),
            value: String::new(),
            min: String::new(),
            p50: String::new(),
            p90: String::new(),
            p95: String::new(),
            p99: String::new(),
            max: String::new(),
            per_s: String::new(),
        }
    }
}

fn number(v: f64) -> String {
    format::trim(v, 3)
}

/// The rows of one scenario's step, by kind then name.
pub(super) fn rows(custom: &CustomMetrics) -> Vec<CustomRow> {
    let mut rows = Vec::new();
    for (name, c) in &custom.counters {
        let mut row = CustomRow::new(name, "counter");
        row.value = number(c.total);
        row.per_s = format::per_s(c.per_s);
        rows.push(row);
    }
    for (name, g) in &custom.gauges {
        let mut row = CustomRow::new(name, "gauge");
        row.count = format::count(g.count);
        row.value = number(g.last);
        row.min = number(g.min);
        row.max = number(g.max);
        rows.push(row);
    }
    for (name, t) in &custom.trends {
        let mut row = CustomRow::new(name, "trend");
        row.count = format::count(t.count);
        row.value = number(t.mean);
        row.min = number(t.min);
        row.p50 = number(t.p50);
        row.p90 = number(t.p90);
        row.p95 = number(t.p95);
        row.p99 = number(t.p99);
        row.max = number(t.max);
        rows.push(row);
    }
    for (name, r) in &custom.rates {
        let mut row = CustomRow::new(name, "rate");
        row.count = format::count(r.total);
        row.value = format::percent(r.share);
        rows.push(row);
    }
    rows
}
