//! Custom metrics a scenario records (k6's Counter, Gauge, Trend and Rate): handles the user
//! hands out, recording into its worker's recorder.
//!
//! ```no_run
//! # use std::time::Duration;
//! # use loadspec_runner::User;
//! # fn flow(user: &mut User) {
//! user.counter("claims_approved").add(1);
//! user.gauge("queue_depth").set(17.0);
//! user.trend("queue_wait").add(Duration::from_millis(40)); // milliseconds
//! user.trend("basket_items").add(3.0); // a plain value
//! user.rate("claims_ok").add(true);
//! # }
//! ```

use std::time::Duration;

use loadspec_units::CustomKind;

use super::UserContext;
use crate::metrics::custom::CustomId;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<'u> {
            ctx: &'u UserContext,
            id: CustomId,
        }
    };
}

handle!(
    /// A custom counter (`user.counter(name)`): a sum over the step, and its rate per second.
    Counter
);
handle!(
    /// A custom gauge (`user.gauge(name)`): its last, smallest and largest value.
    Gauge
);
handle!(
    /// A custom trend (`user.trend(name)`): a distribution; durations are kept in milliseconds.
    Trend
);
handle!(
    /// A custom rate (`user.rate(name)`): the share of `true` values.
    Rate
);

/// The handle of `name` of `kind`, interned in the worker's recorder.
fn intern(ctx: &UserContext, kind: CustomKind, name: &str) -> CustomId {
    ctx.recorder
        .borrow_mut()
        .custom
        .id(ctx.scenario, kind, name)
}

impl<'u> Counter<'u> {
    pub(crate) fn new(ctx: &'u UserContext, name: &str) -> Self {
        let id = intern(ctx, CustomKind::Counter, name);
        Self { ctx, id }
    }

    /// Adds `n` (`add(1)`, `add(2.5)`); an infinite or NaN `n` is ignored, since
    /// `results.json` holds finite numbers only.
    pub fn add(&self, n: impl Into<f64>) {
        let n = n.into();
        if n.is_finite() {
            self.ctx.recorder.borrow_mut().custom.add(self.id, n);
        }
    }
}

impl<'u> Gauge<'u> {
    pub(crate) fn new(ctx: &'u UserContext, name: &str) -> Self {
        let id = intern(ctx, CustomKind::Gauge, name);
        Self { ctx, id }
    }

    /// Sets the gauge to `value`; an infinite or NaN `value` is ignored.
    pub fn set(&self, value: impl Into<f64>) {
        let value: f64 = value.into();
        if !value.is_finite() {
            return;
        }
        // Wall-clock time, so merged shards keep the value set last.
        let now = loadspec_results::unix_seconds(std::time::SystemTime::now());
        self.ctx
            .recorder
            .borrow_mut()
            .custom
            .set(self.id, value, now);
    }
}

/// A value a trend takes: a [`Duration`] (kept in milliseconds) or a plain number.
pub trait TrendValue {
    /// The value as the trend keeps it.
    fn trend_value(self) -> f64;
}

impl TrendValue for Duration {
    fn trend_value(self) -> f64 {
        self.as_secs_f64() * 1000.0
    }
}

macro_rules! trend_number {
    ($($t:ty),*) => {$(
        impl TrendValue for $t {
            fn trend_value(self) -> f64 {
                f64::from(self)
            }
        }
    )*};
}
trend_number!(f64, f32, u32, i32, u16, u8);

impl<'u> Trend<'u> {
    pub(crate) fn new(ctx: &'u UserContext, name: &str) -> Self {
        let id = intern(ctx, CustomKind::Trend, name);
        Self { ctx, id }
    }

    /// Adds a value: a [`Duration`] (in milliseconds) or a number from 0.001 to 3,600,000
    /// (values outside saturate; negative ones count as 0).
    pub fn add(&self, value: impl TrendValue) {
        self.ctx
            .recorder
            .borrow_mut()
            .custom
            .observe(self.id, value.trend_value());
    }
}

impl<'u> Rate<'u> {
    pub(crate) fn new(ctx: &'u UserContext, name: &str) -> Self {
        let id = intern(ctx, CustomKind::Rate, name);
        Self { ctx, id }
    }

    /// Adds one outcome.
    pub fn add(&self, yes: bool) {
        self.ctx.recorder.borrow_mut().custom.rate(self.id, yes);
    }
}
