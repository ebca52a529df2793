//! The expansion: the user's function, unchanged, followed by a hidden block that registers it.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::{FnArg, ItemFn, ReturnType};

use super::args::{self, ScenarioArgs};
use super::item;
use crate::ctxt::Ctxt;

/// Expands `#[scenario(args)] item`. On errors the item is still emitted, next to the
/// `compile_error!`s, so the rest of the crate keeps type-checking and IDEs keep working.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let args = args::parse(args, &mut cx);
    let function = item::parse(item.clone(), &mut cx);
    // Sibling attributes (`#[assertion(...)]`) are to be taken out of `function.attrs` here,
    // before any branch below emits the function; all other attributes pass through untouched.
    match (function, cx.into_compile_errors()) {
        (Some(function), None) => {
            let registration = register(&args, &function);
            quote!(#function #registration)
        }
        (Some(function), Some(errors)) => quote!(#function #errors),
        (None, errors) => quote!(#item #errors),
    }
}

fn register(args: &ScenarioArgs, function: &ItemFn) -> TokenStream {
    let ident = &function.sig.ident;
    let private = args.krate.private(Span::call_site());
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| ident.unraw().to_string());
    // `file!()`/`line!()` invoked at the fn name report the user's fn, not the macro, and
    // agree with each other even when the fn itself comes from a `macro_rules!`.
    let file = quote_spanned!(ident.span()=> ::core::file!());
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let options = options(args, &private);
    let user = Ident::new("__loadspec_user", Span::mixed_site());
    let call = call(args, function, &user);
    // A `#[cfg]` that removes the function must remove its registration too.
    let cfgs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    quote! {
        #(#cfgs)*
        const _: () = {
            fn __loadspec_body<'u>(
                #user: &'u mut #private::User,
            ) -> #private::ScenarioFuture<'u> {
                #private::Box::pin(async move { #call })
            }

            #private::inventory::submit! {
                #private::ScenarioEntry {
                    name: #name,
                    module_path: ::core::module_path!(),
                    file: #file,
                    line: #line,
                    options: #options,
                    body: __loadspec_body,
                }
            }
        };
    }
}

