// Timeouts, the health gate and the unreachable-target stop reach the registry as written.
use std::time::Duration;

use loadspec::prelude::*;

#[scenario(
    connect_timeout = "3s",
    read_timeout = "5s",
    request_timeout = "20s",
    health = "/api/health",
    abort_after_consecutive_errors = 50
)]
async fn resilient(_user: &mut User) -> Result<(), Failure> {
    Ok(())
}

fn main() {
    let entry = ::loadspec::__private::inventory::iter::<::loadspec::__private::ScenarioEntry>
        .into_iter()
        .find(|e| e.name == "resilient")
        .unwrap();
    let o = &entry.options;
    assert_eq!(o.connect_timeout, Some(Duration::from_secs(3)));
    assert_eq!(o.read_timeout, Some(Duration::from_secs(5)));
    assert_eq!(o.request_timeout, Some(Duration::from_secs(20)));
    assert_eq!(o.health, Some("/api/health"));
    assert_eq!(o.abort_after_consecutive_errors, Some(50));
}
