use loadspec::prelude::*;

#[scenario(cooldown = 10)]
async fn browse(_user: &mut User) {}

fn main() {}
