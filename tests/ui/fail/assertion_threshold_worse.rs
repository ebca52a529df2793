use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", p95 = "2s", threshold = "1s")]
#[assertion(failures = "0.5%", threshold = "0.2%")]
async fn browse(_user: &mut User) {}

fn main() {}
