//! `#[scenario]`: argument parsing, item checks and expansion.

mod args;
mod expand;
pub(crate) mod item;
mod keys;

pub(crate) use self::expand::expand;
