use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", p97 = "2s", threshold = "5s")]
async fn browse(_user: &mut User) {}

fn main() {}
