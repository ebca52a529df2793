use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = "2s", threshold = "5s", threshold = "6s")]
#[assertion(p99 = "2s", p99 = "3s")]
async fn browse(_user: &mut User) {}

fn main() {}
