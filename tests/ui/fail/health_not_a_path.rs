use loadspec::prelude::*;

#[scenario(health = "health", abort_after_consecutive_errors = 0)]
async fn browse(_user: &mut User) -> Result<(), Failure> {
    Ok(())
}

fn main() {}
