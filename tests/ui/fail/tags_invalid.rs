use loadspec::prelude::*;

#[scenario(tags = ["smoke", checkout, "smoke", ""])]
async fn browse(_user: &mut User) {}

fn main() {}
