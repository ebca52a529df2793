//! Correlation: values a request sends that an earlier response returned (tokens, ids) become
//! variables extracted from that response.
//!
//! Sources are the string and integer fields of JSON responses whose key names an identifier
//! or a token (`id`, `uuid`, `token`, `access`, `chfId`, `family_id`...). A later request that
//! sends one of those values in its path, query, headers (`Authorization: Bearer <value>`) or
//! JSON/form body uses a variable when the value was returned exactly once by earlier
//! responses; when several fields returned it, the recorded value stays, with a `TODO check`.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::call::{Body, Call, Field, Usage};
use super::group::{looks_like_id, slug};
use super::json::Json;

/// Most JSON leaves read from one response.
const MAX_LEAVES: usize = 200_000;

/// How a variable holds its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarKind {
    /// A `String` (from a JSON string).
    Text,
    /// An `i64` (from a JSON integer).
    Int,
}

/// A value extracted from a response.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub(crate) name: String,
    /// Index (in the ordered calls) of the request whose response holds it.
    pub(crate) call: usize,
    /// JSON pointer of the field in that response.
    pub(crate) pointer: String,
    pub(crate) kind: VarKind,
    /// The recorded value.
    pub(crate) value: String,
    /// Transaction of the source.
    pub(crate) group: usize,
    /// Transactions that use it.
    pub(crate) used_in: BTreeSet<usize>,
    /// Number of places it replaces a recorded value.
    pub(crate) uses: usize,
}

/// A field of an earlier response.
#[derive(Debug, Clone)]
struct Source {
    call: usize,
    pointer: String,
    kind: VarKind,
}

/// What a recorded value resolves to.
enum Resolution {
    Var(usize),
    /// Returned by several fields: `(call, pointer)` descriptions.
    Ambiguous(Vec<String>),
    /// The variable holds a string where the request sends a number.
    Mismatch,
    Missing,
}

