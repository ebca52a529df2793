//! Which scenarios a harness invocation runs, and how they group into runs: each scenario on
//! its own, except that stress-profile scenarios run together as one.

use libtest_mimic::Arguments;

use crate::plan::{Overrides, ProfileKind};
use crate::scenario::Scenario;

/// Scenarios that run together, under one test name.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) ignored: bool,
}

/// Applies libtest's name filter, `--exact` and `--skip`, then groups.
pub(crate) fn groups(
    scenarios: &[Scenario],
    args: &Arguments,
    overrides: &Overrides,
) -> Vec<Group> {
    let selected = scenarios.iter().filter(|s| matches(args, &s.test_name()));
    let (stress, single): (Vec<&Scenario>, Vec<&Scenario>) = selected
        .partition(|s| overrides.profile.or(s.options().profile) == Some(ProfileKind::Stress));
    let mut groups: Vec<Group> = single
        .into_iter()
        .map(|s| Group {
            name: s.test_name(),
            scenarios: vec![s.clone()],
            ignored: s.is_ignored(),
        })
        .collect();
    match stress.as_slice() {
        [] => {}
        [one] => groups.push(Group {
            name: one.test_name(),
            scenarios: vec![(*one).clone()],
            ignored: one.is_ignored(),
        }),
        many => groups.push(Group {
            name: format!(
                "stress({})",
                many.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
            ),
            scenarios: many.iter().map(|s| (*s).clone()).collect(),
            ignored: many.iter().all(|s| s.is_ignored()),
        }),
    }
    groups
}

fn matches(args: &Arguments, name: &str) -> bool {
    let hit = |pattern: &str| {
        if args.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    args.filter.as_deref().is_none_or(hit) && !args.skip.iter().any(|s| hit(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::{Failure, User};

    async fn noop(_user: &mut User) -> Result<(), Failure> {
        Ok(())
    }

    fn scenario(name: &str, profile: Option<ProfileKind>) -> Scenario {
        let b = Scenario::builder(name).module_path(format!("load::{name}"));
        match profile {
            Some(p) => b.profile(p).build(noop),
            None => b.build(noop),
        }
    }

    fn args(filter: Option<&str>, exact: bool, skip: &[&str]) -> Arguments {
        Arguments {
            filter: filter.map(str::to_owned),
            exact,
            skip: skip.iter().map(|s| (*s).to_owned()).collect(),
            ..Arguments::default()
        }
    }

    #[test]
    fn filters_like_libtest() {
        let all = [
            scenario("login", None),
            scenario("login_slow", None),
            scenario("claims", None),
        ];
        let names = |a: &Arguments| -> Vec<String> {
            groups(&all, a, &Overrides::default())
                .into_iter()
                .map(|g| g.name)
                .collect()
        };
        assert_eq!(
            names(&args(Some("login"), false, &[])),
            ["login::login", "login_slow::login_slow"]
        );
        assert_eq!(
            names(&args(Some("login::login"), true, &[])),
            ["login::login"]
        );
        assert_eq!(
            names(&args(None, false, &["slow"])),
            ["login::login", "claims::claims"]
        );
    }

    #[test]
    fn stress_scenarios_run_as_one_group() {
        let all = [
            scenario("a", Some(ProfileKind::Stress)),
            scenario("b", Some(ProfileKind::Stress)),
            scenario("c", None),
        ];
        let g = groups(&all, &args(None, false, &[]), &Overrides::default());
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].name, "stress(a, b)");
        let all_stress = Overrides {
            profile: Some(ProfileKind::Stress),
            ..Default::default()
        };
        let g = groups(&all, &args(None, false, &[]), &all_stress);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].scenarios.len(), 3);
    }
}
