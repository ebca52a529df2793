//! The scenario source.
//!
//! The file's items (the `use`, the extraction helpers, the `#[scenario]` function) are a
//! `syn::File` built with `quote!` and printed by `prettyplease`; the function's statements are
//! laid out by [`layout`](super::layout) with rustfmt's rules, since comments (`TODO check`)
//! and indented `json!` literals cannot travel through a syntax tree. The result is parsed
//! again with `syn` before it is returned.

use std::collections::HashMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;

use super::HarError;
use super::call::{Body, Call, Field, Usage};
use super::correlate::{Var, VarKind};
use super::group::Group;
use super::json::{Json, escape_pointer};
use super::layout::{self, Arg, Link};

/// Budget of `json!`'s recursion, in quarters of a level: the macro recurses about three
/// levels per object entry and 1.25 per array item before the next one (nested values add
/// up), and the compiler stops at 128 levels. Bodies above (or above 1,000 scalars and keys)
/// are parsed from a raw string instead.
const JSON_MACRO_BUDGET: usize = 400;

/// Width at which `TODO check` comments wrap.
const COMMENT_WIDTH: usize = 100;

/// Everything the generated file is made of.
pub(crate) struct Program<'a> {
    pub(crate) name: &'a str,
    pub(crate) doc: Vec<String>,
    pub(crate) groups: &'a [Group],
    pub(crate) calls: &'a [Call],
    pub(crate) vars: &'a [Var],
    /// Headers sent with every request, set once on the session.
    pub(crate) session_headers: &'a [(String, String)],
    pub(crate) with_main: bool,
}

/// A Rust string literal.
fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// Generates the formatted source of the scenario.
pub(crate) fn generate(program: &Program<'_>) -> Result<String, HarError> {
    let mut body = String::new();
    for (header, value) in program.session_headers {
        let links = [
            Link::call("session", vec![], ""),
            Link::call(
                "header",
                vec![Arg::atom(lit(header)), Arg::atom(lit(value))],
                "?",
            ),
        ];
        body.push_str(&layout::chain(4, "", "user", &links, ";"));
    }
    for (g, group) in program.groups.iter().enumerate() {
        if g > 0 {
            body.push('\n');
        }
        if let Some(pause) = group.pause {
            let millis = format!("Duration::from_millis({})", pause.as_millis());
            let links = [
                Link::call("pause", vec![Arg::atom(millis)], ""),
                Link::field("await", ""),
            ];
            body.push_str(&layout::chain(4, "", "user", &links, ";"));
        }
        let returned: Vec<&str> = program
            .vars
            .iter()
            .filter(|v| v.group == g && v.used_in.iter().any(|u| *u != g))
            .map(|v| v.name.as_str())
            .collect();
        let tail = match returned.as_slice() {
            [] => "Ok(())".to_owned(),
            [one] => format!("Ok({one})"),
            many => format!("Ok(({}))", many.join(", ")),
        };
        let name = lit(&group.name);
        let (open, indent, close) = if returned.is_empty() {
            (
                format!("    user.transaction({name}, async |tx| {{\n"),
                8,
                "    })\n    .await?;\n".to_owned(),
            )
        } else {
            let binding = match returned.as_slice() {
                [one] => (*one).to_owned(),
                many => format!("({})", many.join(", ")),
            };
            (
                format!("    let {binding} = user\n        .transaction({name}, async |tx| {{\n"),
                12,
                "        })\n        .await?;\n".to_owned(),
            )
        };
        body.push_str(&open);
        for call in program.calls.iter().filter(|c| c.group == g) {
            call_statements(call, program.vars, indent, &mut body);
        }
        let _ = writeln!(body, "{}{tail}", " ".repeat(indent));
        body.push_str(&close);
    }
    body.push_str("    Ok(())\n");

    let name = syn::Ident::new(program.name, proc_macro2::Span::call_site());
    let mut items = vec![quote!(
        use loadspec::prelude::*;
    )];
    items.extend(helpers(program.vars));
    items.push(quote! {
        #[scenario(threads = [1, 5, 10], hold = "60s")]
        async fn #name(user: &mut User) -> Result<(), Failure> {
            __loadspec_body!();
        }
    });
    if program.with_main {
        items.push(quote! {
            fn main() -> std::process::ExitCode {
                loadspec::main()
            }
        });
    }
    let mut out = String::new();
    for line in &program.doc {
        if line.is_empty() {
            out.push_str("//!\n");
        } else {
            let _ = writeln!(out, "//! {line}");
        }
    }
    const MARKER: &str = "    __loadspec_body!();\n";
    for item in items {
        out.push('\n');
        let printed = print(item)?;
        match printed.find(MARKER) {
            Some(at) => {
                out.push_str(&printed[..at]);
                out.push_str(&body);
                out.push_str(&printed[at + MARKER.len()..]);
            }
            None => out.push_str(&printed),
        }
    }
    syn::parse_file(&out)
        .map_err(|e| HarError::Codegen(format!("the generated code does not parse: {e}")))?;
    Ok(out)
}

