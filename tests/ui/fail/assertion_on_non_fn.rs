// Only the misplaced `#[scenario]` is reported: the rows it would have read add no error.
use loadspec::prelude::*;

#[scenario]
#[assertion(p95 = "2s")]
struct Browse;

fn main() {}
