use loadspec::prelude::*;

#[scenario]
async fn browse() {}

fn main() {}
