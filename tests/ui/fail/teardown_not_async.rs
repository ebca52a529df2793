use loadspec::prelude::*;

#[teardown]
fn clean(_user: &mut User) {}

fn main() {}
