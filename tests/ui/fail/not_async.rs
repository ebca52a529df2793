use loadspec::prelude::*;

#[scenario]
fn browse(_user: &mut User) {}

fn main() {}
