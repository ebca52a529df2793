//! Every option of a run, declared once: its `#[scenario]` attribute, command-line flag,
//! environment variable, default and meaning, as docs/configuration.md shows them.
//!
//! The macros' keys, the harness's flags and environment variables, and the docs' table are
//! checked against this list by tests, so an option added in one place and forgotten in
//! another fails the tests instead of surprising a user.

/// One option: each column as written in the docs (`—` where the option has no such form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// The docs' table it is listed in.
    pub table: Table,
    /// How the option is written in `#[scenario(..)]`, e.g. `` `threads = [1, 5, 10]` ``.
    pub attribute: &'static str,
    /// Its command-line flags, e.g. `` `--threads 1,5,10` ``.
    pub cli: &'static str,
    /// Its environment variables, e.g. `` `LOADSPEC_THREADS` ``.
    pub env: &'static str,
    /// Its default.
    pub default: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

impl OptionSpec {
    /// The attribute keys (`threads`; `setup`, `teardown`, … for the hooks' row).
    pub fn attribute_keys(&self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = Vec::new();
        // Code spans are the odd pieces between backticks: `key = value` or `key`.
        for span in self.attribute.split('`').skip(1).step_by(2) {
            let key = span.split([' ', '=']).next().unwrap_or(span);
            if !key.is_empty() && !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// The long flags it is given with (`threads` for `--threads`).
    pub fn flags(&self) -> Vec<&'static str> {
        words(self.cli)
            .filter_map(|w| w.strip_prefix("--"))
            .collect()
    }

    /// [`Self::meaning`] without its Markdown: no backticks, no links to other pages.
    pub fn plain_meaning(&self) -> String {
        let mut text = String::new();
        let mut rest = self.meaning;
        // `([resilience](resilience.md))` and `[below](#profiles)` point into the docs.
        while let Some(start) = rest.find('[') {
            let Some(close) = rest[start..].find("](").map(|i| start + i) else {
                break;
            };
            let Some(end) = rest[close..].find(')').map(|i| close + i) else {
                break;
            };
            let before = rest[..start].trim_end_matches('(').trim_end();
            text.push_str(before);
            rest = rest[end + 1..].trim_start_matches(')');
        }
        text.push_str(rest);
        text.replace('`', "")
            .trim()
            .trim_end_matches([',', ';'])
            .to_owned()
    }

    /// The environment variables it is read from.
    pub fn env_vars(&self) -> Vec<&'static str> {
        words(self.env)
            .filter(|w| w.starts_with("LOADSPEC_") || *w == "JOB_COMPLETION_INDEX")
            .collect()
    }
}

/// The words of a cell: backticks, commas, spaces, `=value` and `/` alternatives split off.
fn words(cell: &'static str) -> impl Iterator<Item = &'static str> {
    cell.split(['`', ',', ' ', '/', '=', '\\'])
        .filter(|w| !w.is_empty())
}

/// The two options tables of docs/configuration.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Every run's options.
    Run,
    /// The open model's (arrival rates instead of users).
    OpenModel,
}

/// The tables' header, as in docs/configuration.md.
pub const TABLE_HEADER: &str =
    "| attribute | CLI | environment | default | meaning |\n|---|---|---|---|---|\n";

/// One of docs/configuration.md's options tables: [`TABLE_HEADER`] and one row per option.
pub fn markdown_table(which: Table) -> String {
    let mut table = TABLE_HEADER.to_owned();
    for o in OPTIONS.iter().filter(|o| o.table == which) {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            o.attribute, o.cli, o.env, o.default, o.meaning
        ));
    }
    table
}

