use loadspec::prelude::*;

#[scenario(hold = "0s")]
async fn browse(_user: &mut User) {}

fn main() {}
