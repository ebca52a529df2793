//! A hand-written parser for the subset of GraphQL the demo serves: operations (query,
//! optionally named, with variable definitions and defaults), fields with aliases,
//! arguments and nested selections, and all literal kinds. Fragments and directives are
//! rejected with a clear message. Error messages follow graphql-js' wording.

use std::fmt;

/// A 1-based position in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// A parse (or validation) error with the position it refers to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GqlError {
    pub(crate) message: String,
    pub(crate) pos: Option<Pos>,
}

impl GqlError {
    pub(crate) fn new(message: impl Into<String>, pos: Option<Pos>) -> Self {
        Self {
            message: message.into(),
            pos,
        }
    }
}

/// A literal or variable in argument position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Variable(String),
    Int(i64),
    Float(f64),
    String(String),
    Boolean(bool),
    Null,
    Enum(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Variable(name) => write!(f, "${name}"),
            Self::Int(v) => write!(f, "{v}"),
            Self::Float(v) => write!(f, "{v}"),
            Self::String(v) => write!(f, "{v:?}"),
            Self::Boolean(v) => write!(f, "{v}"),
            Self::Null => f.write_str("null"),
            Self::Enum(v) => f.write_str(v),
            Self::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Self::Object(fields) => {
                f.write_str("{")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A variable's declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(name) => f.write_str(name),
            Self::List(inner) => write!(f, "[{inner}]"),
            Self::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

/// `$name: Type = default`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VariableDef {
    pub(crate) name: String,
    pub(crate) ty: TypeRef,
    pub(crate) default: Option<Value>,
    pub(crate) pos: Pos,
}

/// A selected field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub(crate) alias: Option<String>,
    pub(crate) name: String,
    pub(crate) args: Vec<(String, Value)>,
    pub(crate) selection: Vec<Field>,
    pub(crate) pos: Pos,
}

impl Field {
    /// The key of this field in the response.
    pub(crate) fn response_key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// `query`, `mutation` or `subscription`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

/// One operation of the document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Operation {
    pub(crate) kind: OperationKind,
    pub(crate) name: Option<String>,
    pub(crate) variables: Vec<VariableDef>,
    pub(crate) selection: Vec<Field>,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Punct(char),
    Spread,
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Punct(c) => write!(f, "\"{c}\""),
            Self::Spread => f.write_str("\"...\""),
            Self::Name(n) => write!(f, "Name \"{n}\""),
            Self::Int(v) => write!(f, "Int \"{v}\""),
            Self::Float(v) => write!(f, "Float \"{v}\""),
            Self::Str(s) => write!(f, "String {s:?}"),
            Self::Eof => f.write_str("<EOF>"),
        }
    }
}

fn syntax(message: impl fmt::Display, pos: Pos) -> GqlError {
    GqlError::new(format!("Syntax Error: {message}"), Some(pos))
}

/// Splits the query into tokens with positions.
fn lex(src: &str) -> Result<Vec<(Tok, Pos)>, GqlError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0_usize, 1_usize, 0_usize);
    while i < chars.len() {
        let pos = Pos {
            line,
            column: i - line_start + 1,
        };
        let c = chars[i];
        match c {
            '\n' => {
                i += 1;
                line += 1;
                line_start = i;
            }
            ' ' | '\t' | '\r' | ',' | '\u{feff}' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '!' | '$' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '}' | '|' | '&' => {
                out.push((Tok::Punct(c), pos));
                i += 1;
            }
            '.' => {
                if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
                    out.push((Tok::Spread, pos));
                    i += 3;
                } else {
                    return Err(syntax("Unexpected \".\".", pos));
                }
            }
            '"' => {
                if chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                    return Err(syntax("Block strings are not supported.", pos));
                }
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(syntax("Unterminated string.", pos));
                    };
                    i += 1;
                    match c {
                        '"' => break,
                        '\n' | '\r' => return Err(syntax("Unterminated string.", pos)),
                        '\\' => {
                            let Some(&e) = chars.get(i) else {
                                return Err(syntax("Unterminated string.", pos));
                            };
                            i += 1;
                            match e {
                                '"' => s.push('"'),
                                '\\' => s.push('\\'),
                                '/' => s.push('/'),
                                'b' => s.push('\u{8}'),
                                'f' => s.push('\u{c}'),
                                'n' => s.push('\n'),
                                'r' => s.push('\r'),
                                't' => s.push('\t'),
                                'u' => {
                                    let hex: String = chars.iter().skip(i).take(4).collect();
                                    let code = u32::from_str_radix(&hex, 16)
                                        .ok()
                                        .filter(|_| hex.len() == 4)
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| {
                                            syntax(
                                                format!(
                                                    "Invalid Unicode escape sequence: \"\\u{hex}\"."
                                                ),
                                                pos,
                                            )
                                        })?;
                                    s.push(code);
                                    i += 4;
                                }
                                other => {
                                    return Err(syntax(
                                        format!(
                                            "Invalid character escape sequence: \"\\{other}\"."
                                        ),
                                        pos,
                                    ));
                                }
                            }
                        }
                        c => s.push(c),
                    }
                }
                out.push((Tok::Str(s), pos));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let is_float = text.contains(['.', 'e', 'E']);
                let tok = if is_float {
                    text.parse().ok().map(Tok::Float)
                } else {
                    text.parse().ok().map(Tok::Int)
                };
                match tok {
                    Some(tok) => out.push((tok, pos)),
                    None => return Err(syntax(format!("Invalid number, found \"{text}\"."), pos)),
                }
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                out.push((Tok::Name(chars[start..i].iter().collect()), pos));
            }
            other => return Err(syntax(format!("Unexpected character: {other:?}."), pos)),
        }
    }
    out.push((
        Tok::Eof,
        Pos {
            line,
            column: i - line_start + 1,
        },
    ));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    at: usize,
    depth: usize,
}

