//! Target-side metrics: scraping a Prometheus text endpoint (node_exporter, or the
//! application's own `/metrics`) for a list of series.

use std::collections::BTreeMap;

/// At most this many series are kept per scrape when no list is given.
pub const SERIES_LIMIT: usize = 200;

/// The samples of a Prometheus text exposition, keyed by the series as written
/// (`name{label="value"}`), keeping only those matching `wanted` (a series name, or a series
/// with labels, or a prefix of either); all series up to [`SERIES_LIMIT`] when `wanted` is empty.
pub fn parse_exposition(text: &str, wanted: &[String]) -> BTreeMap<String, f64> {
    let mut series = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = split_sample(line) else {
            continue;
        };
        let name = key.split('{').next().unwrap_or(key);
        let keep = if wanted.is_empty() {
            series.len() < SERIES_LIMIT
        } else {
            wanted
                .iter()
                .any(|w| name == w || key.starts_with(w.as_str()))
        };
        if keep && value.is_finite() {
            series.insert(key.to_owned(), value);
        }
    }
    series
}

/// `name{labels} value [timestamp]` → (`name{labels}`, value); label values may hold spaces.
fn split_sample(line: &str) -> Option<(&str, f64)> {
    let key_end = match line.find('{') {
        Some(open) => {
            let mut in_quotes = false;
            let mut escaped = false;
            let mut close = None;
            for (i, c) in line[open..].char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_quotes = !in_quotes,
                    '}' if !in_quotes => {
                        close = Some(open + i + 1);
                        break;
                    }
                    _ => {}
                }
            }
            close?
        }
        None => line.find(char::is_whitespace)?,
    };
    let (key, rest) = line.split_at(key_end);
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some((key.trim(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# HELP demo_http_requests_total Requests.
# TYPE demo_http_requests_total counter
demo_http_requests_total{method="GET",route="/api/insurees",status="200"} 1027
demo_http_requests_total{method="POST",route="/api/graphql",status="503"} 3 1700000000000
demo_http_requests_in_flight 7
demo_db_pool_connections_in_use{pool="main db"} 4
node_cpu_seconds_total{cpu="0",mode="idle"} 1.5e3
broken line
weird{a="}"} 2
inf_metric +Inf
"#;

    #[test]
    fn keeps_the_series_asked_for() {
        let wanted = vec![
            "demo_http_requests_in_flight".to_owned(),
            "demo_db_pool_connections_in_use".to_owned(),
        ];
        let series = parse_exposition(TEXT, &wanted);
        assert_eq!(series.len(), 2);
        assert_eq!(series["demo_http_requests_in_flight"], 7.0);
        assert_eq!(
            series[r#"demo_db_pool_connections_in_use{pool="main db"}"#],
            4.0
        );
        let by_prefix = parse_exposition(
            TEXT,
            &[r#"demo_http_requests_total{method="POST""#.to_owned()],
        );
        assert_eq!(by_prefix.values().copied().collect::<Vec<_>>(), vec![3.0]);
    }

    #[test]
    fn takes_everything_parsable_when_no_list_is_given() {
        let series = parse_exposition(TEXT, &[]);
        assert_eq!(
            series[r#"node_cpu_seconds_total{cpu="0",mode="idle"}"#],
            1500.0
        );
        assert_eq!(series[r#"weird{a="}"}"#], 2.0);
        assert!(
            !series.contains_key("inf_metric"),
            "infinite values are not chartable"
        );
        assert_eq!(series.len(), 6);
    }
}
