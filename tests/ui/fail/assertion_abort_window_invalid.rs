use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = "2s", abort_on_fail, window = "30", delay = "soon")]
#[assertion(p99 = "3s", abort_on_fail, window = "0s")]
#[assertion(failures = "1%")]
#[assertion(peak_failures = "2x", abort_on_fail)]
async fn browse(_user: &mut User) {}

fn main() {}
