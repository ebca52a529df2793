// `#[setup]` and `#[teardown]` register the binary's hooks; `crate = path` is accepted.
use loadspec::prelude::*;

#[setup]
async fn seed(_user: &mut User) -> Result<Vec<u32>, Failure> {
    Ok(vec![1, 2, 3])
}

#[teardown(crate = ::loadspec)]
async fn clean(_user: &mut User) {}

#[scenario]
async fn browse(_user: &mut User) {}

fn main() {
    let hooks: Vec<_> =
        ::loadspec::__private::inventory::iter::<::loadspec::__private::RunHookEntry>
            .into_iter()
            .map(|h| (h.name, matches!(h.hook, ::loadspec::__private::RunHook::Setup(_))))
            .collect();
    assert_eq!(hooks.len(), 2);
    assert!(hooks.contains(&("seed", true)));
    assert!(hooks.contains(&("clean", false)));
    let scenarios = ::loadspec::registered().unwrap();
    assert_eq!(scenarios.len(), 1);
}
