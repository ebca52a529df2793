//! The rows behind the GraphQL types and the queries that load them.
//!
//! Lookups of one row by key are prepared afresh each time, as an ORM without a statement
//! cache does: that, and resolving every foreign key with its own query, is the N+1 shape
//! that made claims search the bottleneck of the audited openIMIS.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};

use crate::db::DbError;

/// A row type with its column list and decoder.
pub(crate) trait FromRow: Sized {
    /// The columns, in decoding order, qualified with the alias `t`.
    const COLUMNS: &'static str;
    /// The table.
    const TABLE: &'static str;
    /// Decodes one row selected with [`Self::COLUMNS`].
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// One row by a key column (`t.id`, `t.uuid`...), with a freshly prepared statement.
pub(crate) fn one<T: FromRow>(
    conn: &Connection,
    key: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<T>, DbError> {
    let sql = format!("SELECT {} FROM {} t WHERE {key} = ?1", T::COLUMNS, T::TABLE);
    Ok(conn
        .prepare(&sql)?
        .query_row([value], T::from_row)
        .optional()?)
}

/// A filtered, ordered list query built from clauses and their parameters.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    params: Vec<SqlValue>,
}

impl Filter {
    /// Adds `clause` (with `?` placeholders) and its parameters.
    pub(crate) fn push(&mut self, clause: &str, params: impl IntoIterator<Item = SqlValue>) {
        self.clauses.push(clause.to_owned());
        self.params.extend(params);
    }

    /// Adds `clause` with one text parameter when `value` is set.
    pub(crate) fn text(&mut self, clause: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.push(clause, [SqlValue::Text(value.to_owned())]);
        }
    }

    /// `column LIKE %value%`, Django's `__icontains`.
    pub(crate) fn contains(&mut self, column: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.push(
                &format!("{column} LIKE ? ESCAPE '\\'"),
                [SqlValue::Text(format!("%{}%", escape_like(value)))],
            );
        }
    }

    /// `column LIKE value%`, Django's `__istartswith`.
    pub(crate) fn starts_with(&mut self, column: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.push(
                &format!("{column} LIKE ? ESCAPE '\\'"),
                [SqlValue::Text(format!("{}%", escape_like(value)))],
            );
        }
    }

    /// Adds `clause` with one integer parameter when `value` is set.
    pub(crate) fn int(&mut self, clause: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.push(clause, [SqlValue::Integer(value)]);
        }
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The rows `LIMIT limit OFFSET offset` in `order`.
    pub(crate) fn rows<T: FromRow>(
        &self,
        conn: &Connection,
        order: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<T>, DbError> {
        let sql = format!(
            "SELECT {} FROM {} t{} ORDER BY {order} LIMIT ? OFFSET ?",
            T::COLUMNS,
            T::TABLE,
            self.where_sql()
        );
        let mut params = self.params.clone();
        params.push(SqlValue::Integer(limit));
        params.push(SqlValue::Integer(offset));
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), T::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `COUNT(*)` of the filtered rows.
    pub(crate) fn count<T: FromRow>(&self, conn: &Connection) -> Result<i64, DbError> {
        let sql = format!("SELECT COUNT(*) FROM {} t{}", T::TABLE, self.where_sql());
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_row(params_from_iter(self.params.iter()), |r| r.get(0))?)
    }
}

fn escape_like(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `tblInsuree`.
#[derive(Debug, Clone)]
pub(crate) struct InsureeRow {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) chf_id: String,
    pub(crate) family_id: i64,
    pub(crate) head: bool,
    pub(crate) last_name: String,
    pub(crate) other_names: String,
    pub(crate) gender: String,
    pub(crate) dob: String,
    pub(crate) marital: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) profession_id: Option<i64>,
    pub(crate) education_id: Option<i64>,
    pub(crate) relation_id: Option<i64>,
    pub(crate) card_issued: bool,
    pub(crate) validity_from: String,
    pub(crate) passport: Option<String>,
    pub(crate) type_of_id: Option<String>,
    pub(crate) current_address: Option<String>,
    pub(crate) status: String,
}

