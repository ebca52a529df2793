use loadspec::prelude::*;

#[scenario(threads = 10)]
async fn browse(_user: &mut User) {}

fn main() {}
