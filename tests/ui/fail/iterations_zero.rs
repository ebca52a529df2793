use loadspec::prelude::*;

#[scenario(iterations = 0)]
async fn browse(_user: &mut User) {}

fn main() {}
