// `crate = path` for crates that rename or re-export loadspec.
use loadspec as load;

mod reexport {
    pub use loadspec::*;
}

#[load::scenario(crate = load, threads = [2])]
async fn renamed(_user: &mut load::User) {}

#[reexport::scenario(crate = crate::reexport)]
async fn reexported(_user: &mut reexport::User) -> Result<(), reexport::Failure> {
    Ok(())
}

#[load::scenario(crate = ::loadspec)]
async fn absolute(_user: &mut load::User) {}

fn main() {
    let count = load::__private::inventory::iter::<load::__private::ScenarioEntry>
        .into_iter()
        .count();
    assert_eq!(count, 3);
}
