//! The object types, named and shaped as openIMIS' graphene types (`InsureeGQLType`...),
//! for the fields its frontend asks for. Every foreign key resolves with a query of its own.

use async_graphql::{Context, Enum, Object, SimpleObject};
use rusqlite::types::Value as SqlValue;

use super::relay::{self, PageArgs, connection, global_id};
use super::rows::{
    self, ClaimRow, FamilyRow, FromRow, HealthFacilityRow, InsureeRow, LineRow, LocationRow,
    MedicalRow, MutationLogRow, OfficerRow,
};
use super::scalars::{Date, DateTime, Decimal, JsonString};
use super::{GqlResult, sql};

connection!(
    InsureeConnection,
    InsureeEdge,
    Insuree,
    "InsureeGQLTypeConnection",
    "InsureeGQLTypeEdge"
);
connection!(
    FamilyConnection,
    FamilyEdge,
    Family,
    "FamilyGQLTypeConnection",
    "FamilyGQLTypeEdge"
);
connection!(
    ClaimConnection,
    ClaimEdge,
    Claim,
    "ClaimGQLTypeConnection",
    "ClaimGQLTypeEdge"
);
connection!(
    LocationConnection,
    LocationEdge,
    Location,
    "LocationGQLTypeConnection",
    "LocationGQLTypeEdge"
);
connection!(
    HealthFacilityConnection,
    HealthFacilityEdge,
    HealthFacility,
    "HealthFacilityGQLTypeConnection",
    "HealthFacilityGQLTypeEdge"
);
connection!(
    OfficerConnection,
    OfficerEdge,
    Officer,
    "OfficerGQLTypeConnection",
    "OfficerGQLTypeEdge"
);
connection!(
    MutationLogConnection,
    MutationLogEdge,
    MutationLog,
    "MutationLogGQLTypeConnection",
    "MutationLogGQLTypeEdge"
);

/// Loads a row by a key column, mapping database errors to GraphQL errors.
fn by<T: FromRow>(ctx: &Context<'_>, key: &'static str, value: SqlValue) -> GqlResult<Option<T>> {
    sql(ctx, move |conn| rows::one::<T>(conn, key, value))
}

