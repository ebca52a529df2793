use loadspec::prelude::*;

#[scenario(profile = "ramp", hold = "60s")]
async fn browse(_user: &mut User) {}

fn main() {}
