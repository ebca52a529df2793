use loadspec::prelude::*;

#[scenario(threads = [1, "5", 2.5, -3])]
async fn browse(_user: &mut User) {}

fn main() {}
