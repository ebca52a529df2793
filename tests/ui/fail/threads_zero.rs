use loadspec::prelude::*;

#[scenario(threads = [1, 0, 10])]
async fn browse(_user: &mut User) {}

fn main() {}
