//! The item under `#[scenario]`: it must be an `async fn` taking one `&mut User`.
//!
//! Only the shape is checked here; types are left to the compiler, which reports them on the
//! user's tokens because the expansion is spanned there (see `expand.rs`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, GenericParam, ItemFn, Signature, Type};

use crate::ctxt::Ctxt;

/// Parses the item, recording every way its shape is wrong; `None` if it is not a function.
pub(crate) fn parse(item: TokenStream, cx: &mut Ctxt) -> Option<ItemFn> {
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(function)) => {
            check_signature(&function.sig, cx);
            Some(function)
        }
        _ => {
            let message = "`#[scenario]` must be applied to an `async fn`";
            cx.push(syn::Error::new(item_keyword(item), message));
            None
        }
    }
}

fn check_signature(sig: &Signature, cx: &mut Ctxt) {
    if let Some(constness) = &sig.constness {
        cx.push(error(constness, "the function must not be `const`"));
    }
    if sig.asyncness.is_none() {
        cx.push(error(sig.fn_token, "the function must be `async`"));
    }
    if let Some(unsafety) = &sig.unsafety {
        cx.push(error(unsafety, "the function must not be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        cx.push(error(abi, "the function must not be `extern`"));
    }
    // Lifetime parameters are harmless: the call in the expansion infers them.
    for param in &sig.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            cx.push(error(param, "the function must not be generic"));
        }
    }
    if let Some(variadic) = &sig.variadic {
        cx.push(error(variadic, "the function must not be variadic"));
    }
    check_inputs(sig, cx);
}

fn check_inputs(sig: &Signature, cx: &mut Ctxt) {
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        None if sig.variadic.is_none() => {
            let message = "`#[scenario]`: the function must take one parameter, `user: &mut User`";
            cx.push(syn::Error::new(sig.paren_token.span.join(), message));
        }
        None => {}
        Some(FnArg::Receiver(receiver)) => cx.push(error(
            receiver,
            "the function must not take `self`; a scenario is a free function taking `&mut User`",
        )),
        Some(FnArg::Typed(param)) => {
            let is_mut_ref = matches!(&*param.ty, Type::Reference(r) if r.mutability.is_some());
            if !is_mut_ref {
                cx.push(error(&param.ty, "the parameter must be `&mut User`"));
            }
        }
    }
    let extra: Vec<&FnArg> = inputs.collect();
    if !extra.is_empty() {
        let extra = quote::quote!(#(#extra),*);
        cx.push(error(
            extra,
            "the function must take only one parameter, `&mut User`",
        ));
    }
}

fn error(tokens: impl ToTokens, message: &str) -> syn::Error {
    syn::Error::new_spanned(tokens, format!("`#[scenario]`: {message}"))
}

/// The first token after the item's attributes and visibility (`struct`, `impl`, `fn`, …), so
/// the error underlines one keyword rather than the whole item.
fn item_keyword(item: TokenStream) -> Span {
    let mut tokens = item.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                tokens.next_if(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '!'));
                tokens.next();
            }
            TokenTree::Ident(ident) if ident == "pub" => {
                tokens.next_if(|t| {
                    matches!(t, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Parenthesis)
                });
            }
            _ => return token.span(),
        }
    }
    Span::call_site()
}
