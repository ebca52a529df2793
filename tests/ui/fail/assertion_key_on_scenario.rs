use loadspec::prelude::*;

#[scenario(p95 = "2s", threshold = "5s")]
async fn browse(_user: &mut User) {}

fn main() {}
