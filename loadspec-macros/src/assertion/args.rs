//! One `#[assertion(...)]` row: its keys parsed, its values converted to the runner's units and
//! checked at compile time, every mistake reported on the token that caused it.
//!
//! Keys are parsed by hand rather than with `syn::meta::parser` so that names that are not
//! paths, like `4xx`, still get a hint instead of a parse error.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Expr, LitStr, MacroDelimiter, Meta, Token};

use super::keys::{self, CustomKind, Key, Metric, MetricText as _, Unit, UnitText as _};
use crate::ctxt::Ctxt;
use crate::{lit, units};

/// A validated row; a part that was missing or invalid is `None` (and reported).
pub(crate) struct Row {
    /// The attribute's path as written (`assertion`, `loadspec::assertion`).
    pub(crate) path: syn::Path,
    /// The metric and the key tokens it was written with; `None` if the row names none.
    pub(crate) metric: Option<(Metric, TokenStream)>,
    pub(crate) target: Option<Value>,
    pub(crate) threshold: Option<Value>,
    /// `None` if the scope written is invalid.
    pub(crate) scope: Option<Scope>,
    pub(crate) name: Option<LitStr>,
    /// `abort_on_fail`: the window and the delay in milliseconds.
    pub(crate) abort: Option<(f64, f64)>,
}

/// What a row looks at.
#[derive(Clone)]
pub(crate) enum Scope {
    All,
    Transaction(LitStr),
    Request(LitStr),
    Tag(LitStr),
    Custom(CustomKind, LitStr),
}

impl Scope {
    /// Whether two scopes name the same thing.
    pub(crate) fn same_as(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::All, Scope::All) => true,
            (Scope::Transaction(a), Scope::Transaction(b))
            | (Scope::Request(a), Scope::Request(b))
            | (Scope::Tag(a), Scope::Tag(b)) => a.value() == b.value(),
            (Scope::Custom(k, a), Scope::Custom(l, b)) => k == l && a.value() == b.value(),
            _ => false,
        }
    }

    /// ` of transaction "login"`, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Transaction(name) => format!(" of transaction {:?}", name.value()),
            Scope::Request(label) => format!(" of request {:?}", label.value()),
            Scope::Tag(tag) => format!(" of tag {:?}", tag.value()),
            Scope::Custom(kind, name) => format!(" of {} {:?}", kind.key(), name.value()),
        }
    }
}

/// The entries that name a row's scope, as written.
#[derive(Default)]
struct ScopeEntries<'e> {
    transaction: Option<&'e Entry>,
    request: Option<&'e Entry>,
    tag: Option<&'e Entry>,
    custom: Option<(CustomKind, &'e Entry)>,
}

impl ScopeEntries<'_> {
    /// The custom metric kind the row's scope names, if any.
    fn kind(&self) -> Option<CustomKind> {
        self.custom.map(|(kind, _)| kind)
    }
}

/// A target or threshold: the number the expansion writes and the text it came from.
#[derive(Clone)]
pub(crate) struct Value {
    pub(crate) number: f64,
    text: String,
}

/// One `key = value` as written, before validation.
struct Entry {
    /// Position in the row.
    index: usize,
    name: String,
    key: TokenStream,
    value: Option<Expr>,
    /// Already reported as malformed: check nothing more about it.
    reported: bool,
}

