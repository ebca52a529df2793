use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = 2000)]
#[assertion(deadlocks = 1)]
#[assertion(failures = "0.5%", threshold = 1.0)]
#[assertion(transaction = login, p99 = "4s")]
async fn browse(_user: &mut User) {}

fn main() {}
