//! Layering and validation: scenario options, then the overrides, into one [`RunPlan`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{
    Arrivals, HealthGate, Mode, Overrides, PlannedScenario, ProfileKind, RunPlan, StepPlan,
    defaults,
};
use crate::error::ConfigError;
use crate::scenario::Scenario;
use loadspec_results::criteria::{Criterion, Metric};

/// The sample log's file name; the harness puts it in the run's directory.
pub const SAMPLE_LOG: &str = "samples.jtl";

/// Builds the plan of running `scenarios` together with `overrides` on top of their own options.
///
/// Several scenarios run together only under the stress profile. The stress plan has as many
/// steps as the longest `threads` list; a shorter list keeps its last value. Timings that differ
/// between the scenarios take the longest value.
pub fn resolve(scenarios: &[Scenario], overrides: &Overrides) -> Result<RunPlan, ConfigError> {
    let first = scenarios.first().ok_or(ConfigError::NoScenarios)?;
    let target = validate_target(overrides.target.as_deref().ok_or(ConfigError::NoTarget)?)?;
    let mode = overrides.mode.unwrap_or(Mode::Full);
    let options = || scenarios.iter().map(Scenario::options);

    let profile = match overrides.profile {
        Some(profile) => profile,
        None if scenarios.len() > 1 => ProfileKind::Stress,
        None => first.options().profile.unwrap_or(ProfileKind::Spike),
    };
    if scenarios.len() > 1 && profile != ProfileKind::Stress {
        return Err(ConfigError::scenario(
            first.name(),
            format!(
                "{} scenarios can only run together under the stress profile, not {}",
                scenarios.len(),
                profile.as_str()
            ),
        ));
    }

    let mut planned = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let threads = match &overrides.threads {
            Some(threads) => threads.clone(),
            None => scenario.threads().unwrap_or(defaults::THREADS).to_vec(),
        };
        validate_threads(scenario.name(), &threads)?;
        let o = scenario.options();
        let think_time = if mode == Mode::Smoke {
            None
        } else {
            overrides.think_time.or(o.think_time)
        };
        if let Some((min, max)) = think_time
            && min > max
        {
            return Err(ConfigError::scenario(
                scenario.name(),
                "think_time's minimum exceeds its maximum",
            ));
        }
        let hung_after = o.hung_after.unwrap_or(defaults::HUNG_AFTER);
        if hung_after.is_zero() {
            return Err(ConfigError::scenario(
                scenario.name(),
                "hung_after must be longer than 0",
            ));
        }
        let request_timeout = o.request_timeout.unwrap_or(defaults::REQUEST_TIMEOUT);
        if request_timeout.is_zero() {
            return Err(ConfigError::scenario(
                scenario.name(),
                "request_timeout must be longer than 0",
            ));
        }
        let criteria = scenario_criteria(scenario, overrides.criteria_file.as_deref())?;
        planned.push(PlannedScenario {
            scenario: scenario.clone(),
            threads,
            think_time,
            hung_after,
            request_timeout,
            criteria,
            abort_on_fail: o.abort_on_fail,
            connect_timeout: o.connect_timeout.unwrap_or(defaults::CONNECT_TIMEOUT),
            read_timeout: o.read_timeout,
            abort_after_consecutive_errors: o.abort_after_consecutive_errors,
            rates: open_rates(scenario, overrides)?,
        });
    }

    let longest = |pick: fn(&crate::registry::EntryOptions) -> Option<Duration>| {
        options().filter_map(pick).max()
    };
    // A ramp-up asked for on the command line or in the environment would be dropped without a
    // word by the spike profile (every user at once): a 100,000-user run that meant to ramp
    // would open every connection in the same instant instead.
    if profile == ProfileKind::Spike
        && let Some(asked) = overrides.ramp_up.filter(|r| !r.is_zero())
    {
        return Err(ConfigError::scenario(
            first.name(),
            format!(
                "a ramp-up of {asked:?} (--ramp-up or LOADSPEC_RAMP_UP) does nothing with the \
                 spike profile, which starts every user at once: add --profile ramp (or stress)"
            ),
        ));
    }
    let ramp_up = match profile {
        ProfileKind::Spike => Duration::ZERO,
        _ => overrides
            .ramp_up
            .or_else(|| longest(|o| o.ramp_up))
            .unwrap_or(Duration::ZERO),
    };
    if profile == ProfileKind::Ramp && ramp_up.is_zero() && mode == Mode::Full {
        return Err(ConfigError::scenario(
            first.name(),
            "the ramp profile needs a ramp-up longer than 0 (ramp_up = \"75s\", --ramp-up or LOADSPEC_RAMP_UP)",
        ));
    }
    // Smoke runs one iteration: there is nothing to warm up before it.
    let warmup = match mode {
        Mode::Smoke => Duration::ZERO,
        Mode::Full => overrides
            .warmup
            .or_else(|| longest(|o| o.warmup))
            .unwrap_or(Duration::ZERO),
    };
    let explicit_hold = overrides.hold.or_else(|| longest(|o| o.hold));
    let hold = explicit_hold.unwrap_or(defaults::HOLD);
    let cooldown = overrides
        .cooldown
        .or_else(|| longest(|o| o.cooldown))
        .unwrap_or(defaults::COOLDOWN);
    let iterations = overrides
        .iterations
        .or_else(|| options().filter_map(|o| o.iterations).max());
    if iterations.is_none() && hold.is_zero() && mode == Mode::Full {
        return Err(ConfigError::scenario(
            first.name(),
            "hold must be longer than 0 unless iterations are fixed",
        ));
    }

    let steps = match mode {
        Mode::Smoke => vec![StepPlan {
            index: 0,
            users: vec![1; planned.len()],
            ramp_up: Duration::ZERO,
            warmup: Duration::ZERO,
            hold: Duration::ZERO,
            cooldown: Duration::ZERO,
            iterations: Some(1),
            stop_at: defaults::ITERATIONS_MAX_DURATION,
            // A smoke run is one user, one iteration, whatever the model.
            arrivals: vec![None; planned.len()],
            pre_allocated: vec![0; planned.len()],
        }],
        Mode::Full => {
            let count = planned
                .iter()
                .map(|p| p.rates.as_ref().map_or(p.threads.len(), Vec::len))
                .max()
                .unwrap_or(1);
            let stop_at = match (iterations, explicit_hold) {
                (Some(_), None) => ramp_up + warmup + defaults::ITERATIONS_MAX_DURATION,
                _ => ramp_up + warmup + hold,
            };
            (0..count)
                .map(|index| StepPlan {
                    index,
                    users: planned
                        .iter()
                        .map(|p| match &p.rates {
                            Some(_) => max_users(p.scenario.options(), overrides),
                            None => p.threads[index.min(p.threads.len() - 1)],
                        })
                        .collect(),
                    arrivals: planned
                        .iter()
                        .map(|p| {
                            p.rates
                                .as_ref()
                                .map(|rates| arrivals(rates, index, ramp_up))
                        })
                        .collect(),
                    pre_allocated: planned
                        .iter()
                        .map(|p| match &p.rates {
                            Some(rates) => pre_allocated(
                                p.scenario.options(),
                                overrides,
                                rates[index.min(rates.len() - 1)],
                            ),
                            None => 0,
                        })
                        .collect(),
                    ramp_up,
                    warmup,
                    hold,
                    cooldown: if index + 1 == count {
                        Duration::ZERO
                    } else {
                        cooldown
                    },
                    iterations,
                    stop_at,
                })
                .collect()
        }
    };

    check_load_safety(&target, &steps, overrides)?;
    // Sharding splits each full step's users after the safety check, which judges the whole
    // load; smoke runs are not sharded (every shard runs the one-user check).
    let mut steps = steps;
    let shard = overrides
        .shard
        .filter(|_| mode == Mode::Full)
        .map(|spec| crate::plan::shard::PlanShard::apply(spec, &mut steps));
    if let Some(at) = overrides.start_at {
        crate::plan::shard::check_start_at(at, SystemTime::now()).map_err(|e| {
            ConfigError::invalid("start time", &loadspec_results::rfc3339(at), &e.expected())
        })?;
    }
    let source_addresses = crate::plan::sources::resolve(
        &overrides.source_addresses.clone().unwrap_or_default(),
        is_loopback_v4(&target),
        steps
            .iter()
            .map(|s| u64::from(s.total_users()))
            .max()
            .unwrap_or(0),
        crate::monitor::limits::local_ports(),
    )
    .into();
    let tls = crate::user::TlsOptions {
        ca_cert: overrides.ca_cert.clone(),
        insecure: overrides.insecure.unwrap_or(false),
    };
    Ok(RunPlan {
        name: if planned.len() == 1 {
            first.name().to_owned()
        } else {
            "stress".to_owned()
        },
        mode,
        profile,
        target,
        seed: overrides.seed.unwrap_or_else(fresh_seed),
        scenarios: planned,
        steps,
        out_dir: overrides.out_dir.clone().unwrap_or_else(default_out_dir),
        workers: overrides.workers.unwrap_or_else(default_workers).max(1),
        graceful_stop: defaults::GRACEFUL_STOP,
        sample_log: overrides
            .samples
            .unwrap_or(false)
            .then(|| PathBuf::from(SAMPLE_LOG)),
        health: health_gate(scenarios, overrides)?,
        redact: overrides.redact.unwrap_or(true),
        shard,
        start_at: overrides.start_at,
        expected_interval: overrides.expected_interval.filter(|i| !i.is_zero()),
        http_client: overrides.http_client.unwrap_or_default(),
        http_version: overrides.http_version.unwrap_or_default(),
        source_addresses,
        max_response_body: overrides
            .max_response_body
            .unwrap_or(defaults::MAX_RESPONSE_BODY),
        tls_client: std::sync::Arc::new(crate::user::TlsClient::new(&tls)?),
        tls,
        live: live_settings(overrides)?,
        monitor: crate::monitor::MonitorConfig {
            interval: Some(
                overrides
                    .monitor_interval
                    .unwrap_or(defaults::MONITOR_INTERVAL),
            )
            .filter(|i| !i.is_zero()),
            scrape: overrides
                .scrape
                .clone()
                .map(|url| crate::monitor::ScrapeConfig {
                    url,
                    series: overrides.scrape_series.clone().unwrap_or_default(),
                    interval: overrides
                        .scrape_interval
                        .unwrap_or(defaults::SCRAPE_INTERVAL)
                        .max(Duration::from_millis(100)),
                }),
        },
    })
}