/// Prints items with prettyplease.
fn print(tokens: TokenStream) -> Result<String, HarError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| HarError::Codegen(e.to_string()))?;
    Ok(prettyplease::unparse(&file))
}

/// The statements of one request: notes, bearer token, body, the request, extractions.
fn call_statements(call: &Call, vars: &[Var], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for todo in &call.todos {
        comment(&pad, &format!("TODO check: {todo}"), out);
    }
    if let Some(var) = call.bearer {
        let links = [
            Link::call("session", vec![], ""),
            Link::call("bearer", vec![Arg::atom(text_ref(&vars[var]))], "?"),
        ];
        out.push_str(&layout::chain(indent, "", "tx", &links, ";"));
    }
    let path = path_expr(call, vars);
    let method = call.method.as_str();
    let mut links = vec![match method {
        "GET" | "POST" | "PUT" | "DELETE" => {
            Link::call(&method.to_ascii_lowercase(), vec![Arg::atom(path)], "")
        }
        "HEAD" | "OPTIONS" | "PATCH" | "TRACE" | "CONNECT" => Link::call(
            "request",
            vec![
                Arg::atom(format!("loadspec::Method::{method}")),
                Arg::atom(path),
            ],
            "",
        ),
        other => Link::call(
            "request",
            vec![
                Arg::atom(format!("loadspec::Method::from_bytes(b{other:?})?")),
                Arg::atom(path),
            ],
            "",
        ),
    }];
    if !call.query.is_empty() {
        links.push(Link::call("query", vec![pairs(&call.query, vars)], ""));
    }
    for header in &call.headers {
        let value = header_value(header, vars);
        links.push(Link::call(
            "header",
            vec![Arg::atom(lit(&header.name)), Arg::atom(value)],
            "",
        ));
    }
    match &call.body {
        Body::None => {}
        Body::Json { value, vars: uses } => {
            json_body(value, uses, vars, &pad, out);
            links.push(Link::call("json", vec![Arg::atom("&body")], ""));
        }
        Body::Form(fields) => links.push(Link::call("form", vec![pairs(fields, vars)], "")),
        Body::Text { mime, text } => {
            links.push(Link::call(
                "header",
                vec![Arg::atom(lit("content-type")), Arg::atom(lit(mime))],
                "",
            ));
            links.push(Link::call("body", vec![Arg::atom(lit(text))], ""));
        }
        Body::Omitted { mime } => links.push(Link::call(
            "header",
            vec![Arg::atom(lit("content-type")), Arg::atom(lit(mime))],
            "",
        )),
    }
    links.push(Link::call("send", vec![], ""));
    links.push(Link::field("await", "?"));
    if let Some(status) = call.status {
        links.push(Link::call(
            "expect_status",
            vec![Arg::atom(status.to_string())],
            "?",
        ));
    }
    if call.defines.is_empty() {
        out.push_str(&layout::chain(indent, "", "tx", &links, ";"));
        return;
    }
    out.push_str(&layout::chain(indent, "let response = ", "tx", &links, ";"));
    for &var in &call.defines {
        let v = &vars[var];
        let helper = match v.kind {
            VarKind::Text => "json_text",
            VarKind::Int => "json_int",
        };
        let args = [Arg::atom("&response"), Arg::atom(lit(&v.pointer))];
        out.push_str(&layout::call(
            indent,
            &format!("let {} = ", v.name),
            helper,
            &args,
            "?",
            ";",
        ));
    }
}

/// `let body = serde_json::json!({..});`, or a parsed raw string for large bodies.
fn json_body(
    value: &Json,
    uses: &[(String, usize, bool)],
    vars: &[Var],
    pad: &str,
    out: &mut String,
) {
    let expr = |var: usize, as_string: bool| {
        let name = &vars[var].name;
        if as_string {
            format!("{name}.to_string()")
        } else {
            name.clone()
        }
    };
    let mut text = String::new();
    if json_size(value) <= 1000 && json_recursion(value) <= JSON_MACRO_BUDGET {
        let replacements: HashMap<&str, String> = uses
            .iter()
            .map(|(pointer, var, as_string)| (pointer.as_str(), expr(*var, *as_string)))
            .collect();
        text.push_str("let body = serde_json::json!(");
        json_literal(value, &mut String::new(), &replacements, 0, &mut text);
        text.push_str(");");
    } else {
        let raw = raw_string(&pretty_json(value));
        let binding = if uses.is_empty() { "body" } else { "mut body" };
        let _ = write!(
            text,
            "let recorded = {raw};\nlet {binding}: serde_json::Value = serde_json::from_str(recorded)?;"
        );
        for (pointer, var, as_string) in uses {
            let _ = write!(
                text,
                "\nif let Some(slot) = body.pointer_mut({}) {{\n    *slot = serde_json::json!({});\n}}",
                lit(pointer),
                expr(*var, *as_string)
            );
        }
    }
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(pad);
        }
        out.push_str(line);
        out.push('\n');
    }
}

