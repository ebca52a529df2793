use loadspec::prelude::*;

#[scenario]
async fn browse(_user: &mut String) {}

fn main() {}
