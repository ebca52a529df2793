//! `#[setup]` and `#[teardown]`: a binary's run-wide lifecycle hooks (k6's `setup()` and
//! `teardown()`), registered through `inventory` and given to every scenario of the binary
//! that names no hook of its own.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::parse::Parser as _;
use syn::spanned::Spanned as _;
use syn::{Expr, ItemFn};

use crate::ctxt::Ctxt;
use crate::lit;
use crate::paths::CratePath;
use crate::scenario::item;

/// Which hook is being expanded.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Setup,
    Teardown,
}

impl Kind {
    fn attribute(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::Teardown => "teardown",
        }
    }
}

/// Expands `#[setup]` / `#[teardown]`. The function is always emitted, next to any errors.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let krate = parse_args(kind, args, &mut cx);
    let function = item::parse(item.clone(), kind.attribute(), &mut cx);
    match (function, cx.into_compile_errors()) {
        (Some(function), None) => {
            let registration = register(kind, &krate, &function);
            quote!(#function #registration)
        }
        (Some(function), Some(errors)) => quote!(#function #errors),
        (None, errors) => quote!(#item #errors),
    }
}

/// The only option is `crate = path`, for crates that rename loadspec.
fn parse_args(kind: Kind, args: TokenStream, cx: &mut Ctxt) -> CratePath {
    let mut krate = CratePath::default();
    let attribute = kind.attribute();
    let parsed = syn::meta::parser(|meta| {
        let name = meta.path.to_token_stream().to_string().replace(' ', "");
        if name != "crate" {
            return Err(meta.error(format_args!(
                "`#[{attribute}]` takes no option `{name}`: it applies to every scenario of the binary that names no `{attribute} = ...` of its own (only `crate = path` is accepted)"
            )));
        }
        let value: Expr = meta.value()?.parse()?;
        match lit::path(&value) {
            Some(path) => {
                krate = CratePath::new(path.clone());
                Ok(())
            }
            None => Err(syn::Error::new(
                value.span(),
                format!("`#[{attribute}]`: `crate` expects a path, like `crate = ::loadspec`"),
            )),
        }
    })
    .parse2(args);
    cx.ok(parsed);
    krate
}

fn register(kind: Kind, krate: &CratePath, function: &ItemFn) -> TokenStream {
    let ident = &function.sig.ident;
    let name = ident.unraw().to_string();
    let private = krate.private(Span::call_site());
    let user = Ident::new("__loadspec_user", Span::mixed_site());
    // Spanned at the function's name, so a wrong return type is reported on the user's code.
    let span = ident.span();
    let (shim, variant) = match kind {
        Kind::Setup => (
            quote_spanned! {span=>
                fn __loadspec_run_hook<'u>(#user: &'u mut #private::User) -> #private::SetupFuture<'u> {
                    #private::Box::pin(async move { #private::into_shared(#ident(#user).await) })
                }
            },
            quote!(Setup),
        ),
        Kind::Teardown => (
            quote_spanned! {span=>
                fn __loadspec_run_hook<'u>(#user: &'u mut #private::User) -> #private::ScenarioFuture<'u> {
                    #private::Box::pin(async move {
                        #private::IntoIterationResult::into_iteration_result(#ident(#user).await)
                    })
                }
            },
            quote!(Teardown),
        ),
    };
    let cfgs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    quote! {
        #(#cfgs)*
        const _: () = {
            #shim

            #private::inventory::submit! {
                #private::RunHookEntry {
                    name: #name,
                    module_path: ::core::module_path!(),
                    hook: #private::RunHook::#variant(__loadspec_run_hook),
                }
            }
        };
    }
}