/// `&token` for a text variable, `&id.to_string()` for a number.
fn text_ref(var: &Var) -> String {
    match var.kind {
        VarKind::Text => format!("&{}", var.name),
        VarKind::Int => format!("&{}.to_string()", var.name),
    }
}

/// The path argument: a literal, or `&format!(..)` with variables.
fn path_expr(call: &Call, vars: &[Var]) -> String {
    let escape = |s: &str| s.replace('{', "{{").replace('}', "}}");
    let mut literal = call.origin.clone().unwrap_or_default();
    let mut template = escape(&literal);
    let mut templated = false;
    for segment in &call.segments {
        literal.push('/');
        template.push('/');
        literal.push_str(&segment.raw);
        match segment.var {
            Some(var) => {
                templated = true;
                let _ = write!(template, "{{{}}}", vars[var].name);
            }
            None => template.push_str(&escape(&segment.raw)),
        }
    }
    if call.segments.is_empty() {
        literal.push('/');
        template.push('/');
    }
    if templated {
        format!("&format!({})", lit(&template))
    } else {
        lit(&literal)
    }
}

/// `&[("name", "value"), ..]` for `.query` and `.form`.
fn pairs(fields: &[Field], vars: &[Var]) -> Arg {
    Arg::Slice(
        fields
            .iter()
            .map(|f| {
                let value = match &f.var {
                    None => lit(&f.value),
                    Some(usage) => {
                        let var = &vars[usage.var];
                        match var.kind {
                            VarKind::Text => format!("{}.as_str()", var.name),
                            VarKind::Int => format!("{}.to_string().as_str()", var.name),
                        }
                    }
                };
                Arg::Tuple(vec![lit(&f.name), value])
            })
            .collect(),
    )
}

fn header_value(header: &Field, vars: &[Var]) -> String {
    match &header.var {
        None => lit(&header.value),
        Some(Usage {
            var,
            prefix,
            suffix,
        }) => {
            let var = &vars[*var];
            if prefix.is_empty() && suffix.is_empty() {
                return text_ref(var);
            }
            let escape = |s: &str| s.replace('{', "{{").replace('}', "}}");
            let template = format!("{}{{{}}}{}", escape(prefix), var.name, escape(suffix));
            format!("&format!({})", lit(&template))
        }
    }
}

/// The helpers the extractions call.
fn helpers(vars: &[Var]) -> Vec<TokenStream> {
    let text = vars.iter().any(|v| v.kind == VarKind::Text).then(|| {
        quote! {
            /// The string (or number) at `pointer` in a JSON response, as text; fails the request
            /// when there is none.
            fn json_text(response: &Response, pointer: &str) -> Result<String, Failure> {
                let body = response.json_value()?;
                let value = match body.pointer(pointer) {
                    Some(serde_json::Value::String(text)) => Some(text.clone()),
                    Some(serde_json::Value::Number(number)) => Some(number.to_string()),
                    _ => None,
                };
                response.check(value.is_some(), || format!("no text at {pointer}"))?;
                Ok(value.unwrap_or_default())
            }
        }
    });
    let int = vars.iter().any(|v| v.kind == VarKind::Int).then(|| {
        quote! {
            /// The integer at `pointer` in a JSON response; fails the request when there is
            /// none.
            fn json_int(response: &Response, pointer: &str) -> Result<i64, Failure> {
                let body = response.json_value()?;
                let value = body.pointer(pointer).and_then(serde_json::Value::as_i64);
                response.check(value.is_some(), || format!("no integer at {pointer}"))?;
                Ok(value.unwrap_or_default())
            }
        }
    });
    text.into_iter().chain(int).collect()
}

/// Scalars and keys of a JSON value (what `json!` recurses over).
fn json_size(value: &Json) -> usize {
    match value {
        Json::Object(map) => map.iter().map(|(_, v)| 1 + json_size(v)).sum::<usize>() + 1,
        Json::Array(items) => items.iter().map(json_size).sum::<usize>() + 1,
        _ => 1,
    }
}

