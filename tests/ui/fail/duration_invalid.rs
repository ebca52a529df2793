use loadspec::prelude::*;

#[scenario(hold = "soon")]
async fn browse(_user: &mut User) {}

fn main() {}
