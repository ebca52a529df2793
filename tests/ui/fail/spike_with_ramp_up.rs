use loadspec::prelude::*;

#[scenario(profile = "spike", ramp_up = "75s")]
async fn browse(_user: &mut User) {}

fn main() {}
