// Options forwarded through `macro_rules!` fragments, which wrap them in invisible groups.
use loadspec::prelude::*;

macro_rules! held_scenario {
    ($name:ident, $hold:expr, $threads:expr) => {
        #[scenario(hold = $hold, threads = $threads)]
        async fn $name(_user: &mut User) {}
    };
}

held_scenario!(short, "5s", [1, 2]);

fn main() {
    let entry = loadspec::__private::inventory::iter::<loadspec::__private::ScenarioEntry>
        .into_iter()
        .find(|entry| entry.name == "short")
        .unwrap();
    assert_eq!(entry.options.hold, Some(Duration::from_secs(5)));
    assert_eq!(entry.options.threads, Some(&[1, 2][..]));
    assert_eq!(entry.line, 11);
}
