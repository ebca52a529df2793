//! `#[assertion(...)]`: criteria rows written below `#[scenario]` on the same function.
//!
//! `#[scenario]` runs first (attributes expand from the top), finds the rows among the
//! function's attributes, takes them out and registers them with the scenario. An
//! `#[assertion]` that is itself expanded — above `#[scenario]`, or on a function without one —
//! is misplaced, and its own macro (`alone`) says so.
//!
//! The rows are taken out before rustc resolves them, so `use loadspec::assertion;` would look
//! unused. The expansion therefore writes each row's path once more, as
//! `#[<path>(__loadspec_taken_by_scenario)] const _: () = ();`: rustc resolves it where the
//! user wrote it (marking the import used, or reporting a missing one like for any attribute),
//! and the macro recognises the marker and expands it to nothing.

mod args;
mod expand;
mod keys;

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{AttrStyle, Attribute};

pub(crate) use self::args::Row;
use self::args::Scope;
pub(crate) use self::expand::criteria;
use self::keys::Metric;
pub(crate) use self::keys::is_criterion_key;
use crate::ctxt::Ctxt;

/// The name `#[assertion]` is matched by (the last path segment, so `#[loadspec::assertion]`
/// is one too).
const NAME: &str = "assertion";

/// Takes the `#[assertion]` rows out of `attrs`, in source order, parsing each.
pub(crate) fn take(attrs: &mut Vec<Attribute>, cx: &mut Ctxt) -> Vec<Row> {
    let mut rows = Vec::new();
    attrs.retain(|attr| {
        let is_row = matches!(attr.style, AttrStyle::Outer)
            && attr
                .path()
                .segments
                .last()
                .is_some_and(|segment| segment.ident == NAME);
        if is_row {
            rows.push(args::parse(attr, cx));
        }
        !is_row
    });
    rows
}

/// Checks between the rows of one scenario. `has_file`: the scenario also names a criteria
/// file, which may hold the `failures` rows a `peak_failures` row needs.
pub(crate) fn check_rows(rows: &[Row], has_file: bool, cx: &mut Ctxt) {
    for (i, row) in rows.iter().enumerate() {
        let (Some((metric, key)), Some(scope)) = (&row.metric, &row.scope) else {
            continue;
        };
        let repeated = rows[..i].iter().any(|earlier| {
            earlier.metric.as_ref().is_some_and(|(m, _)| m == metric)
                && earlier.scope.as_ref().is_some_and(|s| s.same_as(scope))
        });
        if repeated {
            cx.push(syn::Error::new_spanned(
                key,
                format!(
                    "`#[assertion]`: `{}`{} is already asserted in an earlier row; keep one row per metric and scope",
                    metric.key(),
                    scope.describe()
                ),
            ));
        }
        if *metric == Metric::PeakFailures && !has_file {
            let covered = rows.iter().any(|other| {
                matches!(other.metric, Some((Metric::Failures, _)))
                    && (matches!(scope, Scope::All)
                        // A failures row whose scope is invalid is already reported.
                        || other.scope.as_ref().is_none_or(|s| s.same_as(scope)))
            });
            if !covered {
                cx.push(syn::Error::new_spanned(
                    key,
                    format!(
                        "`#[assertion]`: `peak_failures` multiplies the targets of the `failures` rows, but this scenario has no `failures` row{}; add one, like `#[assertion(failures = \"0.5%\")]`",
                        scope.describe()
                    ),
                ));
            }
        }
    }
}

/// The argument of the marker `#[scenario]` writes for each row it takes.
const TAKEN: &str = "__loadspec_taken_by_scenario";

