use loadspec::prelude::*;

#[scenario]
async extern "C" fn browse(_user: &mut User) {}

fn main() {}
