use loadspec::prelude::*;

#[scenario]
#[assertion(p95)]
#[assertion(p99 = "4s", threshold)]
#[assertion(p90: "1s")]
async fn browse(_user: &mut User) {}

fn main() {}
