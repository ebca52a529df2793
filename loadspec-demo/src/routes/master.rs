//! Master data the insuree form loads when it opens.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Row, params_from_iter};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::auth::AuthUser;

/// Runs `sql` with `params` and maps every row.
async fn list<T: Send + 'static>(
    state: &AppState,
    sql: String,
    params: Vec<SqlValue>,
    map: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Json<Vec<T>>, ApiError> {
    let rows = state
        .pool
        .run(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(params), map)?;
            Ok(rows.collect::<Result<Vec<T>, _>>()?)
        })
        .await?;
    Ok(Json(rows))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    id: i64,
    code: String,
    name: String,
    r#type: String,
    parent_id: Option<i64>,
}

#[derive(Deserialize)]
pub(crate) struct LocationQuery {
    r#type: Option<String>,
    parent: Option<i64>,
}

/// `GET /api/locations?type=R|D|W|V&parent=<id>`.
pub(crate) async fn locations(
    State(state): State<AppState>,
    _user: AuthUser,
    query: Result<Query<LocationQuery>, QueryRejection>,
) -> Result<Json<Vec<Location>>, ApiError> {
    let Query(query) = query?;
    let mut sql = String::from("SELECT id, code, name, type, parent_id FROM locations WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(kind) = query.r#type {
        if !matches!(kind.as_str(), "R" | "D" | "W" | "V") {
            return Err(ApiError::BadRequest(format!(
                "unknown location type '{kind}' (expected R, D, W or V)"
            )));
        }
        sql.push_str(" AND type = ?");
        params.push(SqlValue::Text(kind));
    }
    if let Some(parent) = query.parent {
        sql.push_str(" AND parent_id = ?");
        params.push(SqlValue::Integer(parent));
    }
    sql.push_str(" ORDER BY id");
    list(&state, sql, params, |r| {
        Ok(Location {
            id: r.get(0)?,
            code: r.get(1)?,
            name: r.get(2)?,
            r#type: r.get(3)?,
            parent_id: r.get(4)?,
        })
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Product {
    id: i64,
    code: String,
    name: String,
    location_id: Option<i64>,
    lump_sum: f64,
    premium_adult: f64,
    max_members: i64,
    insurance_period: i64,
    date_from: String,
    date_to: String,
}

/// `GET /api/products`.
pub(crate) async fn products(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<Product>>, ApiError> {
    let sql = "SELECT id, code, name, location_id, lump_sum, premium_adult, max_members,
                      insurance_period, date_from, date_to FROM products ORDER BY id";
    list(&state, sql.into(), Vec::new(), |r| {
        Ok(Product {
            id: r.get(0)?,
            code: r.get(1)?,
            name: r.get(2)?,
            location_id: r.get(3)?,
            lump_sum: r.get(4)?,
            premium_adult: r.get(5)?,
            max_members: r.get(6)?,
            insurance_period: r.get(7)?,
            date_from: r.get(8)?,
            date_to: r.get(9)?,
        })
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Gender {
    code: String,
    gender: String,
    sort_order: i64,
}

/// `GET /api/genders`.
pub(crate) async fn genders(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<Gender>>, ApiError> {
    let sql = "SELECT code, gender, sort_order FROM genders ORDER BY sort_order";
    list(&state, sql.into(), Vec::new(), |r| {
        Ok(Gender {
            code: r.get(0)?,
            gender: r.get(1)?,
            sort_order: r.get(2)?,
        })
    })
    .await
}

/// An `{ "id", "<label>" }` row of the small lookup tables; the label field is renamed per
/// table by the handlers.
#[derive(Serialize)]
pub(crate) struct Labelled {
    id: i64,
    #[serde(flatten)]
    label: serde_json::Map<String, serde_json::Value>,
}

async fn labelled(
    state: &AppState,
    table: &'static str,
    column: &'static str,
) -> Result<Json<Vec<Labelled>>, ApiError> {
    let sql = format!("SELECT id, {column} FROM {table} ORDER BY id");
    let Json(rows) = list(state, sql, Vec::new(), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(id, label)| {
                let mut map = serde_json::Map::new();
                map.insert(column.to_owned(), label.into());
                Labelled { id, label: map }
            })
            .collect(),
    ))
}

/// `GET /api/professions` → `[{"id", "profession"}]`.
pub(crate) async fn professions(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<Labelled>>, ApiError> {
    labelled(&state, "professions", "profession").await
}

/// `GET /api/education-levels` → `[{"id", "education"}]`.
pub(crate) async fn education_levels(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<Labelled>>, ApiError> {
    labelled(&state, "education_levels", "education").await
}

/// `GET /api/relations` → `[{"id", "relation"}]`.
pub(crate) async fn relations(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<Labelled>>, ApiError> {
    labelled(&state, "relations", "relation").await
}

#[derive(Serialize)]
pub(crate) struct FamilyType {
    code: String,
    r#type: String,
}

/// `GET /api/family-types`.
pub(crate) async fn family_types(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<FamilyType>>, ApiError> {
    let sql = "SELECT code, type FROM family_types ORDER BY code";
    list(&state, sql.into(), Vec::new(), |r| {
        Ok(FamilyType {
            code: r.get(0)?,
            r#type: r.get(1)?,
        })
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthFacility {
    id: i64,
    code: String,
    name: String,
    level: String,
    care_type: String,
    location_id: i64,
}

#[derive(Deserialize)]
pub(crate) struct FacilityQuery {
    district: Option<i64>,
    level: Option<String>,
}

/// `GET /api/health-facilities?district=<location id>&level=H|C|D`.
pub(crate) async fn health_facilities(
    State(state): State<AppState>,
    _user: AuthUser,
    query: Result<Query<FacilityQuery>, QueryRejection>,
) -> Result<Json<Vec<HealthFacility>>, ApiError> {
    let Query(query) = query?;
    let mut sql = String::from(
        "SELECT id, code, name, level, care_type, location_id FROM health_facilities WHERE 1 = 1",
    );
    let mut params = Vec::new();
    if let Some(district) = query.district {
        sql.push_str(" AND location_id = ?");
        params.push(SqlValue::Integer(district));
    }
    if let Some(level) = query.level {
        sql.push_str(" AND level = ?");
        params.push(SqlValue::Text(level));
    }
    sql.push_str(" ORDER BY id");
    list(&state, sql, params, |r| {
        Ok(HealthFacility {
            id: r.get(0)?,
            code: r.get(1)?,
            name: r.get(2)?,
            level: r.get(3)?,
            care_type: r.get(4)?,
            location_id: r.get(5)?,
        })
    })
    .await
}
