use loadspec::prelude::*;

struct Flows;

impl Flows {
    #[scenario]
    async fn browse(&mut self) {}
}

fn main() {}
