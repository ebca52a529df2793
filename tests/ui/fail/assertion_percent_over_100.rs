use loadspec::prelude::*;

#[scenario]
#[assertion(http_5xx = "0.1%", threshold = "150%")]
async fn browse(_user: &mut User) {}

fn main() {}
