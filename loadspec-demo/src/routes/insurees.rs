//! Insuree search, detail and creation.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params_from_iter};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, FieldError};
use crate::auth::AuthUser;
use crate::chf::is_valid_insurance_number;
use crate::date::{days_from_civil, format_day, parse_day, today};
use crate::db::DbError;

/// Columns of [`InsureeSummary`], for `SELECT`s on `insurees i`.
pub(super) const SUMMARY_COLUMNS: &str =
    "i.id, i.chf_id, i.last_name, i.other_names, i.gender, i.dob, i.family_id, i.head, i.phone";

/// An insuree in lists (search results, family members).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InsureeSummary {
    id: i64,
    chf_id: String,
    last_name: String,
    other_names: String,
    gender: String,
    dob: String,
    family_id: i64,
    head: bool,
    phone: Option<String>,
}

impl InsureeSummary {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            chf_id: r.get(1)?,
            last_name: r.get(2)?,
            other_names: r.get(3)?,
            gender: r.get(4)?,
            dob: r.get(5)?,
            family_id: r.get(6)?,
            head: r.get(7)?,
            phone: r.get(8)?,
        })
    }
}

/// A family as shown on the insuree page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FamilySummary {
    id: i64,
    head_insuree_id: i64,
    location_id: i64,
    location_code: String,
    location_name: String,
    poverty_status: bool,
    family_type: Option<String>,
    address: Option<String>,
}

/// Loads a family (with its village) by id.
pub(super) fn load_family(conn: &Connection, id: i64) -> Result<Option<FamilySummary>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.head_insuree_id, f.location_id, l.code, l.name, f.poverty,
                f.family_type, f.address
         FROM families f JOIN locations l ON l.id = f.location_id WHERE f.id = ?1",
    )?;
    Ok(stmt
        .query_row([id], |r| {
            Ok(FamilySummary {
                id: r.get(0)?,
                head_insuree_id: r.get(1)?,
                location_id: r.get(2)?,
                location_code: r.get(3)?,
                location_name: r.get(4)?,
                poverty_status: r.get(5)?,
                family_type: r.get(6)?,
                address: r.get(7)?,
            })
        })
        .optional()?)
}

/// A policy of a family.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Policy {
    id: i64,
    product_code: String,
    product_name: String,
    enroll_date: String,
    start_date: String,
    effective_date: Option<String>,
    expiry_date: String,
    status: i64,
    value: f64,
}

