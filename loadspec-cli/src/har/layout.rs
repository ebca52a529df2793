//! Line layout of the statements the importer writes, following rustfmt's default rules for
//! the shapes it generates (method chains, calls, slices of tuples), so that `cargo fmt`
//! leaves the generated file as it is.
//!
//! The rules (rustfmt 1.x defaults, `max_width = 100`): a chain stays on one line when it is
//! shorter than 60 columns (`chain_width`) and fits; otherwise each link goes on its own line,
//! the first one joined to a short root (`tx.get(..)`) at the start of a statement. Arguments
//! stay on the link's line when they take at most 60 columns (`fn_call_width`; a single
//! argument may be longer) and fit; a single slice argument overflows as `.query(&[` with one
//! item per line when its items take more than 60 columns (`array_width`); other arguments go
//! one per line. A statement that cannot fit even so is written on one line, as rustfmt
//! leaves it.

/// Line width.
const MAX_WIDTH: usize = 100;
/// rustfmt's `chain_width`, `fn_call_width` and `array_width`.
const SMALL_WIDTH: usize = 60;
/// rustfmt's `tab_spaces`.
const TAB: usize = 4;

/// An argument.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// Text that cannot be broken (a literal, a path, `&format!(..)`).
    Atom(String),
    /// `(a, b)`.
    Tuple(Vec<String>),
    /// `&[a, b]`.
    Slice(Vec<Arg>),
}

impl Arg {
    /// An unbreakable argument.
    pub(crate) fn atom(text: impl Into<String>) -> Self {
        Self::Atom(text.into())
    }

    fn inline(&self) -> String {
        match self {
            Self::Atom(text) => text.clone(),
            Self::Tuple(items) => format!("({})", items.join(", ")),
            Self::Slice(items) => format!("&[{}]", inline_list(items)),
        }
    }

    /// Whether rustfmt keeps the argument on one line (width limits aside).
    fn small(&self) -> bool {
        match self {
            Self::Atom(_) => true,
            Self::Tuple(items) => items.join(", ").len() <= SMALL_WIDTH,
            Self::Slice(items) => {
                inline_list(items).len() <= SMALL_WIDTH && items.iter().all(Self::small)
            }
        }
    }
}

fn inline_list(args: &[Arg]) -> String {
    args.iter().map(Arg::inline).collect::<Vec<_>>().join(", ")
}

/// A link of a method chain: `.name(args)suffix`, or `.name suffix` without arguments
/// (`.await?`).
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) name: String,
    pub(crate) args: Option<Vec<Arg>>,
    pub(crate) suffix: &'static str,
}

impl Link {
    /// `.name(args)suffix`.
    pub(crate) fn call(name: &str, args: Vec<Arg>, suffix: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            args: Some(args),
            suffix,
        }
    }

    /// `.name suffix`, e.g. `.await?`.
    pub(crate) fn field(name: &str, suffix: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            args: None,
            suffix,
        }
    }

    fn inline(&self) -> String {
        match &self.args {
            None => format!(".{}{}", self.name, self.suffix),
            Some(args) => format!(".{}({}){}", self.name, inline_list(args), self.suffix),
        }
    }

    fn small(&self) -> bool {
        self.args.as_deref().is_none_or(args_small)
    }
}

