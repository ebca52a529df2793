use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "", p95 = "2s")]
#[assertion(request = "  ", p95 = "2s")]
#[assertion(name = "", p99 = "2s")]
async fn browse(_user: &mut User) {}

fn main() {}