/// Loads the policies of a family, newest first.
pub(super) fn load_policies(conn: &Connection, family_id: i64) -> Result<Vec<Policy>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, pr.code, pr.name, p.enroll_date, p.start_date, p.effective_date,
                p.expiry_date, p.status, p.value
         FROM policies p JOIN products pr ON pr.id = p.product_id
         WHERE p.family_id = ?1 ORDER BY p.start_date DESC, p.id DESC",
    )?;
    let rows = stmt.query_map([family_id], |r| {
        Ok(Policy {
            id: r.get(0)?,
            product_code: r.get(1)?,
            product_name: r.get(2)?,
            enroll_date: r.get(3)?,
            start_date: r.get(4)?,
            effective_date: r.get(5)?,
            expiry_date: r.get(6)?,
            status: r.get(7)?,
            value: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchPage {
    total: i64,
    page: u32,
    page_size: u32,
    results: Vec<InsureeSummary>,
}

/// A `LIKE ... ESCAPE '\'` prefix pattern for `term` (`%`, `_` and `\` taken literally).
fn like_prefix(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `GET /api/insurees?q=&page=&page_size=`: an all-digit `q` is an insurance-number prefix
/// (an index range), anything else must match, term by whitespace-separated term, the
/// start of the last or other names, case-insensitively (`istartswith`, served by the
/// NOCASE name indexes). Results are ordered by name (by number for number searches).
pub(crate) async fn search(
    State(state): State<AppState>,
    _user: AuthUser,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<SearchPage>, ApiError> {
    let Query(query) = query?;
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(10);
    if page == 0 {
        return Err(ApiError::BadRequest("page starts at 1".into()));
    }
    if !(1..=100).contains(&page_size) {
        return Err(ApiError::BadRequest(
            "page_size must be between 1 and 100".into(),
        ));
    }
    let q = query.q.unwrap_or_default();
    let q = q.trim();
    let mut filter = String::from("1 = 1");
    let mut params = Vec::new();
    let mut order = "i.last_name, i.other_names, i.id";
    if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) {
        order = "i.chf_id";
        // ':' sorts right after '9', so [q, q + ':') is every string starting with q.
        filter.push_str(" AND i.chf_id >= ? AND i.chf_id < ?");
        params.push(SqlValue::Text(q.to_owned()));
        params.push(SqlValue::Text(format!("{q}:")));
    } else {
        for term in q.split_whitespace().take(5) {
            filter.push_str(
                " AND (i.last_name LIKE ? ESCAPE '\\' OR i.other_names LIKE ? ESCAPE '\\')",
            );
            let pattern = like_prefix(term);
            params.push(SqlValue::Text(pattern.clone()));
            params.push(SqlValue::Text(pattern));
        }
    }
    let count_sql = format!("SELECT COUNT(*) FROM insurees i WHERE {filter}");
    let page_sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM insurees i WHERE {filter}
         ORDER BY {order} LIMIT ? OFFSET ?"
    );
    let offset = i64::from(page - 1) * i64::from(page_size);
    let (total, results) = state
        .pool
        .run(move |conn| {
            let total: i64 = conn
                .prepare_cached(&count_sql)?
                .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
            params.push(SqlValue::Integer(i64::from(page_size)));
            params.push(SqlValue::Integer(offset));
            let mut stmt = conn.prepare_cached(&page_sql)?;
            let rows = stmt.query_map(params_from_iter(params.iter()), InsureeSummary::from_row)?;
            Ok((total, rows.collect::<Result<Vec<_>, _>>()?))
        })
        .await?;
    Ok(Json(SearchPage {
        total,
        page,
        page_size,
        results,
    }))
}

/// The insuree page: the insuree, its family and the family's policies.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InsureeDetail {
    id: i64,
    chf_id: String,
    last_name: String,
    other_names: String,
    gender: String,
    dob: String,
    head: bool,
    marital: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    profession_id: Option<i64>,
    education_id: Option<i64>,
    relation_id: Option<i64>,
    card_issued: bool,
    validity_from: String,
    family: Option<FamilySummary>,
    policies: Vec<Policy>,
}

fn load_detail(conn: &Connection, chf_id: &str) -> Result<Option<InsureeDetail>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, chf_id, last_name, other_names, gender, dob, head, marital, phone, email,
                profession_id, education_id, relation_id, card_issued, validity_from, family_id
         FROM insurees WHERE chf_id = ?1",
    )?;
    let found = stmt
        .query_row([chf_id], |r| {
            Ok((
                InsureeDetail {
                    id: r.get(0)?,
                    chf_id: r.get(1)?,
                    last_name: r.get(2)?,
                    other_names: r.get(3)?,
                    gender: r.get(4)?,
                    dob: r.get(5)?,
                    head: r.get(6)?,
                    marital: r.get(7)?,
                    phone: r.get(8)?,
                    email: r.get(9)?,
                    profession_id: r.get(10)?,
                    education_id: r.get(11)?,
                    relation_id: r.get(12)?,
                    card_issued: r.get(13)?,
                    validity_from: r.get(14)?,
                    family: None,
                    policies: Vec::new(),
                },
                r.get::<_, i64>(15)?,
            ))
        })
        .optional()?;
    let Some((mut detail, family_id)) = found else {
        return Ok(None);
    };
    detail.family = load_family(conn, family_id)?;
    detail.policies = load_policies(conn, family_id)?;
    Ok(Some(detail))
}

/// `GET /api/insurees/{chf_id}`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    _user: AuthUser,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<InsureeDetail>, ApiError> {
    let Path(chf_id) = path?;
    let lookup = chf_id.clone();
    let detail = state
        .pool
        .run(move |conn| load_detail(conn, &lookup))
        .await?;
    detail
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("insuree {chf_id} not found")))
}

/// Body of `POST /api/insurees`; every field is optional here so that missing ones are
/// reported as field errors (422) rather than as a JSON error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateInsuree {
    chf_id: Option<String>,
    last_name: Option<String>,
    other_names: Option<String>,
    gender: Option<String>,
    dob: Option<String>,
    family_id: Option<i64>,
    new_family: Option<NewFamily>,
    marital: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    profession_id: Option<i64>,
    education_id: Option<i64>,
    relation_id: Option<i64>,
    card_issued: Option<bool>,
}

