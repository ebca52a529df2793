use loadspec::prelude::*;

#[scenario(threads = [1, 10, 5, 10])]
async fn browse(_user: &mut User) {}

fn main() {}
