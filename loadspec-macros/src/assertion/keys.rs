//! The keys `#[assertion]` accepts — one metric, `threshold`, a scope and `name` — the unit of
//! each metric, and hints for names it does not accept.

/// What a criterion measures, and how its values are written: one enum for the macros, the
/// runner, criteria files and results.
pub(crate) use loadspec_units::{CustomKind, Metric, Notation as Unit};

/// How messages name a notation, and which notation a value is written in.
pub(crate) trait UnitText: Sized {
    /// "a duration", for messages.
    fn noun(self) -> &'static str;
    /// The notation `text` is written in, if it is a valid value of any.
    fn of(text: &str) -> Option<Self>;
}

impl UnitText for Unit {
    fn noun(self) -> &'static str {
        match self {
            Unit::Duration => "a duration",
            Unit::Percent => "a percentage",
            Unit::Rate => "a rate",
            Unit::Multiplier => "a multiplier",
            Unit::Number => "a number",
        }
    }

    fn of(text: &str) -> Option<Unit> {
        if loadspec_units::percent(text).is_ok() {
            Some(Unit::Percent)
        } else if loadspec_units::multiplier(text).is_ok() {
            Some(Unit::Multiplier)
        } else if loadspec_units::rate(text).is_ok() {
            Some(Unit::Rate)
        } else if loadspec_units::duration(text).is_ok() {
            Some(Unit::Duration)
        } else if loadspec_units::number(text).is_ok() {
            Some(Unit::Number)
        } else {
            None
        }
    }
}

/// What the macros say about a metric.
pub(crate) trait MetricText {
    /// The `Metric` variant the expansion names.
    fn variant(self) -> String;
    /// A typical target and threshold, for messages.
    fn examples(self) -> (&'static str, &'static str);
    /// What a value of this metric must be, completing "`p95` must be …".
    fn expected(self) -> &'static str;
}

impl MetricText for Metric {
    fn variant(self) -> String {
        format!("{self:?}")
    }

    fn examples(self) -> (&'static str, &'static str) {
        match self.notation() {
            _ if self == Metric::Deadlocks => ("0%", "0.1%"),
            Unit::Duration => ("2s", "5s"),
            Unit::Percent => ("0.5%", "1%"),
            Unit::Rate => ("50/s", "30/s"),
            Unit::Multiplier => ("2x", "4x"),
            _ if self.higher_is_better() => ("100", "80"),
            Unit::Number => ("20", "30"),
        }
    }

    fn expected(self) -> &'static str {
        match self.notation() {
            _ if self == Metric::Deadlocks => "0 or a percentage string",
            Unit::Duration => "a duration string",
            Unit::Percent => "a percentage string",
            Unit::Rate => "a rate string",
            Unit::Multiplier => "a multiplier string",
            Unit::Number => "a number or a duration string",
        }
    }
}

/// One key of `#[assertion(...)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Metric(Metric),
    Threshold,
    Transaction,
    Request,
    Tag,
    Custom(CustomKind),
    Name,
    AbortOnFail,
    Window,
    Delay,
}