fn args_small(args: &[Arg]) -> bool {
    match args {
        [one] => one.small(),
        many => inline_list(many).len() <= SMALL_WIDTH && many.iter().all(Arg::small),
    }
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// Writes `head(args)tail` at column `indent`, `head` already on the line: inline when it
/// fits, else with the arguments broken. `None` when some piece cannot fit.
fn write_call(out: &mut String, indent: usize, head: &str, args: &[Arg], tail: &str) -> Option<()> {
    let inline = format!("{head}({}){tail}", inline_list(args));
    if indent + inline.len() <= MAX_WIDTH && args_small(args) {
        out.push_str(&spaces(indent));
        out.push_str(&inline);
        out.push('\n');
        return Some(());
    }
    if let [Arg::Slice(items)] = args {
        out.push_str(&format!("{}{head}(&[\n", spaces(indent)));
        for item in items {
            write_arg(out, indent + TAB, item, ",")?;
        }
        out.push_str(&format!("{}]){tail}\n", spaces(indent)));
        return Some(());
    }
    out.push_str(&format!("{}{head}(\n", spaces(indent)));
    for arg in args {
        write_arg(out, indent + TAB, arg, ",")?;
    }
    out.push_str(&format!("{}){tail}\n", spaces(indent)));
    Some(())
}

/// Writes one argument on its own line(s).
fn write_arg(out: &mut String, indent: usize, arg: &Arg, trail: &str) -> Option<()> {
    let inline = arg.inline();
    if indent + inline.len() + trail.len() <= MAX_WIDTH && arg.small() {
        out.push_str(&format!("{}{inline}{trail}\n", spaces(indent)));
        return Some(());
    }
    match arg {
        Arg::Atom(_) => None,
        Arg::Tuple(items) => {
            out.push_str(&format!("{}(\n", spaces(indent)));
            for item in items {
                write_arg(out, indent + TAB, &Arg::Atom(item.clone()), ",")?;
            }
            out.push_str(&format!("{}){trail}\n", spaces(indent)));
            Some(())
        }
        Arg::Slice(items) => {
            out.push_str(&format!("{}&[\n", spaces(indent)));
            for item in items {
                write_arg(out, indent + TAB, item, ",")?;
            }
            out.push_str(&format!("{}]{trail}\n", spaces(indent)));
            Some(())
        }
    }
}

/// A statement `prefix root.link1(..).link2(..)...end` at column `indent`.
pub(crate) fn chain(indent: usize, prefix: &str, root: &str, links: &[Link], end: &str) -> String {
    let one_line = format!(
        "{root}{}",
        links.iter().map(Link::inline).collect::<String>()
    );
    let single = format!("{}{prefix}{one_line}{end}\n", spaces(indent));
    if one_line.len() < SMALL_WIDTH
        && indent + prefix.len() + one_line.len() + end.len() <= MAX_WIDTH
        && links.iter().all(Link::small)
    {
        return single;
    }
    vertical(indent, prefix, root, links, end).unwrap_or(single)
}

fn vertical(indent: usize, prefix: &str, root: &str, links: &[Link], end: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = links;
    let mut child_indent = indent + TAB;
    match links.split_first() {
        Some((first, others)) if prefix.is_empty() && root.len() <= TAB => {
            rest = others;
            let tail = if others.is_empty() { end } else { "" };
            match &first.args {
                None => out.push_str(&format!(
                    "{}{root}{}{tail}\n",
                    spaces(indent),
                    first.inline()
                )),
                Some(args) => {
                    let head = format!("{root}.{}", first.name);
                    let before = out.len();
                    write_call(
                        &mut out,
                        indent,
                        &head,
                        args,
                        &format!("{}{tail}", first.suffix),
                    )?;
                    if out[before..].lines().count() > 1 {
                        // A root broken over lines puts the rest of the chain at its indent.
                        child_indent = indent;
                    }
                }
            }
        }
        _ => out.push_str(&format!("{}{prefix}{root}\n", spaces(indent))),
    }
    for (i, link) in rest.iter().enumerate() {
        let tail = if i + 1 == rest.len() { end } else { "" };
        match &link.args {
            None => {
                let line = format!("{}{}{tail}", spaces(child_indent), link.inline());
                if line.len() > MAX_WIDTH {
                    return None;
                }
                out.push_str(&line);
                out.push('\n');
            }
            Some(args) => write_call(
                &mut out,
                child_indent,
                &format!(".{}", link.name),
                args,
                &format!("{}{tail}", link.suffix),
            )?,
        }
    }
    Some(out)
}

/// A statement `prefix callee(args)suffix end` at column `indent`.
pub(crate) fn call(
    indent: usize,
    prefix: &str,
    callee: &str,
    args: &[Arg],
    suffix: &str,
    end: &str,
) -> String {
    let mut out = String::new();
    let head = format!("{prefix}{callee}");
    match write_call(&mut out, indent, &head, args, &format!("{suffix}{end}")) {
        Some(()) => out,
        None => format!(
            "{}{head}({}){suffix}{end}\n",
            spaces(indent),
            inline_list(args)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, extra: Vec<Link>) -> Vec<Link> {
        let mut links = vec![Link::call("get", vec![Arg::atom(format!("{path:?}"))], "")];
        links.extend(extra);
        links.push(Link::call("send", vec![], ""));
        links.push(Link::field("await", "?"));
        links.push(Link::call("expect_status", vec![Arg::atom("200")], "?"));
        links
    }

    #[test]
    fn short_chains_stay_on_one_line() {
        let links = request("/api/genders", vec![]);
        assert_eq!(
            chain(8, "", "tx", &links, ";"),
            "        tx.get(\"/api/genders\").send().await?.expect_status(200)?;\n"
        );
    }

    #[test]
    fn long_chains_go_one_link_per_line() {
        let links = request("/api/professions", vec![]);
        assert_eq!(
            chain(8, "", "tx", &links, ";"),
            "        tx.get(\"/api/professions\")\n            .send()\n            .await?\n            .expect_status(200)?;\n"
        );
        assert_eq!(
            chain(8, "let response = ", "tx", &links, ";"),
            "        let response = tx\n            .get(\"/api/professions\")\n            .send()\n            .await?\n            .expect_status(200)?;\n"
        );
    }

    #[test]
    fn long_slices_overflow_one_item_per_line() {
        let pairs = ["q", "page", "page_size", "abcd"]
            .iter()
            .map(|k| Arg::Tuple(vec![format!("{k:?}"), "\"value\"".to_owned()]))
            .collect();
        let links = request(
            "/api/x",
            vec![Link::call("query", vec![Arg::Slice(pairs)], "")],
        );
        let text = chain(8, "", "tx", &links, ";");
        assert!(
            text.contains("            .query(&[\n                (\"q\", \"value\"),\n"),
            "{text}"
        );
        assert!(
            text.contains("            ])\n            .send()\n"),
            "{text}"
        );
    }
}
