use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", p95 = "2s", threshold = "5s")]
#[assertion(transaction = "search", p95 = "5s")]
#[assertion(transaction = "login", p95 = "3s")]
async fn browse(_user: &mut User) {}

fn main() {}
