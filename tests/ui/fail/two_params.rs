use loadspec::prelude::*;

#[scenario]
async fn browse(_user: &mut User, _step: u32) {}

fn main() {}
