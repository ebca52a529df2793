use loadspec::prelude::*;

#[assertion(p95 = "2s")]
#[scenario]
async fn browse(_user: &mut User) {}

fn main() {}
