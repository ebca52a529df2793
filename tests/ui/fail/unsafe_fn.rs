use loadspec::prelude::*;

#[scenario]
async unsafe fn browse(_user: &mut User) {}

fn main() {}
