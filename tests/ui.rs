//! Compile-time behaviour of `#[scenario]` and its `#[assertion]` rows: every error message they
//! write (`ui/fail`, each with its `.stderr`; the rows' cases are `assertion_*`) and every
//! accepted form (`ui/pass`, which also run and check what was registered).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`, then read
//! each changed `.stderr`: the message and the caret position are what users see.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