impl FromRow for InsureeRow {
    const COLUMNS: &'static str = "t.id, t.uuid, t.chf_id, t.family_id, t.head, t.last_name, \
         t.other_names, t.gender, t.dob, t.marital, t.phone, t.email, t.profession_id, \
         t.education_id, t.relation_id, t.card_issued, t.validity_from, t.passport, \
         t.type_of_id, t.current_address, t.status";
    const TABLE: &'static str = "insurees";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            uuid: r.get(1)?,
            chf_id: r.get(2)?,
            family_id: r.get(3)?,
            head: r.get(4)?,
            last_name: r.get(5)?,
            other_names: r.get(6)?,
            gender: r.get(7)?,
            dob: r.get(8)?,
            marital: r.get(9)?,
            phone: r.get(10)?,
            email: r.get(11)?,
            profession_id: r.get(12)?,
            education_id: r.get(13)?,
            relation_id: r.get(14)?,
            card_issued: r.get(15)?,
            validity_from: r.get(16)?,
            passport: r.get(17)?,
            type_of_id: r.get(18)?,
            current_address: r.get(19)?,
            status: r.get(20)?,
        })
    }
}

/// `tblFamilies`.
#[derive(Debug, Clone)]
pub(crate) struct FamilyRow {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) head_insuree_id: i64,
    pub(crate) location_id: i64,
    pub(crate) poverty: bool,
    pub(crate) family_type: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) confirmation_no: String,
    pub(crate) confirmation_type: Option<String>,
    pub(crate) validity_from: String,
}

impl FromRow for FamilyRow {
    const COLUMNS: &'static str = "t.id, t.uuid, t.head_insuree_id, t.location_id, t.poverty, \
         t.family_type, t.address, t.confirmation_no, t.confirmation_type, t.validity_from";
    const TABLE: &'static str = "families";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            uuid: r.get(1)?,
            head_insuree_id: r.get(2)?,
            location_id: r.get(3)?,
            poverty: r.get(4)?,
            family_type: r.get(5)?,
            address: r.get(6)?,
            confirmation_no: r.get(7)?,
            confirmation_type: r.get(8)?,
            validity_from: r.get(9)?,
        })
    }
}

/// `tblLocations`: regions (`R`), districts (`D`), wards (`W`), villages (`V`).
#[derive(Debug, Clone)]
pub(crate) struct LocationRow {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) parent_id: Option<i64>,
}

impl FromRow for LocationRow {
    const COLUMNS: &'static str = "t.id, t.uuid, t.code, t.name, t.type, t.parent_id";
    const TABLE: &'static str = "locations";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            uuid: r.get(1)?,
            code: r.get(2)?,
            name: r.get(3)?,
            kind: r.get(4)?,
            parent_id: r.get(5)?,
        })
    }
}

/// `tblHF`.
#[derive(Debug, Clone)]
pub(crate) struct HealthFacilityRow {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) level: String,
    pub(crate) care_type: String,
    pub(crate) location_id: i64,
}

impl FromRow for HealthFacilityRow {
    const COLUMNS: &'static str =
        "t.id, t.uuid, t.code, t.name, t.level, t.care_type, t.location_id";
    const TABLE: &'static str = "health_facilities";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            uuid: r.get(1)?,
            code: r.get(2)?,
            name: r.get(3)?,
            level: r.get(4)?,
            care_type: r.get(5)?,
            location_id: r.get(6)?,
        })
    }
}

/// `tblClaim`.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRow {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) code: String,
    pub(crate) insuree_id: i64,
    pub(crate) health_facility_id: i64,
    pub(crate) icd_id: i64,
    pub(crate) visit_type: String,
    pub(crate) date_from: String,
    pub(crate) date_to: String,
    pub(crate) date_claimed: String,
    pub(crate) claimed: f64,
    pub(crate) approved: Option<f64>,
    pub(crate) status: i64,
}

impl FromRow for ClaimRow {
    const COLUMNS: &'static str = "t.id, t.uuid, t.code, t.insuree_id, t.health_facility_id, \
         t.icd_id, t.visit_type, t.date_from, t.date_to, t.date_claimed, t.claimed, t.approved, \
         t.status";
    const TABLE: &'static str = "claims";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            uuid: r.get(1)?,
            code: r.get(2)?,
            insuree_id: r.get(3)?,
            health_facility_id: r.get(4)?,
            icd_id: r.get(5)?,
            visit_type: r.get(6)?,
            date_from: r.get(7)?,
            date_to: r.get(8)?,
            date_claimed: r.get(9)?,
            claimed: r.get(10)?,
            approved: r.get(11)?,
            status: r.get(12)?,
        })
    }
}

