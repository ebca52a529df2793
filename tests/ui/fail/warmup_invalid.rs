use loadspec::prelude::*;

#[scenario(warmup = "5")]
async fn browse(_user: &mut User) {}

#[scenario(warmup = 5)]
async fn search(_user: &mut User) {}

fn main() {}
