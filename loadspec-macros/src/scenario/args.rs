//! `#[scenario(...)]` arguments: parsed, validated and converted at compile time, so nothing
//! like `"75s"` reaches run time and every mistake points at the token that caused it.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, LitStr, Token};

use super::keys::Key;
use crate::ctxt::Ctxt;
use crate::paths::CratePath;
use crate::{lit, units};

/// The validated arguments; an option that was missing or invalid is `None`.
#[derive(Default)]
pub(crate) struct ScenarioArgs {
    pub(crate) krate: CratePath,
    pub(crate) name: Option<String>,
    pub(crate) threads: Option<Vec<u32>>,
    pub(crate) rates: Option<Given<Vec<f64>>>,
    pub(crate) max_users: Option<u32>,
    pub(crate) pre_allocated_users: Option<u32>,
    pub(crate) profile: Option<Given<Profile>>,
    pub(crate) ramp_up: Option<Given<u64>>,
    pub(crate) warmup: Option<u64>,
    pub(crate) hold: Option<Given<u64>>,
    pub(crate) cooldown: Option<u64>,
    pub(crate) think_time: Option<(u64, u64)>,
    pub(crate) iterations: Option<u32>,
    pub(crate) tags: Option<Vec<LitStr>>,
    pub(crate) ignore: Option<bool>,
    pub(crate) hung_after: Option<u64>,
    pub(crate) request_timeout: Option<u64>,
    pub(crate) connect_timeout: Option<u64>,
    pub(crate) read_timeout: Option<u64>,
    pub(crate) health: Option<LitStr>,
    pub(crate) abort_after_consecutive_errors: Option<u32>,
    pub(crate) setup: Option<syn::Path>,
    pub(crate) teardown: Option<syn::Path>,
    pub(crate) on_start: Option<syn::Path>,
    pub(crate) on_stop: Option<syn::Path>,
    /// `criteria_file = "..."` as written: relative to the crate root unless absolute.
    pub(crate) criteria_file: Option<LitStr>,
    pub(crate) abort_on_fail: Option<bool>,
    /// Every option written, valid or not, so a combination check does not report a missing
    /// option that is present but already reported as invalid.
    seen: Vec<Key>,
}

/// A value and the `key = value` tokens it came from, for errors about the option as a whole.
pub(crate) struct Given<T> {
    pub(crate) value: T,
    tokens: TokenStream,
}

impl<T> Given<T> {
    fn new(value: T, tokens: &TokenStream) -> Self {
        Self {
            value,
            tokens: tokens.clone(),
        }
    }

    fn error(&self, message: &str) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }
}

/// `profile = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Spike,
    Ramp,
    Stress,
}

impl Profile {
    /// The `ProfileKind` variant the expansion names.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Profile::Spike => "Spike",
            Profile::Ramp => "Ramp",
            Profile::Stress => "Stress",
        }
    }
}

/// Parses the tokens inside `#[scenario(...)]`, recording every problem in `cx`.
pub(crate) fn parse(tokens: TokenStream, cx: &mut Ctxt) -> ScenarioArgs {
    let mut args = ScenarioArgs::default();
    let parsed = syn::meta::parser(|meta| args.parse_option(&meta, cx)).parse2(tokens);
    cx.ok(parsed);
    args.check_combinations(cx);
    args
}