/// The family to create along with its head.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewFamily {
    location_id: Option<i64>,
    poverty_status: Option<bool>,
    family_type: Option<String>,
    address: Option<String>,
}

/// A request that passed the checks that need no database.
struct ValidInsuree {
    chf_id: String,
    last_name: String,
    other_names: String,
    gender: String,
    dob: String,
    family: FamilyChoice,
    marital: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    profession_id: Option<i64>,
    education_id: Option<i64>,
    relation_id: Option<i64>,
    card_issued: bool,
}

enum FamilyChoice {
    Existing(i64),
    New {
        location_id: i64,
        poverty: bool,
        family_type: Option<String>,
        address: Option<String>,
    },
}

fn required_text(
    value: Option<String>,
    field: &'static str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
    if value.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, format!("at most {max} characters")));
    }
    value
}

fn validate(body: CreateInsuree) -> Result<ValidInsuree, Vec<FieldError>> {
    let mut errors = Vec::new();
    let chf_id = required_text(body.chf_id, "chfId", 12, &mut errors);
    if !chf_id.is_empty() && !is_valid_insurance_number(&chf_id) {
        errors.push(FieldError::new(
            "chfId",
            "must be 9 digits, the last being the first 8 modulo 7",
        ));
    }
    let last_name = required_text(body.last_name, "lastName", 100, &mut errors);
    let other_names = required_text(body.other_names, "otherNames", 100, &mut errors);
    let gender = required_text(body.gender, "gender", 1, &mut errors);
    let dob = required_text(body.dob, "dob", 10, &mut errors);
    if !dob.is_empty() {
        match parse_day(&dob) {
            None => errors.push(FieldError::new("dob", "expected a date as YYYY-MM-DD")),
            Some(day) if day > today() => {
                errors.push(FieldError::new("dob", "must not be in the future"));
            }
            Some(day) if day < days_from_civil(1900, 1, 1) => {
                errors.push(FieldError::new("dob", "must not be before 1900-01-01"));
            }
            Some(_) => {}
        }
    }
    let marital = body.marital.filter(|m| !m.is_empty());
    if let Some(m) = &marital
        && !matches!(m.as_str(), "M" | "S" | "D" | "W" | "N")
    {
        errors.push(FieldError::new("marital", "expected one of M, S, D, W, N"));
    }
    let phone = body.phone.filter(|p| !p.trim().is_empty());
    if phone.as_ref().is_some_and(|p| p.len() > 50) {
        errors.push(FieldError::new("phone", "at most 50 characters"));
    }
    let email = body.email.filter(|e| !e.trim().is_empty());
    if email
        .as_ref()
        .is_some_and(|e| !e.contains('@') || e.len() > 100)
    {
        errors.push(FieldError::new("email", "not an email address"));
    }
    let family = match (body.family_id, body.new_family) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "familyId",
                "give either familyId or newFamily, not both",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "familyId",
                "either familyId or newFamily is required",
            ));
            None
        }
        (Some(id), None) => Some(FamilyChoice::Existing(id)),
        (None, Some(new)) => match new.location_id {
            None => {
                errors.push(FieldError::new("newFamily.locationId", "required"));
                None
            }
            Some(location_id) => Some(FamilyChoice::New {
                location_id,
                poverty: new.poverty_status.unwrap_or(false),
                family_type: new.family_type,
                address: new.address,
            }),
        },
    };
    match family {
        Some(family) if errors.is_empty() => Ok(ValidInsuree {
            chf_id,
            last_name,
            other_names,
            gender,
            dob,
            family,
            marital,
            phone,
            email,
            profession_id: body.profession_id,
            education_id: body.education_id,
            relation_id: body.relation_id,
            card_issued: body.card_issued.unwrap_or(false),
        }),
        _ => Err(errors),
    }
}

