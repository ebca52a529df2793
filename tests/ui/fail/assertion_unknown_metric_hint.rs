// Near-misses of metric names get a hint, including names that are not identifiers (`4xx`).
use loadspec::prelude::*;

#[scenario]
#[assertion(p95ms = "2s")]
#[assertion(percentile = "2s")]
#[assertion(error_rate = "0.5%")]
#[assertion(failure_rate = "0.5%")]
#[assertion(4xx = "0.5%")]
#[assertion(rps = "50/s")]
#[assertion(target = "2s")]
#[assertion(ttfb = "300ms")]
#[assertion(tls_handshake = "50ms")]
async fn browse(_user: &mut User) {}

fn main() {}
