use loadspec::prelude::*;

#[scenario(threads = [1, 5000000000])]
async fn browse(_user: &mut User) {}

fn main() {}
