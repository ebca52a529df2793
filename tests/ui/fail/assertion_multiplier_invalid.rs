use loadspec::prelude::*;

#[scenario]
#[assertion(failures = "0.5%")]
#[assertion(peak_failures = "2", threshold = "0x")]
async fn browse(_user: &mut User) {}

fn main() {}
