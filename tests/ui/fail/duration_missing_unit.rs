use loadspec::prelude::*;

#[scenario(profile = "ramp", ramp_up = "75")]
async fn browse(_user: &mut User) {}

fn main() {}
