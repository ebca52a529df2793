//! The root `Query`: the fields openIMIS' insuree, family and claim screens use, with the
//! filter arguments of graphene-django's filter sets (`lastName_Icontains`, `chfId`...).

use async_graphql::{Context, Object};
use rusqlite::types::Value as SqlValue;

use super::relay::{PageArgs, decode_global_id};
use super::rows::{
    self, ClaimRow, FamilyRow, Filter, HealthFacilityRow, LocationRow, MutationLogRow, OfficerRow,
};
use super::types::{
    Claim, ClaimConnection, ConfirmationType, Education, Family, FamilyConnection, FamilyType,
    Gender, HealthFacility, HealthFacilityConnection, IdentificationType, InsureeConnection,
    Location, LocationConnection, ModuleConfiguration, MutationLog, MutationLogConnection, Officer,
    OfficerConnection, Profession, Relation, UserDistrict, UserRegion, ValidationMessage,
    insuree_page, page_of,
};
use super::{GqlResult, sql, user};

/// The root query type.
pub(crate) struct Query;

/// `orderBy` values to SQL: each `(graphql name, column)` pair also answers to its
/// snake-case name, `-` sorts descending, and the primary key breaks ties.
fn sql_order(
    order: Option<Vec<String>>,
    columns: &[(&str, &str)],
    default: &str,
) -> GqlResult<String> {
    let Some(order) = order.filter(|o| !o.is_empty()) else {
        return Ok(default.to_owned());
    };
    let mut sql_order = Vec::new();
    for item in &order {
        let (desc, name) = match item.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, item.as_str()),
        };
        let column = columns
            .iter()
            .find(|(graphql, column)| {
                *graphql == name || column.strip_prefix("t.").is_some_and(|c| c == name)
            })
            .map(|(_, column)| *column)
            .ok_or_else(|| format!("Cannot resolve keyword '{name}' into field."))?;
        sql_order.push(format!("{column}{}", if desc { " DESC" } else { "" }));
    }
    sql_order.push("t.id".to_owned());
    Ok(sql_order.join(", "))
}

const INSUREE_ORDER: &[(&str, &str)] = &[
    ("id", "t.id"),
    ("chfId", "t.chf_id"),
    ("lastName", "t.last_name"),
    ("otherNames", "t.other_names"),
    ("dob", "t.dob"),
    ("validityFrom", "t.validity_from"),
];

/// Families located under `uuid` at `level` (0 region, 1 district, 2 ward, 3 village).
const LOCATION_ANCESTOR: [&str; 4] = [
    "SELECT v.id FROM locations v JOIN locations w ON w.id = v.parent_id JOIN locations d ON d.id = w.parent_id JOIN locations r ON r.id = d.parent_id WHERE r.uuid = ?",
    "SELECT v.id FROM locations v JOIN locations w ON w.id = v.parent_id JOIN locations d ON d.id = w.parent_id WHERE d.uuid = ?",
    "SELECT v.id FROM locations v JOIN locations w ON w.id = v.parent_id WHERE w.uuid = ?",
    "SELECT v.id FROM locations v WHERE v.uuid = ?",
];

fn location_level(level: Option<i64>) -> &'static str {
    let level = usize::try_from(level.unwrap_or(0)).unwrap_or(0).min(3);
    LOCATION_ANCESTOR[level]
}

fn page(
    first: Option<i64>,
    last: Option<i64>,
    offset: Option<i64>,
    after: Option<String>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        last,
        offset,
        after,
        before,
    }
}

