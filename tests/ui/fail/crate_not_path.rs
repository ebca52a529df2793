use loadspec::prelude::*;

#[scenario(crate = "loadspec")]
async fn browse(_user: &mut User) {}

fn main() {}