/// A claim's item or service line: (item or service id, quantity, price, status).
#[derive(Debug, Clone)]
pub(crate) struct LineRow {
    pub(crate) id: i64,
    pub(crate) target_id: i64,
    pub(crate) qty: i64,
    pub(crate) price: f64,
    pub(crate) status: i64,
}

/// The item or service lines of a claim, from `table` (`claim_items`, `claim_services`).
pub(crate) fn lines(
    conn: &Connection,
    table: &str,
    target: &str,
    claim_id: i64,
) -> Result<Vec<LineRow>, DbError> {
    let sql = format!(
        "SELECT id, {target}, qty, price, status FROM {table} WHERE claim_id = ?1 ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([claim_id], |r| {
        Ok(LineRow {
            id: r.get(0)?,
            target_id: r.get(1)?,
            qty: r.get(2)?,
            price: r.get(3)?,
            status: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `tblItems` / `tblServices`.
#[derive(Debug, Clone)]
pub(crate) struct MedicalRow {
    pub(crate) id: i64,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) price: f64,
}

/// One medical item or service by id.
pub(crate) fn medical(
    conn: &Connection,
    table: &str,
    id: i64,
) -> Result<Option<MedicalRow>, DbError> {
    let sql = format!("SELECT id, code, name, price FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare(&sql)?
        .query_row([id], |r| {
            Ok(MedicalRow {
                id: r.get(0)?,
                code: r.get(1)?,
                name: r.get(2)?,
                price: r.get(3)?,
            })
        })
        .optional()?)
}

/// `tblOfficer`.
#[derive(Debug, Clone)]
pub(crate) struct OfficerRow {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) code: String,
    pub(crate) last_name: String,
    pub(crate) other_names: String,
    pub(crate) dob: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) location_id: Option<i64>,
}

impl FromRow for OfficerRow {
    const COLUMNS: &'static str =
        "t.id, t.uuid, t.code, t.last_name, t.other_names, t.dob, t.phone, t.location_id";
    const TABLE: &'static str = "officers";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            uuid: r.get(1)?,
            code: r.get(2)?,
            last_name: r.get(3)?,
            other_names: r.get(4)?,
            dob: r.get(5)?,
            phone: r.get(6)?,
            location_id: r.get(7)?,
        })
    }
}

/// `core_Mutation_Log`.
#[derive(Debug, Clone)]
pub(crate) struct MutationLogRow {
    pub(crate) uuid: String,
    pub(crate) client_mutation_id: Option<String>,
    pub(crate) client_mutation_label: Option<String>,
    pub(crate) client_mutation_details: Option<String>,
    pub(crate) json_content: String,
    pub(crate) request_date_time: String,
    pub(crate) status: i64,
    pub(crate) error: Option<String>,
}

impl FromRow for MutationLogRow {
    const COLUMNS: &'static str = "t.uuid, t.client_mutation_id, t.client_mutation_label, \
         t.client_mutation_details, t.json_content, t.request_date_time, t.status, t.error";
    const TABLE: &'static str = "mutation_logs";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            uuid: r.get(0)?,
            client_mutation_id: r.get(1)?,
            client_mutation_label: r.get(2)?,
            client_mutation_details: r.get(3)?,
            json_content: r.get(4)?,
            request_date_time: r.get(5)?,
            status: r.get(6)?,
            error: r.get(7)?,
        })
    }
}

/// A code list (genders, family types...): `(key, label, sort order)` rows of `sql`.
pub(crate) fn code_list(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<(SqlValue, String, Option<i64>)>, DbError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The insurees a mutation touched.
pub(crate) fn mutation_insurees(
    conn: &Connection,
    mutation: &str,
) -> Result<Vec<InsureeRow>, DbError> {
    let sql = format!(
        "SELECT {} FROM insurees t JOIN insuree_mutations m ON m.insuree_id = t.id
         WHERE m.mutation_uuid = ?1 ORDER BY t.id",
        InsureeRow::COLUMNS
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([mutation], InsureeRow::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
