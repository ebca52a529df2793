//! Sharding: one plan run as `count` processes (a Kubernetes Indexed Job, a CI job matrix),
//! each with its part of every step's users, whose results `loadspec merge` adds up.
//!
//! Shards are numbered from 0, like Kubernetes' `JOB_COMPLETION_INDEX`: `--shard 0/3`,
//! `1/3`, `2/3`. A step's users are dealt out **striped**: the users of all scenarios of a
//! step are numbered in one sequence (scenario by scenario, each from its global index 0), and
//! the user at position `p` of that sequence goes to shard `p % count`. So a shard's share is
//! `total / count`, one more for the first `total % count` shards (300 users over 7 shards:
//! 43, 43, 43, 43, 43, 43, 42), the shares always add up to the total, and each user keeps the
//! index (and so the seed, the data and the ramp-up start time) it has in the unsharded run.
//! Iterations per user are not split (users are). An open-model schedule is not scaled down:
//! every shard computes the whole schedule and starts only its own arrivals, arrival `k` on
//! shard `k % count` ([`ShardSpec::global_arrival`]), so the shards' arrivals together are
//! exactly the unsharded run's, with no rounding drift.
//!
//! `--start-at <RFC 3339>` aligns the shards: every shard waits for that time before its
//! first step, and, for timed steps, each next step starts on a fixed schedule
//! ([`step_start_at`]); a shard that starts late says so and records by how much.

use loadspec_results::rfc3339;
use std::fmt;
use std::time::{Duration, SystemTime};

use super::{RunPlan, StepPlan};
use crate::error::ConfigError;

/// Environment variable holding `i/n` (0-based), like `--shard`.
pub const ENV_SHARD: &str = "LOADSPEC_SHARD";
/// Environment variable holding the number of shards when the index comes from
/// [`ENV_JOB_COMPLETION_INDEX`].
pub const ENV_SHARD_COUNT: &str = "LOADSPEC_SHARD_COUNT";
/// The index Kubernetes gives each pod of an Indexed Job (0-based).
pub const ENV_JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";
/// Environment variable holding the aligned start time, like `--start-at`.
pub const ENV_START_AT: &str = "LOADSPEC_START_AT";

/// The most shards a run may have.
pub const MAX_SHARDS: u32 = 10_000;
/// How far ahead `--start-at` may be: a start a day away is a typo.
pub const MAX_START_AHEAD: Duration = Duration::from_secs(24 * 3600);
/// A step that starts later than this after its aligned time is reported as late.
pub const LATE_WARNING: Duration = Duration::from_millis(500);

/// A shard or start time that cannot be used; the message names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not of the form `i/n`.
    #[error("invalid shard {value:?}: expected {}", Self::FORMAT)]
    Format {
        /// The value given.
        value: String,
    },
    /// `n` is 0.
    #[error("invalid shard {value:?}: expected at least 1 shard")]
    NoShards {
        /// The value given.
        value: String,
    },
    /// `n` is above [`MAX_SHARDS`].
    #[error("invalid shard {value:?}: expected at most {MAX_SHARDS} shards")]
    TooMany {
        /// The value given.
        value: String,
    },
    /// `i` is not below `n`.
    #[error(
        "invalid shard {value:?}: expected an index from 0 to {} for {count} shards (shards are numbered from 0, like JOB_COMPLETION_INDEX: 0/{count} … {}/{count})",
        count - 1,
        count - 1
    )]
    OutOfRange {
        /// The value given.
        value: String,
        /// The number of shards.
        count: u32,
    },
    /// Not an RFC 3339 time, or one too far ahead.
    #[error("invalid start time {value:?}: expected {reason}")]
    StartAt {
        /// The value given.
        value: String,
        /// What was expected.
        reason: String,
    },
}

impl ShardError {
    const FORMAT: &'static str = "I/N with 0 ≤ I < N, like 0/3 (shards are numbered from 0)";

