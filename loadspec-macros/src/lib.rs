//! Attribute macros of loadspec. Use them through the `loadspec` crate.

use proc_macro::TokenStream;

/// Registers an async function as a load-test scenario (work in progress).
#[proc_macro_attribute]
pub fn scenario(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
