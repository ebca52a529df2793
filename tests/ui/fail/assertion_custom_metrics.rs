use loadspec::prelude::*;

#[scenario]
#[assertion(trend = "queue_wait", count = 10)]
#[assertion(count = 10)]
#[assertion(gauge = "queue_depth", transaction = "login", max = 5)]
#[assertion(rate = "claims_ok", share = "95")]
#[assertion(tag = "endpoint", p95 = "2s")]
#[assertion(tag = "endpoint:search", deadlocks = 0)]
#[assertion(counter = "claims", count = "lots")]
async fn claims(_user: &mut User) {}

fn main() {}