    /// What was expected, without the value (for messages that name their source).
    pub fn expected(&self) -> String {
        let text = self.to_string();
        text.split_once(": expected ")
            .map_or(text.clone(), |(_, expected)| expected.to_owned())
    }
}

/// Which part of a run this process runs: shard `index` of `count`, numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardSpec {
    index: u32,
    count: u32,
}

impl ShardSpec {
    /// Shard `index` of `count` (0-based).
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        let value = format!("{index}/{count}");
        if count == 0 {
            return Err(ShardError::NoShards { value });
        }
        if count > MAX_SHARDS {
            return Err(ShardError::TooMany { value });
        }
        if index >= count {
            return Err(ShardError::OutOfRange { value, count });
        }
        Ok(Self { index, count })
    }

    /// Parses `i/n`, e.g. `0/3` (0-based).
    pub fn parse(text: &str) -> Result<Self, ShardError> {
        let value = text.trim();
        let format = || ShardError::Format {
            value: value.to_owned(),
        };
        let (index, count) = value.split_once('/').ok_or_else(format)?;
        let number = |s: &str| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format());
            }
            s.parse::<u32>().map_err(|_| ShardError::TooMany {
                value: value.to_owned(),
            })
        };
        let (index, count) = (number(index)?, number(count)?);
        Self::new(index, count).map_err(|e| match e {
            ShardError::OutOfRange { count, .. } => ShardError::OutOfRange {
                value: value.to_owned(),
                count,
            },
            ShardError::NoShards { .. } => ShardError::NoShards {
                value: value.to_owned(),
            },
            ShardError::TooMany { .. } => ShardError::TooMany {
                value: value.to_owned(),
            },
            other => other,
        })
    }

    /// The shard from the environment: `LOADSPEC_SHARD=i/n`, else `JOB_COMPLETION_INDEX`
    /// (set by Kubernetes in Indexed Jobs) with `LOADSPEC_SHARD_COUNT`; `None` when neither is
    /// set (an Indexed Job without a shard count is not a sharded run). The error names the
    /// variable and its value.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let invalid = |name: &str, value: &str, e: ShardError| {
            ConfigError::invalid(name, value, &e.expected())
        };
        if let Some(v) = get(ENV_SHARD) {
            return Self::parse(&v)
                .map(Some)
                .map_err(|e| invalid(ENV_SHARD, &v, e));
        }
        let Some(count) = get(ENV_SHARD_COUNT) else {
            return Ok(None);
        };
        let Some(index) = get(ENV_JOB_COMPLETION_INDEX) else {
            return Err(ConfigError::invalid(
                ENV_SHARD_COUNT,
                &count,
                &format!("{ENV_SHARD} or {ENV_JOB_COMPLETION_INDEX} to say which shard this is"),
            ));
        };
        let number = |name: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| ConfigError::invalid(name, v, "a whole number"))
        };
        let n = number(ENV_SHARD_COUNT, &count)?;
        let i = number(ENV_JOB_COMPLETION_INDEX, &index)?;
        Self::new(i, n)
            .map(Some)
            .map_err(|e| invalid(ENV_JOB_COMPLETION_INDEX, &format!("{i}/{n}"), e))
    }

    /// This shard's index, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// The number of shards.
    pub fn count(self) -> u32 {
        self.count
    }

    /// This shard's part of `total` users: `total / count`, one more for the first
    /// `total % count` shards.
    pub fn share(self, total: u64) -> u64 {
        self.share_after(total, 0)
    }

    /// This shard's part of `total` users that follow `offset` users already dealt out in the
    /// same step (the users of the step's earlier scenarios): the positions `p` in
    /// `offset..offset + total` with `p % count == index`.
    pub fn share_after(self, total: u64, offset: u64) -> u64 {
        let first = self.first_after(offset);
        if first >= total {
            0
        } else {
            (total - first - 1) / u64::from(self.count) + 1
        }
    }

    /// The global index (in the unsharded run) of this shard's `local`-th user of a scenario
    /// whose users follow `offset` earlier users of the step.
    pub fn global_index(self, local: u64, offset: u64) -> u64 {
        self.first_after(offset) + local * u64::from(self.count)
    }

    /// The global index of this shard's `local`-th arrival of an open-model schedule when
    /// arrivals are dealt out like users (arrival `k` to shard `k % count`).
    pub fn global_arrival(self, local: u64) -> u64 {
        u64::from(self.index) + local * u64::from(self.count)
    }

    /// The first position at or after `offset` that belongs to this shard, as an offset from
    /// `offset`.
    fn first_after(self, offset: u64) -> u64 {
        let n = u64::from(self.count);
        (u64::from(self.index) + n - offset % n) % n
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `total` users split over `count` shards: shard `i`'s share at index `i`.
pub fn split(total: u64, count: u32) -> Vec<u64> {
    (0..count)
        .map(|index| ShardSpec { index, count }.share(total))
        .collect()
}

/// A sharded plan: which shard, and the users of the whole (unsharded) plan, which the
/// plan's steps no longer show.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanShard {
    /// This process's shard.
    pub spec: ShardSpec,
    /// Users of every step and scenario in the unsharded plan.
    pub total_users: Vec<Vec<u32>>,
}