/// The live outputs asked for. `--dashboard` takes loopback addresses only: a dashboard on
/// the network is a choice made with `--dashboard-bind`.
fn live_settings(overrides: &Overrides) -> Result<loadspec_live::LiveSettings, ConfigError> {
    if let Some(addr) = overrides.dashboard.filter(|a| !a.ip().is_loopback()) {
        return Err(ConfigError::invalid(
            "--dashboard",
            &addr.to_string(),
            "a loopback address (127.0.0.1 or [::1]); use --dashboard-bind to serve the dashboard on other interfaces",
        ));
    }
    let defaults = loadspec_live::LiveSettings::default();
    Ok(loadspec_live::LiveSettings {
        dashboard: overrides.dashboard_bind.or(overrides.dashboard),
        metrics_listen: overrides.metrics_listen,
        otlp: overrides.otlp.clone(),
        otlp_interval: overrides.otlp_interval.unwrap_or(defaults.otlp_interval),
        linger: overrides.live_linger.unwrap_or(defaults.linger),
        strict: overrides.live_strict.unwrap_or(false),
    })
}

/// The open model's rates of a scenario: from the overrides, else its attribute; validated.
fn open_rates(scenario: &Scenario, overrides: &Overrides) -> Result<Option<Vec<f64>>, ConfigError> {
    let Some(rates) = overrides
        .rates
        .clone()
        .or_else(|| scenario.rates().map(<[f64]>::to_vec))
    else {
        return Ok(None);
    };
    if rates.is_empty() {
        return Err(ConfigError::scenario(
            scenario.name(),
            "rate is empty; give at least one rate like \"100/s\"",
        ));
    }
    if let Some(bad) = rates.iter().find(|r| !r.is_finite() || **r <= 0.0) {
        return Err(ConfigError::scenario(
            scenario.name(),
            format!("rate {bad} is not a positive number of iterations per second"),
        ));
    }
    Ok(Some(rates))
}