#[Object(name = "Query")]
impl Query {
    /// Insurees, filtered like openIMIS' `InsureeFilter`; current ones only (no history).
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn insurees(
        &self,
        ctx: &Context<'_>,
        show_history: Option<bool>,
        parent_location: Option<String>,
        parent_location_level: Option<i64>,
        client_mutation_id: Option<String>,
        ignore_location: Option<bool>,
        order_by: Option<Vec<String>>,
        additional_filters: Option<String>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        uuid: Option<String>,
        #[graphql(name = "chfId")] chf_id: Option<String>,
        #[graphql(name = "chfId_Istartswith")] chf_id_istartswith: Option<String>,
        #[graphql(name = "chfId_Icontains")] chf_id_icontains: Option<String>,
        #[graphql(name = "lastName")] last_name: Option<String>,
        #[graphql(name = "lastName_Istartswith")] last_name_istartswith: Option<String>,
        #[graphql(name = "lastName_Icontains")] last_name_icontains: Option<String>,
        #[graphql(name = "otherNames_Istartswith")] other_names_istartswith: Option<String>,
        #[graphql(name = "otherNames_Icontains")] other_names_icontains: Option<String>,
        #[graphql(name = "gender_Code")] gender_code: Option<String>,
        marital: Option<String>,
        dob: Option<String>,
        #[graphql(name = "dob_Gte")] dob_gte: Option<String>,
        #[graphql(name = "dob_Lte")] dob_lte: Option<String>,
        head: Option<bool>,
        #[graphql(name = "family_Uuid")] family_uuid: Option<String>,
        #[graphql(name = "family_Isnull")] family_isnull: Option<bool>,
        #[graphql(name = "email_Icontains")] email_icontains: Option<String>,
        #[graphql(name = "phone_Icontains")] phone_icontains: Option<String>,
    ) -> GqlResult<Option<InsureeConnection>> {
        user(ctx)?;
        let _ = (show_history, ignore_location, additional_filters);
        let mut filter = Filter::default();
        filter.text("t.uuid = ?", uuid.as_deref());
        filter.text("t.chf_id = ?", chf_id.as_deref());
        filter.starts_with("t.chf_id", chf_id_istartswith.as_deref());
        filter.contains("t.chf_id", chf_id_icontains.as_deref());
        filter.text("t.last_name = ?", last_name.as_deref());
        filter.starts_with("t.last_name", last_name_istartswith.as_deref());
        filter.contains("t.last_name", last_name_icontains.as_deref());
        filter.starts_with("t.other_names", other_names_istartswith.as_deref());
        filter.contains("t.other_names", other_names_icontains.as_deref());
        filter.text("t.gender = ?", gender_code.as_deref());
        filter.text("t.marital = ?", marital.as_deref());
        filter.text("t.dob = ?", dob.as_deref());
        filter.text("t.dob >= ?", dob_gte.as_deref());
        filter.text("t.dob <= ?", dob_lte.as_deref());
        filter.int("t.head = ?", head.map(i64::from));
        filter.text(
            "t.family_id = (SELECT id FROM families WHERE uuid = ?)",
            family_uuid.as_deref(),
        );
        if family_isnull == Some(true) {
            filter.push("t.family_id IS NULL", []);
        }
        filter.contains("t.email", email_icontains.as_deref());
        filter.contains("t.phone", phone_icontains.as_deref());
        filter.text(
            "t.id IN (SELECT m.insuree_id FROM insuree_mutations m JOIN mutation_logs l \
             ON l.uuid = m.mutation_uuid WHERE l.client_mutation_id = ?)",
            client_mutation_id.as_deref(),
        );
        if let Some(parent) = parent_location.as_deref() {
            filter.text(
                &format!(
                    "t.family_id IN (SELECT f.id FROM families f WHERE f.location_id IN ({}))",
                    location_level(parent_location_level)
                ),
                Some(parent),
            );
        }
        let order = sql_order(order_by, INSUREE_ORDER, "t.id")?;
        let args = page(first, last, offset, after, before);
        insuree_page(ctx, "insurees", &args, filter, &order).map(Some)
    }

    /// Families (current ones).
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn families(
        &self,
        ctx: &Context<'_>,
        null_as_false_poverty: Option<bool>,
        show_history: Option<bool>,
        parent_location: Option<String>,
        parent_location_level: Option<i64>,
        client_mutation_id: Option<String>,
        order_by: Option<Vec<String>>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        uuid: Option<String>,
        poverty: Option<bool>,
        #[graphql(name = "headInsuree_ChfId")] head_insuree_chf_id: Option<String>,
        #[graphql(name = "address_Icontains")] address_icontains: Option<String>,
    ) -> GqlResult<Option<FamilyConnection>> {
        user(ctx)?;
        let _ = (null_as_false_poverty, show_history, client_mutation_id);
        let mut filter = Filter::default();
        filter.text("t.uuid = ?", uuid.as_deref());
        filter.int("t.poverty = ?", poverty.map(i64::from));
        filter.text(
            "t.head_insuree_id = (SELECT id FROM insurees WHERE chf_id = ?)",
            head_insuree_chf_id.as_deref(),
        );
        filter.contains("t.address", address_icontains.as_deref());
        if let Some(parent) = parent_location.as_deref() {
            filter.text(
                &format!(
                    "t.location_id IN ({})",
                    location_level(parent_location_level)
                ),
                Some(parent),
            );
        }
        let order = sql_order(
            order_by,
            &[("id", "t.id"), ("validityFrom", "t.validity_from")],
            "t.id",
        )?;
        let args = page(first, last, offset, after, before);
        let (page, total) =
            page_of::<FamilyRow, _>(ctx, "families", &args, filter, &order, Family)?;
        Ok(Some(FamilyConnection::new(page, total)))
    }