impl PlanShard {
    /// Replaces each step's users (and open-model pre-allocated users) by this shard's share,
    /// and remembers the totals. Arrival schedules stay whole: see [`ShardSpec::global_arrival`].
    pub fn apply(spec: ShardSpec, steps: &mut [StepPlan]) -> Self {
        let total_users = steps.iter().map(|s| s.users.clone()).collect();
        for step in steps.iter_mut() {
            let mut offset = 0_u64;
            for scenario in 0..step.users.len() {
                let total = u64::from(step.users[scenario]);
                step.users[scenario] = to_u32(spec.share_after(total, offset));
                if let Some(pre) = step.pre_allocated.get_mut(scenario) {
                    *pre = to_u32(spec.share_after(u64::from(*pre), offset));
                }
                offset += total;
            }
        }
        Self { spec, total_users }
    }

    /// Users of `scenario` at `step` in the unsharded plan.
    pub fn total_users(&self, step: usize, scenario: usize) -> u32 {
        self.total_users
            .get(step)
            .and_then(|users| users.get(scenario))
            .copied()
            .unwrap_or(0)
    }

    /// The global index of this shard's `local`-th user of `scenario` at `step`.
    pub fn global_index(&self, step: usize, scenario: usize, local: u64) -> u64 {
        let offset = self.total_users.get(step).map_or(0, |users| {
            users.iter().take(scenario).map(|&n| u64::from(n)).sum()
        });
        self.spec.global_index(local, offset)
    }
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses an RFC 3339 time: UTC (`2026-11-27T12:00:00Z`) or with an offset
/// (`2026-11-27T13:00:00+01:00`), fractional seconds allowed.
pub fn parse_start_at(text: &str) -> Result<SystemTime, ShardError> {
    let value = text.trim();
    let bad = |reason: &str| ShardError::StartAt {
        value: value.to_owned(),
        reason: format!("an RFC 3339 time like 2026-11-27T12:00:00Z ({reason})"),
    };
    let (utc, offset) = split_offset(value).ok_or_else(|| bad("no Z or ±hh:mm offset"))?;
    let time = humantime::parse_rfc3339_weak(utc).map_err(|e| bad(&e.to_string()))?;
    let shifted = if offset >= 0 {
        time.checked_sub(Duration::from_secs(offset.unsigned_abs()))
    } else {
        time.checked_add(Duration::from_secs(offset.unsigned_abs()))
    };
    shifted.ok_or_else(|| bad("out of range"))
}

/// Splits `2026-…T13:00:00+01:00` into the local time and the offset in seconds.
fn split_offset(value: &str) -> Option<(&str, i64)> {
    if let Some(utc) = value.strip_suffix('Z').or_else(|| value.strip_suffix('z')) {
        return Some((utc, 0));
    }
    let at = value.len().checked_sub(6)?;
    let (local, offset) = (value.get(..at)?, value.get(at..)?);
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hh, mm) = offset.get(1..)?.split_once(':')?;
    let (hh, mm): (i64, i64) = (hh.parse().ok()?, mm.parse().ok()?);
    (hh < 24 && mm < 60 && local.contains('T')).then_some((local, sign * (hh * 3600 + mm * 60)))
}

