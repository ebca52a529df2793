//! The path generated code uses to reach loadspec: `::loadspec` unless `crate = path` says
//! otherwise (for crates that rename or re-export loadspec).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;

/// The `crate = path` option, or the default `::loadspec`.
#[derive(Default)]
pub(crate) struct CratePath {
    path: Option<syn::Path>,
}

impl CratePath {
    pub(crate) fn new(path: syn::Path) -> Self {
        Self { path: Some(path) }
    }

    /// `<crate>::__private`, reported at `location` in diagnostics.
    ///
    /// Only the location changes: each token keeps its own name resolution, so a user's
    /// relative `crate = my_loadspec` still resolves where it was written.
    pub(crate) fn private(&self, location: Span) -> TokenStream {
        let tokens = match &self.path {
            Some(path) => quote!(#path::__private),
            None => quote!(::loadspec::__private),
        };
        tokens
            .into_iter()
            .map(|mut token: TokenTree| {
                token.set_span(token.span().located_at(location));
                token
            })
            .collect()
    }
}