    /// The members of one family.
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn family_members(
        &self,
        ctx: &Context<'_>,
        family_uuid: String,
        order_by: Option<Vec<String>>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        #[graphql(name = "chfId")] chf_id: Option<String>,
        #[graphql(name = "lastName_Icontains")] last_name_icontains: Option<String>,
    ) -> GqlResult<Option<InsureeConnection>> {
        user(ctx)?;
        let mut filter = Filter::default();
        filter.text(
            "t.family_id = (SELECT id FROM families WHERE uuid = ?)",
            Some(&family_uuid),
        );
        filter.text("t.chf_id = ?", chf_id.as_deref());
        filter.contains("t.last_name", last_name_icontains.as_deref());
        // Heads first, as openIMIS orders family members by default.
        let order = sql_order(order_by, INSUREE_ORDER, "t.head DESC, t.id")?;
        let args = page(first, last, offset, after, before);
        insuree_page(ctx, "familyMembers", &args, filter, &order).map(Some)
    }

    /// Claims; each claim's insuree, health facility, diagnosis and lines resolve with
    /// queries of their own (N+1).
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn claims(
        &self,
        ctx: &Context<'_>,
        order_by: Option<Vec<String>>,
        show_restored: Option<bool>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        uuid: Option<String>,
        code: Option<String>,
        #[graphql(name = "code_Istartswith")] code_istartswith: Option<String>,
        #[graphql(name = "code_Icontains")] code_icontains: Option<String>,
        status: Option<i64>,
        #[graphql(name = "insuree_ChfId")] insuree_chf_id: Option<String>,
        #[graphql(name = "healthFacility_Code")] health_facility_code: Option<String>,
        #[graphql(name = "healthFacility_Uuid")] health_facility_uuid: Option<String>,
        #[graphql(name = "dateClaimed_Gte")] date_claimed_gte: Option<String>,
        #[graphql(name = "dateClaimed_Lte")] date_claimed_lte: Option<String>,
        #[graphql(name = "dateFrom_Gte")] date_from_gte: Option<String>,
        #[graphql(name = "dateTo_Lte")] date_to_lte: Option<String>,
        visit_type: Option<String>,
        #[graphql(name = "claimed_Gte")] claimed_gte: Option<f64>,
        #[graphql(name = "claimed_Lte")] claimed_lte: Option<f64>,
    ) -> GqlResult<Option<ClaimConnection>> {
        user(ctx)?;
        let _ = show_restored;
        let mut filter = Filter::default();
        filter.text("t.uuid = ?", uuid.as_deref());
        filter.text("t.code = ?", code.as_deref());
        filter.starts_with("t.code", code_istartswith.as_deref());
        filter.contains("t.code", code_icontains.as_deref());
        filter.int("t.status = ?", status);
        filter.text(
            "t.insuree_id = (SELECT id FROM insurees WHERE chf_id = ?)",
            insuree_chf_id.as_deref(),
        );
        filter.text(
            "t.health_facility_id = (SELECT id FROM health_facilities WHERE code = ?)",
            health_facility_code.as_deref(),
        );
        filter.text(
            "t.health_facility_id = (SELECT id FROM health_facilities WHERE uuid = ?)",
            health_facility_uuid.as_deref(),
        );
        filter.text("t.date_claimed >= ?", date_claimed_gte.as_deref());
        filter.text("t.date_claimed <= ?", date_claimed_lte.as_deref());
        filter.text("t.date_from >= ?", date_from_gte.as_deref());
        filter.text("t.date_to <= ?", date_to_lte.as_deref());
        filter.text("t.visit_type = ?", visit_type.as_deref());
        if let Some(v) = claimed_gte {
            filter.push("t.claimed >= ?", [SqlValue::Real(v)]);
        }
        if let Some(v) = claimed_lte {
            filter.push("t.claimed <= ?", [SqlValue::Real(v)]);
        }
        let order = sql_order(
            order_by,
            &[
                ("id", "t.id"),
                ("code", "t.code"),
                ("dateClaimed", "t.date_claimed"),
                ("claimed", "t.claimed"),
                ("approved", "t.approved"),
                ("status", "t.status"),
            ],
            "t.date_claimed DESC, t.id DESC",
        )?;
        let args = page(first, last, offset, after, before);
        let (page, total) = page_of::<ClaimRow, _>(ctx, "claims", &args, filter, &order, Claim)?;
        Ok(Some(ClaimConnection::new(page, total)))
    }

