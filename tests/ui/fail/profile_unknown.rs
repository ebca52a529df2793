use loadspec::prelude::*;

#[scenario(profile = "soak")]
async fn browse(_user: &mut User) {}

fn main() {}
