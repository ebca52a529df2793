//! `GET /api/families/{id}`.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde::Serialize;

use super::insurees::{
    FamilySummary, InsureeSummary, Policy, SUMMARY_COLUMNS, load_family, load_policies,
};
use super::{ApiError, AppState};
use crate::auth::AuthUser;

/// A family with its members (head first) and policies.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FamilyDetail {
    #[serde(flatten)]
    family: FamilySummary,
    members: Vec<InsureeSummary>,
    policies: Vec<Policy>,
}

/// `GET /api/families/{id}`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    _user: AuthUser,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<FamilyDetail>, ApiError> {
    let Path(id) = path?;
    let found = state
        .pool
        .run(move |conn| {
            let Some(family) = load_family(conn, id)? else {
                return Ok(None);
            };
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM insurees i WHERE i.family_id = ?1
                 ORDER BY i.head DESC, i.id"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let members = stmt
                .query_map([id], InsureeSummary::from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let policies = load_policies(conn, id)?;
            Ok(Some(FamilyDetail {
                family,
                members,
                policies,
            }))
        })
        .await?;
    found
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("family {id} not found")))
}