/// Every option, in the docs' order.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        table: Table::Run,
        attribute: "`threads = [1, 5, 10]`",
        cli: "`--threads 1,5,10`",
        env: "`LOADSPEC_THREADS`",
        default: "`[1]`",
        meaning: "users of each load step, run in order",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`profile = \"spike\"`",
        cli: "`--profile`",
        env: "`LOADSPEC_PROFILE`",
        default: "`spike`",
        meaning: "`spike`, `ramp` or `stress`",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`ramp_up = \"75s\"`",
        cli: "`--ramp-up`",
        env: "`LOADSPEC_RAMP_UP`",
        default: "`0s`",
        meaning: "ramp and stress: time to start all users",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`warmup = \"5s\"`",
        cli: "`--warmup`",
        env: "`LOADSPEC_WARMUP`",
        default: "`0s`",
        meaning: "time at full load after the ramp-up whose requests are left out of the step's statistics ([below](#profiles))",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`hold = \"60s\"`",
        cli: "`--hold`",
        env: "`LOADSPEC_HOLD`",
        default: "`60s`",
        meaning: "time at full load per step, after the warm-up",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`cooldown = \"10s\"`",
        cli: "`--cooldown`",
        env: "`LOADSPEC_COOLDOWN`",
        default: "`10s`",
        meaning: "pause between steps",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`think_time = \"500ms..2s\"`",
        cli: "`--think-time`",
        env: "`LOADSPEC_THINK_TIME`",
        default: "none",
        meaning: "pause between iterations of a user, uniform in the range",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`iterations = 3`",
        cli: "`--iterations`",
        env: "`LOADSPEC_ITERATIONS`",
        default: "none",
        meaning: "fixed iterations per user instead of a timed hold",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`hung_after = \"120s\"`",
        cli: "—",
        env: "—",
        default: "`120s`",
        meaning: "a transaction running longer is cancelled and counted as hung",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`request_timeout = \"60s\"`",
        cli: "—",
        env: "—",
        default: "`60s`",
        meaning: "timeout of one request, connection included",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`connect_timeout = \"10s\"`",
        cli: "—",
        env: "—",
        default: "`10s`",
        meaning: "timeout of establishing a connection",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`read_timeout = \"5s\"`",
        cli: "—",
        env: "—",
        default: "off",
        meaning: "longest wait for the next bytes of a response",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`health = \"/health\"`",
        cli: "`--health`",
        env: "`LOADSPEC_HEALTH`",
        default: "off",
        meaning: "polled before each step until 2xx ([resilience](resilience.md))",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--health-timeout`",
        env: "`LOADSPEC_HEALTH_TIMEOUT`",
        default: "`60s`",
        meaning: "how long the health gate waits",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--on-unhealthy CMD`",
        env: "`LOADSPEC_ON_UNHEALTHY`",
        default: "off",
        meaning: "a shell command run once per outage",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`abort_after_consecutive_errors = 50`",
        cli: "—",
        env: "—",
        default: "off",
        meaning: "stop a step after N unreachable requests in a row",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`criteria_file = \"load/criteria.csv\"`",
        cli: "`--criteria FILE`",
        env: "`LOADSPEC_CRITERIA`",
        default: "none",
        meaning: "a criteria CSV ([criteria](criteria.md))",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`abort_on_fail`",
        cli: "—",
        env: "—",
        default: "off",
        meaning: "stop the sweep after the first step with a failed criterion",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--fail-on warn`",
        env: "—",
        default: "`fail`",
        meaning: "warnings fail the run too",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--samples jtl`",
        env: "`LOADSPEC_SAMPLES`",
        default: "off",
        meaning: "log every sample to `samples.jtl` (JMeter CSV)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--monitor-interval`",
        env: "`LOADSPEC_MONITOR_INTERVAL`",
        default: "`1s`",
        meaning: "system sampling ([monitoring](monitoring.md)); `0s` off",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--scrape URL`",
        env: "`LOADSPEC_SCRAPE`",
        default: "off",
        meaning: "a Prometheus endpoint of the target",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--scrape-series LIST`",
        env: "`LOADSPEC_SCRAPE_SERIES`",
        default: "all",
        meaning: "series to keep",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--scrape-interval`",
        env: "`LOADSPEC_SCRAPE_INTERVAL`",
        default: "`5s`",
        meaning: "how often to scrape",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--dashboard [ADDR]`",
        env: "`LOADSPEC_DASHBOARD`",
        default: "off (`127.0.0.1:0` when given without an address)",
        meaning: "serve a live dashboard while the run goes, on a loopback address; the console prints its URL and stop token, [monitoring](monitoring.md#live-dashboard)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--dashboard-bind ADDR`",
        env: "`LOADSPEC_DASHBOARD_BIND`",
        default: "off",
        meaning: "serve the dashboard on any address, not only loopback (others on the network can watch; stopping still needs the token)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--metrics-listen ADDR`",
        env: "`LOADSPEC_METRICS_LISTEN`",
        default: "off",
        meaning: "serve the generator's own metrics for Prometheus at `http://ADDR/metrics`, [monitoring](monitoring.md#metrics-out)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--otlp URL`",
        env: "`LOADSPEC_OTLP`",
        default: "off",
        meaning: "push the generator's metrics over OTLP/HTTP (protobuf) to `URL/v1/metrics`",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--otlp-interval DURATION`",
        env: "`LOADSPEC_OTLP_INTERVAL`",
        default: "`5s`",
        meaning: "how often metrics are pushed over OTLP (and once more at the end)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--live-linger DURATION`",
        env: "`LOADSPEC_LIVE_LINGER`",
        default: "`0s`",
        meaning: "keep the dashboard and the metrics endpoint up this long after the run, so a last scrape sees the final figures",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--live-strict`",
        env: "`LOADSPEC_LIVE_STRICT=1`",
        default: "off",
        meaning: "a dashboard or metrics port that cannot be taken, or an OTLP collector that does not take the first push, is an error instead of a warning",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--fail-on-saturation`",
        env: "—",
        default: "off",
        meaning: "a step marked unreliable by the saturation guard (generator-bound or machine-saturated) fails the run",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--allow-remote-load`",
        env: "`LOADSPEC_ALLOW_REMOTE_LOAD`",
        default: "off",
        meaning: "more than 50 users against a non-loopback target",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--no-redact`",
        env: "`LOADSPEC_REDACT=off`",
        default: "masked",
        meaning: "keep secrets in samples and logs",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--http-client`",
        env: "`LOADSPEC_HTTP_CLIENT`",
        default: "`direct`",
        meaning: "`direct` (each user's own connection, HTTP and HTTPS) or `reqwest` (pooled), [below](#http-clients)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--http-version VERSION`",
        env: "`LOADSPEC_HTTP_VERSION`",
        default: "`auto`",
        meaning: "`auto` (HTTP/2 where an HTTPS server chooses it by ALPN), `1.1`, or `2` (required; h2c prior knowledge on cleartext), [below](#http2)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--source-addresses LIST`",
        env: "`LOADSPEC_SOURCE_ADDRESSES`",
        default: "`auto`",
        meaning: "local addresses the users' connections come from, user `i` from the `i % n`th: `auto` (enough of 127.0.0.0/8 when a step needs more connections to a 127.x target than one address has local ports), `off`, or a list such as `127.0.0.1-127.0.0.8,127.0.1.1`, [below](#source-addresses)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--ca-cert FILE`",
        env: "`LOADSPEC_CA_CERT`",
        default: "system roots",
        meaning: "also trust the CA certificates of this PEM file for HTTPS, [below](#https)",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--insecure`",
        env: "`LOADSPEC_INSECURE=1`",
        default: "off",
        meaning: "accept any TLS certificate (no verification); recorded in the results and warned about",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--max-response-body SIZE`",
        env: "`LOADSPEC_MAX_RESPONSE_BODY`",
        default: "`64MiB`",
        meaning: "the largest response body (or WebSocket message) a user reads, e.g. `500kB`, `1GiB` or bytes; a larger one, or a `content-length` announcing one, fails the request as `io` and closes its connection, so an endless body cannot exhaust memory ([resilience](resilience.md#faults-tried))",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`tags = [\"insuree\"]`",
        cli: "—",
        env: "—",
        default: "none",
        meaning: "free-form tags, recorded in the results",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`name = \"checkout_v2\"`",
        cli: "—",
        env: "—",
        default: "the function's name",
        meaning: "the scenario's name in results, reports and test filters",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`setup = seed`, `teardown = clean_up`, `on_start = log_in`, `on_stop = log_out`",
        cli: "—",
        env: "—",
        default: "the binary's `#[setup]` / `#[teardown]`; none",
        meaning: "the scenario's own lifecycle hooks ([below](#lifecycle-hooks))",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`crate = ::loadspec`",
        cli: "—",
        env: "—",
        default: "`::loadspec`",
        meaning: "the path of the loadspec crate, for a crate that renames or re-exports it",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "`ignore`",
        cli: "`--ignored`, `--include-ignored`",
        env: "—",
        default: "off",
        meaning: "skipped unless ignored tests are asked for",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--target URL`",
        env: "`LOADSPEC_TARGET`",
        default: "none (required)",
        meaning: "base URL; scenarios use relative paths",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--seed N`",
        env: "`LOADSPEC_SEED`",
        default: "random, recorded",
        meaning: "seed of every user's random stream",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--out-dir DIR`",
        env: "`LOADSPEC_OUT_DIR`",
        default: "`target/loadspec`",
        meaning: "where results go",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--workers N`",
        env: "`LOADSPEC_WORKERS`",
        default: "one per core",
        meaning: "worker threads driving the users",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--full` / `--smoke`",
        env: "`LOADSPEC_MODE=full\\|smoke`",
        default: "see below",
        meaning: "run the load plan or the smoke check",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--shard I/N`",
        env: "`LOADSPEC_SHARD`, or `JOB_COMPLETION_INDEX` + `LOADSPEC_SHARD_COUNT`",
        default: "off",
        meaning: "run shard `I` (from 0) of `N`: its share of every step's users and arrivals ([scale-out](scale-out.md))",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--start-at TIME`",
        env: "`LOADSPEC_START_AT`",
        default: "now",
        meaning: "RFC 3339 time at which every shard starts its first step",
    },
    OptionSpec {
        table: Table::Run,
        attribute: "—",
        cli: "`--expected-interval`",
        env: "`LOADSPEC_EXPECTED_INTERVAL`",
        default: "off",
        meaning: "closed model: also report latencies corrected for coordinated omission, requests being due every interval ([below](#open-model-arrival-rates))",
    },
    OptionSpec {
        table: Table::OpenModel,
        attribute: "`rate = \"200/s\"` or `rate = [\"50/s\", \"100/s\"]`",
        cli: "`--rate 50/s,100/s`",
        env: "`LOADSPEC_RATE`",
        default: "none",
        meaning: "iterations started per second, one step per rate (replaces `threads`)",
    },
    OptionSpec {
        table: Table::OpenModel,
        attribute: "`max_users = 500`",
        cli: "`--max-users`",
        env: "`LOADSPEC_MAX_USERS`",
        default: "1000",
        meaning: "the most iterations running at once",
    },
    OptionSpec {
        table: Table::OpenModel,
        attribute: "`pre_allocated_users = 50`",
        cli: "`--pre-allocated-users`",
        env: "`LOADSPEC_PRE_ALLOCATED_USERS`",
        default: "rate/10 + 10",
        meaning: "users created when the step starts",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_table_is_this_list() {
        let docs = include_str!("../../docs/configuration.md");
        for table in [Table::Run, Table::OpenModel] {
            assert!(
                docs.contains(&markdown_table(table)),
                "docs/configuration.md's {table:?} table differs from loadspec-units/src/options.rs; it should read:\n{}",
                markdown_table(table)
            );
        }
    }

    #[test]
    fn plain_meanings_drop_markdown() {
        let health = OPTIONS
            .iter()
            .find(|o| o.attribute_keys() == ["health"])
            .unwrap();
        assert_eq!(health.plain_meaning(), "polled before each step until 2xx");
        let client = OPTIONS
            .iter()
            .find(|o| o.flags() == ["http-client"])
            .unwrap();
        assert_eq!(
            client.plain_meaning(),
            "direct (each user's own connection, HTTP and HTTPS) or reqwest (pooled)"
        );
    }

    #[test]
    fn cells_split_into_keys_flags_and_variables() {
        let threads = OPTIONS
            .iter()
            .find(|o| o.attribute_keys() == ["threads"])
            .unwrap();
        assert_eq!(threads.flags(), ["threads"]);
        assert_eq!(threads.env_vars(), ["LOADSPEC_THREADS"]);
        let mode = OPTIONS
            .iter()
            .find(|o| o.flags() == ["full", "smoke"])
            .unwrap();
        assert_eq!(mode.env_vars(), ["LOADSPEC_MODE"]);
        assert!(mode.attribute_keys().is_empty());
        let rate = OPTIONS.iter().find(|o| o.flags() == ["rate"]).unwrap();
        assert_eq!(rate.attribute_keys(), ["rate"]);
        let hooks = OPTIONS
            .iter()
            .find(|o| o.attribute_keys().len() > 1)
            .unwrap();
        assert_eq!(
            hooks.attribute_keys(),
            ["setup", "teardown", "on_start", "on_stop"]
        );
        let shard = OPTIONS.iter().find(|o| o.flags() == ["shard"]).unwrap();
        assert_eq!(
            shard.env_vars(),
            [
                "LOADSPEC_SHARD",
                "JOB_COMPLETION_INDEX",
                "LOADSPEC_SHARD_COUNT"
            ]
        );
    }
}
