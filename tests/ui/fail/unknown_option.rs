use loadspec::prelude::*;

#[scenario(colour = "blue")]
async fn browse(_user: &mut User) {}

fn main() {}
