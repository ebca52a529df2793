use loadspec::prelude::*;

#[scenario(threads = [])]
async fn browse(_user: &mut User) {}

fn main() {}