/// Step `index`'s arrival schedule: a ramp from the previous step's rate (zero before the
/// first) over the ramp-up, then the step's rate.
fn arrivals(rates: &[f64], index: usize, ramp_up: Duration) -> Arrivals {
    let rate = rates[index.min(rates.len() - 1)];
    let from = if index == 0 {
        0.0
    } else {
        rates[(index - 1).min(rates.len() - 1)]
    };
    if ramp_up.is_zero() {
        Arrivals::constant(rate)
    } else {
        Arrivals {
            from,
            to: rate,
            ramp_up,
        }
    }
}

fn max_users(options: &crate::registry::EntryOptions, overrides: &Overrides) -> u32 {
    overrides
        .max_users
        .or(options.max_users)
        .unwrap_or(defaults::MAX_USERS)
}

/// Users created when an open step starts: as asked, else enough for iterations of about
/// 100 ms at the step's rate (k6's rule of thumb), at most `max_users`.
fn pre_allocated(options: &crate::registry::EntryOptions, overrides: &Overrides, rate: f64) -> u32 {
    let max = max_users(options, overrides);
    let asked = overrides
        .pre_allocated_users
        .or(options.pre_allocated_users);
    asked
        .unwrap_or_else(|| (rate / 10.0).ceil() as u32 + 10)
        .min(max)
}

