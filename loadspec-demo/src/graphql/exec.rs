//! Execution of a validated plan against SQLite, with the resolvers written the naive way
//! an ORM-backed GraphQL server resolves them: one query for the page of claims, then for
//! every claim one query per nested object (`insuree`, `healthFacility`, `items`,
//! `services`), and for every item line one more query for the item's code and name. This
//! N+1 pattern (N+1 squared for items) is the demo's deliberate bottleneck, as in the
//! audited openIMIS claims search. The nested queries are prepared afresh every time, as an
//! ORM without statement caching does.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::parser::GqlError;
use super::schema::Planned;
use crate::date::parse_day;
use crate::db::DbError;

/// A resolved value; objects keep the query's field order (serde_json's map would sort).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Out>),
    Object(Vec<(String, Out)>),
}

impl Serialize for Out {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(v) => s.serialize_bool(*v),
            Self::Int(v) => s.serialize_i64(*v),
            Self::Float(v) => s.serialize_f64(*v),
            Self::Str(v) => s.serialize_str(v),
            Self::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl From<Option<String>> for Out {
    fn from(v: Option<String>) -> Self {
        v.map_or(Self::Null, Self::Str)
    }
}

impl From<Option<f64>> for Out {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Self::Null, Self::Float)
    }
}

/// Largest page `claims(first:)` accepts.
pub(crate) const MAX_FIRST: i64 = 1000;

/// Checks the argument values the schema types cannot express.
pub(crate) fn check_arguments(fields: &[Planned]) -> Vec<GqlError> {
    let mut errors = Vec::new();
    for field in fields {
        if field.name == "claims" {
            if let Some(first) = field.int("first")
                && !(1..=MAX_FIRST).contains(&first)
            {
                errors.push(GqlError::new(
                    format!("Argument \"first\" must be between 1 and {MAX_FIRST}, got {first}."),
                    None,
                ));
            }
            if field.int("offset").is_some_and(|o| o < 0) {
                errors.push(GqlError::new(
                    "Argument \"offset\" must not be negative.",
                    None,
                ));
            }
            for date in ["dateFrom", "dateTo"] {
                if field.str(date).is_some_and(|d| parse_day(d).is_none()) {
                    errors.push(GqlError::new(
                        format!("Argument \"{date}\" expects a date as YYYY-MM-DD."),
                        None,
                    ));
                }
            }
        }
    }
    errors
}

/// Resolves the root fields into the `data` object.
pub(crate) fn execute(conn: &Connection, fields: &[Planned]) -> Result<Out, DbError> {
    let mut data = Vec::with_capacity(fields.len());
    for field in fields {
        let value = match field.name {
            "claims" => Out::List(
                claims_page(conn, field)?
                    .iter()
                    .map(|claim| resolve_claim(conn, claim, &field.children))
                    .collect::<Result<_, _>>()?,
            ),
            "claim" => {
                let code = field.str("code").unwrap_or_default().to_owned();
                let sql = format!("SELECT {CLAIM_COLUMNS} FROM claims c WHERE c.code = ?1");
                match conn
                    .prepare(&sql)?
                    .query_row([code], ClaimRow::from_row)
                    .optional()?
                {
                    Some(claim) => resolve_claim(conn, &claim, &field.children)?,
                    None => Out::Null,
                }
            }
            "insuree" => {
                let chf_id = field.str("chfId").unwrap_or_default().to_owned();
                let sql = format!("SELECT {INSUREE_COLUMNS} FROM insurees WHERE chf_id = ?1");
                match conn
                    .prepare(&sql)?
                    .query_row([chf_id], InsureeRow::from_row)
                    .optional()?
                {
                    Some(insuree) => insuree.resolve(&field.children),
                    None => Out::Null,
                }
            }
            _ => Out::Str(field.type_name.to_owned()),
        };
        data.push((field.key.clone(), value));
    }
    Ok(Out::Object(data))
}

const CLAIM_COLUMNS: &str = "c.id, c.code, c.insuree_id, c.health_facility_id, c.icd_id, \
     c.visit_type, c.date_from, c.date_to, c.date_claimed, c.claimed, c.approved, c.status";

struct ClaimRow {
    id: i64,
    code: String,
    insuree_id: i64,
    health_facility_id: i64,
    icd_id: i64,
    visit_type: String,
    date_from: String,
    date_to: String,
    date_claimed: String,
    claimed: f64,
    approved: Option<f64>,
    status: i64,
}