impl ScenarioArgs {
    fn parse_option(&mut self, meta: &ParseNestedMeta<'_>, cx: &mut Ctxt) -> syn::Result<()> {
        let name = meta.path.to_token_stream().to_string().replace(' ', "");
        let Some(key) = Key::from_name(&name) else {
            let error = meta.error(unknown_option(&name));
            skip_value(meta)?;
            cx.push(error);
            return Ok(());
        };
        if self.seen.contains(&key) {
            let error = meta.error(format_args!("`#[scenario]`: duplicate option `{name}`"));
            skip_value(meta)?;
            cx.push(error);
            return Ok(());
        }
        self.seen.push(key);

        let path = &meta.path;
        let value = if meta.input.peek(Token![=]) {
            Some(meta.value()?.parse::<Expr>()?)
        } else if meta.input.is_empty() || meta.input.peek(Token![,]) {
            None
        } else {
            skip_value(meta)?;
            cx.push(meta.error(format_args!(
                "`#[scenario]`: expected `=` after `{name}`, like `{}`",
                key.example()
            )));
            return Ok(());
        };
        let Some(value) = value else {
            if key == Key::Ignore {
                self.ignore = Some(true);
            } else if key == Key::AbortOnFail {
                self.abort_on_fail = Some(true);
            } else {
                cx.push(meta.error(format_args!(
                    "`#[scenario]`: `{name}` needs a value, like `{}`",
                    key.example()
                )));
            }
            return Ok(());
        };
        let tokens = quote!(#path = #value);
        match key {
            Key::Threads => self.threads = threads(&value, cx),
            Key::Rate => self.rates = cx.ok(rates(&value)).map(|v| Given::new(v, &tokens)),
            Key::MaxUsers => self.max_users = cx.ok(positive_u32(key, &value)),
            Key::PreAllocatedUsers => self.pre_allocated_users = cx.ok(positive_u32(key, &value)),
            Key::Profile => self.profile = cx.ok(profile(&value)).map(|v| Given::new(v, &tokens)),
            Key::RampUp => {
                self.ramp_up = cx.ok(duration(key, &value)).map(|v| Given::new(v, &tokens))
            }
            Key::Hold => self.hold = cx.ok(duration(key, &value)).map(|v| Given::new(v, &tokens)),
            Key::Warmup => self.warmup = cx.ok(duration(key, &value)),
            Key::Cooldown => self.cooldown = cx.ok(duration(key, &value)),
            Key::ThinkTime => self.think_time = cx.ok(duration_range(key, &value)),
            Key::Iterations => self.iterations = cx.ok(iterations(&value)),
            Key::Tags => self.tags = tags(&value, cx),
            Key::Name => self.name = cx.ok(scenario_name(&value)),
            Key::Ignore => self.ignore = cx.ok(flag(key, &value)),
            Key::HungAfter => self.hung_after = cx.ok(positive_duration(key, &value)),
            Key::RequestTimeout => self.request_timeout = cx.ok(positive_duration(key, &value)),
            Key::ConnectTimeout => self.connect_timeout = cx.ok(positive_duration(key, &value)),
            Key::ReadTimeout => self.read_timeout = cx.ok(positive_duration(key, &value)),
            Key::Health => self.health = cx.ok(health(&value)),
            Key::Setup => self.setup = cx.ok(hook_path(key, &value)),
            Key::Teardown => self.teardown = cx.ok(hook_path(key, &value)),
            Key::OnStart => self.on_start = cx.ok(hook_path(key, &value)),
            Key::OnStop => self.on_stop = cx.ok(hook_path(key, &value)),
            Key::AbortAfterConsecutiveErrors => {
                self.abort_after_consecutive_errors = cx.ok(positive_u32(key, &value))
            }
            Key::CriteriaFile => self.criteria_file = cx.ok(criteria_file(&value)),
            Key::AbortOnFail => self.abort_on_fail = cx.ok(flag(key, &value)),
            Key::Crate => self.krate = cx.ok(krate(&value)).unwrap_or_default(),
        }
        Ok(())
    }

    /// Checks between options, each reported on the option that would have to change.
    fn check_combinations(&self, cx: &mut Ctxt) {
        if let Some(rates) = &self.rates
            && self.seen.contains(&Key::Threads)
        {
            cx.push(rates.error(
                "`#[scenario]`: `rate` and `threads` cannot both be set: `threads` loops users (closed model), `rate` starts iterations on a schedule (open model); keep one",
            ));
        }
        let profile = self.profile.as_ref().map(|p| p.value);
        if let Some(ramp_up) = &self.ramp_up {
            if profile == Some(Profile::Spike) {
                cx.push(ramp_up.error(
                    "`#[scenario]`: `ramp_up` has no effect with profile \"spike\"; \
                     use profile = \"ramp\"",
                ));
            } else if profile == Some(Profile::Ramp) && ramp_up.value == 0 {
                cx.push(
                    ramp_up.error(
                        "`#[scenario]`: `ramp_up` must be longer than 0 with profile \"ramp\"",
                    ),
                );
            }
        }
        if let Some(given) = &self.profile
            && given.value == Profile::Ramp
            && !self.seen.contains(&Key::RampUp)
        {
            cx.push(given.error(
                "`#[scenario]`: profile \"ramp\" needs `ramp_up`, like `ramp_up = \"75s\"`",
            ));
        }
        if let Some(hold) = &self.hold
            && hold.value == 0
            && !self.seen.contains(&Key::Iterations)
        {
            cx.push(
                hold.error(
                    "`#[scenario]`: `hold` must be longer than 0 unless `iterations` is set",
                ),
            );
        }
    }

    /// Whether `criteria_file` is written (valid or not), so checks that depend on what the
    /// file may hold are not reported.
    pub(crate) fn names_criteria_file(&self) -> bool {
        self.seen.contains(&Key::CriteriaFile)
    }
}

fn unknown_option(name: &str) -> String {
    if crate::assertion::is_criterion_key(name) {
        return format!(
            "`#[scenario]`: unknown option `{name}`; criteria go in `#[assertion(...)]` rows below `#[scenario]`, like `#[assertion(p95 = \"2s\", threshold = \"5s\")]`"
        );
    }
    match Key::suggest(name) {
        Some(key) => format!(
            "`#[scenario]`: unknown option `{name}`; did you mean `{}`?",
            key.name()
        ),
        None => format!(
            "`#[scenario]`: unknown option `{name}`; expected one of {}",
            Key::list()
        ),
    }
}

/// Consumes whatever follows an option that is already reported, so parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

fn wrong_shape(key: Key, value: &Expr) -> syn::Error {
    let message = format!(
        "`#[scenario]`: `{}` must be {}, like `{}`",
        key.name(),
        key.expected(),
        key.example()
    );
    syn::Error::new_spanned(value, message)
}

fn threads(value: &Expr, cx: &mut Ctxt) -> Option<Vec<u32>> {
    let Some(array) = lit::array(value) else {
        cx.push(wrong_shape(Key::Threads, value));
        return None;
    };
    if array.elems.is_empty() {
        cx.push(syn::Error::new_spanned(
            array,
            "`#[scenario]`: `threads` must not be empty",
        ));
        return None;
    }
    let mut counts = Vec::with_capacity(array.elems.len());
    let mut valid = true;
    for element in &array.elems {
        let error = |message: String| syn::Error::new_spanned(element, message);
        let count = match lit::int(element) {
            None => Err(error(
                "`#[scenario]`: `threads` values must be integer literals".into(),
            )),
            Some(int) => match lit::u32(int) {
                None => Err(error(
                    "`#[scenario]`: `threads` values must fit in a `u32`".into(),
                )),
                Some(0) => Err(error(
                    "`#[scenario]`: `threads` values must be at least 1".into(),
                )),
                Some(n) if counts.contains(&n) => {
                    Err(error(format!("`#[scenario]`: `threads` lists {n} twice")))
                }
                Some(n) => Ok(n),
            },
        };
        match count {
            Ok(n) => counts.push(n),
            Err(error) => {
                cx.push(error);
                valid = false;
            }
        }
    }
    valid.then_some(counts)
}

fn profile(value: &Expr) -> syn::Result<Profile> {
    let text = lit::string(value).ok_or_else(|| wrong_shape(Key::Profile, value))?;
    match text.value().as_str() {
        "spike" => Ok(Profile::Spike),
        "ramp" => Ok(Profile::Ramp),
        "stress" => Ok(Profile::Stress),
        other => Err(syn::Error::new(
            text.span(),
            format!(
                "`#[scenario]`: unknown profile {other:?}; expected \"spike\", \"ramp\" or \"stress\""
            ),
        )),
    }
}

fn context(key: Key) -> String {
    format!("`#[scenario]`: `{}`", key.name())
}

fn duration(key: Key, value: &Expr) -> syn::Result<u64> {
    let text = lit::string(value).ok_or_else(|| wrong_shape(key, value))?;
    units::duration_nanos(text, &context(key))
}

fn positive_duration(key: Key, value: &Expr) -> syn::Result<u64> {
    let nanos = duration(key, value)?;
    if nanos == 0 {
        let message = format!("`#[scenario]`: `{}` must be longer than 0", key.name());
        return Err(syn::Error::new_spanned(value, message));
    }
    Ok(nanos)
}

fn duration_range(key: Key, value: &Expr) -> syn::Result<(u64, u64)> {
    let text = lit::string(value).ok_or_else(|| wrong_shape(key, value))?;
    units::duration_range_nanos(text, &context(key))
}

/// `rate = "200/s"` or `rate = ["50/s", "100/s"]`, parsed into iterations per second.
fn rates(value: &Expr) -> syn::Result<Vec<f64>> {
    let one = |expr: &Expr| -> syn::Result<f64> {
        let text = lit::string(expr).ok_or_else(|| wrong_shape(Key::Rate, expr))?;
        loadspec_units::rate(&text.value())
            .map_err(|e| syn::Error::new(text.span(), format!("`#[scenario]`: `rate`: {e}")))
    };
    match lit::array(value) {
        Some(array) if array.elems.is_empty() => Err(syn::Error::new_spanned(
            value,
            "`#[scenario]`: `rate` must not be empty",
        )),
        Some(array) => array.elems.iter().map(one).collect(),
        None => one(value).map(|rate| vec![rate]),
    }
}

fn hook_path(key: Key, value: &Expr) -> syn::Result<syn::Path> {
    lit::path(value)
        .cloned()
        .ok_or_else(|| wrong_shape(key, value))
}

fn health(value: &Expr) -> syn::Result<LitStr> {
    let text = lit::string(value).ok_or_else(|| wrong_shape(Key::Health, value))?;
    if !text.value().starts_with('/') {
        return Err(syn::Error::new(
            text.span(),
            "`#[scenario]`: `health` must be a path starting with /, like `health = \"/health\"`",
        ));
    }
    Ok(text.clone())
}

fn positive_u32(key: Key, value: &Expr) -> syn::Result<u32> {
    let int = lit::int(value).ok_or_else(|| wrong_shape(key, value))?;
    match lit::u32(int) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(syn::Error::new(
            int.span(),
            format!(
                "`#[scenario]`: `{}` must be a whole number from 1 to {}",
                key.name(),
                u32::MAX
            ),
        )),
    }
}