/// `json!`'s recursion depth for `value`, in quarters of a level.
fn json_recursion(value: &Json) -> usize {
    match value {
        Json::Object(map) => map
            .iter()
            .enumerate()
            .map(|(i, (_, v))| 12 * (i + 1) + json_recursion(v))
            .max()
            .unwrap_or(0),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| 5 * (i + 1) + json_recursion(v))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

/// Writes `value` as the body of a `json!` literal, with variables at their pointers.
fn json_literal(
    value: &Json,
    pointer: &mut String,
    vars: &HashMap<&str, String>,
    depth: usize,
    out: &mut String,
) {
    if let Some(expr) = vars.get(pointer.as_str()) {
        out.push_str(expr);
        return;
    }
    let indent = |out: &mut String, depth: usize| {
        for _ in 0..depth {
            out.push_str("    ");
        }
    };
    match value {
        Json::Object(map) if map.is_empty() => out.push_str("{}"),
        Json::Object(map) => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                indent(out, depth + 1);
                let _ = write!(out, "{key:?}: ");
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer(key));
                json_literal(item, pointer, vars, depth + 1, out);
                pointer.truncate(len);
                if i + 1 < map.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, depth);
            out.push('}');
        }
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Array(items) => {
            let inline = items
                .iter()
                .all(|v| !matches!(v, Json::Object(_) | Json::Array(_)))
                && !vars
                    .keys()
                    .any(|p| p.starts_with(pointer.as_str()) && p.len() > pointer.len())
                && items
                    .iter()
                    .map(|v| v.to_value().to_string().len() + 2)
                    .sum::<usize>()
                    <= 60;
            if inline {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    scalar(item, out);
                }
                out.push(']');
                return;
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                let len = pointer.len();
                let _ = write!(pointer, "/{i}");
                json_literal(item, pointer, vars, depth + 1, out);
                pointer.truncate(len);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, depth);
            out.push(']');
        }
        other => scalar(other, out),
    }
}

/// A JSON scalar as a Rust token: strings as Rust string literals.
fn scalar(value: &Json, out: &mut String) {
    match value {
        Json::String(text) => {
            let _ = write!(out, "{text:?}");
        }
        other => {
            let _ = write!(out, "{}", other.to_value());
        }
    }
}

fn pretty_json(value: &Json) -> String {
    let mut buffer = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, formatter);
    if serde::Serialize::serialize(value, &mut serializer).is_err() {
        return value.to_value().to_string();
    }
    String::from_utf8(buffer).unwrap_or_else(|_| value.to_value().to_string())
}

/// `r#"..."#` with enough hashes for `text`.
fn raw_string(text: &str) -> String {
    let mut hashes = 1;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let hashes = "#".repeat(hashes);
    format!("r{hashes}\"{text}\"{hashes}")
}

/// Writes `text` as `//` comment lines at `indent`, wrapped at [`COMMENT_WIDTH`].
fn comment(indent: &str, text: &str, out: &mut String) {
    let width = COMMENT_WIDTH.saturating_sub(indent.len() + 3).max(40);
    let mut line = String::new();
    let mut first = true;
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}// {line}");
            line.clear();
            first = false;
        }
        if line.is_empty() && !first {
            // Continuation lines are indented under the text.
            line.push_str("  ");
        }
        if !line.is_empty() && !line.ends_with("  ") {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}// {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_literals_are_indented_rust_tokens() {
        let value: Json =
            serde_json::from_str(r#"{"a": [1, 2], "b": {"c": "x\"y", "d": null}, "e": []}"#)
                .unwrap();
        let mut out = String::new();
        let vars = HashMap::from([("/b/d", "family_id".to_owned())]);
        json_literal(&value, &mut String::new(), &vars, 0, &mut out);
        assert_eq!(
            out,
            "{\n    \"a\": [1, 2],\n    \"b\": {\n        \"c\": \"x\\\"y\",\n        \"d\": family_id\n    },\n    \"e\": []\n}"
        );
    }

    #[test]
    fn raw_strings_have_enough_hashes() {
        assert_eq!(raw_string("a"), "r#\"a\"#");
        assert_eq!(raw_string("\"#"), "r##\"\"#\"##");
    }

    #[test]
    fn comments_wrap() {
        let mut out = String::new();
        comment("    ", &"word ".repeat(40), &mut out);
        assert!(out.lines().count() > 1);
        assert!(
            out.lines()
                .all(|l| l.len() <= COMMENT_WIDTH && l.starts_with("    // "))
        );
    }
}
