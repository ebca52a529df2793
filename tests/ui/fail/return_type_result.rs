use loadspec::prelude::*;

#[scenario]
async fn browse(_user: &mut User) -> Result<u32, Failure> {
    Ok(7)
}

fn main() {}
