// Errors of `#[scenario]` and of every row are reported in one compile, and the function is
// still emitted (`main` calls it).
use loadspec::prelude::*;

#[scenario(threads = [0], criteria_file = "")]
#[assertion(p95 = "2s", threshold = "1s")]
#[assertion(errors = "1%")]
#[assertion(http_4xx = "0.5", transaction = "login")]
fn browse(_user: &mut User) {}

fn main() {
    let _ = browse;
}
