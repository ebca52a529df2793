//! The rows as a `.criteria(&[CriterionSpec { .. }, ..])` call in the scenario's
//! `EntryOptions` chain: values are `f64` literals already in the runner's units.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::args::{Row, Scope};
use super::keys::MetricText as _;

/// `.criteria(&[...])` with one `CriterionSpec` per row in source order, or nothing without
/// rows. Only called when no error was reported, so every row is complete; a row that is not
/// is left out rather than panicking.
pub(crate) fn criteria(rows: &[Row], private: &TokenStream) -> Option<TokenStream> {
    let specs: Vec<TokenStream> = rows.iter().filter_map(|row| spec(row, private)).collect();
    (!specs.is_empty()).then(|| quote!(.criteria(&[#(#specs),*])))
}

fn spec(row: &Row, private: &TokenStream) -> Option<TokenStream> {
    let (metric, _) = row.metric.as_ref()?;
    let target = number(row.target.as_ref()?.number)?;
    let threshold = number(row.threshold.as_ref()?.number)?;
    let name = match &row.name {
        Some(name) => quote!(::core::option::Option::Some(#name)),
        None => quote!(::core::option::Option::None),
    };
    let scope = match row.scope.as_ref()? {
        Scope::All => quote!(#private::ScopeSpec::All),
        Scope::Transaction(name) => quote!(#private::ScopeSpec::Transaction(#name)),
        Scope::Request(label) => quote!(#private::ScopeSpec::Request(#label)),
        Scope::Tag(tag) => quote!(#private::ScopeSpec::Tag(#tag)),
        Scope::Custom(kind, name) => {
            let kind = Ident::new(&format!("{kind:?}"), Span::call_site());
            quote!(#private::ScopeSpec::Custom(#private::CustomKind::#kind, #name))
        }
    };
    let abort = match row.abort {
        Some((window, delay)) => {
            let (window, delay) = (whole(window)?, whole(delay)?);
            quote!(::core::option::Option::Some(#private::AbortWindow {
                window_ms: #window,
                delay_ms: #delay,
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let variant = Ident::new(&metric.variant(), Span::call_site());
    Some(quote! {
        #private::CriterionSpec {
            name: #name,
            scope: #scope,
            metric: #private::Metric::#variant,
            target: #target,
            threshold: #threshold,
            abort: #abort,
        }
    })
}

/// A `u64` literal of whole milliseconds.
fn whole(ms: f64) -> Option<Literal> {
    (ms.is_finite() && ms >= 0.0 && ms < u64::MAX as f64)
        .then(|| Literal::u64_unsuffixed(ms as u64))
}

/// An `f64` literal (`2000.0`, `0.005`); `Literal::f64_unsuffixed` panics on non-finite values,
/// which the unit parsers already reject.
fn number(value: f64) -> Option<Literal> {
    value.is_finite().then(|| Literal::f64_unsuffixed(value))
}
