//! The expansion: the user's function, unchanged, followed by a hidden block that registers it.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
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
    let name = args.name.clone().unwrap_or_else(|| ident.unraw().to_string());
    // `file!()`/`line!()` invoked at the fn name report the user's fn, not the macro, and
    // agree with each other even when the fn itself comes from a `macro_rules!`.
    let file = quote_spanned!(ident.span()=> ::core::file!());
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let options = options(args, &private);
    let user = Ident::new("__loadspec_user", Span::mixed_site());
    let call = call(args, function, &user);
    // A `#[cfg]` that removes the function must remove its registration too.
    let cfgs = function.attrs.iter().filter(|attr| attr.path().is_ident("cfg"));
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
/// scenario may well be called `user`), and are *located* on the user's parameter type and
/// return type so that a wrong parameter or return type is reported there, on user code.
fn call(args: &ScenarioArgs, function: &ItemFn, user: &Ident) -> TokenStream {
    let sig = &function.sig;
    let ident = &sig.ident;
    let param_span = match sig.inputs.first() {
        Some(FnArg::Typed(param)) => param.ty.span(),
        _ => ident.span(),
    };
    let return_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => ident.span(),
    };
    let argument = Ident::new(&user.to_string(), user.span().located_at(param_span));
    let output = Ident::new("__loadspec_output", Span::mixed_site().located_at(return_span));
    let private = args.krate.private(return_span);
    quote_spanned! {return_span=>
        let #output = #ident(#argument).await;
        #private::IntoIterationResult::into_iteration_result(#output)
    }
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
    calls.extend(nanos("ramp_up_nanos", args.ramp_up.as_ref().map(|g| g.value)));
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
