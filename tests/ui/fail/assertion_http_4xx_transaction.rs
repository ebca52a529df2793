use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", http_4xx = "0.5%", threshold = "1%")]
#[assertion(http_5xx = "0.1%", transaction = "search")]
async fn browse(_user: &mut User) {}

fn main() {}
