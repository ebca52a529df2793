use loadspec::prelude::*;

#[scenario]
#[assertion(throughput = "50", threshold = "30/d")]
async fn browse(_user: &mut User) {}

fn main() {}
