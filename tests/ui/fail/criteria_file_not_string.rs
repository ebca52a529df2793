use loadspec::prelude::*;

#[scenario(criteria_file = load::criteria, abort_on_fail = "yes")]
async fn browse(_user: &mut User) {}

fn main() {}