impl Entry {
    /// `key = value`, for errors about the option as a whole.
    fn tokens(&self) -> TokenStream {
        let key = &self.key;
        match &self.value {
            Some(value) => quote!(#key = #value),
            None => key.clone(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Target,
    Threshold,
}

fn error(tokens: impl ToTokens, message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new_spanned(tokens, format!("`#[assertion]`: {message}"))
}

/// Parses and checks one `#[assertion(...)]` attribute, recording every problem in `cx`.
pub(crate) fn parse(attr: &Attribute, cx: &mut Ctxt) -> Row {
    let mut row = Row {
        path: attr.path().clone(),
        metric: None,
        target: None,
        threshold: None,
        scope: None,
        name: None,
        abort: None,
    };
    let tokens = match &attr.meta {
        Meta::List(list) if matches!(list.delimiter, MacroDelimiter::Paren(_)) => &list.tokens,
        meta => {
            cx.push(error(
                meta,
                "expected a metric and its target in parentheses, like `#[assertion(p95 = \"2s\")]`",
            ));
            return row;
        }
    };
    let mut entries = Vec::new();
    let parsed =
        (|input: ParseStream<'_>| parse_entries(input, &mut entries, cx)).parse2(tokens.clone());
    let complete = cx.ok(parsed).is_some() && entries.iter().all(|entry| !entry.reported);

    let mut seen: Vec<Key> = Vec::new();
    let mut unknown = false;
    let mut metric: Option<(Metric, &Entry)> = None;
    let (mut threshold, mut name) = (None, None);
    let mut scopes = ScopeEntries::default();
    let (mut abort_on_fail, mut window, mut delay) = (None, None, None);
    for entry in &entries {
        let Some(key) = Key::from_name(&entry.name) else {
            cx.push(syn::Error::new_spanned(
                &entry.key,
                keys::unknown_key(&entry.name),
            ));
            unknown = true;
            continue;
        };
        if seen.contains(&key) {
            cx.push(error(
                &entry.key,
                format_args!("duplicate option `{}`", entry.name),
            ));
            continue;
        }
        if let (Key::Metric(second), Some((first, _))) = (key, metric) {
            cx.push(error(
                &entry.key,
                format_args!(
                    "`{}` is a second metric after `{}`; one metric per `#[assertion]`; write a second row",
                    second.key(),
                    first.key()
                ),
            ));
            continue;
        }
        seen.push(key);
        match key {
            Key::Metric(m) => metric = Some((m, entry)),
            Key::Threshold => threshold = Some(entry),
            Key::Transaction => scopes.transaction = Some(entry),
            Key::Request => scopes.request = Some(entry),
            Key::Tag => scopes.tag = Some(entry),
            Key::Custom(kind) => scopes.custom = Some((kind, entry)),
            Key::Name => name = Some(entry),
            Key::AbortOnFail => abort_on_fail = Some(entry),
            Key::Window => window = Some(entry),
            Key::Delay => delay = Some(entry),
        }
    }

    let Some((metric, metric_entry)) = metric else {
        if complete && !unknown {
            cx.push(error(
                &attr.meta,
                format_args!(
                    "no metric; add one of {} with its target, like `p95 = \"2s\"`",
                    keys::metric_list()
                ),
            ));
        }
        // Still check the values that do not depend on the metric.
        if let Some(entry) = threshold {
            present(Key::Threshold, entry, cx);
        }
        scope(None, &scopes, cx);
        if let Some(entry) = name {
            string(Key::Name, entry, cx);
        }
        abort(None, abort_on_fail, window, delay, cx);
        return row;
    };
    row.metric = Some((metric, metric_entry.key.clone()));
    // A custom metric's kind says how its values are written (a gauge's `max` is a number).
    let notation = scopes
        .kind()
        .map_or_else(|| metric.notation(), |kind| kind.notation(metric));
    row.target = value(metric, notation, Role::Target, metric_entry, cx);
    row.threshold = match threshold {
        Some(entry) => value(metric, notation, Role::Threshold, entry, cx),
        None => row.target.clone(),
    };
    if let (Some(target), Some(limit), Some(entry)) = (&row.target, &row.threshold, threshold) {
        check_direction(metric, target, limit, entry, cx);
    }
    row.scope = scope(Some((metric, metric_entry)), &scopes, cx);
    row.name = name.and_then(|entry| string(Key::Name, entry, cx));
    row.abort = abort(Some(metric), abort_on_fail, window, delay, cx);
    row
}

/// The window and delay (ms) of `abort_on_fail`; `window` and `delay` without it are errors
/// on their keys, a bad duration on its literal.
fn abort(
    metric: Option<Metric>,
    flag: Option<&Entry>,
    window: Option<&Entry>,
    delay: Option<&Entry>,
    cx: &mut Ctxt,
) -> Option<(f64, f64)> {
    let window_ms = window.and_then(|entry| duration(Key::Window, entry, cx));
    let delay_ms = delay.and_then(|entry| duration(Key::Delay, entry, cx));
    let Some(flag) = flag else {
        for entry in [window, delay].into_iter().flatten() {
            cx.push(error(
                &entry.key,
                format_args!(
                    "`{}` only applies with `abort_on_fail`; add it to the row, like `#[assertion(p95 = \"2s\", abort_on_fail, window = \"30s\", delay = \"10s\")]`",
                    entry.name
                ),
            ));
        }
        return None;
    };
    if let Some(value) = &flag.value {
        cx.push(error(
            value,
            "`abort_on_fail` takes no value: write `abort_on_fail` alone",
        ));
        return None;
    }
    if metric == Some(Metric::PeakFailures) {
        cx.push(error(
            &flag.key,
            "`peak_failures` cannot abort a run: the peak step is only known at the end of the sweep",
        ));
        return None;
    }
    if let (Some(0.0), Some(entry)) = (window_ms, window) {
        cx.push(error(
            entry
                .value
                .as_ref()
                .map_or_else(|| entry.key.clone(), ToTokens::into_token_stream),
            "`window` must be longer than zero, like `window = \"30s\"`",
        ));
        return None;
    }
    // A key that was given but invalid is already reported.
    if (window.is_some() && window_ms.is_none()) || (delay.is_some() && delay_ms.is_none()) {
        return None;
    }
    Some((
        window_ms.unwrap_or(DEFAULT_WINDOW_MS),
        delay_ms.unwrap_or(0.0),
    ))
}

/// The window when `abort_on_fail` names none (`AbortWindow::DEFAULT_WINDOW_MS`).
const DEFAULT_WINDOW_MS: f64 = 10_000.0;

/// A duration string as whole milliseconds.
fn duration(key: Key, entry: &Entry, cx: &mut Ctxt) -> Option<f64> {
    let expr = present(key, entry, cx)?;
    let Some(text) = lit::string(expr) else {
        cx.push(error(
            expr,
            format_args!(
                "`{}` must be a duration string, like `{}`",
                key.name(),
                key.example()
            ),
        ));
        return None;
    };
    let context = format!("`#[assertion]`: `{}`", key.name());
    cx.ok(units::duration_millis(text, &context))
        .map(f64::floor)
}

/// Reads `key [= value], ...` into `entries` until the end or a syntax error.
fn parse_entries(
    input: ParseStream<'_>,
    entries: &mut Vec<Entry>,
    cx: &mut Ctxt,
) -> syn::Result<()> {
    while !input.is_empty() {
        let (name, key) = parse_key(input)?;
        let mut reported = false;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse::<Expr>()?)
        } else if input.is_empty() || input.peek(Token![,]) {
            None
        } else {
            let example = Key::from_name(&name)
                .map_or_else(|| format!("{name} = \"...\""), |key| key.example());
            cx.push(error(
                &key,
                format_args!("expected `=` after `{name}`, like `{example}`"),
            ));
            reported = true;
            while !input.is_empty() && !input.peek(Token![,]) {
                input.parse::<TokenTree>()?;
            }
            None
        };
        entries.push(Entry {
            index: entries.len(),
            name,
            key,
            value,
            reported,
        });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// A key: a path (keywords allowed, so `type` is reported as unknown rather than unparsable)
/// or a literal such as `4xx`.
fn parse_key(input: ParseStream<'_>) -> syn::Result<(String, TokenStream)> {
    let tokens = if input.peek(syn::Lit) {
        input.parse::<syn::Lit>()?.into_token_stream()
    } else {
        let mut tokens = input.call(syn::Ident::parse_any)?.into_token_stream();
        while input.peek(Token![::]) {
            input.parse::<Token![::]>()?.to_tokens(&mut tokens);
            input.call(syn::Ident::parse_any)?.to_tokens(&mut tokens);
        }
        tokens
    };
    Ok((tokens.to_string().replace(' ', ""), tokens))
}

/// The entry's value, or `None` after reporting that it has none.
fn present<'e>(key: Key, entry: &'e Entry, cx: &mut Ctxt) -> Option<&'e Expr> {
    if entry.reported {
        return None;
    }
    if entry.value.is_none() {
        cx.push(error(
            &entry.key,
            format_args!("`{}` needs a value, like `{}`", key.name(), key.example()),
        ));
    }
    entry.value.as_ref()
}

/// The target (the metric's value) or the threshold, in the metric's unit.
fn value(
    metric: Metric,
    notation: Unit,
    role: Role,
    entry: &Entry,
    cx: &mut Ctxt,
) -> Option<Value> {
    let key = match role {
        Role::Target => Key::Metric(metric),
        Role::Threshold => Key::Threshold,
    };
    if entry.value.is_none() && role == Role::Threshold && !entry.reported {
        let example = metric.examples().1;
        cx.push(error(
            &entry.key,
            format_args!("`threshold` needs a value, like `threshold = \"{example}\"`"),
        ));
        return None;
    }
    let expr = present(key, entry, cx)?;
    cx.ok(convert(metric, notation, role, expr))
}

fn convert(metric: Metric, unit: Unit, role: Role, expr: &Expr) -> syn::Result<Value> {
    let (target_example, threshold_example) = metric.examples();
    let wrong_shape = || {
        let message = match role {
            Role::Target if metric == Metric::Deadlocks => {
                "`deadlocks` must be 0 or a percentage string, like `deadlocks = 0` or `deadlocks = \"0.1%\"`"
                    .to_owned()
            }
            Role::Target => format!(
                "`{key}` must be {}, like `{key} = \"{target_example}\"`",
                metric.expected(),
                key = metric.key(),
            ),
            Role::Threshold => format!(
                "`threshold` must be {} like \"{threshold_example}\", in the unit of `{}`",
                metric.expected(),
                metric.key()
            ),
        };
        error(expr, message)
    };
    if metric == Metric::Deadlocks
        && let Some(int) = lit::int(expr)
    {
        return match int.base10_parse::<u64>() {
            Ok(0) => Ok(Value {
                number: 0.0,
                text: "0".to_owned(),
            }),
            _ => Err(wrong_shape()),
        };
    }
    if unit == Unit::Number
        && let Some(number) = lit::number(expr)
    {
        return if number.is_finite() {
            Ok(Value {
                number,
                text: expr.to_token_stream().to_string(),
            })
        } else {
            Err(wrong_shape())
        };
    }
    let text = lit::string(expr).ok_or_else(wrong_shape)?;
    let value = text.value();
    // As in criteria files: a bare `"0"` is a valid `deadlocks` value.
    if metric == Metric::Deadlocks && value.trim() == "0" {
        return Ok(Value {
            number: 0.0,
            text: "0".to_owned(),
        });
    }
    let context = match role {
        Role::Target => format!("`#[assertion]`: `{}`", metric.key()),
        Role::Threshold => "`#[assertion]`: `threshold`".to_owned(),
    };
    let parsed = match unit {
        Unit::Duration => units::duration_millis(text, &context),
        Unit::Percent => units::percent(text, &context),
        Unit::Rate => units::rate(text, &context),
        Unit::Multiplier => units::multiplier(text, &context),
        Unit::Number => units::number(text, &context),
    };
    match parsed {
        Ok(number) => Ok(Value {
            number,
            text: value.trim().to_owned(),
        }),
        Err(parse_error) => match Unit::of(&value) {
            // A bare number is better told what unit it is missing.
            Some(other) if other != unit && other != Unit::Number => {
                let message = match role {
                    Role::Target => format!(
                        "`{key}` takes {}, like `{key} = \"{target_example}\"`; {value:?} is {}",
                        unit.noun(),
                        other.noun(),
                        key = metric.key(),
                    ),
                    Role::Threshold => format!(
                        "`threshold` takes the unit of `{}`, {} like \"{threshold_example}\"; {value:?} is {}",
                        metric.key(),
                        unit.noun(),
                        other.noun()
                    ),
                };
                Err(syn::Error::new(
                    text.span(),
                    format!("`#[assertion]`: {message}"),
                ))
            }
            _ => Err(parse_error),
        },
    }
}

/// The threshold must not be better than the target: above it for times and rates, below it
/// for throughput (the same rule as the runner's `Criterion::validate`).
fn check_direction(
    metric: Metric,
    target: &Value,
    threshold: &Value,
    entry: &Entry,
    cx: &mut Ctxt,
) {
    let worse = if metric.higher_is_better() {
        threshold.number > target.number
    } else {
        threshold.number < target.number
    };
    if !worse {
        return;
    }
    let rule = if metric.higher_is_better() {
        format!(
            "; for `{}` higher is better, so the threshold must not be above the target",
            metric.key()
        )
    } else {
        String::new()
    };
    let span = entry
        .value
        .as_ref()
        .map_or_else(|| entry.key.clone(), ToTokens::into_token_stream);
    cx.push(error(
        span,
        format_args!(
            "the target ({}) is worse than the threshold ({}); the threshold is the limit beyond which the criterion fails{rule}",
            target.text, threshold.text
        ),
    ));
}

/// The row's scope from `transaction =`, `request =`, `tag =` or a custom metric's kind
/// (`trend = "…"`, …); `None` if it is invalid.
fn scope(
    metric: Option<(Metric, &Entry)>,
    scopes: &ScopeEntries<'_>,
    cx: &mut Ctxt,
) -> Option<Scope> {
    let mut written: Vec<(Key, &Entry)> = Vec::new();
    written.extend(scopes.transaction.map(|e| (Key::Transaction, e)));
    written.extend(scopes.request.map(|e| (Key::Request, e)));
    written.extend(scopes.tag.map(|e| (Key::Tag, e)));
    written.extend(scopes.custom.map(|(kind, e)| (Key::Custom(kind), e)));
    written.sort_by_key(|(_, entry)| entry.index);
    let names: Vec<Option<LitStr>> = written
        .iter()
        .map(|(key, entry)| string(*key, entry, cx))
        .collect();
    if let [(_, first), (_, second), ..] = written.as_slice() {
        cx.push(error(
            &second.key,
            format_args!(
                "`{}` cannot be combined with `{}`; a row has one scope: a transaction, a request, a tag, a custom metric or, with none, all requests",
                second.name, first.name
            ),
        ));
        return None;
    }
    let chosen = written.first().map(|(key, entry)| (*key, *entry));
    let name = names.into_iter().next().flatten();
    if let Some((metric, metric_entry)) = metric {
        let misplaced = match chosen {
            Some((Key::Custom(kind), _)) if !kind.accepts(metric) => Some(format!(
                "a {} has no `{}`; it has {}",
                kind.key(),
                metric.key(),
                kind.metric_list()
            )),
            Some((Key::Custom(_), _)) => None,
            _ if metric.custom_only() => Some(format!(
                "`{}` applies to custom metrics only; name one, like `{}`",
                metric.key(),
                custom_example(metric)
            )),
            Some((Key::Tag, _)) if !loadspec_units::tag_accepts(metric) => Some(format!(
                "`{}` cannot be judged on a tag; use a time (`p95`, …), `failures`, `http_4xx`, `http_5xx` or `throughput`",
                metric.key()
            )),
            Some((Key::Transaction, _)) if metric.requests_only() => {
                let entry = scopes
                    .transaction
                    .map_or_else(TokenStream::new, Entry::tokens);
                cx.push(error(
                    entry,
                    format_args!(
                        "`{}` applies to requests, not transactions; use `request = \"...\"` or no scope",
                        metric.key()
                    ),
                ));
                return None;
            }
            _ => None,
        };
        if let Some(message) = misplaced {
            cx.push(error(&metric_entry.key, message));
            return None;
        }
    }
    let Some((key, _)) = chosen else {
        return Some(Scope::All);
    };
    let name = name?;
    match key {
        Key::Transaction => Some(Scope::Transaction(name)),
        Key::Request => Some(Scope::Request(name)),
        Key::Tag => match loadspec_units::parse_tag(&name.value()) {
            Ok(_) => Some(Scope::Tag(name)),
            Err(e) => {
                cx.push(error(&name, e));
                None
            }
        },
        Key::Custom(kind) => Some(Scope::Custom(kind, name)),
        _ => None,
    }
}

/// A row using a custom-only metric the way it is meant, for messages.
fn custom_example(metric: Metric) -> String {
    let kind = CustomKind::ALL
        .into_iter()
        .find(|kind| kind.accepts(metric))
        .unwrap_or(CustomKind::Counter);
    let (target, _) = metric.examples();
    format!(
        "{} = \"claims\", {} = \"{target}\"",
        kind.key(),
        metric.key()
    )
}

/// A non-empty string literal.
fn string(key: Key, entry: &Entry, cx: &mut Ctxt) -> Option<LitStr> {
    let expr = present(key, entry, cx)?;
    let Some(text) = lit::string(expr) else {
        cx.push(error(
            expr,
            format_args!(
                "`{}` must be a string literal, like `{}`",
                key.name(),
                key.example()
            ),
        ));
        return None;
    };
    if text.value().trim().is_empty() {
        cx.push(error(
            text,
            format_args!("`{}` must not be empty", key.name()),
        ));
        return None;
    }
    Some(text.clone())
}
