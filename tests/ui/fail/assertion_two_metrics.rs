use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", p95 = "2s", p99 = "4s")]
async fn browse(_user: &mut User) {}

fn main() {}