fn exists(conn: &Connection, sql: &str, value: SqlValue) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([value], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Checks the references, then inserts (creating the family first if asked) in one
/// immediate transaction: the write lock is taken up front, so contention shows up as
/// `database is locked` right there.
fn insert(
    conn: &mut Connection,
    new: ValidInsuree,
    user_id: i64,
) -> Result<Result<InsureeDetail, ApiError>, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut errors = Vec::new();
    let checks: [(&'static str, &str, Option<SqlValue>, &str); 4] = [
        (
            "gender",
            "SELECT 1 FROM genders WHERE code = ?1",
            Some(SqlValue::Text(new.gender.clone())),
            "unknown gender code",
        ),
        (
            "professionId",
            "SELECT 1 FROM professions WHERE id = ?1",
            new.profession_id.map(SqlValue::Integer),
            "unknown profession",
        ),
        (
            "educationId",
            "SELECT 1 FROM education_levels WHERE id = ?1",
            new.education_id.map(SqlValue::Integer),
            "unknown education level",
        ),
        (
            "relationId",
            "SELECT 1 FROM relations WHERE id = ?1",
            new.relation_id.map(SqlValue::Integer),
            "unknown relation",
        ),
    ];
    for (field, sql, value, message) in checks {
        if let Some(value) = value
            && !exists(&tx, sql, value)?
        {
            errors.push(FieldError::new(field, message));
        }
    }
    match &new.family {
        FamilyChoice::Existing(id) => {
            if !exists(
                &tx,
                "SELECT 1 FROM families WHERE id = ?1",
                SqlValue::Integer(*id),
            )? {
                errors.push(FieldError::new(
                    "familyId",
                    format!("family {id} not found"),
                ));
            }
        }
        FamilyChoice::New {
            location_id,
            family_type,
            ..
        } => {
            let village = "SELECT 1 FROM locations WHERE id = ?1 AND type = 'V'";
            if !exists(&tx, village, SqlValue::Integer(*location_id))? {
                errors.push(FieldError::new(
                    "newFamily.locationId",
                    "not a village location id",
                ));
            }
            if let Some(kind) = family_type {
                let sql = "SELECT 1 FROM family_types WHERE code = ?1";
                if !exists(&tx, sql, SqlValue::Text(kind.clone()))? {
                    errors.push(FieldError::new(
                        "newFamily.familyType",
                        "unknown family type",
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(ApiError::Validation(errors)));
    }
    let taken = "SELECT 1 FROM insurees WHERE chf_id = ?1";
    if exists(&tx, taken, SqlValue::Text(new.chf_id.clone()))? {
        return Ok(Err(ApiError::Conflict(format!(
            "insurance number {} already exists",
            new.chf_id
        ))));
    }
    let (family_id, head) = match &new.family {
        FamilyChoice::Existing(id) => (*id, false),
        FamilyChoice::New {
            location_id,
            poverty,
            family_type,
            address,
        } => {
            // The head is not known yet; 0 until the insuree row exists.
            tx.prepare_cached(
                "INSERT INTO families (head_insuree_id, location_id, poverty, family_type, address)
                 VALUES (0, ?1, ?2, ?3, ?4)",
            )?
            .execute((location_id, poverty, family_type, address))?;
            (tx.last_insert_rowid(), true)
        }
    };
    tx.prepare_cached(
        "INSERT INTO insurees (chf_id, family_id, head, last_name, other_names, gender, dob,
             marital, phone, email, profession_id, education_id, relation_id, card_issued,
             validity_from, audit_user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(rusqlite::params![
        new.chf_id,
        family_id,
        head,
        new.last_name,
        new.other_names,
        new.gender,
        new.dob,
        new.marital,
        new.phone,
        new.email,
        new.profession_id,
        new.education_id,
        if head { None } else { new.relation_id },
        new.card_issued,
        format_day(today()),
        user_id,
    ])?;
    if head {
        let insuree_id = tx.last_insert_rowid();
        tx.prepare_cached("UPDATE families SET head_insuree_id = ?1 WHERE id = ?2")?
            .execute((insuree_id, family_id))?;
    }
    tx.commit()?;
    match load_detail(conn, &new.chf_id)? {
        Some(detail) => Ok(Ok(detail)),
        None => Ok(Err(ApiError::Internal("created insuree vanished".into()))),
    }
}

/// `POST /api/insurees`: 201 with the created insuree, 409 if the insurance number exists,
/// 422 with `fields` when validation fails.
pub(crate) async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<CreateInsuree>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let valid = validate(body).map_err(ApiError::Validation)?;
    let created = state
        .pool
        .run(move |conn| insert(conn, valid, user.user_id))
        .await;
    let detail = match created {
        Ok(result) => result?,
        // Two creators racing for the same number: the UNIQUE index decides.
        Err(DbError::Sqlite(e))
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
        {
            return Err(ApiError::Conflict("insurance number already exists".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let location = format!("/api/insurees/{}", detail.chf_id);
    let mut response = (StatusCode::CREATED, Json(detail)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}
