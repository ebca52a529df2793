//! The option names `#[scenario]` accepts, and hints for names it does not.

/// One option of `#[scenario(...)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Threads,
    Rate,
    MaxUsers,
    PreAllocatedUsers,
    Profile,
    RampUp,
    Warmup,
    Hold,
    Cooldown,
    ThinkTime,
    Iterations,
    Tags,
    Name,
    Ignore,
    HungAfter,
    RequestTimeout,
    ConnectTimeout,
    ReadTimeout,
    Health,
    AbortAfterConsecutiveErrors,
    Setup,
    Teardown,
    OnStart,
    OnStop,
    CriteriaFile,
    AbortOnFail,
    Crate,
}

impl Key {
    /// In the order the docs and the "expected one of" list present them.
    pub(crate) const ALL: [Key; 27] = [
        Key::Threads,
        Key::Rate,
        Key::MaxUsers,
        Key::PreAllocatedUsers,
        Key::Profile,
        Key::RampUp,
        Key::Warmup,
        Key::Hold,
        Key::Cooldown,
        Key::ThinkTime,
        Key::Iterations,
        Key::Tags,
        Key::Name,
        Key::Ignore,
        Key::HungAfter,
        Key::RequestTimeout,
        Key::ConnectTimeout,
        Key::ReadTimeout,
        Key::Health,
        Key::AbortAfterConsecutiveErrors,
        Key::Setup,
        Key::Teardown,
        Key::OnStart,
        Key::OnStop,
        Key::CriteriaFile,
        Key::AbortOnFail,
        Key::Crate,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Threads => "threads",
            Key::Rate => "rate",
            Key::MaxUsers => "max_users",
            Key::PreAllocatedUsers => "pre_allocated_users",
            Key::Profile => "profile",
            Key::RampUp => "ramp_up",
            Key::Warmup => "warmup",
            Key::Hold => "hold",
            Key::Cooldown => "cooldown",
            Key::ThinkTime => "think_time",
            Key::Iterations => "iterations",
            Key::Tags => "tags",
            Key::Name => "name",
            Key::Ignore => "ignore",
            Key::HungAfter => "hung_after",
            Key::RequestTimeout => "request_timeout",
            Key::ConnectTimeout => "connect_timeout",
            Key::ReadTimeout => "read_timeout",
            Key::Health => "health",
            Key::AbortAfterConsecutiveErrors => "abort_after_consecutive_errors",
            Key::Setup => "setup",
            Key::Teardown => "teardown",
            Key::OnStart => "on_start",
            Key::OnStop => "on_stop",
            Key::CriteriaFile => "criteria_file",
            Key::AbortOnFail => "abort_on_fail",
            Key::Crate => "crate",
        }
    }

    /// The option written correctly, for messages about a value of the wrong shape.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Key::Threads => "threads = [1, 5, 10]",
            Key::Rate => "rate = [\"50/s\", \"100/s\"]",
            Key::MaxUsers => "max_users = 500",
            Key::PreAllocatedUsers => "pre_allocated_users = 50",
            Key::Profile => "profile = \"ramp\"",
            Key::RampUp => "ramp_up = \"75s\"",
            Key::Warmup => "warmup = \"5s\"",
            Key::Hold => "hold = \"60s\"",
            Key::Cooldown => "cooldown = \"10s\"",
            Key::ThinkTime => "think_time = \"500ms..2s\"",
            Key::Iterations => "iterations = 3",
            Key::Tags => "tags = [\"checkout\"]",
            Key::Name => "name = \"checkout_v2\"",
            Key::Ignore => "ignore = true",
            Key::HungAfter => "hung_after = \"30s\"",
            Key::RequestTimeout => "request_timeout = \"10s\"",
            Key::ConnectTimeout => "connect_timeout = \"3s\"",
            Key::ReadTimeout => "read_timeout = \"5s\"",
            Key::Health => "health = \"/health\"",
            Key::AbortAfterConsecutiveErrors => "abort_after_consecutive_errors = 50",
            Key::Setup => "setup = seed_data",
            Key::Teardown => "teardown = clean_up",
            Key::OnStart => "on_start = log_in",
            Key::OnStop => "on_stop = log_out",
            Key::CriteriaFile => "criteria_file = \"load/criteria.csv\"",
            Key::AbortOnFail => "abort_on_fail = true",
            Key::Crate => "crate = ::loadspec",
        }
    }

    /// What the value must be, completing "`key` must be …".
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Key::Threads => "an array of user counts",
            Key::Rate => "a rate string or an array of rate strings",
            Key::MaxUsers | Key::PreAllocatedUsers => "a positive integer",
            Key::Profile => "\"spike\", \"ramp\" or \"stress\"",
            Key::RampUp
            | Key::Warmup
            | Key::Hold
            | Key::Cooldown
            | Key::HungAfter
            | Key::RequestTimeout
            | Key::ConnectTimeout
            | Key::ReadTimeout => "a duration string",
            Key::ThinkTime => "a duration range string or a duration string",
            Key::Iterations | Key::AbortAfterConsecutiveErrors => "a positive integer",
            Key::Health => "a path string starting with /",
            Key::Tags => "an array of string literals",
            Key::Name => "a string literal",
            Key::Ignore | Key::AbortOnFail => "`true` or `false` (or written alone)",
            Key::CriteriaFile => "a string literal path, relative to the crate root",
            Key::Crate => "a path",
            Key::Setup | Key::Teardown | Key::OnStart | Key::OnStop => "the path of an async fn",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }

    /// The option a misspelled or foreign name most likely meant.
    pub(crate) fn suggest(unknown: &str) -> Option<Key> {
        let normalized = normalize(unknown);
        let alias = match normalized.as_str() {
            "ramp" | "rampuptime" | "rampupperiod" => Some(Key::RampUp),
            "thread" | "users" | "user" | "vus" | "vu" | "concurrency" => Some(Key::Threads),
            "rates" | "arrivalrate" | "rps" | "throughput" => Some(Key::Rate),
            "maxvus" | "maxusers" => Some(Key::MaxUsers),
            "preallocatedvus" | "preallocated" => Some(Key::PreAllocatedUsers),
            "duration" | "holdfor" | "holdtime" => Some(Key::Hold),
            "think" | "pacing" | "pause" => Some(Key::ThinkTime),
            "iteration" | "iters" | "loops" => Some(Key::Iterations),
            "tag" => Some(Key::Tags),
            "timeout" => Some(Key::RequestTimeout),
            "hung" | "hangafter" => Some(Key::HungAfter),
            "ignored" | "skip" => Some(Key::Ignore),
            "kind" | "mode" => Some(Key::Profile),
            "cooldownperiod" | "cooldowntime" => Some(Key::Cooldown),
            "warm" | "warmuptime" | "warmupperiod" | "warming" => Some(Key::Warmup),
            "criteria" | "criteriacsv" | "criteriapath" | "criteriafiles" | "criteriatable"
            | "thresholdsfile" | "assertionsfile" | "slofile" => Some(Key::CriteriaFile),
            "abort" | "abortonfailure" | "stoponfail" | "stoponfailure" | "failfast"
            | "abortonfailed" => Some(Key::AbortOnFail),
            _ => None,
        };
        // Catches case and separator slips: `rampUp`, `RampUp`, `ramp-up`, `thinktime`.
        alias.or_else(|| {
            Key::ALL
                .into_iter()
                .find(|key| normalize(key.name()) == normalized)
        })
    }

    /// `` `threads`, `profile`, … `` for "expected one of" messages.
    pub(crate) fn list() -> String {
        let names: Vec<String> = Key::ALL
            .iter()
            .map(|key| format!("`{}`", key.name()))
            .collect();
        names.join(", ")
    }
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
    fn the_keys_are_the_documented_ones() {
        let mut documented: Vec<&str> = loadspec_units::options::OPTIONS
            .iter()
            .flat_map(|o| o.attribute_keys())
            .collect();
        let mut accepted: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
        documented.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(
            accepted, documented,
            "#[scenario]'s keys differ from loadspec-units' options table"
        );
    }

    #[test]
    fn names_round_trip() {
        for key in Key::ALL {
            assert_eq!(Key::from_name(key.name()), Some(key));
        }
    }

    #[test]
    fn near_misses_get_a_hint() {
        let cases = [
            ("rampup", Key::RampUp),
            ("ramp", Key::RampUp),
            ("rampUp", Key::RampUp),
            ("warm_up", Key::Warmup),
            ("warmUp", Key::Warmup),
            ("warmup_time", Key::Warmup),
            ("thread", Key::Threads),
            ("users", Key::Threads),
            ("vus", Key::Threads),
            ("duration", Key::Hold),
            ("hold_for", Key::Hold),
            ("think", Key::ThinkTime),
            ("thinktime", Key::ThinkTime),
            ("pacing", Key::ThinkTime),
            ("iteration", Key::Iterations),
            ("tag", Key::Tags),
            ("timeout", Key::RequestTimeout),
            ("requestTimeout", Key::RequestTimeout),
            ("criteria", Key::CriteriaFile),
            ("criteriaFile", Key::CriteriaFile),
            ("abort", Key::AbortOnFail),
            ("fail_fast", Key::AbortOnFail),
            ("abortOnFail", Key::AbortOnFail),
        ];
        for (unknown, expected) in cases {
            assert_eq!(Key::suggest(unknown), Some(expected), "{unknown}");
        }
        assert_eq!(Key::suggest("colour"), None);
    }
}
