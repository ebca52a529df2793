//! The `loadspec` command's library: `compare` (a run against a baseline), `merge` (a sharded
//! run's results into one) and `har` (a browser recording into a scenario file). The command
//! itself is `src/main.rs`. It is a crate of its own so that the code generator and its
//! syn / prettyplease, and the tools that only read stored results, stay out of every
//! load-test binary's build.

pub mod compare;
pub mod har;
pub mod merge;