/// The health gate: a path from the CLI or environment, else the first scenario's attribute.
fn health_gate(
    scenarios: &[Scenario],
    overrides: &Overrides,
) -> Result<Option<HealthGate>, ConfigError> {
    let path = overrides
        .health
        .clone()
        .or_else(|| scenarios.iter().find_map(|s| s.health().map(str::to_owned)));
    let Some(path) = path else { return Ok(None) };
    if !path.starts_with('/') {
        return Err(ConfigError::invalid(
            "health path",
            &path,
            "a path starting with /, like /health",
        ));
    }
    let max_wait = overrides.health_timeout.unwrap_or(defaults::HEALTH_WAIT);
    if max_wait > defaults::HEALTH_WAIT_MAX {
        return Err(ConfigError::invalid(
            "health timeout",
            &humantime::format_duration(max_wait).to_string(),
            "at most 1h",
        ));
    }
    Ok(Some(HealthGate {
        path,
        max_wait,
        on_unhealthy: overrides.on_unhealthy.clone(),
        recovery_timeout: defaults::RECOVERY_TIMEOUT,
    }))
}

/// Refuses a heavy plan against a target that is not on this machine unless allowed.
fn check_load_safety(
    target: &str,
    steps: &[StepPlan],
    overrides: &Overrides,
) -> Result<(), ConfigError> {
    let users = steps.iter().map(StepPlan::total_users).max().unwrap_or(0);
    if users <= defaults::REMOTE_USERS_LIMIT
        || overrides.allow_remote_load == Some(true)
        || is_loopback(target)
    {
        return Ok(());
    }
    Err(ConfigError::UnsafeLoad {
        target: target.to_owned(),
        users,
        limit: defaults::REMOTE_USERS_LIMIT,
    })
}

/// Whether a base URL names an IPv4 loopback address (127.0.0.0/8), which every address of
/// that network can reach.
fn is_loopback_v4(target: &str) -> bool {
    matches!(
        url::Url::parse(target).ok().and_then(|u| u.host().map(|h| h.to_owned())),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    )
}

/// Whether a base URL points at this machine.
fn is_loopback(target: &str) -> bool {
    match url::Url::parse(target)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The scenario's criteria: its own rows, its criteria file's, then the run-wide file's rows
/// that apply to it; each validated.
fn scenario_criteria(
    scenario: &Scenario,
    run_file: Option<&Path>,
) -> Result<Vec<Criterion>, ConfigError> {
    let mut criteria = scenario.criteria();
    for file in scenario
        .criteria_file()
        .map(Path::new)
        .into_iter()
        .chain(run_file)
    {
        for row in loadspec_results::criteria::load_file(file)? {
            if row.scenario.as_deref().is_none_or(|s| s == scenario.name()) {
                criteria.push(row.criterion);
            }
        }
    }
    for criterion in &criteria {
        criterion.validate().map_err(|e| {
            ConfigError::scenario(
                scenario.name(),
                format!("criterion {}: {e}", criterion.title()),
            )
        })?;
    }
    let peak = criteria.iter().any(|c| c.metric == Metric::PeakFailures);
    if peak && !criteria.iter().any(|c| c.metric == Metric::Failures) {
        return Err(ConfigError::scenario(
            scenario.name(),
            "a peak_failures criterion multiplies the `failures` targets, but the scenario has no failures criterion",
        ));
    }
    Ok(criteria)
}

fn validate_threads(scenario: &str, threads: &[u32]) -> Result<(), ConfigError> {
    if threads.is_empty() {
        return Err(ConfigError::scenario(
            scenario,
            "threads is empty; give at least one user count",
        ));
    }
    for (i, &n) in threads.iter().enumerate() {
        if n == 0 {
            return Err(ConfigError::scenario(
                scenario,
                "threads contains 0; every step needs at least one user",
            ));
        }
        if threads[..i].contains(&n) {
            return Err(ConfigError::scenario(
                scenario,
                format!("threads lists {n} twice"),
            ));
        }
    }
    Ok(())
}

/// Checks that `text` is an http(s) URL (a query is allowed).
pub(crate) fn validate_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("an http(s) URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("an http(s) URL with a host".into());
    }
    Ok(url.to_string())
}

