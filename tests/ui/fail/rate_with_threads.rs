use loadspec::prelude::*;

#[scenario(threads = [1, 5], rate = "100/s")]
async fn both(_user: &mut User) -> Result<(), Failure> {
    Ok(())
}

#[scenario(rate = ["10/s", "5 per second"])]
async fn bad_rate(_user: &mut User) -> Result<(), Failure> {
    Ok(())
}

fn main() {}
