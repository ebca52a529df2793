//! The GraphQL-style endpoint: a small parser, a static schema, and deliberately naive
//! (N+1) resolvers.

pub(crate) mod exec;
pub(crate) mod parser;
pub(crate) mod schema;

use serde_json::{Value as Json, json};

pub(crate) use exec::Out;
pub(crate) use parser::GqlError;
pub(crate) use schema::Planned;

/// Parses, validates and checks a request; the `Err` case is the list of GraphQL errors.
pub(crate) fn prepare(
    query: &str,
    operation_name: Option<&str>,
    variables: Option<&Json>,
) -> Result<Vec<Planned>, Vec<GqlError>> {
    let operations = parser::parse(query).map_err(|e| vec![e])?;
    let planned = schema::plan(operations, operation_name, variables)?;
    let errors = exec::check_arguments(&planned);
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

/// The `{"errors": [...], "data": null}` body for failed requests.
pub(crate) fn error_body(errors: &[GqlError]) -> Json {
    let errors: Vec<Json> = errors
        .iter()
        .map(|e| match e.pos {
            Some(pos) => json!({
                "message": e.message,
                "locations": [{ "line": pos.line, "column": pos.column }],
            }),
            None => json!({ "message": e.message }),
        })
        .collect();
    json!({ "errors": errors, "data": null })
}
