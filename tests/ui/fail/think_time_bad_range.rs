use loadspec::prelude::*;

#[scenario(think_time = "2s..1s")]
async fn browse(_user: &mut User) {}

fn main() {}
