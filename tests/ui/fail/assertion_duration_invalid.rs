use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = "2", threshold = "5 parsecs")]
async fn browse(_user: &mut User) {}

fn main() {}
