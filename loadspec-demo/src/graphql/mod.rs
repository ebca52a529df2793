//! openIMIS' GraphQL API (the subset its insuree, family and claim screens use), on
//! async-graphql: the same operation names, types, argument names, relay connections and
//! error messages, and the same HTTP statuses for each kind of failure.
//!
//! A request runs on one pooled connection on a blocking thread, as a Django worker holds
//! one database connection per request; the resolvers run there one after the other and
//! query the database as graphene-django does: one query per foreign key (N+1).

mod mutation;
mod query;
pub(crate) mod relay;
mod rows;
mod scalars;
mod types;

use async_graphql::{Context, EmptySubscription, Schema, ServerError};
use rusqlite::Connection;

use crate::db::DbError;
use crate::db::pool::RequestDb;
use crate::routes::AppState;

/// The result type of resolvers.
pub(crate) type GqlResult<T> = async_graphql::Result<T>;

/// The schema.
pub(crate) type DemoSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Builds the schema (once per server).
pub(crate) fn schema() -> DemoSchema {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription).finish()
}

/// The error extension that turns a whole response into this HTTP status (and drops its
/// `data`), as graphql-jwt's failures do in openIMIS; stripped before the answer is sent.
pub(crate) const HTTP_STATUS: &str = "http_status";

/// Who is calling, from the JWT in `Authorization: Bearer` or the `JWT` cookie.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No token.
    Anonymous,
    /// A valid token of an existing user.
    User {
        /// Id in `users`.
        id: i64,
        /// The user name.
        username: String,
    },
    /// A token that failed verification, with graphql-jwt's message.
    Refused(String),
}

/// What every resolver of one request can reach.
pub(crate) struct RequestContext {
    pub(crate) db: RequestDb,
    pub(crate) caller: Caller,
    /// Whether the `csrftoken` cookie and the `X-CSRFToken` header match.
    pub(crate) csrf_ok: bool,
    pub(crate) state: AppState,
}

/// The request's context.
pub(crate) fn context<'a>(ctx: &Context<'a>) -> GqlResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
}

/// Runs a database call on the request's connection. Database failures become GraphQL
/// errors with the exception's text, as graphene answers an exception in a resolver.
pub(crate) fn sql<T>(
    ctx: &Context<'_>,
    work: impl FnOnce(&mut Connection) -> Result<T, DbError>,
) -> GqlResult<T> {
    context(ctx)?
        .db
        .with(work)
        .map_err(|e| async_graphql::Error::new(e.to_string()))
}

/// The calling user, or openIMIS' error for anonymous calls and refused tokens.
pub(crate) fn user<'a>(ctx: &Context<'a>) -> GqlResult<(i64, &'a str)> {
    match &context(ctx)?.caller {
        Caller::User { id, username } => Ok((*id, username.as_str())),
        Caller::Anonymous => Err("User not authorized for this operation".into()),
        Caller::Refused(message) => {
            use async_graphql::ErrorExtensions as _;
            Err(async_graphql::Error::new(message.clone())
                .extend_with(|_, e| e.set(HTTP_STATUS, 401)))
        }
    }
}

/// The HTTP answer to a GraphQL response: its status and body, shaped as graphene-django
/// shapes them: `errors` before `data`, fields in query order, a failed field `null` in
/// `data` (async-graphql leaves it out), no `extensions`, and no `data` in 400 and 401
/// answers.
pub(crate) fn http_body(response: async_graphql::Response) -> (u16, String) {
    let forced = response.errors.iter().find_map(forced_status);
    // Parse and validation errors carry no path: the query never ran.
    let request_error = response.is_err() && response.errors.iter().all(|e| e.path.is_empty());
    let status = forced.unwrap_or(if request_error { 400 } else { 200 });
    let mut data = response.data;
    if status == 200 {
        for error in &response.errors {
            set_null(&mut data, &error.path);
        }
    }
    let body = Body {
        errors: response.errors.iter().map(ErrorOut::from).collect(),
        data: (status == 200).then_some(data),
    };
    let text = serde_json::to_string(&body)
        .unwrap_or_else(|e| format!("{{\"errors\":[{{\"message\":\"{e}\"}}]}}"));
    (status, text)
}

#[derive(serde::Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ErrorOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<async_graphql::Value>,
}

#[derive(serde::Serialize)]
struct ErrorOut<'a> {
    message: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    locations: &'a [async_graphql::Pos],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    path: &'a [async_graphql::PathSegment],
}

impl<'a> From<&'a ServerError> for ErrorOut<'a> {
    fn from(error: &'a ServerError) -> Self {
        Self {
            message: graphene_message(error),
            locations: &error.locations,
            path: &error.path,
        }
    }
}

/// graphene's wording where async-graphql's differs: syntax errors on one line
/// (`Syntax Error GraphQL (1:24) Expected selection`), unknown fields as "Cannot query".
fn graphene_message(error: &ServerError) -> std::borrow::Cow<'_, str> {
    let message = error.message.as_str();
    if message.starts_with(" --> ") {
        let expected = message
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("= "))
            .unwrap_or("unexpected input");
        let (line, column) = error
            .locations
            .first()
            .map_or((1, 1), |p| (p.line, p.column));
        let mut expected = expected.to_owned();
        if let Some(first) = expected.get(..1) {
            expected.replace_range(..1, &first.to_uppercase());
        }
        return format!("Syntax Error GraphQL ({line}:{column}) {expected}").into();
    }
    if let Some(rest) = message.strip_prefix("Unknown field ") {
        return format!("Cannot query field {rest}").into();
    }
    message.into()
}

/// Puts `null` at `path` in `data`, creating the objects on the way.
fn set_null(data: &mut async_graphql::Value, path: &[async_graphql::PathSegment]) {
    use async_graphql::{Name, PathSegment, Value};
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = data;
    for segment in parents {
        node = match (node, segment) {
            (Value::List(items), PathSegment::Index(i)) => match items.get_mut(*i) {
                Some(item) => item,
                None => return,
            },
            (node, PathSegment::Field(name)) => {
                if *node == Value::Null {
                    *node = Value::Object(Default::default());
                }
                let Value::Object(map) = node else {
                    return;
                };
                map.entry(Name::new(name)).or_insert(Value::Null)
            }
            _ => return,
        };
    }
    match (node, last) {
        (Value::List(items), PathSegment::Index(i)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        (node, PathSegment::Field(name)) => {
            if *node == Value::Null {
                *node = Value::Object(Default::default());
            }
            if let Value::Object(map) = node {
                map.entry(Name::new(name)).or_insert(Value::Null);
            }
        }
        _ => {}
    }
}

fn forced_status(error: &ServerError) -> Option<u16> {
    let value = error.extensions.as_ref()?.get(HTTP_STATUS)?;
    match value {
        async_graphql::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
}
