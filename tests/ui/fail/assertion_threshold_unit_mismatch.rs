use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = "2s", threshold = "1%")]
#[assertion(failures = "2s")]
#[assertion(throughput = "2x")]
async fn browse(_user: &mut User) {}

fn main() {}