impl Key {
    /// The keys other than metrics and custom metric scopes.
    const OPTIONS: [Key; 8] = [
        Key::Threshold,
        Key::Transaction,
        Key::Request,
        Key::Tag,
        Key::Name,
        Key::AbortOnFail,
        Key::Window,
        Key::Delay,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Metric(metric) => metric.key(),
            Key::Threshold => "threshold",
            Key::Transaction => "transaction",
            Key::Request => "request",
            Key::Tag => "tag",
            Key::Custom(kind) => kind.key(),
            Key::Name => "name",
            Key::AbortOnFail => "abort_on_fail",
            Key::Window => "window",
            Key::Delay => "delay",
        }
    }

    /// The key written correctly, for messages about a value of the wrong shape.
    pub(crate) fn example(self) -> String {
        match self {
            Key::Metric(Metric::Deadlocks) => "deadlocks = 0".to_owned(),
            Key::Metric(metric) => format!("{} = \"{}\"", metric.key(), metric.examples().0),
            Key::Threshold => "threshold = \"5s\"".to_owned(),
            Key::Transaction => "transaction = \"login\"".to_owned(),
            Key::Request => "request = \"GET /api/insurees\"".to_owned(),
            Key::Tag => "tag = \"endpoint:search\"".to_owned(),
            Key::Custom(kind) => format!("{} = \"claims\"", kind.key()),
            Key::Name => "name = \"User authentication requests\"".to_owned(),
            Key::AbortOnFail => "abort_on_fail".to_owned(),
            Key::Window => "window = \"30s\"".to_owned(),
            Key::Delay => "delay = \"10s\"".to_owned(),
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Key> {
        Metric::parse(name)
            .map(Key::Metric)
            .or_else(|| Key::OPTIONS.into_iter().find(|key| key.name() == name))
            .or_else(|| CustomKind::parse(name).map(Key::Custom))
    }

    fn all() -> impl Iterator<Item = Key> {
        Metric::ALL
            .into_iter()
            .map(Key::Metric)
            .chain(Key::OPTIONS)
            .chain(CustomKind::ALL.into_iter().map(Key::Custom))
    }
}

/// `` `mean`, `p50`, … `` for "expected one of" messages.
pub(crate) fn metric_list() -> String {
    let names: Vec<String> = Metric::ALL
        .iter()
        .map(|metric| format!("`{}`", metric.key()))
        .collect();
    names.join(", ")
}

/// Whether `name` is a key of `#[assertion]` rather than of `#[scenario]`, so `#[scenario]` can
/// point such options to `#[assertion]`.
pub(crate) fn is_criterion_key(name: &str) -> bool {
    matches!(
        Key::from_name(name),
        Some(
            Key::Metric(_)
                | Key::Threshold
                | Key::Transaction
                | Key::Request
                | Key::Tag
                | Key::Custom(_)
        )
    )
}

/// The message for a key `#[assertion]` does not accept: a hint when the name looks like a
/// known key, the full list otherwise.
pub(crate) fn unknown_key(unknown: &str) -> String {
    let prefix = format!("`#[assertion]`: unknown option `{unknown}`");
    match suggest(unknown) {
        Some(Hint::Key(key)) => format!("{prefix}; did you mean `{}`?", key.name()),
        Some(Hint::Text(text)) => format!("{prefix}; {text}"),
        None => format!(
            "{prefix}; expected a metric ({}) or one of `threshold`, `transaction`, `request`, `tag`, `counter`, `gauge`, `trend`, `rate`, `name`, `abort_on_fail`, `window`, `delay`",
            metric_list()
        ),
    }
}

/// What an unknown key most likely meant.
#[derive(Debug, PartialEq, Eq)]
enum Hint {
    Key(Key),
    Text(&'static str),
}

fn suggest(unknown: &str) -> Option<Hint> {
    let normalized = normalize(unknown);
    // Case and separator slips: `P95`, `http4xx`, `peakFailures`, `Transaction`.
    if let Some(key) = Key::all().find(|key| normalize(key.name()) == normalized) {
        return Some(Hint::Key(key));
    }
    let text = match normalized.as_str() {
        "target" | "value" | "metric" | "goal" => {
            Some("write the metric with its target, like `p95 = \"2s\"`")
        }
        "scope" => Some(
            "write `transaction = \"...\"` or `request = \"...\"`, or no scope for all requests",
        ),
        _ => None,
    };
    if let Some(text) = text {
        return Some(Hint::Text(text));
    }
    let key = match normalized.as_str() {
        "limit" | "thresh" | "threshhold" | "thresold" | "thresholds" | "failat" | "failabove"
        | "upperbound" | "bound" => Some(Key::Threshold),
        "tx" | "txn" | "trans" | "transactions" | "transactionname" | "action" | "step" => {
            Some(Key::Transaction)
        }
        "req" | "requests" | "requestlabel" | "label" | "endpoint" | "url" | "path" | "route" => {
            Some(Key::Request)
        }
        "title" | "description" | "desc" | "criterion" | "displayname" | "display" => {
            Some(Key::Name)
        }
        "abort" | "abortonfailure" | "stoponfail" | "failfast" => Some(Key::AbortOnFail),
        "windowsize" | "slidingwindow" | "over" | "during" => Some(Key::Window),
        "delayabort" | "delayaborteval" | "after" | "graceperiod" => Some(Key::Delay),
        _ => None,
    };
    if let Some(key) = key {
        return Some(Hint::Key(key));
    }
    let has = |part: &str| normalized.contains(part);
    let metric = if has("peak") {
        Some(Metric::PeakFailures)
    } else if has("4xx") || has("client") || normalized == "4" {
        Some(Metric::Http4xx)
    } else if has("5xx") || has("server") || normalized == "5" {
        Some(Metric::Http5xx)
    } else if has("deadlock") || matches!(normalized.as_str(), "hung" | "hang" | "hangs" | "stuck")
    {
        Some(Metric::Deadlocks)
    } else if has("error") || has("fail") {
        Some(Metric::Failures)
    } else if has("ttfb") || has("firstbyte") || has("waiting") {
        Some(Metric::TtfbP95)
    } else if has("tls") || has("ssl") || has("handshak") {
        Some(Metric::TlsP95)
    } else if has("connect") {
        Some(Metric::ConnectP95)
    } else if matches!(
        normalized.as_str(),
        "rps" | "tps" | "qps" | "hits" | "hitspersecond" | "persecond"
    ) || has("persec")
        || has("throughput")
    {
        Some(Metric::Throughput)
    } else if matches!(
        normalized.as_str(),
        "avg" | "average" | "meantime" | "avgtime"
    ) || normalized.starts_with("mean")
        || normalized.starts_with("avg")
    {
        Some(Metric::Mean)
    } else if has("median") {
        Some(Metric::P50)
    } else if matches!(normalized.as_str(), "maximum" | "maxtime" | "slowest")
        || normalized.starts_with("max")
    {
        Some(Metric::Max)
    } else {
        percentile(&normalized)
    };
    metric.map(|metric| Hint::Key(Key::Metric(metric)))
}

/// `p95ms`, `percentile`, `pct99`, `95th`, `p99_9` → the percentile key they name (`p95` for a
/// bare "percentile" or a response-time word, the usual default).
fn percentile(normalized: &str) -> Option<Metric> {
    let digits: String = normalized
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let percentile_word = normalized.starts_with('p')
        || normalized.contains("percentile")
        || normalized.contains("th")
        || digits.len() == normalized.len();
    if !digits.is_empty() && percentile_word {
        return match digits.as_str() {
            "50" => Some(Metric::P50),
            "90" => Some(Metric::P90),
            "95" => Some(Metric::P95),
            "99" => Some(Metric::P99),
            "999" => Some(Metric::P999),
            "100" => Some(Metric::Max),
            _ => None,
        };
    }
    let response_time = matches!(
        normalized,
        "percentile" | "pct" | "latency" | "responsetime" | "rt" | "time" | "duration" | "elapsed"
    ) || normalized.starts_with("responsetime")
        || normalized.starts_with("latency");
    response_time.then_some(Metric::P95)
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for key in Key::all() {
            assert_eq!(Key::from_name(key.name()), Some(key));
        }
        assert_eq!(Key::all().count(), 33);
    }

    #[test]
    fn near_misses_get_a_hint() {
        let cases = [
            ("p95ms", Metric::P95),
            ("p95_ms", Metric::P95),
            ("P95", Metric::P95),
            ("percentile", Metric::P95),
            ("pct99", Metric::P99),
            ("p99_9", Metric::P999),
            ("95th", Metric::P95),
            ("response_time", Metric::P95),
            ("latency", Metric::P95),
            ("median", Metric::P50),
            ("avg", Metric::Mean),
            ("average", Metric::Mean),
            ("mean_ms", Metric::Mean),
            ("maximum", Metric::Max),
            ("errors", Metric::Failures),
            ("error_rate", Metric::Failures),
            ("failure_rate", Metric::Failures),
            ("failure", Metric::Failures),
            ("4xx", Metric::Http4xx),
            ("http4xx", Metric::Http4xx),
            ("errors_4xx", Metric::Http4xx),
            ("client_errors", Metric::Http4xx),
            ("5xx", Metric::Http5xx),
            ("server_errors", Metric::Http5xx),
            ("rps", Metric::Throughput),
            ("tps", Metric::Throughput),
            ("requests_per_second", Metric::Throughput),
            ("deadlock", Metric::Deadlocks),
            ("hung", Metric::Deadlocks),
            ("peak", Metric::PeakFailures),
            ("peak_errors", Metric::PeakFailures),
            ("peakFailures", Metric::PeakFailures),
            ("TTFB_p95", Metric::TtfbP95),
            ("ttfb", Metric::TtfbP95),
            ("time_to_first_byte", Metric::TtfbP95),
            ("tls", Metric::TlsP95),
            ("tls_handshake_p95", Metric::TlsP95),
            ("connect_time", Metric::ConnectP95),
            ("connectP95", Metric::ConnectP95),
        ];
        for (unknown, expected) in cases {
            assert_eq!(
                suggest(unknown),
                Some(Hint::Key(Key::Metric(expected))),
                "{unknown}"
            );
        }
        let options = [
            ("limit", Key::Threshold),
            ("Threshold", Key::Threshold),
            ("tx", Key::Transaction),
            ("endpoint", Key::Request),
            ("label", Key::Request),
            ("title", Key::Name),
        ];
        for (unknown, expected) in options {
            assert_eq!(suggest(unknown), Some(Hint::Key(expected)), "{unknown}");
        }
        assert_eq!(suggest("colour"), None);
        assert_eq!(suggest("p97"), None);
        assert!(matches!(suggest("target"), Some(Hint::Text(_))));
        assert!(matches!(suggest("scope"), Some(Hint::Text(_))));
    }

    #[test]
    fn unknown_keys_without_a_hint_list_every_key() {
        let message = unknown_key("colour");
        for key in Key::all() {
            assert!(message.contains(&format!("`{}`", key.name())), "{message}");
        }
    }

    #[test]
    fn units_are_recognised_from_the_text() {
        assert_eq!(Unit::of("2s"), Some(Unit::Duration));
        assert_eq!(Unit::of("1%"), Some(Unit::Percent));
        assert_eq!(Unit::of("50/s"), Some(Unit::Rate));
        assert_eq!(Unit::of("2x"), Some(Unit::Multiplier));
        assert_eq!(Unit::of("2"), Some(Unit::Number));
        assert_eq!(Unit::of("lots"), None);
    }
}
