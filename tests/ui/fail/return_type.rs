use loadspec::prelude::*;

#[scenario]
async fn browse(_user: &mut User) -> u32 {
    7
}

fn main() {}
