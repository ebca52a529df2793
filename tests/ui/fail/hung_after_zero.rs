use loadspec::prelude::*;

#[scenario(hung_after = "0s")]
async fn browse(_user: &mut User) {}

fn main() {}