/// Calls the user's function and converts its output.
///
/// The locals are `mixed_site` so they can neither shadow nor be shadowed by user names (a
/// scenario may well be called `user`). The argument and the converted value are written as
/// expressions whose first and last tokens sit on the first and last tokens of the user's
/// parameter and return types, so a wrong type is underlined there, on user code, in full
/// (stable proc macros cannot join spans).
fn call(args: &ScenarioArgs, function: &ItemFn, user: &Ident) -> TokenStream {
    let sig = &function.sig;
    let ident = &sig.ident;
    let (param_first, param_last) = match sig.inputs.first() {
        Some(FnArg::Typed(param)) => bounds(&param.ty),
        _ => (ident.span(), ident.span()),
    };
    let (return_first, return_last) = match &sig.output {
        ReturnType::Type(_, ty) => bounds(ty),
        ReturnType::Default => (ident.span(), ident.span()),
    };
    let user_last = Ident::new(&user.to_string(), user.span().located_at(param_last));
    // Same hygiene on both ends: rustc only joins spans of one syntax context.
    let argument = quote_spanned!(user.span().located_at(param_first)=> &mut *#user_last);
    let output = Ident::new("__loadspec_output", Span::mixed_site());
    let mut tuple = Group::new(Delimiter::Parenthesis, quote!(#output,));
    tuple.set_span(return_first);
    let field = quote_spanned!(return_last=> .0);
    let private = args.krate.private(return_first);
    quote_spanned! {return_first=>
        let #output = #ident(#argument).await;
        #private::IntoIterationResult::into_iteration_result(#tuple #field)
    }
}

/// The spans of the first and last tokens of `tokens`.
fn bounds(tokens: &impl ToTokens) -> (Span, Span) {
    let mut spans = tokens
        .to_token_stream()
        .into_iter()
        .map(|token| token.span());
    let first = spans.next().unwrap_or_else(Span::call_site);
    (first, spans.last().unwrap_or(first))
}

/// `EntryOptions::new()` followed by one const builder call per option written.
fn options(args: &ScenarioArgs, private: &TokenStream) -> TokenStream {
    let mut calls = Vec::new();
    if let Some(threads) = &args.threads {
        let threads = threads.iter().map(|&n| Literal::u32_unsuffixed(n));
        calls.push(quote!(.threads(&[#(#threads),*])));
    }
    if let Some(profile) = &args.profile {
        let variant = Ident::new(profile.value.variant(), Span::call_site());
        calls.push(quote!(.profile(#private::ProfileKind::#variant)));
    }
    let nanos = |method: &str, value: Option<u64>| {
        value.map(|nanos| {
            let method = Ident::new(method, Span::call_site());
            let nanos = Literal::u64_unsuffixed(nanos);
            quote!(.#method(#nanos))
        })
    };
    calls.extend(nanos(
        "ramp_up_nanos",
        args.ramp_up.as_ref().map(|g| g.value),
    ));
    calls.extend(nanos("hold_nanos", args.hold.as_ref().map(|g| g.value)));
    calls.extend(nanos("cooldown_nanos", args.cooldown));
    if let Some((min, max)) = args.think_time {
        let (min, max) = (Literal::u64_unsuffixed(min), Literal::u64_unsuffixed(max));
        calls.push(quote!(.think_time_nanos(#min, #max)));
    }
    if let Some(iterations) = args.iterations {
        let iterations = Literal::u32_unsuffixed(iterations);
        calls.push(quote!(.iterations(#iterations)));
    }
    if let Some(tags) = &args.tags {
        calls.push(quote!(.tags(&[#(#tags),*])));
    }
    if let Some(ignore) = args.ignore {
        calls.push(quote!(.ignore(#ignore)));
    }
    calls.extend(nanos("hung_after_nanos", args.hung_after));
    calls.extend(nanos("request_timeout_nanos", args.request_timeout));
    quote!(#private::EntryOptions::new() #(#calls)*)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_to_string(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn options_become_const_builder_calls_with_integer_nanoseconds() {
        let out = expand_to_string(
            quote!(
                threads = [1, 5],
                hold = "1m 30s",
                think_time = "500ms..2s",
                ignore
            ),
            quote!(
                async fn browse(user: &mut User) {}
            ),
        );
        assert!(out.contains(". threads (& [1 , 5])"), "{out}");
        assert!(out.contains(". hold_nanos (90000000000)"), "{out}");
        assert!(
            out.contains(". think_time_nanos (500000000 , 2000000000)"),
            "{out}"
        );
        assert!(out.contains(". ignore (true)"), "{out}");
        assert!(out.contains("name : \"browse\""), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn other_attributes_pass_through_and_cfg_also_guards_the_registration() {
        let out = expand_to_string(
            TokenStream::new(),
            quote!(
                #[inline]
                #[cfg(feature = "x")]
                async fn browse(user: &mut User) {}
            ),
        );
        assert!(
            out.starts_with("# [inline] # [cfg (feature = \"x\")] async fn browse"),
            "{out}"
        );
        assert!(
            out.contains("# [cfg (feature = \"x\")] const _ : () ="),
            "{out}"
        );
    }

    #[test]
    fn errors_keep_the_item_and_register_nothing() {
        let item = quote!(
            fn browse(user: &mut User) {}
        );
        let out = expand_to_string(quote!(rampup = "75s", threads = []), item.clone());
        assert!(out.starts_with(&item.to_string()), "{out}");
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        assert!(!out.contains("inventory"), "{out}");
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let cases = [
            (
                quote!(= = =),
                quote!(
                    async fn f(u: &mut User) {}
                ),
            ),
            (
                quote!(threads = ),
                quote!(
                    async fn f(u: &mut User) {}
                ),
            ),
            (
                quote!(crate),
                quote!(
                    struct S;
                ),
            ),
            (TokenStream::new(), TokenStream::new()),
            (quote!(hold = "1s"), quote!(fn)),
        ];
        for (args, item) in cases {
            assert!(expand_to_string(args, item).contains("compile_error"));
        }
    }
}
