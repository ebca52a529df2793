//! The item under `#[scenario]` (and `#[setup]`, `#[teardown]`): it must be an `async fn`
//! taking one `&mut User`.
//!
//! Only the shape is checked here; types are left to the compiler, which reports them on the
//! user's tokens because the expansion is spanned there (see `expand.rs`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, GenericParam, ItemFn, Signature, Type};

use crate::ctxt::Ctxt;

/// Parses the item, recording every way its shape is wrong; `None` if it is not a function.
/// `attribute` names the macro in the messages (`scenario`, `setup`, …).
pub(crate) fn parse(item: TokenStream, attribute: &str, cx: &mut Ctxt) -> Option<ItemFn> {
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(function)) => {
            Shape { attribute, cx }.check_signature(&function.sig);
            Some(function)
        }
        _ => {
            let message = format!("`#[{attribute}]` must be applied to an `async fn`");
            cx.push(syn::Error::new(item_keyword(item), message));
            None
        }
    }
}

/// Checks a signature, naming `attribute` in its messages.
struct Shape<'a> {
    attribute: &'a str,
    cx: &'a mut Ctxt,
}

impl Shape<'_> {
    fn check_signature(&mut self, sig: &Signature) {
        if let Some(constness) = &sig.constness {
            self.error(constness, "the function must not be `const`");
        }
        if sig.asyncness.is_none() {
            self.error(sig.fn_token, "the function must be `async`");
        }
        if let Some(unsafety) = &sig.unsafety {
            self.error(unsafety, "the function must not be `unsafe`");
        }
        if let Some(abi) = &sig.abi {
            self.error(abi, "the function must not be `extern`");
        }
        // Lifetime parameters are harmless: the call in the expansion infers them.
        for param in &sig.generics.params {
            if !matches!(param, GenericParam::Lifetime(_)) {
                self.error(param, "the function must not be generic");
            }
        }
        if let Some(variadic) = &sig.variadic {
            self.error(variadic, "the function must not be variadic");
        }
        self.check_inputs(sig);
    }

    fn check_inputs(&mut self, sig: &Signature) {
        let mut inputs = sig.inputs.iter();
        match inputs.next() {
            None if sig.variadic.is_none() => {
                let message = format!(
                    "`#[{}]`: the function must take one parameter, `user: &mut User`",
                    self.attribute
                );
                self.cx
                    .push(syn::Error::new(sig.paren_token.span.join(), message));
            }
            None => {}
            Some(FnArg::Receiver(receiver)) => self.error(
                receiver,
                "the function must not take `self`; it is a free function taking `&mut User`",
            ),
            Some(FnArg::Typed(param)) => {
                let is_mut_ref = matches!(&*param.ty, Type::Reference(r) if r.mutability.is_some());
                if !is_mut_ref {
                    self.error(&param.ty, "the parameter must be `&mut User`");
                }
            }
        }
        let extra: Vec<&FnArg> = inputs.collect();
        if !extra.is_empty() {
            let extra = quote::quote!(#(#extra),*);
            self.error(
                extra,
                "the function must take only one parameter, `&mut User`",
            );
        }
    }

    fn error(&mut self, tokens: impl ToTokens, message: &str) {
        let attribute = self.attribute;
        self.cx.push(syn::Error::new_spanned(
            tokens,
            format!("`#[{attribute}]`: {message}"),
        ));
    }
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
