//! `#[scenario]`: argument parsing, item checks and expansion.

mod args;
mod expand;
mod item;
mod keys;

pub(crate) use self::expand::expand;
