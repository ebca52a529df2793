use loadspec::prelude::*;

#[scenario]
#[assertion(transaction = "login", ttfb_p95 = "300ms", threshold = "500ms")]
#[assertion(tls_p95 = "50ms", transaction = "search")]
#[assertion(request = "GET /api/insurees", connect_p95 = "10ms")]
async fn browse(_user: &mut User) {}

fn main() {}
