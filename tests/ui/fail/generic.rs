use loadspec::prelude::*;

#[scenario]
async fn browse<T: Default>(_user: &mut User) {}

fn main() {}
