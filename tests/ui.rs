//! Compile-time behaviour of `#[scenario]`: every error message it writes (`ui/fail`, each with
//! its `.stderr`) and every accepted form (`ui/pass`, which also run).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`, then read
//! each changed `.stderr`: the message and the caret position are what users see.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
