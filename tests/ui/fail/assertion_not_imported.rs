// Rows are attributes like any other: `assertion` must be in scope (the prelude has it).
use loadspec::{User, scenario};

#[scenario]
#[assertion(p95 = "2s")]
async fn browse(_user: &mut User) {}

fn main() {}