/// Where in a request a value is sent, for messages.
enum Place<'a> {
    Path,
    Query(&'a str),
    Form(&'a str),
    Header(&'a str),
    Body(&'a str),
}

impl Place<'_> {
    fn describe(&self) -> String {
        match self {
            Self::Path => "in the path".to_owned(),
            Self::Query(name) => format!("in query parameter `{name}`"),
            Self::Form(name) => format!("in form field `{name}`"),
            Self::Header(name) => format!("in header `{name}`"),
            Self::Body(pointer) => format!("in the body at `{pointer}`"),
        }
    }
}

struct Correlator {
    /// Value text → the fields that returned it, in earlier responses.
    sources: HashMap<String, Vec<Source>>,
    vars: Vec<Var>,
    by_value: HashMap<String, usize>,
    names: HashSet<String>,
    /// The next suffix to try per base name (`token_2`, `token_3`...).
    suffixes: HashMap<String, usize>,
    /// `(call, var)` to add to `defines`.
    defines: Vec<(usize, usize)>,
    /// Descriptions and resource names of the calls.
    described: Vec<String>,
    resources: Vec<String>,
    groups: Vec<usize>,
    session_bearer: Option<usize>,
}

/// Finds the correlations of `calls` (in the order the scenario sends them), rewrites the
/// requests to use variables, adds `TODO check` notes, and returns the variables.
pub(crate) fn correlate(calls: &mut [Call]) -> Vec<Var> {
    let mut c = Correlator {
        sources: HashMap::new(),
        vars: Vec::new(),
        by_value: HashMap::new(),
        names: HashSet::new(),
        suffixes: HashMap::new(),
        defines: Vec::new(),
        described: calls.iter().map(Call::describe).collect(),
        resources: calls.iter().map(resource).collect(),
        groups: calls.iter().map(|c| c.group).collect(),
        session_bearer: None,
    };
    let mut cookies_set: HashSet<String> = HashSet::new();
    let mut cookies_reported: HashSet<String> = HashSet::new();
    for (j, call) in calls.iter_mut().enumerate() {
        let mut todos = std::mem::take(&mut call.todos);
        c.path(j, call, &mut todos);
        let mut query = std::mem::take(&mut call.query);
        c.fields(j, &mut query, false, &mut todos);
        call.query = query;
        c.headers(j, call, &mut todos);
        let writes = matches!(call.method.as_str(), "POST" | "PUT" | "PATCH");
        match &mut call.body {
            Body::Json { value, vars } => {
                c.json_body(
                    j,
                    value,
                    vars,
                    writes,
                    call.response_json.as_ref(),
                    &mut todos,
                );
            }
            Body::Form(fields) => {
                if fields
                    .iter()
                    .any(|f| f.name.to_ascii_lowercase().contains("password"))
                {
                    todos.push(CREDENTIALS.to_owned());
                }
                c.fields(j, fields, true, &mut todos);
            }
            Body::None | Body::Text { .. } | Body::Omitted { .. } => {}
        }
        let unknown: Vec<&str> = call
            .cookies
            .iter()
            .filter(|n| !cookies_set.contains(n.as_str()) && !cookies_reported.contains(n.as_str()))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            todos.push(format!(
                "the browser sent cookies that no recorded response set ({}): log in within the \
                 scenario, or send them with `.header(\"cookie\", ..)`",
                unknown.join(", ")
            ));
            cookies_reported.extend(unknown.iter().map(|n| (*n).to_owned()));
        }
        call.todos = todos;
        cookies_set.extend(call.set_cookies.iter().cloned());
        if let Some(json) = call.response_json.take() {
            c.add_sources(j, &json);
        }
    }
    for (call, var) in c.defines {
        calls[call].defines.push(var);
    }
    c.vars
}

const CREDENTIALS: &str =
    "recorded credentials: give each user its own account (e.g. from a feeder)";

impl Correlator {
    fn path(&mut self, j: usize, call: &mut Call, todos: &mut Vec<String>) {
        for i in 0..call.segments.len() {
            let decoded = call.segments[i].decoded();
            if decoded.len() < 2 || !(looks_like_id(&decoded) || decoded.len() >= 6) {
                continue;
            }
            match self.resolve(j, &decoded, false, None) {
                Resolution::Var(var) => call.segments[i].var = Some(var),
                other => self.note(
                    other,
                    &decoded,
                    &Place::Path,
                    todos,
                    looks_like_id(&decoded),
                ),
            }
        }
    }

    fn fields(&mut self, j: usize, fields: &mut [Field], form: bool, todos: &mut Vec<String>) {
        for field in fields {
            let idish = is_id_key(&field.name);
            if !candidate_text(&field.value, idish) {
                continue;
            }
            let place = if form {
                Place::Form(&field.name)
            } else {
                Place::Query(&field.name)
            };
            match self.resolve(j, &field.value, false, None) {
                Resolution::Var(var) => {
                    field.var = Some(Usage {
                        var,
                        prefix: String::new(),
                        suffix: String::new(),
                    });
                }
                other => {
                    let flag = idish && looks_like_id(&field.value);
                    self.note(other, &field.value, &place, todos, flag);
                }
            }
        }
    }

    fn headers(&mut self, j: usize, call: &mut Call, todos: &mut Vec<String>) {
        let mut kept = Vec::with_capacity(call.headers.len());
        for mut header in std::mem::take(&mut call.headers) {
            if header.name == "authorization" {
                let (scheme, token) = header
                    .value
                    .split_once(' ')
                    .map_or(("", header.value.as_str()), |(s, t)| (s, t.trim()));
                let scheme = scheme.to_owned();
                let token = token.to_owned();
                if scheme.eq_ignore_ascii_case("bearer") {
                    match self.resolve(j, &token, false, Some("token")) {
                        Resolution::Var(var) => {
                            if self.session_bearer != Some(var) {
                                call.bearer = Some(var);
                                self.session_bearer = Some(var);
                            }
                            continue;
                        }
                        _ => todos.push(
                            "the bearer token is sent as recorded (no earlier response returned \
                             it): it will expire; log in within the scenario"
                                .to_owned(),
                        ),
                    }
                } else if !scheme.is_empty()
                    && !scheme.eq_ignore_ascii_case("basic")
                    && candidate_text(&token, true)
                {
                    match self.resolve(j, &token, false, Some("token")) {
                        Resolution::Var(var) => {
                            header.var = Some(Usage {
                                var,
                                prefix: format!("{scheme} "),
                                suffix: String::new(),
                            });
                        }
                        _ => todos.push(format!(
                            "the {scheme} credentials are sent as recorded (no earlier response \
                             returned them): they may expire"
                        )),
                    }
                }
                kept.push(header);
                continue;
            }
            if candidate_text(&header.value, is_id_key(&header.name)) {
                match self.resolve(j, &header.value, false, None) {
                    Resolution::Var(var) => {
                        header.var = Some(Usage {
                            var,
                            prefix: String::new(),
                            suffix: String::new(),
                        });
                    }
                    other => {
                        let name = header.name.clone();
                        self.note(other, &header.value, &Place::Header(&name), todos, false);
                    }
                }
            }
            kept.push(header);
        }
        call.headers = kept;
    }

    fn json_body(
        &mut self,
        j: usize,
        value: &Json,
        vars: &mut Vec<(String, usize, bool)>,
        writes: bool,
        own_response: Option<&Json>,
        todos: &mut Vec<String>,
    ) {
        let mut leaves = Vec::new();
        value.for_each_leaf(&mut |pointer, key, leaf| {
            leaves.push((pointer.to_owned(), key.map(str::to_owned), leaf.clone()));
        });
        let mut credentials = false;
        for (pointer, key, leaf) in leaves {
            let key = key.unwrap_or_default();
            credentials |= key.to_ascii_lowercase().contains("password");
            let idish = is_id_key(&key);
            let (text, number) = match &leaf {
                Json::String(s) => (s.clone(), false),
                Json::Number(n) if n.is_i64() || n.is_u64() => (n.to_string(), true),
                _ => continue,
            };
            if number && !(idish && text.len() >= 2) {
                continue;
            }
            if !number && !candidate_text(&text, idish) {
                continue;
            }
            let place = Place::Body(&pointer);
            match self.resolve(j, &text, number, None) {
                Resolution::Var(var) => {
                    let as_string = !number && self.vars[var].kind == VarKind::Int;
                    vars.push((pointer.clone(), var, as_string));
                }
                Resolution::Missing if idish && writes => {
                    let echoed = own_response.is_some_and(|r| contains_leaf(r, &leaf));
                    // As JSON text: strings quoted, the way the generated code writes them.
                    let leaf = leaf.to_value();
                    if !number && echoed {
                        todos.push(format!(
                            "\"{key}\" = {leaf} is sent as recorded: this value must be unique \
                             per user (derive it from user.index() and user.iteration())"
                        ));
                    } else {
                        todos.push(format!(
                            "\"{key}\" = {leaf} is sent as recorded and no earlier response \
                             returned it: make sure it exists on the target"
                        ));
                    }
                }
                other => self.note(other, &text, &place, todos, false),
            }
        }
        if credentials {
            todos.push(CREDENTIALS.to_owned());
        }
    }

    /// A `TODO check` for a value that did not become a variable.
    fn note(
        &self,
        resolution: Resolution,
        value: &str,
        place: &Place<'_>,
        todos: &mut Vec<String>,
        flag_missing: bool,
    ) {
        match resolution {
            Resolution::Var(_) => {}
            Resolution::Ambiguous(sources) => todos.push(format!(
                "`{value}` {} is sent as recorded: {} earlier responses returned it ({}); \
                 extract it from the right one",
                place.describe(),
                sources.len(),
                sources.join(", ")
            )),
            Resolution::Mismatch => todos.push(format!(
                "`{value}` {} is sent as recorded: an earlier response returned it as text",
                place.describe()
            )),
            Resolution::Missing if flag_missing => todos.push(format!(
                "`{value}` {} is sent as recorded and no earlier response returned it: make \
                 sure it exists on the target",
                place.describe()
            )),
            Resolution::Missing => {}
        }
    }

    /// The variable for `value` sent by call `j`, creating it from its single source.
    fn resolve(&mut self, j: usize, value: &str, need_int: bool, name: Option<&str>) -> Resolution {
        if let Some(&var) = self.by_value.get(value) {
            if need_int && self.vars[var].kind != VarKind::Int {
                return Resolution::Mismatch;
            }
            self.use_var(var, j);
            return Resolution::Var(var);
        }
        let Some(sources) = self.sources.get(value) else {
            return Resolution::Missing;
        };
        // The same field of several responses (the record read again) is one source: the
        // first; different fields are ambiguous.
        let same_field = sources
            .iter()
            .all(|s| s.pointer == sources[0].pointer && s.kind == sources[0].kind);
        if sources.len() > 1 && !same_field {
            return Resolution::Ambiguous(
                sources
                    .iter()
                    .take(3)
                    .map(|s| format!("{} at {}", self.described[s.call], s.pointer))
                    .chain((sources.len() > 3).then(|| "...".to_owned()))
                    .collect(),
            );
        }
        let source = sources[0].clone();
        if need_int && source.kind != VarKind::Int {
            return Resolution::Mismatch;
        }
        let name = self.name(&source, name);
        let var = self.vars.len();
        self.vars.push(Var {
            name,
            call: source.call,
            pointer: source.pointer.clone(),
            kind: source.kind,
            value: value.to_owned(),
            group: self.groups[source.call],
            used_in: BTreeSet::new(),
            uses: 0,
        });
        self.by_value.insert(value.to_owned(), var);
        self.defines.push((source.call, var));
        self.use_var(var, j);
        Resolution::Var(var)
    }

    fn use_var(&mut self, var: usize, j: usize) {
        let var = &mut self.vars[var];
        var.uses += 1;
        var.used_in.insert(self.groups[j]);
    }

    /// A variable name from the field's key (and its parent object or the resource).
    fn name(&mut self, source: &Source, preferred: Option<&str>) -> String {
        let keys: Vec<String> = source
            .pointer
            .split('/')
            .skip(1)
            .map(|k| k.replace("~1", "/").replace("~0", "~"))
            .filter(|k| !k.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        let base = match preferred {
            Some(name) => name.to_owned(),
            None => {
                let last = keys.last().map(|k| slug(k)).unwrap_or_default();
                if GENERIC_KEYS.contains(&last.as_str()) {
                    let parent = keys
                        .len()
                        .checked_sub(2)
                        .map(|i| singular(&slug(&keys[i])))
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| self.resources[source.call].clone());
                    if parent.is_empty() {
                        last
                    } else {
                        format!("{parent}_{last}")
                    }
                } else {
                    last
                }
            }
        };
        let mut base = if base.is_empty() {
            "value".to_owned()
        } else {
            base
        };
        if base.as_bytes()[0].is_ascii_digit() {
            base.insert_str(0, "v_");
        }
        if RESERVED.contains(&base.as_str()) {
            base.push_str("_value");
        }
        let mut name = base.clone();
        if self.names.contains(&name) {
            let n = self.suffixes.entry(base.clone()).or_insert(2);
            loop {
                name = format!("{base}_{n}");
                *n += 1;
                if !self.names.contains(&name) {
                    break;
                }
            }
        }
        self.names.insert(name.clone());
        name
    }

    fn add_sources(&mut self, j: usize, json: &Json) {
        let mut count = 0;
        let sources = &mut self.sources;
        json.for_each_leaf(&mut |pointer, key, leaf| {
            count += 1;
            if count > MAX_LEAVES || !key.is_some_and(is_id_key) {
                return;
            }
            let (text, kind) = match leaf {
                Json::String(s) if s.len() >= 2 && s.len() <= 4096 => {
                    if s.chars().any(char::is_whitespace) {
                        return;
                    }
                    (s.clone(), VarKind::Text)
                }
                Json::Number(n) => match n.as_i64() {
                    Some(i) if i >= 10 => (i.to_string(), VarKind::Int),
                    _ => return,
                },
                _ => return,
            };
            sources.entry(text).or_default().push(Source {
                call: j,
                pointer: pointer.to_owned(),
                kind,
            });
        });
    }
}

/// Keys too generic to name a variable alone.
const GENERIC_KEYS: &[&str] = &["id", "uuid", "guid", "pk", "key", "code", "value"];

/// Names a variable must not take.
const RESERVED: &[&str] = &[
    "as",
    "async",
    "await",
    "body",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "json_int",
    "json_text",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "priv",
    "pub",
    "recorded",
    "ref",
    "response",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "tx",
    "type",
    "typeof",
    "unsafe",
    "use",
    "user",
    "virtual",
    "where",
    "while",
    "yield",
];

/// `families` → `family`, `insurees` → `insuree`.
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    match word.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.is_empty() => stem.to_owned(),
        _ => word.to_owned(),
    }
}

