use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = "2s", window = "30s")]
#[assertion(p99 = "3s", delay = "10s")]
async fn browse(_user: &mut User) {}

fn main() {}
