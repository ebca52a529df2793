use loadspec::prelude::*;

#[scenario(criteria_file = " ")]
async fn browse(_user: &mut User) {}

fn main() {}
