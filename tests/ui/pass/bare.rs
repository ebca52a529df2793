// `#[scenario]` alone, `()` returns, several scenarios in one file, names that could clash with
// the expansion's own locals, raw identifiers, lifetimes and `#[cfg]`.
use loadspec::prelude::*;

#[scenario]
async fn browse(_user: &mut User) {}

#[scenario()]
async fn user(user: &mut User) -> Result<(), Failure> {
    let _ = user.index();
    Ok(())
}

#[scenario]
async fn r#match<'a>(_: &'a mut User) {}

/// Attributes below `#[scenario]` stay on the function.
#[scenario]
#[allow(unused_mut)]
#[inline]
pub(crate) async fn with_attributes(mut _user: &mut User) {}

#[scenario]
#[cfg(any())]
async fn compiled_out(_user: &mut User) {}

#[scenario]
async fn std_errors_convert(_user: &mut User) -> Result<(), Failure> {
    let _: u32 = "7".parse()?;
    Ok(())
}

fn main() {
    let mut names: Vec<&str> =
        loadspec::__private::inventory::iter::<loadspec::__private::ScenarioEntry>
            .into_iter()
            .map(|entry| entry.name)
            .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "browse",
            "match",
            "std_errors_convert",
            "user",
            "with_attributes"
        ]
    );
    let entry = loadspec::__private::inventory::iter::<loadspec::__private::ScenarioEntry>
        .into_iter()
        .find(|entry| entry.name == "browse")
        .unwrap();
    assert_eq!(entry.options, loadspec::__private::EntryOptions::new());
}
