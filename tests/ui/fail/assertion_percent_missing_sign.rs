use loadspec::prelude::*;

#[scenario]
#[assertion(failures = "0.5", threshold = "1%")]
async fn browse(_user: &mut User) {}

fn main() {}