/// The resource a request works on, singular: `POST /api/insurees` → `insuree`.
fn resource(call: &Call) -> String {
    call.segments
        .iter()
        .rev()
        .map(|s| s.raw.as_str())
        .find(|s| !s.is_empty() && !looks_like_id(s) && !s.eq_ignore_ascii_case("api"))
        .map(|s| singular(&slug(s)))
        .unwrap_or_default()
}

/// Whether a JSON key or parameter name holds an identifier or a token: `id`, `uuid`,
/// `token`, `access`, `chfId`, `family_id`, `X-Request-Id`...
pub(crate) fn is_id_key(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "id",
        "uuid",
        "guid",
        "pk",
        "key",
        "token",
        "access",
        "refresh",
        "jwt",
        "sid",
        "csrf",
        "xsrf",
        "apikey",
        "api_key",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "sessionid",
        "csrftoken",
        "xsrftoken",
        "authtoken",
    ];
    let lower = key.to_ascii_lowercase();
    if EXACT.contains(&lower.as_str()) {
        return true;
    }
    ["id", "uuid", "guid", "token"].iter().any(|suffix| {
        if lower.ends_with(&format!("_{suffix}")) || lower.ends_with(&format!("-{suffix}")) {
            return true;
        }
        let at = key.len().saturating_sub(suffix.len());
        if at == 0 || !key.is_char_boundary(at) {
            return false;
        }
        let (head, tail) = key.split_at(at);
        tail.eq_ignore_ascii_case(suffix)
            && tail.as_bytes()[0].is_ascii_uppercase()
            && head
                .as_bytes()
                .last()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Whether a text value could be a correlated value: an identifier-named one of two or more
/// characters, or any other of six or more without spaces.
fn candidate_text(value: &str, id_named: bool) -> bool {
    if value.chars().any(char::is_whitespace) || value.len() > 4096 {
        return false;
    }
    value.len() >= if id_named { 2 } else { 6 }
}

/// Whether `value` holds `leaf` anywhere.
fn contains_leaf(value: &Json, leaf: &Json) -> bool {
    match value {
        Json::Object(entries) => entries.iter().any(|(_, v)| contains_leaf(v, leaf)),
        Json::Array(items) => items.iter().any(|v| contains_leaf(v, leaf)),
        other => other == leaf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_keys() {
        for key in [
            "id",
            "ID",
            "uuid",
            "chfId",
            "familyID",
            "family_id",
            "X-Request-Id",
            "access",
            "access_token",
            "refreshToken",
            "csrftoken",
        ] {
            assert!(is_id_key(key), "{key}");
        }
        for key in [
            "valid", "paid", "android", "name", "q", "page", "tokens", "ids",
        ] {
            assert!(!is_id_key(key), "{key}");
        }
    }

    #[test]
    fn words_become_singular() {
        assert_eq!(singular("families"), "family");
        assert_eq!(singular("insurees"), "insuree");
        assert_eq!(singular("address"), "address");
        assert_eq!(singular("s"), "s");
    }
}