impl ClaimRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            code: r.get(1)?,
            insuree_id: r.get(2)?,
            health_facility_id: r.get(3)?,
            icd_id: r.get(4)?,
            visit_type: r.get(5)?,
            date_from: r.get(6)?,
            date_to: r.get(7)?,
            date_claimed: r.get(8)?,
            claimed: r.get(9)?,
            approved: r.get(10)?,
            status: r.get(11)?,
        })
    }
}

/// The one query for the page: filters, newest claims first.
fn claims_page(conn: &Connection, field: &Planned) -> Result<Vec<ClaimRow>, DbError> {
    let mut sql = format!("SELECT {CLAIM_COLUMNS} FROM claims c WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(chf_id) = field.str("insuree") {
        sql.push_str(" AND c.insuree_id = (SELECT id FROM insurees WHERE chf_id = ?)");
        params.push(SqlValue::Text(chf_id.to_owned()));
    }
    if let Some(code) = field.str("healthFacility") {
        sql.push_str(
            " AND c.health_facility_id = (SELECT id FROM health_facilities WHERE code = ?)",
        );
        params.push(SqlValue::Text(code.to_owned()));
    }
    if let Some(status) = field.int("status") {
        sql.push_str(" AND c.status = ?");
        params.push(SqlValue::Integer(status));
    }
    if let Some(from) = field.str("dateFrom") {
        sql.push_str(" AND c.date_claimed >= ?");
        params.push(SqlValue::Text(from.to_owned()));
    }
    if let Some(to) = field.str("dateTo") {
        sql.push_str(" AND c.date_claimed <= ?");
        params.push(SqlValue::Text(to.to_owned()));
    }
    sql.push_str(" ORDER BY c.date_claimed DESC, c.id DESC LIMIT ? OFFSET ?");
    params.push(SqlValue::Integer(field.int("first").unwrap_or(20)));
    params.push(SqlValue::Integer(field.int("offset").unwrap_or(0)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), ClaimRow::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn resolve_claim(conn: &Connection, claim: &ClaimRow, fields: &[Planned]) -> Result<Out, DbError> {
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let value = match field.name {
            "id" => Out::Int(claim.id),
            "code" => Out::Str(claim.code.clone()),
            "visitType" => Out::Str(claim.visit_type.clone()),
            "dateFrom" => Out::Str(claim.date_from.clone()),
            "dateTo" => Out::Str(claim.date_to.clone()),
            "dateClaimed" => Out::Str(claim.date_claimed.clone()),
            "claimed" => Out::Float(claim.claimed),
            "approved" => claim.approved.into(),
            "status" => Out::Int(claim.status),
            "insuree" => {
                let sql = format!("SELECT {INSUREE_COLUMNS} FROM insurees WHERE id = ?1");
                match conn
                    .prepare(&sql)?
                    .query_row([claim.insuree_id], InsureeRow::from_row)
                    .optional()?
                {
                    Some(insuree) => insuree.resolve(&field.children),
                    None => Out::Null,
                }
            }
            "healthFacility" => lookup(
                conn,
                "SELECT id, code, name, level FROM health_facilities WHERE id = ?1",
                claim.health_facility_id,
                &["id", "code", "name", "level"],
                &field.children,
            )?,
            "diagnosis" => lookup(
                conn,
                "SELECT id, code, name FROM diagnoses WHERE id = ?1",
                claim.icd_id,
                &["id", "code", "name"],
                &field.children,
            )?,
            "items" => lines(conn, claim.id, field, &ITEM_LINES)?,
            "services" => lines(conn, claim.id, field, &SERVICE_LINES)?,
            _ => Out::Str(field.type_name.to_owned()),
        };
        out.push((field.key.clone(), value));
    }
    Ok(Out::Object(out))
}

/// Resolves a nested object by id with its own query; `columns` names the GraphQL field
/// each selected SQL column answers.
fn lookup(
    conn: &Connection,
    sql: &str,
    id: i64,
    columns: &[&str],
    fields: &[Planned],
) -> Result<Out, DbError> {
    let row = conn
        .prepare(sql)?
        .query_row([id], |r| {
            (0..columns.len())
                .map(|i| r.get::<_, SqlValue>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .optional()?;
    let Some(row) = row else {
        return Ok(Out::Null);
    };
    Ok(Out::Object(
        fields
            .iter()
            .map(|f| {
                let value = match columns.iter().position(|c| *c == f.name) {
                    Some(i) => match &row[i] {
                        SqlValue::Integer(v) => Out::Int(*v),
                        SqlValue::Real(v) => Out::Float(*v),
                        SqlValue::Text(v) => Out::Str(v.clone()),
                        SqlValue::Null | SqlValue::Blob(_) => Out::Null,
                    },
                    None => Out::Str(f.type_name.to_owned()),
                };
                (f.key.clone(), value)
            })
            .collect(),
    ))
}

const INSUREE_COLUMNS: &str =
    "id, chf_id, last_name, other_names, gender, dob, head, phone, email, family_id";

struct InsureeRow {
    id: i64,
    chf_id: String,
    last_name: String,
    other_names: String,
    gender: String,
    dob: String,
    head: bool,
    phone: Option<String>,
    email: Option<String>,
    family_id: i64,
}

impl InsureeRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            chf_id: r.get(1)?,
            last_name: r.get(2)?,
            other_names: r.get(3)?,
            gender: r.get(4)?,
            dob: r.get(5)?,
            head: r.get(6)?,
            phone: r.get(7)?,
            email: r.get(8)?,
            family_id: r.get(9)?,
        })
    }

    fn resolve(self, fields: &[Planned]) -> Out {
        Out::Object(
            fields
                .iter()
                .map(|f| {
                    let v = match f.name {
                        "id" => Out::Int(self.id),
                        "chfId" => Out::Str(self.chf_id.clone()),
                        "lastName" => Out::Str(self.last_name.clone()),
                        "otherNames" => Out::Str(self.other_names.clone()),
                        "gender" => Out::Str(self.gender.clone()),
                        "dob" => Out::Str(self.dob.clone()),
                        "head" => Out::Bool(self.head),
                        "phone" => self.phone.clone().into(),
                        "email" => self.email.clone().into(),
                        "familyId" => Out::Int(self.family_id),
                        _ => Out::Str(f.type_name.to_owned()),
                    };
                    (f.key.clone(), v)
                })
                .collect(),
        )
    }
}

