use loadspec::prelude::*;

#[setup(threads = [1, 5])]
async fn seed(_user: &mut User) -> Result<u32, Failure> {
    Ok(1)
}

fn main() {}