/// Checks that `text` is an http(s) base URL and returns it without a trailing slash.
pub(crate) fn validate_target(text: &str) -> Result<String, ConfigError> {
    let bad = |reason: &str| ConfigError::Target {
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host().is_none() {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL has no query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(64))
}

fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    crate::seed::mix(nanos, u64::from(std::process::id()))
}

/// `<cargo target dir>/loadspec`: the target dir is found above the running executable (it
/// holds cargo's `CACHEDIR.TAG`), so results land in the workspace's `target/` whether the
/// run is a test, an example or a bench; otherwise `./target/loadspec`.
pub(crate) fn default_out_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
            .map(PathBuf::from)
    });
    from_exe
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("loadspec")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::{Failure, User};

    async fn noop(_user: &mut User) -> Result<(), Failure> {
        Ok(())
    }

    fn target() -> Overrides {
        Overrides {
            target: Some("http://127.0.0.1:9/".into()),
            ..Default::default()
        }
    }

    #[test]
    fn spike_steps_follow_threads_in_order() {
        let s = Scenario::builder("a")
            .threads([1, 5, 10])
            .hold(Duration::from_secs(3))
            .build(noop);
        let plan = resolve(&[s], &target()).unwrap();
        assert_eq!(plan.target, "http://127.0.0.1:9");
        assert_eq!(
            plan.steps.iter().map(|s| s.users[0]).collect::<Vec<_>>(),
            vec![1, 5, 10]
        );
        assert!(
            plan.steps
                .iter()
                .all(|s| s.ramp_up.is_zero() && s.stop_at == Duration::from_secs(3))
        );
        assert_eq!(plan.steps[0].cooldown, defaults::COOLDOWN);
        assert_eq!(plan.steps[2].cooldown, Duration::ZERO);
    }

    #[test]
    fn overrides_beat_attributes() {
        let s = Scenario::builder("a")
            .threads([1, 5])
            .hold(Duration::from_secs(3))
            .build(noop);
        let o = Overrides {
            threads: Some(vec![2]),
            hold: Some(Duration::from_secs(1)),
            seed: Some(7),
            ..target()
        };
        let plan = resolve(&[s], &o).unwrap();
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].users, vec![2]);
        assert_eq!(plan.steps[0].hold, Duration::from_secs(1));
        assert_eq!(plan.seed, 7);
    }

    #[test]
    fn the_response_body_limit_defaults_to_the_documented_size() {
        let documented = loadspec_units::options::OPTIONS
            .iter()
            .find(|o| o.flags() == ["max-response-body"])
            .map(|o| o.default.trim_matches('`'))
            .unwrap();
        let s = || Scenario::builder("a").build(noop);
        let plan = resolve(&[s()], &target()).unwrap();
        assert_eq!(
            plan.max_response_body,
            loadspec_units::size(documented).unwrap()
        );
        let o = Overrides {
            max_response_body: Some(1000),
            ..target()
        };
        assert_eq!(resolve(&[s()], &o).unwrap().max_response_body, 1000);
    }

    #[test]
    fn smoke_mode_is_one_user_one_iteration_without_think_time() {
        let s = Scenario::builder("a")
            .threads([10, 20])
            .think_time(Duration::from_secs(1), Duration::from_secs(2))
            .build(noop);
        let plan = resolve(
            &[s],
            &Overrides {
                mode: Some(Mode::Smoke),
                ..target()
            },
        )
        .unwrap();
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].users, vec![1]);
        assert_eq!(plan.steps[0].iterations, Some(1));
        assert_eq!(plan.scenarios[0].think_time, None);
    }

    #[test]
    fn stress_steps_scenarios_together_holding_the_last_count() {
        let a = Scenario::builder("a").threads([1, 5, 10]).build(noop);
        let b = Scenario::builder("b").threads([2, 4]).build(noop);
        let plan = resolve(&[a, b], &target()).unwrap();
        assert_eq!(plan.profile, ProfileKind::Stress);
        assert_eq!(plan.name, "stress");
        let users: Vec<_> = plan.steps.iter().map(|s| s.users.clone()).collect();
        assert_eq!(users, vec![vec![1, 2], vec![5, 4], vec![10, 4]]);
    }

    #[test]
    fn invalid_plans_are_refused_with_the_reason() {
        let bad = |s: Scenario, o: Overrides| resolve(&[s], &o).unwrap_err().to_string();
        let e = bad(Scenario::builder("a").threads([1, 1]).build(noop), target());
        assert!(e.contains("twice"), "{e}");
        let e = bad(Scenario::builder("a").threads([0]).build(noop), target());
        assert!(e.contains("contains 0"), "{e}");
        let e = bad(
            Scenario::builder("a")
                .profile(ProfileKind::Ramp)
                .build(noop),
            target(),
        );
        assert!(e.contains("ramp-up"), "{e}");
        let ramp_up = |profile| Overrides {
            ramp_up: Some(Duration::from_secs(30)),
            profile,
            ..target()
        };
        let e = bad(Scenario::builder("a").build(noop), ramp_up(None));
        assert!(e.contains("30s") && e.contains("--profile ramp"), "{e}");
        bad(
            Scenario::builder("a").build(noop),
            ramp_up(Some(ProfileKind::Spike)),
        );
        // A ramp-up of 0 says nothing a spike contradicts; a ramp profile takes the 30 s.
        let zero = Overrides {
            ramp_up: Some(Duration::ZERO),
            ..target()
        };
        resolve(&[Scenario::builder("a").build(noop)], &zero).unwrap();
        let plan = resolve(
            &[Scenario::builder("a").build(noop)],
            &ramp_up(Some(ProfileKind::Ramp)),
        )
        .unwrap();
        assert_eq!(plan.steps[0].ramp_up, Duration::from_secs(30));
        let e = bad(Scenario::builder("a").build(noop), Overrides::default());
        assert!(e.contains("LOADSPEC_TARGET"), "{e}");
        let e = bad(
            Scenario::builder("a").build(noop),
            Overrides {
                target: Some("ftp://x".into()),
                ..target()
            },
        );
        assert!(e.contains("http or https"), "{e}");
        let a = Scenario::builder("a").build(noop);
        let b = Scenario::builder("b").build(noop);
        let e = resolve(
            &[a, b],
            &Overrides {
                profile: Some(ProfileKind::Spike),
                ..target()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("stress"), "{e}");
    }

    #[test]
    fn warmup_lengthens_every_full_step_and_is_layered_like_the_other_durations() {
        let s = || {
            Scenario::builder("a")
                .threads([1, 2])
                .warmup(Duration::from_secs(2))
                .hold(Duration::from_secs(3))
                .build(noop)
        };
        let plan = resolve(&[s()], &target()).unwrap();
        for step in &plan.steps {
            assert_eq!(step.warmup, Duration::from_secs(2));
            assert_eq!(step.stop_at, Duration::from_secs(5), "warm-up + hold");
            assert_eq!(
                step.measured_from(ProfileKind::Spike),
                Duration::from_secs(2)
            );
        }
        let ramp = Scenario::builder("r")
            .profile(ProfileKind::Ramp)
            .ramp_up(Duration::from_secs(4))
            .warmup(Duration::from_secs(1))
            .hold(Duration::from_secs(3))
            .build(noop);
        let plan = resolve(&[ramp], &target()).unwrap();
        assert_eq!(plan.steps[0].stop_at, Duration::from_secs(8));
        assert_eq!(
            plan.steps[0].measured_from(plan.profile),
            Duration::from_secs(5),
            "after the ramp-up and the warm-up"
        );
        let o = Overrides {
            warmup: Some(Duration::from_millis(500)),
            ..target()
        };
        assert_eq!(
            resolve(&[s()], &o).unwrap().steps[0].warmup,
            Duration::from_millis(500),
            "the environment or CLI beats the attribute"
        );
        let smoke = Overrides {
            mode: Some(Mode::Smoke),
            ..target()
        };
        let plan = resolve(&[s()], &smoke).unwrap();
        assert_eq!(plan.steps[0].warmup, Duration::ZERO, "smoke ignores it");
        let none = resolve(&[Scenario::builder("n").build(noop)], &target()).unwrap();
        assert_eq!(none.steps[0].warmup, Duration::ZERO, "off by default");
    }

    #[test]
    fn fixed_iterations_without_hold_are_bounded_by_the_default_maximum() {
        let s = Scenario::builder("a").iterations(3).build(noop);
        let plan = resolve(&[s], &target()).unwrap();
        assert_eq!(plan.steps[0].iterations, Some(3));
        assert_eq!(plan.steps[0].stop_at, defaults::ITERATIONS_MAX_DURATION);
    }
}
