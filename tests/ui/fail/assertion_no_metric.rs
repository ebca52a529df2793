use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", threshold = "5s")]
async fn browse(_user: &mut User) {}

fn main() {}