    /// Mutation logs: where a mutation's outcome is read.
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn mutation_logs(
        &self,
        ctx: &Context<'_>,
        order_by: Option<Vec<String>>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        id: Option<String>,
        client_mutation_id: Option<String>,
        client_mutation_label: Option<String>,
        status: Option<i64>,
        #[graphql(name = "status_Gte")] status_gte: Option<i64>,
    ) -> GqlResult<Option<MutationLogConnection>> {
        user(ctx)?;
        let mut filter = Filter::default();
        if let Some(id) = id.as_deref() {
            // django-filter's UUID field, with Django's form error as the message.
            if !crate::uuid::is_uuid(id) {
                return Err("<ul class=\"errorlist\"><li>id<ul class=\"errorlist\"><li>Enter a valid UUID.</li></ul></li></ul>".into());
            }
            filter.text("t.uuid = ?", Some(&id.to_ascii_lowercase()));
        }
        filter.text("t.client_mutation_id = ?", client_mutation_id.as_deref());
        filter.text(
            "t.client_mutation_label = ?",
            client_mutation_label.as_deref(),
        );
        filter.int("t.status = ?", status);
        filter.int("t.status >= ?", status_gte);
        let order = sql_order(
            order_by,
            &[
                ("requestDateTime", "t.request_date_time"),
                ("request_date_time", "t.request_date_time"),
                ("status", "t.status"),
            ],
            "t.request_date_time",
        )?
        .replace("t.id", "t.uuid");
        let args = page(first, last, offset, after, before);
        let (page, total) =
            page_of::<MutationLogRow, _>(ctx, "mutationLogs", &args, filter, &order, MutationLog)?;
        Ok(Some(MutationLogConnection::new(page, total)))
    }