/// Checks a start time against `now`: at most [`MAX_START_AHEAD`] ahead (a time in the past
/// is accepted: the run starts at once and records how late it is).
pub fn check_start_at(start_at: SystemTime, now: SystemTime) -> Result<(), ShardError> {
    match start_at.duration_since(now) {
        Ok(ahead) if ahead > MAX_START_AHEAD => Err(ShardError::StartAt {
            value: rfc3339(start_at),
            reason: format!(
                "a time at most 24 h ahead (it is {:.0} h ahead)",
                ahead.as_secs_f64() / 3600.0
            ),
        }),
        _ => Ok(()),
    }
}

/// When step `index` of an aligned run (`--start-at`) starts: the first at the start time;
/// each later timed step one slot after the previous one, a slot being the step's planned
/// length (ramp-up and hold), its graceful stop and its cooldown, so every shard starts it at
/// the same moment. Fixed-iteration steps have no planned length: only the first is aligned
/// (`None` for the others), the next ones follow their shard's previous step.
pub fn step_start_at(plan: &RunPlan, index: usize) -> Option<SystemTime> {
    let start = plan.start_at?;
    if index == 0 {
        return Some(start);
    }
    if plan.steps.iter().any(|s| s.iterations.is_some()) {
        return None;
    }
    let before: Duration = plan
        .steps
        .iter()
        .take(index)
        .map(|s| s.stop_at + plan.graceful_stop + s.cooldown)
        .sum();
    start.checked_add(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_hundred_users_over_seven_shards() {
        assert_eq!(split(300, 7), vec![43, 43, 43, 43, 43, 43, 42]);
        assert_eq!(split(2, 3), vec![1, 1, 0]);
        assert_eq!(split(0, 4), vec![0, 0, 0, 0]);
        assert_eq!(split(9, 1), vec![9]);
    }

    #[test]
    fn shares_are_exact_fair_and_striped_for_every_small_case() {
        for count in 1..=12_u32 {
            for offset in 0..=2 * u64::from(count) {
                for total in 0..=60_u64 {
                    let specs: Vec<ShardSpec> = (0..count)
                        .map(|i| ShardSpec::new(i, count).unwrap())
                        .collect();
                    let shares: Vec<u64> =
                        specs.iter().map(|s| s.share_after(total, offset)).collect();
                    assert_eq!(
                        shares.iter().sum::<u64>(),
                        total,
                        "{total}/{count}+{offset}"
                    );
                    let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
                    assert!(hi - lo <= 1, "unfair {shares:?}");
                    // Every global index 0..total is owned by exactly one shard.
                    let mut owned: Vec<u64> = specs
                        .iter()
                        .flat_map(|s| {
                            (0..s.share_after(total, offset))
                                .map(move |l| s.global_index(l, offset))
                        })
                        .collect();
                    owned.sort_unstable();
                    assert_eq!(owned, (0..total).collect::<Vec<_>>());
                }
            }
        }
    }

    #[test]
    fn parsing_is_zero_based_and_names_the_value() {
        assert_eq!(
            ShardSpec::parse("0/3").unwrap(),
            ShardSpec::new(0, 3).unwrap()
        );
        assert_eq!(ShardSpec::parse(" 2/3 ").unwrap().to_string(), "2/3");
        let e = ShardSpec::parse("3/3").unwrap_err().to_string();
        assert!(
            e.contains("\"3/3\"") && e.contains("from 0 to 2") && e.contains("0/3 … 2/3"),
            "{e}"
        );
        let e = ShardSpec::parse("1/0").unwrap_err().to_string();
        assert!(e.contains("\"1/0\"") && e.contains("at least 1"), "{e}");
        for bad in ["", "1", "a/3", "1/b", "-1/3", "1/3/4", "1.5/3"] {
            let e = ShardSpec::parse(bad).unwrap_err().to_string();
            assert!(e.contains("I/N") && !e.contains('\n'), "{bad}: {e}");
        }
        let e = ShardSpec::parse("1/99999999999").unwrap_err().to_string();
        assert!(e.contains("at most 10000"), "{e}");
        assert!(
            ShardSpec::parse("3/3")
                .unwrap_err()
                .expected()
                .starts_with("an index")
        );
    }

    #[test]
    fn the_environment_gives_the_shard_as_kubernetes_does() {
        let env = |pairs: &'static [(&str, &str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(ShardSpec::from_env(env(&[])).unwrap(), None);
        assert_eq!(
            ShardSpec::from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).unwrap(),
            None
        );
        let s = ShardSpec::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "2"),
            ("LOADSPEC_SHARD_COUNT", "5"),
        ]));
        assert_eq!(s.unwrap(), Some(ShardSpec::new(2, 5).unwrap()));
        let s = ShardSpec::from_env(env(&[
            ("LOADSPEC_SHARD", "1/2"),
            ("JOB_COMPLETION_INDEX", "0"),
            ("LOADSPEC_SHARD_COUNT", "5"),
        ]));
        assert_eq!(s.unwrap(), Some(ShardSpec::new(1, 2).unwrap()));
        let e = |pairs| ShardSpec::from_env(env(pairs)).unwrap_err().to_string();
        let m = e(&[("JOB_COMPLETION_INDEX", "5"), ("LOADSPEC_SHARD_COUNT", "5")]);
        assert!(
            m.contains("JOB_COMPLETION_INDEX \"5/5\"") && m.contains("from 0 to 4"),
            "{m}"
        );
        let m = e(&[("LOADSPEC_SHARD_COUNT", "5")]);
        assert!(
            m.contains("LOADSPEC_SHARD_COUNT \"5\"") && m.contains("which shard"),
            "{m}"
        );
        let m = e(&[("JOB_COMPLETION_INDEX", "x"), ("LOADSPEC_SHARD_COUNT", "5")]);
        assert!(
            m.contains("JOB_COMPLETION_INDEX \"x\"") && m.contains("whole number"),
            "{m}"
        );
        let m = e(&[("LOADSPEC_SHARD", "1-3")]);
        assert!(
            m.contains("LOADSPEC_SHARD \"1-3\"") && m.contains("I/N"),
            "{m}"
        );
    }

    #[test]
    fn arrivals_are_dealt_out_like_users() {
        let arrivals: Vec<u64> = (0..4)
            .map(|j| ShardSpec::new(1, 3).unwrap().global_arrival(j))
            .collect();
        assert_eq!(arrivals, vec![1, 4, 7, 10]);
    }

    async fn noop(_user: &mut crate::user::User) -> Result<(), crate::user::Failure> {
        Ok(())
    }

    fn plan(shard: Option<ShardSpec>, scenarios: &[(&str, &[u32])]) -> RunPlan {
        let scenarios: Vec<_> = scenarios
            .iter()
            .map(|(name, threads)| {
                crate::Scenario::builder(*name)
                    .threads(threads.iter().copied())
                    .hold(Duration::from_secs(2))
                    .cooldown(Duration::from_secs(1))
                    .build(noop)
            })
            .collect();
        let overrides = crate::Overrides {
            target: Some("http://127.0.0.1:9".into()),
            shard,
            seed: Some(1),
            ..Default::default()
        };
        crate::plan::resolve(&scenarios, &overrides).unwrap()
    }

    #[test]
    fn a_sharded_plan_runs_its_share_and_keeps_the_totals() {
        let spec = ShardSpec::new(1, 3).unwrap();
        let p = plan(Some(spec), &[("a", &[1, 10, 300])]);
        let users: Vec<u32> = p.steps.iter().map(|s| s.users[0]).collect();
        assert_eq!(users, vec![0, 3, 100]);
        let shard = p.shard.as_ref().unwrap();
        assert_eq!(shard.total_users, vec![vec![1], vec![10], vec![300]]);
        assert_eq!(shard.total_users(1, 0), 10);
        let indexes: Vec<u64> = (0..3).map(|l| shard.global_index(1, 0, l)).collect();
        assert_eq!(indexes, vec![1, 4, 7]);
        // Several scenarios (stress): one sequence of users, scenario after scenario.
        let p = plan(Some(spec), &[("a", &[4]), ("b", &[2])]);
        assert_eq!(p.steps[0].users, vec![1, 1]);
        let shard = p.shard.as_ref().unwrap();
        assert_eq!(shard.global_index(0, 0, 0), 1);
        assert_eq!(
            shard.global_index(0, 1, 0),
            0,
            "b's users follow a's 4: position 4 → shard 1"
        );
        // Smoke runs are not sharded.
        let mut o = crate::Overrides {
            target: Some("http://127.0.0.1:9".into()),
            shard: Some(spec),
            mode: Some(crate::Mode::Smoke),
            ..Default::default()
        };
        let s = crate::Scenario::builder("a").threads([5]).build(noop);
        let smoke = crate::plan::resolve(std::slice::from_ref(&s), &o).unwrap();
        assert!(smoke.shard.is_none());
        assert_eq!(smoke.steps[0].users, vec![1]);
        o.mode = Some(crate::Mode::Full);
        o.start_at = Some(SystemTime::now() + Duration::from_secs(3 * 24 * 3600));
        let e = crate::plan::resolve(&[s], &o).unwrap_err().to_string();
        assert!(
            e.contains("invalid start time") && e.contains("at most 24 h ahead"),
            "{e}"
        );
    }

    #[test]
    fn timed_steps_follow_a_fixed_schedule_from_the_start_time() {
        let mut p = plan(None, &[("a", &[1, 5, 10])]);
        assert_eq!(step_start_at(&p, 0), None);
        let at = parse_start_at("2026-11-27T12:00:00Z").unwrap();
        p.start_at = Some(at);
        // Each slot: hold 2 s + graceful stop 5 s + cooldown 1 s.
        let offsets: Vec<Duration> = (0..3)
            .map(|i| step_start_at(&p, i).unwrap().duration_since(at).unwrap())
            .collect();
        assert_eq!(
            offsets,
            vec![
                Duration::ZERO,
                Duration::from_secs(8),
                Duration::from_secs(16)
            ]
        );
        for step in &mut p.steps {
            step.iterations = Some(3);
        }
        assert_eq!(step_start_at(&p, 0), Some(at));
        assert_eq!(
            step_start_at(&p, 1),
            None,
            "fixed-iteration steps: only the first is aligned"
        );
    }

    #[test]
    fn start_times_parse_with_z_or_an_offset() {
        let z = parse_start_at("2026-11-27T12:00:00Z").unwrap();
        assert_eq!(parse_start_at("2026-11-27T13:00:00+01:00").unwrap(), z);
        assert_eq!(parse_start_at("2026-11-27T10:30:00-01:30").unwrap(), z);
        let frac = parse_start_at("2026-11-27T12:00:00.250Z").unwrap();
        assert_eq!(frac.duration_since(z).unwrap(), Duration::from_millis(250));
        for bad in [
            "2026-11-27 12:00",
            "tomorrow",
            "2026-11-27T12:00:00",
            "2026-13-27T12:00:00Z",
        ] {
            let e = parse_start_at(bad).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("RFC 3339"), "{e}");
        }
        let now = z;
        assert!(check_start_at(z + Duration::from_secs(3600), now).is_ok());
        assert!(check_start_at(z - Duration::from_secs(3600), now).is_ok());
        let e = check_start_at(z + Duration::from_secs(3 * 24 * 3600), now).unwrap_err();
        assert!(e.to_string().contains("72 h ahead"), "{e}");
    }
}
