//! A tiny deterministic generator for unit tests that compare an optimised routine with its
//! definition on many generated inputs (no dependency, the same inputs on every run).

/// xorshift64: returns a closure giving numbers in `0..n`.
pub(crate) fn below(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}
