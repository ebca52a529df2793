//! The `loadspec` command's library: `import-har` (a browser recording into a scenario file).
//! The command itself (`src/main.rs`) also compares, renders and merges stored results with
//! `loadspec-runner`'s library. It is a crate of its own so that the code generator and its
//! syn / prettyplease stay out of every load-test binary's build.

pub mod har;
