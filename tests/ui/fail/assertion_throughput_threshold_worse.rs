// For throughput higher is better: the threshold is the lowest acceptable rate.
use loadspec::prelude::*;

#[scenario]
#[assertion(request = "GET /api/insurees", throughput = "50/s", threshold = "80/s")]
async fn browse(_user: &mut User) {}

fn main() {}