    /// Genders.
    async fn insuree_genders(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<Gender>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            rows::code_list(
                conn,
                "SELECT code, gender, sort_order FROM genders ORDER BY sort_order",
            )
        })?;
        Ok(Some(
            list.into_iter()
                .map(|(code, gender, sort_order)| Gender {
                    code: text(code),
                    gender: Some(gender),
                    alt_language: None,
                    sort_order,
                })
                .collect(),
        ))
    }

    /// Education levels.
    async fn educations(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<Education>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            rows::code_list(
                conn,
                "SELECT id, education, id FROM education_levels ORDER BY id",
            )
        })?;
        Ok(Some(
            list.into_iter()
                .map(|(id, education, sort_order)| Education {
                    id: int(id),
                    education,
                    sort_order,
                    alt_language: None,
                })
                .collect(),
        ))
    }

    /// Professions.
    async fn professions(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<Profession>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            rows::code_list(
                conn,
                "SELECT id, profession, id FROM professions ORDER BY id",
            )
        })?;
        Ok(Some(
            list.into_iter()
                .map(|(id, profession, sort_order)| Profession {
                    id: int(id),
                    profession,
                    sort_order,
                    alt_language: None,
                })
                .collect(),
        ))
    }

    /// Relations to the head of the family.
    async fn relations(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<Relation>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            rows::code_list(conn, "SELECT id, relation, id FROM relations ORDER BY id")
        })?;
        Ok(Some(
            list.into_iter()
                .map(|(id, relation, sort_order)| Relation {
                    id: int(id),
                    relation,
                    sort_order,
                    alt_language: None,
                })
                .collect(),
        ))
    }

    /// Family types.
    async fn family_types(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<FamilyType>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            rows::code_list(
                conn,
                "SELECT code, type, NULL FROM family_types ORDER BY code",
            )
        })?;
        Ok(Some(
            list.into_iter()
                .map(|(code, kind, sort_order)| FamilyType {
                    code: text(code),
                    r#type: kind,
                    sort_order,
                    alt_language: None,
                })
                .collect(),
        ))
    }

    /// Confirmation types.
    async fn confirmation_types(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<Vec<ConfirmationType>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            let mut stmt = conn.prepare(
                "SELECT code, name, sort_order, number_required FROM confirmation_types ORDER BY code",
            )?;
            let rows = stmt.query_map([], ConfirmationType::from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        Ok(Some(list))
    }

    /// Identification document types.
    async fn identification_types(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<Vec<IdentificationType>>> {
        user(ctx)?;
        let list = sql(ctx, |conn| {
            rows::code_list(
                conn,
                "SELECT code, name, sort_order FROM identification_types ORDER BY code",
            )
        })?;
        Ok(Some(
            list.into_iter()
                .map(|(code, name, sort_order)| IdentificationType {
                    code: text(code),
                    identification_type: name,
                    sort_order,
                    alt_language: None,
                })
                .collect(),
        ))
    }

    /// Warnings against adding a member to a family: each current policy whose product
    /// covers fewer members than the family would have.
    async fn can_add_insuree(
        &self,
        ctx: &Context<'_>,
        family_id: i64,
    ) -> GqlResult<Option<Vec<Option<String>>>> {
        user(ctx)?;
        let warnings = sql(ctx, move |conn| {
            let members: i64 = conn
                .prepare("SELECT COUNT(*) FROM insurees WHERE family_id = ?1")?
                .query_row([family_id], |r| r.get(0))?;
            let mut stmt = conn.prepare(
                "SELECT p.code, pol.start_date, p.max_members FROM policies pol
                 JOIN products p ON p.id = pol.product_id
                 WHERE pol.family_id = ?1 AND pol.status IN (1, 2) ORDER BY pol.id",
            )?;
            let policies = stmt
                .query_map([family_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(policies
                .into_iter()
                .filter(|(_, _, max)| members >= *max)
                .map(|(code, start, max)| {
                    Some(format!(
                        "Policy {code} - {start} covers max {max} insurees. Current family members count: {members}"
                    ))
                })
                .collect())
        })?;
        Ok(Some(warnings))
    }

    /// Whether an insurance number is acceptable (the demo, like openIMIS without a
    /// configured validator, accepts any).
    async fn insuree_number_validity(
        &self,
        ctx: &Context<'_>,
        insuree_number: String,
    ) -> GqlResult<Option<ValidationMessage>> {
        user(ctx)?;
        let valid = !insuree_number.trim().is_empty();
        Ok(Some(ValidationMessage {
            is_valid: Some(valid),
            error_code: Some(if valid { 0 } else { 2 }),
            error_message: Some(if valid {
                String::new()
            } else {
                "Invalid insuree number (empty)".to_owned()
            }),
        }))
    }

    /// The frontend's module configurations: none, as in openIMIS' demo data.
    async fn module_configurations(
        &self,
        validity: Option<String>,
        layer: Option<String>,
    ) -> Option<Vec<Option<ModuleConfiguration>>> {
        let _ = (validity, layer);
        Some(Vec::new())
    }

    /// The districts the user may work in (every district, for the demo's users).
    async fn user_districts(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<Vec<Option<UserDistrict>>>> {
        user(ctx)?;
        let districts = sql(ctx, |conn| {
            let mut stmt = conn.prepare(
                "SELECT d.id, d.uuid, d.code, d.name, r.id, r.uuid, r.code, r.name
                 FROM locations d JOIN locations r ON r.id = d.parent_id
                 WHERE d.type = 'D' ORDER BY r.code, d.code",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(UserDistrict {
                    id: Some(super::relay::global_id(
                        "LocationGQLType",
                        r.get::<_, i64>(0)?,
                    )),
                    uuid: r.get(1)?,
                    code: r.get(2)?,
                    name: r.get(3)?,
                    parent: Some(UserRegion {
                        id: Some(super::relay::global_id(
                            "LocationGQLType",
                            r.get::<_, i64>(4)?,
                        )),
                        uuid: r.get(5)?,
                        code: r.get(6)?,
                        name: r.get(7)?,
                    }),
                })
            })?;
            Ok(rows.map(|r| r.map(Some)).collect::<Result<Vec<_>, _>>()?)
        })?;
        Ok(Some(districts))
    }

    /// Enrolment officers.
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn insuree_officers(
        &self,
        ctx: &Context<'_>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        uuid: Option<String>,
        code: Option<String>,
        #[graphql(name = "lastName_Icontains")] last_name_icontains: Option<String>,
    ) -> GqlResult<Option<OfficerConnection>> {
        user(ctx)?;
        let mut filter = Filter::default();
        filter.text("t.uuid = ?", uuid.as_deref());
        filter.text("t.code = ?", code.as_deref());
        filter.contains("t.last_name", last_name_icontains.as_deref());
        let args = page(first, last, offset, after, before);
        let (page, total) =
            page_of::<OfficerRow, _>(ctx, "insureeOfficers", &args, filter, "t.id", Officer)?;
        Ok(Some(OfficerConnection::new(page, total)))
    }

    /// Locations of any level.
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn locations_all(
        &self,
        ctx: &Context<'_>,
        order_by: Option<Vec<String>>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        uuid: Option<String>,
        code: Option<String>,
        #[graphql(name = "name_Icontains")] name_icontains: Option<String>,
        r#type: Option<String>,
        #[graphql(name = "parent_Uuid")] parent_uuid: Option<String>,
        #[graphql(name = "parent_Id")] parent_id: Option<String>,
    ) -> GqlResult<Option<LocationConnection>> {
        user(ctx)?;
        let mut filter = Filter::default();
        filter.text("t.uuid = ?", uuid.as_deref());
        filter.text("t.code = ?", code.as_deref());
        filter.contains("t.name", name_icontains.as_deref());
        filter.text("t.type = ?", r#type.as_deref());
        filter.text(
            "t.parent_id = (SELECT id FROM locations WHERE uuid = ?)",
            parent_uuid.as_deref(),
        );
        if let Some(parent) = parent_id.as_deref() {
            let id = decode_global_id("LocationGQLType", parent)
                .or_else(|| parent.parse().ok())
                .unwrap_or(-1);
            filter.int("t.parent_id = ?", Some(id));
        }
        let order = sql_order(
            order_by,
            &[("id", "t.id"), ("code", "t.code"), ("name", "t.name")],
            "t.id",
        )?;
        let args = page(first, last, offset, after, before);
        let (page, total) =
            page_of::<LocationRow, _>(ctx, "locationsAll", &args, filter, &order, Location)?;
        Ok(Some(LocationConnection::new(page, total)))
    }

    /// The health facility picker: `str` matches code or name.
    #[allow(clippy::too_many_arguments, reason = "one argument per GraphQL filter")]
    async fn health_facilities_str(
        &self,
        ctx: &Context<'_>,
        str: Option<String>,
        region_uuid: Option<String>,
        district_uuid: Option<String>,
        districts_uuids: Option<Vec<Option<String>>>,
        ignore_location: Option<bool>,
        offset: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        first: Option<i64>,
        last: Option<i64>,
        level: Option<String>,
    ) -> GqlResult<Option<HealthFacilityConnection>> {
        user(ctx)?;
        let _ = ignore_location;
        let mut filter = Filter::default();
        if let Some(text) = str.as_deref() {
            let pattern = format!("%{text}%");
            filter.push(
                "(t.code LIKE ? OR t.name LIKE ?)",
                [SqlValue::Text(pattern.clone()), SqlValue::Text(pattern)],
            );
        }
        filter.text("t.level = ?", level.as_deref());
        filter.text(
            "t.location_id IN (SELECT id FROM locations WHERE parent_id = (SELECT id FROM locations WHERE uuid = ?))",
            region_uuid.as_deref(),
        );
        filter.text(
            "t.location_id = (SELECT id FROM locations WHERE uuid = ?)",
            district_uuid.as_deref(),
        );
        let districts: Vec<String> = districts_uuids.into_iter().flatten().flatten().collect();
        if !districts.is_empty() {
            let marks = vec!["?"; districts.len()].join(", ");
            filter.push(
                &format!("t.location_id IN (SELECT id FROM locations WHERE uuid IN ({marks}))"),
                districts.into_iter().map(SqlValue::Text),
            );
        }
        let args = page(first, last, offset, after, before);
        let (page, total) = page_of::<HealthFacilityRow, _>(
            ctx,
            "healthFacilitiesStr",
            &args,
            filter,
            "t.code, t.id",
            HealthFacility,
        )?;
        Ok(Some(HealthFacilityConnection::new(page, total)))
    }
}

fn text(value: SqlValue) -> String {
    match value {
        SqlValue::Text(text) => text,
        SqlValue::Integer(n) => n.to_string(),
        _ => String::new(),
    }
}

fn int(value: SqlValue) -> i64 {
    match value {
        SqlValue::Integer(n) => n,
        _ => 0,
    }
}