/// Selections deeper than this are refused (the schema is 3 levels deep anyway), which
/// also bounds the parser's recursion on hostile input.
const MAX_DEPTH: usize = 16;

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).map_or(&Tok::Eof, |t| &t.0)
    }

    fn pos(&self) -> Pos {
        self.toks
            .get(self.at)
            .or(self.toks.last())
            .map_or(Pos { line: 1, column: 1 }, |t| t.1)
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.at < self.toks.len() {
            self.at += 1;
        }
        tok
    }

    fn is_punct(&self, c: char) -> bool {
        *self.peek() == Tok::Punct(c)
    }

    fn expect_punct(&mut self, c: char) -> Result<(), GqlError> {
        if self.is_punct(c) {
            self.bump();
            Ok(())
        } else {
            Err(syntax(
                format!("Expected \"{c}\", found {}.", self.peek()),
                self.pos(),
            ))
        }
    }

    fn name(&mut self) -> Result<String, GqlError> {
        match self.peek() {
            Tok::Name(_) => match self.bump() {
                Tok::Name(n) => Ok(n),
                _ => Err(syntax("Expected Name.", self.pos())),
            },
            other => Err(syntax(format!("Expected Name, found {other}."), self.pos())),
        }
    }

    fn document(&mut self) -> Result<Vec<Operation>, GqlError> {
        let mut ops = Vec::new();
        loop {
            match self.peek() {
                Tok::Eof if !ops.is_empty() => return Ok(ops),
                Tok::Eof => return Err(syntax("Unexpected <EOF>.", self.pos())),
                Tok::Punct('{') => {
                    let pos = self.pos();
                    let selection = self.selection_set()?;
                    ops.push(Operation {
                        kind: OperationKind::Query,
                        name: None,
                        variables: Vec::new(),
                        selection,
                        pos,
                    });
                }
                Tok::Name(n) if n == "fragment" => {
                    return Err(GqlError::new(
                        "Fragments are not supported by this server.",
                        Some(self.pos()),
                    ));
                }
                Tok::Name(n) if matches!(n.as_str(), "query" | "mutation" | "subscription") => {
                    ops.push(self.operation()?);
                }
                other => {
                    return Err(syntax(format!("Unexpected {other}."), self.pos()));
                }
            }
        }
    }

    fn operation(&mut self) -> Result<Operation, GqlError> {
        let pos = self.pos();
        let kind = match self.name()?.as_str() {
            "mutation" => OperationKind::Mutation,
            "subscription" => OperationKind::Subscription,
            _ => OperationKind::Query,
        };
        let name = match self.peek() {
            Tok::Name(_) => Some(self.name()?),
            _ => None,
        };
        let mut variables = Vec::new();
        if self.is_punct('(') {
            self.bump();
            while !self.is_punct(')') {
                let pos = self.pos();
                self.expect_punct('$')?;
                let name = self.name()?;
                self.expect_punct(':')?;
                let ty = self.type_ref()?;
                let default = if self.is_punct('=') {
                    self.bump();
                    Some(self.value(true)?)
                } else {
                    None
                };
                variables.push(VariableDef {
                    name,
                    ty,
                    default,
                    pos,
                });
            }
            self.bump();
        }
        self.no_directives()?;
        let selection = self.selection_set()?;
        Ok(Operation {
            kind,
            name,
            variables,
            selection,
            pos,
        })
    }

    fn type_ref(&mut self) -> Result<TypeRef, GqlError> {
        let ty = if self.is_punct('[') {
            self.bump();
            let inner = self.type_ref()?;
            self.expect_punct(']')?;
            TypeRef::List(Box::new(inner))
        } else {
            TypeRef::Named(self.name()?)
        };
        if self.is_punct('!') {
            self.bump();
            return Ok(TypeRef::NonNull(Box::new(ty)));
        }
        Ok(ty)
    }

    fn no_directives(&self) -> Result<(), GqlError> {
        if self.is_punct('@') {
            return Err(GqlError::new(
                "Directives are not supported by this server.",
                Some(self.pos()),
            ));
        }
        Ok(())
    }

    fn selection_set(&mut self) -> Result<Vec<Field>, GqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GqlError::new(
                "Query is nested too deeply.",
                Some(self.pos()),
            ));
        }
        self.expect_punct('{')?;
        let mut fields = Vec::new();
        while !self.is_punct('}') {
            if *self.peek() == Tok::Spread {
                return Err(GqlError::new(
                    "Fragments are not supported by this server.",
                    Some(self.pos()),
                ));
            }
            fields.push(self.field()?);
        }
        self.bump();
        if fields.is_empty() {
            return Err(syntax("Expected Name, found \"}\".", self.pos()));
        }
        self.depth -= 1;
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, GqlError> {
        let pos = self.pos();
        let first = self.name()?;
        let (alias, name) = if self.is_punct(':') {
            self.bump();
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        let mut args = Vec::new();
        if self.is_punct('(') {
            self.bump();
            while !self.is_punct(')') {
                let arg = self.name()?;
                self.expect_punct(':')?;
                let value = self.value(false)?;
                args.push((arg, value));
            }
            self.bump();
            if args.is_empty() {
                return Err(syntax("Expected Name, found \")\".", self.pos()));
            }
        }
        self.no_directives()?;
        let selection = if self.is_punct('{') {
            self.selection_set()?
        } else {
            Vec::new()
        };
        Ok(Field {
            alias,
            name,
            args,
            selection,
            pos,
        })
    }

    fn value(&mut self, constant: bool) -> Result<Value, GqlError> {
        let pos = self.pos();
        match self.bump() {
            Tok::Punct('$') if !constant => Ok(Value::Variable(self.name()?)),
            Tok::Int(v) => Ok(Value::Int(v)),
            Tok::Float(v) => Ok(Value::Float(v)),
            Tok::Str(s) => Ok(Value::String(s)),
            Tok::Name(n) => Ok(match n.as_str() {
                "true" => Value::Boolean(true),
                "false" => Value::Boolean(false),
                "null" => Value::Null,
                _ => Value::Enum(n),
            }),
            Tok::Punct('[') => {
                let mut items = Vec::new();
                while !self.is_punct(']') {
                    if *self.peek() == Tok::Eof {
                        return Err(syntax("Expected \"]\", found <EOF>.", self.pos()));
                    }
                    items.push(self.value(constant)?);
                }
                self.bump();
                Ok(Value::List(items))
            }
            Tok::Punct('{') => {
                let mut fields = Vec::new();
                while !self.is_punct('}') {
                    let name = self.name()?;
                    self.expect_punct(':')?;
                    fields.push((name, self.value(constant)?));
                }
                self.bump();
                Ok(Value::Object(fields))
            }
            other => Err(syntax(format!("Unexpected {other}."), pos)),
        }
    }
}

