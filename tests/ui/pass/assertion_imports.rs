// `#[scenario]` takes the rows out before rustc resolves them, yet an explicit import of
// `assertion` counts as used, and rows work through a renamed or re-exported crate too.
#![deny(unused_imports)]

use loadspec::{User, assertion, scenario};

mod reexport {
    pub use loadspec::*;
}

#[scenario]
#[assertion(p95 = "2s")]
#[assertion(p99 = "4s")]
async fn imported(_user: &mut User) {}

#[reexport::scenario(crate = crate::reexport)]
#[reexport::assertion(failures = "1%")]
async fn reexported(_user: &mut User) {}

macro_rules! with_target {
    ($name:ident, $target:expr) => {
        #[scenario]
        #[assertion(p95 = $target, threshold = "5s")]
        async fn $name(_user: &mut User) {}
    };
}

with_target!(from_macro, "2s");

fn main() {
    use loadspec::__private::{Metric, ScenarioEntry, inventory};

    let find = |name: &str| {
        inventory::iter::<ScenarioEntry>
            .into_iter()
            .find(|entry| entry.name == name)
            .unwrap_or_else(|| panic!("{name} is not registered"))
    };
    assert_eq!(find("imported").options.criteria.len(), 2);
    let reexported = find("reexported").options.criteria;
    assert_eq!(reexported[0].metric, Metric::Failures);
    assert_eq!(reexported[0].target, 0.01);
    let from_macro = find("from_macro").options.criteria;
    assert_eq!(
        (from_macro[0].target, from_macro[0].threshold),
        (2000.0, 5000.0)
    );
}
