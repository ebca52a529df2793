use loadspec::prelude::*;

#[scenario(threads = [1])]
pub struct Browse;

fn main() {}
