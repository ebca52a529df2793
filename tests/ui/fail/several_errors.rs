// Every mistake is reported in one compile, and the function is still emitted (`main` calls it).
use loadspec::prelude::*;

#[scenario(threads = [0], vus = 5, hold = "60", profile = "ramp")]
fn browse(_user: &mut User, _extra: u8) {}

fn main() {
    let _ = browse;
}
