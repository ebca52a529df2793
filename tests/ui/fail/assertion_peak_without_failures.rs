// `peak_failures` multiplies the `failures` targets: without a `failures` row it judges nothing.
use loadspec::prelude::*;

#[scenario]
#[assertion(peak_failures = "2x", threshold = "4x")]
async fn browse(_user: &mut User) {}

#[scenario]
#[assertion(transaction = "login", failures = "0.2%")]
#[assertion(transaction = "search", peak_failures = "2x")]
async fn search(_user: &mut User) {}

fn main() {}
