//! Error accumulator: every problem found in one attribute is reported in one compile, like
//! serde_derive's `Ctxt`.

use proc_macro2::TokenStream;

/// Collects the errors of one macro invocation instead of stopping at the first.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records an error and carries on.
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Records the error of a result, if any, and returns its value otherwise.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `compile_error!` invocations for every recorded error, or `None` if there were none.
    pub(crate) fn into_compile_errors(self) -> Option<TokenStream> {
        let mut errors = self.errors.into_iter();
        let mut combined = errors.next()?;
        for error in errors {
            combined.combine(error);
        }
        Some(combined.into_compile_error())
    }
}