/// Where the item or service lines of a claim live.
struct LineTables {
    lines_sql: &'static str,
    lookup_sql: &'static str,
    code_field: &'static str,
    name_field: &'static str,
}

const ITEM_LINES: LineTables = LineTables {
    lines_sql: "SELECT item_id, qty, price, status FROM claim_items WHERE claim_id = ?1 ORDER BY id",
    lookup_sql: "SELECT code, name FROM medical_items WHERE id = ?1",
    code_field: "itemCode",
    name_field: "itemName",
};

const SERVICE_LINES: LineTables = LineTables {
    lines_sql: "SELECT service_id, qty, price, status FROM claim_services WHERE claim_id = ?1 ORDER BY id",
    lookup_sql: "SELECT code, name FROM medical_services WHERE id = ?1",
    code_field: "serviceCode",
    name_field: "serviceName",
};

fn lines(
    conn: &Connection,
    claim_id: i64,
    field: &Planned,
    tables: &LineTables,
) -> Result<Out, DbError> {
    let mut stmt = conn.prepare(tables.lines_sql)?;
    let rows = stmt
        .query_map([claim_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let wants_lookup = field.selects(&[tables.code_field, tables.name_field]);
    let mut out = Vec::with_capacity(rows.len());
    for (target, qty, price, status) in rows {
        let (code, name) = if wants_lookup {
            conn.prepare(tables.lookup_sql)?
                .query_row([target], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                    ))
                })
                .optional()?
                .unwrap_or((None, None))
        } else {
            (None, None)
        };
        let object = field
            .children
            .iter()
            .map(|f| {
                let v = match f.name {
                    n if n == tables.code_field => code.clone().into(),
                    n if n == tables.name_field => name.clone().into(),
                    "qty" => Out::Int(qty),
                    "price" => Out::Float(price),
                    "status" => Out::Int(status),
                    _ => Out::Str(f.type_name.to_owned()),
                };
                (f.key.clone(), v)
            })
            .collect();
        out.push(Out::Object(object));
    }
    Ok(Out::List(out))
}