fn by_id<T: FromRow>(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<T>> {
    match id {
        Some(id) => by(ctx, "t.id", SqlValue::Integer(id)),
        None => Ok(None),
    }
}

/// `InsureeStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "InsureeStatus")]
pub(crate) enum InsureeStatus {
    /// Active.
    #[graphql(name = "AC")]
    Active,
    /// Inactive.
    #[graphql(name = "IN")]
    Inactive,
    /// Dead.
    #[graphql(name = "DE")]
    Dead,
}

/// `InsureeGQLType`.
pub(crate) struct Insuree(pub(crate) InsureeRow);

#[Object(name = "InsureeGQLType")]
impl Insuree {
    async fn id(&self) -> String {
        global_id("InsureeGQLType", self.0.id)
    }
    async fn uuid(&self) -> &str {
        &self.0.uuid
    }
    async fn chf_id(&self) -> Option<&str> {
        Some(&self.0.chf_id)
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn other_names(&self) -> &str {
        &self.0.other_names
    }
    async fn dob(&self) -> Option<Date> {
        Some(Date(self.0.dob.clone()))
    }
    /// Whole years since `dob`, on the server's today.
    async fn age(&self) -> Option<i64> {
        let born = crate::date::parse_day(&self.0.dob)?;
        let (y, m, d) = crate::date::civil_from_days(born);
        let (ty, tm, td) = crate::date::civil_from_days(crate::date::today());
        Some(i64::from(ty - y) - i64::from((tm, td) < (m, d)))
    }
    async fn head(&self) -> bool {
        self.0.head
    }
    async fn marital(&self) -> Option<&str> {
        self.0.marital.as_deref()
    }
    async fn passport(&self) -> Option<&str> {
        Some(self.0.passport.as_deref().unwrap_or(""))
    }
    async fn phone(&self) -> Option<&str> {
        Some(self.0.phone.as_deref().unwrap_or(""))
    }
    async fn email(&self) -> Option<&str> {
        Some(self.0.email.as_deref().unwrap_or(""))
    }
    async fn current_address(&self) -> Option<&str> {
        Some(self.0.current_address.as_deref().unwrap_or(""))
    }
    async fn card_issued(&self) -> Option<bool> {
        Some(self.0.card_issued)
    }
    async fn validity_from(&self) -> DateTime {
        DateTime(self.0.validity_from.clone())
    }
    async fn validity_to(&self) -> Option<DateTime> {
        None
    }
    async fn status(&self) -> Option<InsureeStatus> {
        Some(match self.0.status.as_str() {
            "IN" => InsureeStatus::Inactive,
            "DE" => InsureeStatus::Dead,
            _ => InsureeStatus::Active,
        })
    }
    async fn status_date(&self) -> Option<Date> {
        None
    }
    async fn status_reason(&self) -> Option<InsureeStatusReason> {
        None
    }
    async fn json_ext(&self) -> Option<JsonString> {
        None
    }
    async fn client_mutation_id(&self) -> Option<String> {
        None
    }
    async fn offline(&self) -> Option<bool> {
        Some(false)
    }
    async fn audit_user_id(&self) -> i64 {
        1
    }
    async fn photo(&self) -> Option<Photo> {
        None
    }
    async fn current_village(&self) -> Option<Location> {
        None
    }
    async fn health_facility(&self) -> Option<HealthFacility> {
        None
    }
    async fn gender(&self, ctx: &Context<'_>) -> GqlResult<Option<Gender>> {
        let code = self.0.gender.clone();
        let sql_text = "SELECT code, gender, sort_order FROM genders WHERE code = ?1";
        sql(ctx, move |conn| {
            Ok(conn
                .prepare(sql_text)?
                .query_row([code], |r| {
                    Ok(Gender {
                        code: r.get(0)?,
                        gender: r.get(1)?,
                        alt_language: None,
                        sort_order: r.get(2)?,
                    })
                })
                .ok())
        })
    }
    async fn family(&self, ctx: &Context<'_>) -> GqlResult<Option<Family>> {
        Ok(by_id::<FamilyRow>(ctx, Some(self.0.family_id))?.map(Family))
    }
    async fn relationship(&self, ctx: &Context<'_>) -> GqlResult<Option<Relation>> {
        lookup(
            ctx,
            "SELECT id, relation, NULL FROM relations WHERE id = ?1",
            self.0.relation_id,
        )
        .map(|r| {
            r.map(|(id, relation, sort_order)| Relation {
                id,
                relation,
                sort_order,
                alt_language: None,
            })
        })
    }
    async fn profession(&self, ctx: &Context<'_>) -> GqlResult<Option<Profession>> {
        lookup(
            ctx,
            "SELECT id, profession, NULL FROM professions WHERE id = ?1",
            self.0.profession_id,
        )
        .map(|r| {
            r.map(|(id, profession, sort_order)| Profession {
                id,
                profession,
                sort_order,
                alt_language: None,
            })
        })
    }
    async fn education(&self, ctx: &Context<'_>) -> GqlResult<Option<Education>> {
        lookup(
            ctx,
            "SELECT id, education, NULL FROM education_levels WHERE id = ?1",
            self.0.education_id,
        )
        .map(|r| {
            r.map(|(id, education, sort_order)| Education {
                id,
                education,
                sort_order,
                alt_language: None,
            })
        })
    }
    async fn type_of_id(&self, ctx: &Context<'_>) -> GqlResult<Option<IdentificationType>> {
        let Some(code) = self.0.type_of_id.clone() else {
            return Ok(None);
        };
        sql(ctx, move |conn| {
            Ok(conn
                .prepare("SELECT code, name, sort_order FROM identification_types WHERE code = ?1")?
                .query_row([code], |r| {
                    Ok(IdentificationType {
                        code: r.get(0)?,
                        identification_type: r.get(1)?,
                        sort_order: r.get(2)?,
                        alt_language: None,
                    })
                })
                .ok())
        })
    }
}

/// A `(id, label, sort order)` lookup row by integer id.
fn lookup(
    ctx: &Context<'_>,
    sql_text: &'static str,
    id: Option<i64>,
) -> GqlResult<Option<(i64, String, Option<i64>)>> {
    let Some(id) = id else {
        return Ok(None);
    };
    sql(ctx, move |conn| {
        Ok(conn
            .prepare(sql_text)?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ok())
    })
}

/// `FamilyGQLType`.
pub(crate) struct Family(pub(crate) FamilyRow);

#[Object(name = "FamilyGQLType")]
impl Family {
    async fn id(&self) -> String {
        global_id("FamilyGQLType", self.0.id)
    }
    async fn uuid(&self) -> &str {
        &self.0.uuid
    }
    async fn poverty(&self) -> Option<bool> {
        Some(self.0.poverty)
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn confirmation_no(&self) -> Option<&str> {
        Some(&self.0.confirmation_no)
    }
    async fn validity_from(&self) -> DateTime {
        DateTime(self.0.validity_from.clone())
    }
    async fn validity_to(&self) -> Option<DateTime> {
        None
    }
    async fn is_offline(&self) -> Option<bool> {
        Some(false)
    }
    async fn ethnicity(&self) -> Option<String> {
        None
    }
    async fn json_ext(&self) -> Option<JsonString> {
        None
    }
    async fn client_mutation_id(&self) -> Option<String> {
        None
    }
    async fn audit_user_id(&self) -> i64 {
        1
    }
    async fn head_insuree(&self, ctx: &Context<'_>) -> GqlResult<Option<Insuree>> {
        Ok(by_id::<InsureeRow>(ctx, Some(self.0.head_insuree_id))?.map(Insuree))
    }
    async fn location(&self, ctx: &Context<'_>) -> GqlResult<Option<Location>> {
        Ok(by_id::<LocationRow>(ctx, Some(self.0.location_id))?.map(Location))
    }
    async fn family_type(&self, ctx: &Context<'_>) -> GqlResult<Option<FamilyType>> {
        let Some(code) = self.0.family_type.clone() else {
            return Ok(None);
        };
        sql(ctx, move |conn| {
            Ok(conn
                .prepare("SELECT code, type FROM family_types WHERE code = ?1")?
                .query_row([code], |r| {
                    Ok(FamilyType {
                        code: r.get(0)?,
                        r#type: r.get(1)?,
                        sort_order: None,
                        alt_language: None,
                    })
                })
                .ok())
        })
    }
    async fn confirmation_type(&self, ctx: &Context<'_>) -> GqlResult<Option<ConfirmationType>> {
        let Some(code) = self.0.confirmation_type.clone() else {
            return Ok(None);
        };
        sql(ctx, move |conn| {
            Ok(conn
                .prepare(
                    "SELECT code, name, sort_order, number_required FROM confirmation_types WHERE code = ?1",
                )?
                .query_row([code], ConfirmationType::from_row)
                .ok())
        })
    }
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i64>,
        last: Option<i64>,
        offset: Option<i64>,
        after: Option<String>,
        before: Option<String>,
    ) -> GqlResult<InsureeConnection> {
        let args = PageArgs {
            first,
            last,
            offset,
            after,
            before,
        };
        let mut filter = rows::Filter::default();
        filter.int("t.family_id = ?", Some(self.0.id));
        insuree_page(ctx, "members", &args, filter, "t.id")
    }
}

/// A page of insurees for `filter`, with `totalCount` when the query selects it.
pub(crate) fn insuree_page(
    ctx: &Context<'_>,
    connection_name: &str,
    args: &PageArgs,
    filter: rows::Filter,
    order: &str,
) -> GqlResult<InsureeConnection> {
    let (page, total) =
        page_of::<InsureeRow, _>(ctx, connection_name, args, filter, order, Insuree)?;
    Ok(InsureeConnection::new(page, total))
}

/// A page of any row type for `filter`, `totalCount` when selected.
pub(crate) fn page_of<T, N>(
    ctx: &Context<'_>,
    connection_name: &str,
    args: &PageArgs,
    filter: rows::Filter,
    order: &str,
    node: fn(T) -> N,
) -> GqlResult<(relay::Page<N>, Option<i64>)>
where
    T: FromRow + Send + 'static,
{
    let window = args.window(connection_name)?;
    let wants_total = ctx.look_ahead().field("totalCount").exists();
    let order = order.to_owned();
    let (fetched, total) = sql(ctx, move |conn| {
        let fetched: Vec<T> = filter.rows(conn, &order, window.limit + 1, window.start)?;
        let total = if wants_total {
            Some(filter.count::<T>(conn)?)
        } else {
            None
        };
        Ok((fetched, total))
    })?;
    Ok((window.page(fetched.into_iter().map(node).collect()), total))
}

/// `LocationGQLType`.
pub(crate) struct Location(pub(crate) LocationRow);

#[Object(name = "LocationGQLType")]
impl Location {
    async fn id(&self) -> String {
        global_id("LocationGQLType", self.0.id)
    }
    async fn uuid(&self) -> &str {
        &self.0.uuid
    }
    async fn code(&self) -> Option<&str> {
        Some(&self.0.code)
    }
    async fn name(&self) -> Option<&str> {
        Some(&self.0.name)
    }
    async fn r#type(&self) -> &str {
        &self.0.kind
    }
    async fn client_mutation_id(&self) -> Option<String> {
        None
    }
    async fn parent(&self, ctx: &Context<'_>) -> GqlResult<Option<Location>> {
        Ok(by_id::<LocationRow>(ctx, self.0.parent_id)?.map(Location))
    }
}

/// `ServicesPricelistGQLType` / `ItemsPricelistGQLType`: the demo has no price lists.
#[derive(SimpleObject)]
#[graphql(name = "PricelistGQLType")]
pub(crate) struct Pricelist {
    id: String,
    uuid: String,
}

/// `HealthFacilityGQLType`.
pub(crate) struct HealthFacility(pub(crate) HealthFacilityRow);

#[Object(name = "HealthFacilityGQLType")]
impl HealthFacility {
    async fn id(&self) -> String {
        global_id("HealthFacilityGQLType", self.0.id)
    }
    async fn uuid(&self) -> &str {
        &self.0.uuid
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn level(&self) -> &str {
        &self.0.level
    }
    async fn care_type(&self) -> &str {
        &self.0.care_type
    }
    async fn address(&self) -> Option<String> {
        None
    }
    async fn phone(&self) -> Option<String> {
        None
    }
    async fn email(&self) -> Option<String> {
        None
    }
    async fn contract_start_date(&self) -> Option<Date> {
        None
    }
    async fn contract_end_date(&self) -> Option<Date> {
        None
    }
    async fn services_pricelist(&self) -> Option<Pricelist> {
        None
    }
    async fn items_pricelist(&self) -> Option<Pricelist> {
        None
    }
    async fn offline(&self) -> bool {
        false
    }
    async fn location(&self, ctx: &Context<'_>) -> GqlResult<Option<Location>> {
        Ok(by_id::<LocationRow>(ctx, Some(self.0.location_id))?.map(Location))
    }
}

/// `ClaimGQLType`.
pub(crate) struct Claim(pub(crate) ClaimRow);

#[Object(name = "ClaimGQLType")]
impl Claim {
    async fn id(&self) -> String {
        global_id("ClaimGQLType", self.0.id)
    }
    async fn uuid(&self) -> &str {
        &self.0.uuid
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn status(&self) -> i64 {
        self.0.status
    }
    async fn claimed(&self) -> Option<Decimal> {
        Some(Decimal(self.0.claimed))
    }
    async fn approved(&self) -> Option<Decimal> {
        self.0.approved.map(Decimal)
    }
    async fn date_claimed(&self) -> Date {
        Date(self.0.date_claimed.clone())
    }
    async fn date_from(&self) -> Date {
        Date(self.0.date_from.clone())
    }
    async fn date_to(&self) -> Option<Date> {
        Some(Date(self.0.date_to.clone()))
    }
    async fn date_processed(&self) -> Option<Date> {
        None
    }
    async fn visit_type(&self) -> Option<&str> {
        Some(&self.0.visit_type)
    }
    async fn feedback_status(&self) -> Option<i64> {
        Some(1)
    }
    async fn review_status(&self) -> Option<i64> {
        Some(1)
    }
    async fn restore_id(&self) -> Option<i64> {
        None
    }
    async fn json_ext(&self) -> Option<JsonString> {
        None
    }
    async fn pre_authorization(&self) -> Option<bool> {
        Some(false)
    }
    async fn attachments_count(&self) -> Option<i64> {
        Some(0)
    }
    async fn explanation(&self) -> Option<String> {
        None
    }
    async fn client_mutation_id(&self) -> Option<String> {
        None
    }
    async fn insuree(&self, ctx: &Context<'_>) -> GqlResult<Option<Insuree>> {
        Ok(by_id::<InsureeRow>(ctx, Some(self.0.insuree_id))?.map(Insuree))
    }
    async fn health_facility(&self, ctx: &Context<'_>) -> GqlResult<Option<HealthFacility>> {
        Ok(by_id::<HealthFacilityRow>(ctx, Some(self.0.health_facility_id))?.map(HealthFacility))
    }
    async fn icd(&self, ctx: &Context<'_>) -> GqlResult<Option<Diagnosis>> {
        let id = self.0.icd_id;
        sql(ctx, move |conn| {
            Ok(conn
                .prepare("SELECT id, code, name FROM diagnoses WHERE id = ?1")?
                .query_row([id], |r| {
                    Ok(Diagnosis {
                        id: global_id("DiagnosisGQLType", r.get::<_, i64>(0)?),
                        code: r.get(1)?,
                        name: r.get(2)?,
                    })
                })
                .ok())
        })
    }
    async fn items(&self, ctx: &Context<'_>) -> GqlResult<Vec<ClaimItem>> {
        let claim = self.0.id;
        let lines = sql(ctx, move |conn| {
            rows::lines(conn, "claim_items", "item_id", claim)
        })?;
        Ok(lines.into_iter().map(ClaimItem).collect())
    }
    async fn services(&self, ctx: &Context<'_>) -> GqlResult<Vec<ClaimService>> {
        let claim = self.0.id;
        let lines = sql(ctx, move |conn| {
            rows::lines(conn, "claim_services", "service_id", claim)
        })?;
        Ok(lines.into_iter().map(ClaimService).collect())
    }
}

/// `DiagnosisGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "DiagnosisGQLType")]
pub(crate) struct Diagnosis {
    id: String,
    code: String,
    name: String,
}

/// `ClaimItemGQLType`: a line whose `item` is one more query.
pub(crate) struct ClaimItem(LineRow);

#[Object(name = "ClaimItemGQLType")]
impl ClaimItem {
    async fn id(&self) -> String {
        global_id("ClaimItemGQLType", self.0.id)
    }
    async fn status(&self) -> i64 {
        self.0.status
    }
    async fn qty_provided(&self) -> Decimal {
        Decimal(self.0.qty as f64)
    }
    async fn qty_approved(&self) -> Option<Decimal> {
        None
    }
    async fn price_asked(&self) -> Decimal {
        Decimal(self.0.price)
    }
    async fn price_approved(&self) -> Option<Decimal> {
        None
    }
    async fn item(&self, ctx: &Context<'_>) -> GqlResult<Option<Medical>> {
        let id = self.0.target_id;
        Ok(
            sql(ctx, move |conn| rows::medical(conn, "medical_items", id))?
                .map(|row| Medical::new(row, "ItemGQLType")),
        )
    }
}

/// `ClaimServiceGQLType`.
pub(crate) struct ClaimService(LineRow);

#[Object(name = "ClaimServiceGQLType")]
impl ClaimService {
    async fn id(&self) -> String {
        global_id("ClaimServiceGQLType", self.0.id)
    }
    async fn status(&self) -> i64 {
        self.0.status
    }
    async fn qty_provided(&self) -> Decimal {
        Decimal(self.0.qty as f64)
    }
    async fn price_asked(&self) -> Decimal {
        Decimal(self.0.price)
    }
    async fn service(&self, ctx: &Context<'_>) -> GqlResult<Option<Medical>> {
        let id = self.0.target_id;
        Ok(
            sql(ctx, move |conn| rows::medical(conn, "medical_services", id))?
                .map(|row| Medical::new(row, "ServiceGQLType")),
        )
    }
}

/// `ItemGQLType` / `ServiceGQLType`, one shape for both.
#[derive(SimpleObject)]
#[graphql(name = "MedicalGQLType")]
pub(crate) struct Medical {
    id: String,
    code: String,
    name: String,
    price: Decimal,
}

impl Medical {
    fn new(row: MedicalRow, type_name: &str) -> Self {
        Self {
            id: global_id(type_name, row.id),
            code: row.code,
            name: row.name,
            price: Decimal(row.price),
        }
    }
}

/// `GenderGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "GenderGQLType")]
pub(crate) struct Gender {
    pub(crate) code: String,
    pub(crate) gender: Option<String>,
    pub(crate) alt_language: Option<String>,
    pub(crate) sort_order: Option<i64>,
}

/// `EducationGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "EducationGQLType")]
pub(crate) struct Education {
    pub(crate) id: i64,
    pub(crate) education: String,
    pub(crate) sort_order: Option<i64>,
    pub(crate) alt_language: Option<String>,
}

/// `ProfessionGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "ProfessionGQLType")]
pub(crate) struct Profession {
    pub(crate) id: i64,
    pub(crate) profession: String,
    pub(crate) sort_order: Option<i64>,
    pub(crate) alt_language: Option<String>,
}

/// `RelationGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "RelationGQLType")]
pub(crate) struct Relation {
    pub(crate) id: i64,
    pub(crate) relation: String,
    pub(crate) sort_order: Option<i64>,
    pub(crate) alt_language: Option<String>,
}

/// `FamilyTypeGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "FamilyTypeGQLType")]
pub(crate) struct FamilyType {
    pub(crate) code: String,
    pub(crate) r#type: String,
    pub(crate) sort_order: Option<i64>,
    pub(crate) alt_language: Option<String>,
}

/// `ConfirmationTypeGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "ConfirmationTypeGQLType")]
pub(crate) struct ConfirmationType {
    pub(crate) code: String,
    pub(crate) confirmationtype: String,
    pub(crate) sort_order: Option<i64>,
    pub(crate) alt_language: Option<String>,
    pub(crate) is_confirmation_number_required: bool,
}

impl ConfirmationType {
    /// From `(code, name, sort_order, number_required)`.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            code: r.get(0)?,
            confirmationtype: r.get(1)?,
            sort_order: r.get(2)?,
            alt_language: None,
            is_confirmation_number_required: r.get(3)?,
        })
    }
}