/// One marker item per path the rows were written with (see the module docs).
pub(crate) fn markers(rows: &[Row]) -> TokenStream {
    let mut paths: Vec<&syn::Path> = Vec::new();
    for row in rows {
        let written = row.path.to_token_stream().to_string();
        if !paths
            .iter()
            .any(|path| path.to_token_stream().to_string() == written)
        {
            paths.push(&row.path);
        }
    }
    let taken = Ident::new(TAKEN, Span::call_site());
    quote!(#(#[#paths(#taken)] const _: () = ();)*)
}

/// `#[assertion]` expanded on its own: a marker written by `#[scenario]` expands to nothing;
/// anything else was not below a `#[scenario]` (which would have taken it out).
pub(crate) fn alone(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut args = args.into_iter();
    if let (Some(TokenTree::Ident(ident)), None) = (args.next(), args.next())
        && ident == TAKEN
    {
        return TokenStream::new();
    }
    misplaced(item)
}

/// The item unchanged, next to an error saying where `#[assertion]` goes.
fn misplaced(item: TokenStream) -> TokenStream {
    let has_scenario = leading_attributes(&item)
        .iter()
        .any(|attr| attr.name.as_deref() == Some("scenario"));
    let message = if has_scenario {
        "`#[assertion]` must be placed below `#[scenario]`: attributes apply from the top, so `#[scenario]` must come first"
    } else {
        "`#[assertion]` must be placed below `#[scenario]`; this item has no `#[scenario]`"
    };
    let error = syn::Error::new(Span::call_site(), message).into_compile_error();
    quote!(#item #error)
}

/// The item without its leading `#[assertion]` attributes, for when `#[scenario]` cannot parse
/// it as a function: its own error is enough, and the rows must not add "misplaced" ones.
pub(crate) fn strip(item: TokenStream) -> TokenStream {
    let attributes = leading_attributes(&item);
    let drop: Vec<usize> = attributes
        .iter()
        .filter(|attr| attr.name.as_deref() == Some(NAME))
        .flat_map(|attr| [attr.start, attr.start + 1])
        .collect();
    item.into_iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, token)| token)
        .collect()
}

/// An outer attribute at the start of an item: `#` at `start`, `[...]` at `start + 1`.
struct LeadingAttribute {
    start: usize,
    /// The last segment of its path.
    name: Option<String>,
}

fn leading_attributes(item: &TokenStream) -> Vec<LeadingAttribute> {
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let mut attributes = Vec::new();
    let mut i = 0;
    while let (Some(TokenTree::Punct(pound)), Some(TokenTree::Group(group))) =
        (tokens.get(i), tokens.get(i + 1))
    {
        if pound.as_char() != '#' || group.delimiter() != Delimiter::Bracket {
            break;
        }
        let name = group
            .stream()
            .into_iter()
            .take_while(|token| match token {
                TokenTree::Ident(_) => true,
                TokenTree::Punct(p) => p.as_char() == ':',
                _ => false,
            })
            .filter_map(|token| match token {
                TokenTree::Ident(ident) => Some(ident.to_token_stream().to_string()),
                _ => None,
            })
            .last();
        attributes.push(LeadingAttribute { start: i, name });
        i += 2;
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_removes_only_leading_assertions() {
        let item = quote!(
            #[assertion(p95 = "2s")]
            #[inline]
            #[loadspec::assertion(failures = "1%")]
            struct S;
        );
        assert_eq!(strip(item).to_string(), "# [inline] struct S ;");
    }

    #[test]
    fn markers_expand_to_nothing_and_name_each_path_once() {
        let mut cx = Ctxt::new();
        let mut function: syn::ItemFn = syn::parse_quote!(
            #[assertion(p95 = "2s")]
            #[inline]
            #[assertion(p99 = "4s")]
            #[loadspec::assertion(max = "9s")]
            async fn f(user: &mut User) {}
        );
        let rows = take(&mut function.attrs, &mut cx);
        assert_eq!(rows.len(), 3);
        assert_eq!(function.attrs.len(), 1);
        assert!(cx.into_compile_errors().is_none());
        let markers = markers(&rows).to_string();
        assert_eq!(
            markers,
            "# [assertion (__loadspec_taken_by_scenario)] const _ : () = () ; \
             # [loadspec :: assertion (__loadspec_taken_by_scenario)] const _ : () = () ;"
        );
        let marker = quote!(__loadspec_taken_by_scenario);
        assert!(
            alone(
                marker,
                quote!(
                    const _: () = ();
                )
            )
            .is_empty()
        );
        let out = alone(
            quote!(p95 = "2s"),
            quote!(
                async fn f() {}
            ),
        )
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
    }

    #[test]
    fn misplaced_keeps_the_item_and_says_where_to_go() {
        let out = misplaced(quote!(
            #[scenario]
            async fn f(user: &mut User) {}
        ))
        .to_string();
        assert!(out.starts_with("# [scenario] async fn f"), "{out}");
        assert!(out.contains("must be placed below `#[scenario]`"), "{out}");
        assert!(out.contains("must come first"), "{out}");
        let out = misplaced(quote!(
            async fn f(user: &mut User) {}
        ))
        .to_string();
        assert!(out.contains("has no `#[scenario]`"), "{out}");
    }
}
