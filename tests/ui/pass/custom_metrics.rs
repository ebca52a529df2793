// Criteria on custom metrics and tags: each kind's scope key, its statistics, numbers written
// as literals or strings, and `tag = "key:value"` scopes.

use loadspec::prelude::*;

#[scenario]
#[assertion(counter = "claims_approved", count = 100, threshold = 80)]
#[assertion(counter = "claims_approved", throughput = "5/s")]
#[assertion(gauge = "queue_depth", max = 20)]
#[assertion(gauge = "queue_depth", last = "2.5")]
#[assertion(trend = "queue_wait", p95 = "50ms", threshold = "80ms")]
#[assertion(trend = "basket_items", p50 = 3)]
#[assertion(rate = "claims_ok", share = "95%", threshold = "90%")]
#[assertion(tag = "endpoint:search", p95 = "2s", name = "searches")]
async fn claims(user: &mut User) {
    user.counter("claims_approved").add(1);
}

fn main() {
    use loadspec::__private::{CustomKind, Metric, ScenarioEntry, ScopeSpec, inventory};

    let entry = inventory::iter::<ScenarioEntry>
        .into_iter()
        .find(|entry| entry.name == "claims")
        .expect("claims is registered");
    let rows: Vec<_> = entry
        .options
        .criteria
        .iter()
        .map(|c| (c.scope, c.metric, c.target, c.threshold))
        .collect();
    let claims = ScopeSpec::Custom(CustomKind::Counter, "claims_approved");
    let depth = ScopeSpec::Custom(CustomKind::Gauge, "queue_depth");
    assert_eq!(
        rows,
        [
            (claims, Metric::Count, 100.0, 80.0),
            (claims, Metric::Throughput, 5.0, 5.0),
            (depth, Metric::Max, 20.0, 20.0),
            (depth, Metric::Last, 2.5, 2.5),
            (
                ScopeSpec::Custom(CustomKind::Trend, "queue_wait"),
                Metric::P95,
                50.0,
                80.0
            ),
            (
                ScopeSpec::Custom(CustomKind::Trend, "basket_items"),
                Metric::P50,
                3.0,
                3.0
            ),
            (
                ScopeSpec::Custom(CustomKind::Rate, "claims_ok"),
                Metric::Share,
                0.95,
                0.9
            ),
            (ScopeSpec::Tag("endpoint:search"), Metric::P95, 2000.0, 2000.0),
        ]
    );
}