/// `IdentificationTypeGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "IdentificationTypeGQLType")]
pub(crate) struct IdentificationType {
    pub(crate) code: String,
    pub(crate) identification_type: String,
    pub(crate) sort_order: Option<i64>,
    pub(crate) alt_language: Option<String>,
}

/// `InsureeStatusReasonGQLType` (none in the demo).
#[derive(SimpleObject)]
#[graphql(name = "InsureeStatusReasonGQLType")]
pub(crate) struct InsureeStatusReason {
    code: String,
    insuree_status_reason: String,
}

/// `PhotoGQLType` (the demo stores no photos).
#[derive(SimpleObject)]
#[graphql(name = "PhotoGQLType")]
pub(crate) struct Photo {
    id: String,
    uuid: String,
    date: Option<Date>,
    folder: Option<String>,
    filename: Option<String>,
    officer_id: Option<i64>,
    photo: Option<String>,
}

/// `OfficerGQLType`: an enrolment officer.
pub(crate) struct Officer(pub(crate) OfficerRow);

#[Object(name = "OfficerGQLType")]
impl Officer {
    async fn id(&self) -> String {
        global_id("OfficerGQLType", self.0.id)
    }
    async fn uuid(&self) -> &str {
        &self.0.uuid
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn other_names(&self) -> &str {
        &self.0.other_names
    }
    async fn dob(&self) -> Option<Date> {
        self.0.dob.clone().map(Date)
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn email(&self) -> Option<String> {
        None
    }
    async fn location(&self, ctx: &Context<'_>) -> GqlResult<Option<Location>> {
        Ok(by_id::<LocationRow>(ctx, self.0.location_id)?.map(Location))
    }
}

/// `MutationLogGQLType`: where a mutation's outcome lives.
pub(crate) struct MutationLog(pub(crate) MutationLogRow);

#[Object(name = "MutationLogGQLType")]
impl MutationLog {
    async fn id(&self) -> String {
        global_id("MutationLogGQLType", &self.0.uuid)
    }
    async fn json_content(&self) -> &str {
        &self.0.json_content
    }
    async fn request_date_time(&self) -> DateTime {
        DateTime(self.0.request_date_time.clone())
    }
    async fn client_mutation_id(&self) -> Option<&str> {
        self.0.client_mutation_id.as_deref()
    }
    async fn client_mutation_label(&self) -> Option<&str> {
        self.0.client_mutation_label.as_deref()
    }
    async fn client_mutation_details(&self) -> Option<&str> {
        self.0.client_mutation_details.as_deref()
    }
    /// 0 received, 1 error, 2 done.
    async fn status(&self) -> Option<i64> {
        Some(self.0.status)
    }
    /// A JSON list of `{"message", "detail"}` when the mutation failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn autogenerated_code(&self) -> Option<String> {
        None
    }
    async fn json_ext(&self) -> Option<JsonString> {
        None
    }
    async fn insurees(&self, ctx: &Context<'_>) -> GqlResult<Vec<InsureeMutation>> {
        let uuid = self.0.uuid.clone();
        let insurees = sql(ctx, move |conn| rows::mutation_insurees(conn, &uuid))?;
        Ok(insurees
            .into_iter()
            .map(|row| InsureeMutation(Insuree(row)))
            .collect())
    }
}

/// `InsureeMutationGQLType`: one insuree a mutation touched.
pub(crate) struct InsureeMutation(Insuree);

#[Object(name = "InsureeMutationGQLType")]
impl InsureeMutation {
    async fn insuree(&self) -> &Insuree {
        &self.0
    }
}

/// `UserRegionGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "UserRegionGQLType")]
pub(crate) struct UserRegion {
    pub(crate) id: Option<String>,
    pub(crate) uuid: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) name: Option<String>,
}

/// `UserDistrictGQLType`: a district the user may work in, with its region.
#[derive(SimpleObject)]
#[graphql(name = "UserDistrictGQLType")]
pub(crate) struct UserDistrict {
    pub(crate) id: Option<String>,
    pub(crate) uuid: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) parent: Option<UserRegion>,
}

/// `FieldControlGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "FieldControlGQLType")]
pub(crate) struct FieldControl {
    field: String,
    usage: String,
}

/// `ModuleConfigurationGQLType` (the demo, like openIMIS' demo data, has none).
#[derive(SimpleObject)]
#[graphql(name = "ModuleConfigurationGQLType")]
pub(crate) struct ModuleConfiguration {
    module: String,
    config: String,
    controls: Vec<FieldControl>,
}

/// `ValidationMessageGQLType`.
#[derive(SimpleObject)]
#[graphql(name = "ValidationMessageGQLType")]
pub(crate) struct ValidationMessage {
    pub(crate) is_valid: Option<bool>,
    pub(crate) error_code: Option<i64>,
    pub(crate) error_message: Option<String>,
}