fn iterations(value: &Expr) -> syn::Result<u32> {
    let int = lit::int(value).ok_or_else(|| wrong_shape(Key::Iterations, value))?;
    match lit::u32(int) {
        None => Err(syn::Error::new(
            int.span(),
            "`#[scenario]`: `iterations` must fit in a `u32`",
        )),
        Some(0) => Err(syn::Error::new(
            int.span(),
            "`#[scenario]`: `iterations` must be at least 1",
        )),
        Some(n) => Ok(n),
    }
}

fn tags(value: &Expr, cx: &mut Ctxt) -> Option<Vec<LitStr>> {
    let Some(array) = lit::array(value) else {
        cx.push(wrong_shape(Key::Tags, value));
        return None;
    };
    let mut tags: Vec<LitStr> = Vec::with_capacity(array.elems.len());
    let mut valid = true;
    for element in &array.elems {
        let tag = match lit::string(element) {
            None => Err("`#[scenario]`: `tags` values must be string literals".to_owned()),
            Some(tag) if tag.value().trim().is_empty() => {
                Err("`#[scenario]`: tags must not be empty".to_owned())
            }
            Some(tag) if tags.iter().any(|seen| seen.value() == tag.value()) => {
                Err(format!("`#[scenario]`: duplicate tag {:?}", tag.value()))
            }
            Some(tag) => Ok(tag.clone()),
        };
        match tag {
            Ok(tag) => tags.push(tag),
            Err(message) => {
                cx.push(syn::Error::new_spanned(element, message));
                valid = false;
            }
        }
    }
    valid.then_some(tags)
}

fn scenario_name(value: &Expr) -> syn::Result<String> {
    let text = lit::string(value).ok_or_else(|| wrong_shape(Key::Name, value))?;
    let name = text.value();
    if name.trim().is_empty() {
        return Err(syn::Error::new(
            text.span(),
            "`#[scenario]`: `name` must not be empty",
        ));
    }
    Ok(name)
}

fn flag(key: Key, value: &Expr) -> syn::Result<bool> {
    lit::bool(value)
        .map(|b| b.value)
        .ok_or_else(|| wrong_shape(key, value))
}

fn criteria_file(value: &Expr) -> syn::Result<LitStr> {
    let text = lit::string(value).ok_or_else(|| wrong_shape(Key::CriteriaFile, value))?;
    if text.value().trim().is_empty() {
        return Err(syn::Error::new(
            text.span(),
            "`#[scenario]`: `criteria_file` must not be empty; give a CSV path relative to the crate root, like \"load/criteria.csv\"",
        ));
    }
    Ok(text.clone())
}

fn krate(value: &Expr) -> syn::Result<CratePath> {
    let path = lit::path(value).ok_or_else(|| wrong_shape(Key::Crate, value))?;
    Ok(CratePath::new(path.clone()))
}