/// Parses a whole document into its operations.
pub(crate) fn parse(src: &str) -> Result<Vec<Operation>, GqlError> {
    let toks = lex(src)?;
    Parser {
        toks,
        at: 0,
        depth: 0,
    }
    .document()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_claims_query() {
        let ops = parse(
            r#"query Claims($first: Int = 20, $insuree: String!) {
                 claims(insuree: $insuree, status: 2, first: $first) {
                   code dateClaimed claimed
                   who: insuree { chfId lastName }
                   items { itemCode qty price }
                 }
               }"#,
        )
        .unwrap();
        assert_eq!(ops.len(), 1);
        let op = &ops[0];
        assert_eq!(op.name.as_deref(), Some("Claims"));
        assert_eq!(op.variables.len(), 2);
        assert_eq!(op.variables[0].default, Some(Value::Int(20)));
        assert_eq!(op.variables[1].ty.to_string(), "String!");
        let claims = &op.selection[0];
        assert_eq!(claims.name, "claims");
        assert_eq!(
            claims.args[0],
            ("insuree".into(), Value::Variable("insuree".into()))
        );
        assert_eq!(claims.args[1], ("status".into(), Value::Int(2)));
        assert_eq!(claims.selection.len(), 5);
        assert_eq!(claims.selection[3].response_key(), "who");
        assert_eq!(claims.selection[3].name, "insuree");
    }

    #[test]
    fn shorthand_strings_and_errors() {
        let ops = parse(r#"{ claims(insuree: "12\"3\u0041") { code } }"#).unwrap();
        assert_eq!(
            ops[0].selection[0].args[0].1,
            Value::String("12\"3A".into())
        );
        let err = parse("{ claims(first: 1) { code }").unwrap_err();
        assert_eq!(err.message, "Syntax Error: Expected Name, found <EOF>.");
        let err = parse("{ claims { ...F } }").unwrap_err();
        assert!(err.message.contains("Fragments"));
        let err = parse("{ claims(first: ) { code } }").unwrap_err();
        assert_eq!(err.message, "Syntax Error: Unexpected \")\".");
        assert_eq!(
            err.pos,
            Some(Pos {
                line: 1,
                column: 17
            })
        );
        assert!(parse("").is_err());
        assert!(parse("{ }").is_err());
        assert!(parse(&"{ a ".repeat(100)).is_err());
    }
}
