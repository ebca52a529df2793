use loadspec::prelude::*;

#[scenario]
async fn browse(_user: User) {}

fn main() {}
