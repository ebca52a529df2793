//! The expansion: the user's function, unchanged, followed by a hidden block that registers it.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{FnArg, ItemFn, ReturnType};

use super::args::{self, ScenarioArgs};
use super::item;
use crate::assertion::{self, Row};
use crate::ctxt::Ctxt;

/// Expands `#[scenario(args)] item`. On errors the item is still emitted, next to the
/// `compile_error!`s, so the rest of the crate keeps type-checking and IDEs keep working.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let args = args::parse(args, &mut cx);
    let mut function = item::parse(item.clone(), "scenario", &mut cx);
    // Sibling `#[assertion(...)]` rows are taken out of the function's attributes before any
    // branch below emits the function (left in, each would expand to a "misplaced" error); all
    // other attributes pass through untouched.
    let rows = match &mut function {
        Some(function) => assertion::take(&mut function.attrs, &mut cx),
        None => Vec::new(),
    };
    assertion::check_rows(&rows, args.names_criteria_file(), &mut cx);
    let markers = assertion::markers(&rows);
    match (function, cx.into_compile_errors()) {
        (Some(function), None) => {
            let registration = register(&args, &rows, &function);
            quote!(#function #markers #registration)
        }
        (Some(function), Some(errors)) => quote!(#function #markers #errors),
        (None, errors) => {
            let item = assertion::strip(item);
            quote!(#item #errors)
        }
    }
}

fn register(args: &ScenarioArgs, rows: &[Row], function: &ItemFn) -> TokenStream {
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
    let options = options(args, rows, &private);
    let user = Ident::new("__loadspec_user", Span::mixed_site());
    let call = call(args, function, &user);
    // A `#[cfg]` that removes the function must remove its registration too.
    let cfgs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    let hooks = hooks(args, &private);
    quote! {
        #(#cfgs)*
        const _: () = {
            #hooks

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

/// The lifecycle shims: each calls the user's function named in the option and converts its
/// output; spanned at that path so a wrong signature is reported on the user's code.
fn hooks(args: &ScenarioArgs, private: &TokenStream) -> TokenStream {
    let user = Ident::new("__loadspec_user", Span::mixed_site());
    let mut shims = TokenStream::new();
    if let Some(path) = &args.setup {
        let span = path.span();
        shims.extend(quote_spanned! {span=>
            fn __loadspec_setup<'u>(#user: &'u mut #private::User) -> #private::SetupFuture<'u> {
                #private::Box::pin(async move { #private::into_shared(#path(#user).await) })
            }
        });
    }
    for (path, shim) in [
        (&args.teardown, "__loadspec_teardown"),
        (&args.on_start, "__loadspec_on_start"),
        (&args.on_stop, "__loadspec_on_stop"),
    ] {
        let Some(path) = path else { continue };
        let span = path.span();
        let shim = Ident::new(shim, Span::call_site());
        shims.extend(quote_spanned! {span=>
            fn #shim<'u>(#user: &'u mut #private::User) -> #private::ScenarioFuture<'u> {
                #private::Box::pin(async move {
                    #private::IntoIterationResult::into_iteration_result(#path(#user).await)
                })
            }
        });
    }
    shims
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

/// `EntryOptions::new()` followed by one const builder call per option written, then the
/// `#[assertion]` rows.
fn options(args: &ScenarioArgs, rows: &[Row], private: &TokenStream) -> TokenStream {
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
    calls.extend(nanos("warmup_nanos", args.warmup));
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
    calls.extend(nanos("connect_timeout_nanos", args.connect_timeout));
    calls.extend(nanos("read_timeout_nanos", args.read_timeout));
    if let Some(path) = &args.health {
        calls.push(quote!(.health(#path)));
    }
    if let Some(rates) = &args.rates {
        let rates = rates.value.iter().map(|&r| Literal::f64_unsuffixed(r));
        calls.push(quote!(.rates(&[#(#rates),*])));
    }
    if let Some(users) = args.max_users {
        let users = Literal::u32_unsuffixed(users);
        calls.push(quote!(.max_users(#users)));
    }
    if let Some(users) = args.pre_allocated_users {
        let users = Literal::u32_unsuffixed(users);
        calls.push(quote!(.pre_allocated_users(#users)));
    }
    for (given, call) in [
        (args.setup.is_some(), "setup"),
        (args.teardown.is_some(), "teardown"),
        (args.on_start.is_some(), "on_start"),
        (args.on_stop.is_some(), "on_stop"),
    ] {
        if given {
            let method = Ident::new(call, Span::call_site());
            let shim = Ident::new(&format!("__loadspec_{call}"), Span::call_site());
            calls.push(quote!(.#method(#shim)));
        }
    }
    if let Some(errors) = args.abort_after_consecutive_errors {
        let errors = Literal::u32_unsuffixed(errors);
        calls.push(quote!(.abort_after_consecutive_errors(#errors)));
    }
    calls.extend(assertion::criteria(rows, private));
    if let Some(path) = &args.criteria_file {
        // Resolved against the user's crate root where the user's crate is compiled; the file
        // itself is read by the runner, so editing it needs no recompilation.
        let path = if std::path::Path::new(&path.value()).is_absolute() {
            quote!(#path)
        } else {
            quote!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #path))
        };
        calls.push(quote!(.criteria_file(#path)));
    }
    if let Some(abort) = args.abort_on_fail {
        calls.push(quote!(.abort_on_fail(#abort)));
    }
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
    fn assertion_rows_become_criterion_specs_and_leave_the_function() {
        let out = expand_to_string(
            quote!(criteria_file = "load/criteria.csv", abort_on_fail),
            quote!(
                #[assertion(transaction = "login", p95 = "2s", threshold = "5s")]
                #[inline]
                #[loadspec::assertion(http_4xx = "0.5%", name = "4xx")]
                async fn browse(user: &mut User) {}
            ),
        );
        assert!(out.starts_with("# [inline] async fn browse"), "{out}");
        let private = ":: loadspec :: __private ::";
        let login = format!(
            ". criteria (& [{private} CriterionSpec {{ name : :: core :: option :: Option :: None , \
             scope : {private} ScopeSpec :: Transaction (\"login\") , \
             metric : {private} Metric :: P95 , target : 2000.0 , threshold : 5000.0 , \
             abort : :: core :: option :: Option :: None , }} , "
        );
        assert!(out.contains(&login), "{out}");
        let http = format!(
            "name : :: core :: option :: Option :: Some (\"4xx\") , scope : {private} ScopeSpec :: All , \
             metric : {private} Metric :: Http4xx , target : 0.005 , threshold : 0.005 , \
             abort : :: core :: option :: Option :: None , }}])"
        );
        assert!(out.contains(&http), "{out}");
        // A sliding-window abort: whole milliseconds; the window defaults to 10 s.
        let windowed = expand_to_string(
            quote!(),
            quote!(
                #[assertion(p95 = "100ms", abort_on_fail, window = "2s", delay = "1.5s")]
                #[assertion(p99 = "1s", abort_on_fail)]
                async fn browse(user: &mut User) {}
            ),
        );
        for (window, delay) in [(2000, 1500), (10000, 0)] {
            let abort = format!(
                "abort : :: core :: option :: Option :: Some ({private} AbortWindow {{ \
                 window_ms : {window} , delay_ms : {delay} , }})"
            );
            assert!(windowed.contains(&abort), "{windowed}");
        }
        assert!(
            out.contains(
                ". criteria_file (:: core :: concat ! (:: core :: env ! (\"CARGO_MANIFEST_DIR\") , \"/\" , \"load/criteria.csv\"))"
            ),
            "{out}"
        );
        assert!(out.contains(". abort_on_fail (true)"), "{out}");
        // Each path the rows were written with, once, for rustc to resolve.
        assert_eq!(
            out.matches("(__loadspec_taken_by_scenario)").count(),
            2,
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn absolute_criteria_files_are_kept_and_no_rows_means_no_criteria_call() {
        let out = expand_to_string(
            quote!(criteria_file = "/etc/criteria.csv", abort_on_fail = false),
            quote!(
                async fn browse(user: &mut User) {}
            ),
        );
        assert!(
            out.contains(". criteria_file (\"/etc/criteria.csv\")"),
            "{out}"
        );
        assert!(out.contains(". abort_on_fail (false)"), "{out}");
        assert!(!out.contains(". criteria ("), "{out}");
        assert!(!out.contains("__loadspec_taken_by_scenario"), "{out}");
    }

    #[test]
    fn assertion_errors_keep_the_function_without_its_rows() {
        let out = expand_to_string(
            TokenStream::new(),
            quote!(
                #[assertion(p95 = "2s", threshold = "1s")]
                #[assertion(peak_failures = "2x")]
                async fn browse(user: &mut User) {}
            ),
        );
        assert!(out.starts_with("async fn browse"), "{out}");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(!out.contains("inventory"), "{out}");
        // A criteria file may hold the `failures` rows `peak_failures` needs.
        let out = expand_to_string(
            quote!(criteria_file = "c.csv"),
            quote!(
                #[assertion(peak_failures = "2x")]
                async fn browse(user: &mut User) {}
            ),
        );
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
        let huge = "9".repeat(400);
        let rows = [
            quote!(#[assertion(= = =)]),
            quote!(#[assertion(p95 = )]),
            quote!(#[assertion(,)]),
            quote!(#[assertion(p95 = "2s" p99)]),
            quote!(#[assertion(p95: "2s", p99 = "4s")]),
            quote!(#[assertion(type = "2s")]),
            quote!(#[assertion(a::b::c = "2s")]),
            quote!(#[assertion(p95 = "2s", threshold = 5)]),
            quote!(#[assertion[p95 = "2s"]]),
            quote!(#[assertion(throughput = "1/s", threshold = "0/s")]),
        ];
        let huge_values = [
            format!("{huge}s"),
            format!("{huge}x"),
            format!("{huge}/s"),
            format!("{huge}%"),
        ];
        let huge_rows = huge_values
            .iter()
            .zip(["p95", "peak_failures", "throughput", "failures"])
            .map(|(value, key)| {
                let key = proc_macro2::Ident::new(key, Span::call_site());
                quote!(#[assertion(failures = "1%")] #[assertion(#key = #value)])
            });
        let cases: Vec<(TokenStream, TokenStream)> = rows
            .into_iter()
            .chain(huge_rows)
            .map(|row| (TokenStream::new(), quote!(#row async fn f(u: &mut User) {})))
            .collect();
        for (args, item) in cases {
            assert!(expand_to_string(args, item).contains("compile_error"));
        }
    }
}
