//! Literal values inside attribute arguments, which arrive as `syn::Expr`.
//!
//! Arguments are parsed as expressions so that a value of the wrong kind is still consumed
//! whole and the next option can be checked too.

use syn::{Expr, ExprArray, Lit, LitBool, LitInt, LitStr};

/// The expression without the invisible group a `macro_rules!` `$value:expr` wraps it in.
fn peel(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) if group.attrs.is_empty() => peel(&group.expr),
        _ => expr,
    }
}

fn lit(expr: &Expr) -> Option<&Lit> {
    match peel(expr) {
        Expr::Lit(lit) if lit.attrs.is_empty() => Some(&lit.lit),
        _ => None,
    }
}

pub(crate) fn string(expr: &Expr) -> Option<&LitStr> {
    match lit(expr)? {
        Lit::Str(lit) => Some(lit),
        _ => None,
    }
}

pub(crate) fn int(expr: &Expr) -> Option<&LitInt> {
    match lit(expr)? {
        Lit::Int(lit) => Some(lit),
        _ => None,
    }
}

/// An integer or float literal as a number (`count = 100`, `max = 2.5`).
pub(crate) fn number(expr: &Expr) -> Option<f64> {
    match lit(expr)? {
        Lit::Int(lit) => lit.base10_parse::<f64>().ok(),
        Lit::Float(lit) => lit.base10_parse::<f64>().ok(),
        _ => None,
    }
}

pub(crate) fn bool(expr: &Expr) -> Option<&LitBool> {
    match lit(expr)? {
        Lit::Bool(lit) => Some(lit),
        _ => None,
    }
}

pub(crate) fn array(expr: &Expr) -> Option<&ExprArray> {
    match peel(expr) {
        Expr::Array(array) if array.attrs.is_empty() => Some(array),
        _ => None,
    }
}

pub(crate) fn path(expr: &Expr) -> Option<&syn::Path> {
    match peel(expr) {
        Expr::Path(path) if path.attrs.is_empty() && path.qself.is_none() => Some(&path.path),
        _ => None,
    }
}

/// A `u32` written as an integer literal with no suffix or `u32`, or `None` if it is not one
/// (negative, too large, another type).
pub(crate) fn u32(lit: &LitInt) -> Option<u32> {
    matches!(lit.suffix(), "" | "u32")
        .then(|| lit.base10_parse().ok())
        .flatten()
}
