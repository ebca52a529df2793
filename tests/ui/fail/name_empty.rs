use loadspec::prelude::*;

#[scenario(name = "")]
async fn browse(_user: &mut User) {}

fn main() {}
