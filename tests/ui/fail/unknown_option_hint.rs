use loadspec::prelude::*;

#[scenario(rampup = "75s")]
async fn browse(_user: &mut User) {}

fn main() {}
