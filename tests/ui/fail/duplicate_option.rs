use loadspec::prelude::*;

#[scenario(hold = "60s", threads = [1], hold = "30s")]
async fn browse(_user: &mut User) {}

fn main() {}
