//! Measurements: histograms, per-label statistics, the per-worker recorder, and the merged
//! per-step aggregates and time series.

pub use loadspec_results::histogram;
pub(crate) mod custom;
pub(crate) mod label;
pub(crate) mod phases;
pub(crate) mod recorder;
pub(crate) mod stats;

pub mod samples;
pub(crate) mod step;
pub(crate) mod unreachable;
pub(crate) mod window;
