//! `POST /api/graphql`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json_;

use super::{ApiError, AppState};
use crate::auth::AuthUser;
use crate::graphql::{self, Out};

/// A standard GraphQL-over-HTTP request body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphqlRequest {
    query: Option<String>,
    variables: Option<Json_>,
    operation_name: Option<String>,
}

#[derive(Serialize)]
struct DataBody {
    data: Out,
}

/// Answers 200 with `{"data": ...}`, or 200 with `{"errors": [...], "data": null}` for
/// syntax, validation and argument errors (like graphene); database failures are HTTP
/// errors (503 when SQLite is locked, 500 otherwise), like an exception escaping the view.
pub(crate) async fn graphql(
    State(state): State<AppState>,
    _user: AuthUser,
    body: Result<Json<GraphqlRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let Some(query) = body.query.filter(|q| !q.trim().is_empty()) else {
        let errors = [graphql::GqlError::new("Must provide query string.", None)];
        return Ok(Json(graphql::error_body(&errors)).into_response());
    };
    let planned = match graphql::prepare(
        &query,
        body.operation_name.as_deref(),
        body.variables.as_ref(),
    ) {
        Ok(planned) => planned,
        Err(errors) => return Ok(Json(graphql::error_body(&errors)).into_response()),
    };
    let data = state
        .pool
        .run(move |conn| graphql::exec::execute(conn, &planned))
        .await?;
    Ok(Json(DataBody { data }).into_response())
}
