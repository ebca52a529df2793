use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", request = "POST /api/login", p95 = "2s")]
async fn browse(_user: &mut User) {}

fn main() {}
