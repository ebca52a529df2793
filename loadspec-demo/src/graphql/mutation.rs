//! The root `Mutation`: `tokenAuth` (CSRF-protected login issuing a JWT) and
//! `createInsuree`, whose outcome goes to the mutation log, not into the response — as in
//! openIMIS, where a client polls `mutationLogs` for `status` 0 (received), 1 (failed,
//! with `error`) or 2 (done).

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::scalars::{Date, GenericScalar, JsonString};
use super::{Caller, GqlResult, context, sql};
use crate::auth::verify_password;
use crate::date::{now_iso, unix_now};
use crate::db::DbError;
use crate::jwt::REFRESH_TTL_S;
use crate::limits::lockout_message;

/// The root mutation type.
pub(crate) struct Mutation;

/// `OpenimisObtainJSONWebToken`.
#[derive(SimpleObject)]
#[graphql(name = "OpenimisObtainJSONWebToken")]
pub(crate) struct ObtainToken {
    payload: GenericScalar,
    refresh_expires_in: i64,
    token: String,
}

/// `CreateInsureeMutationPayload`.
#[derive(SimpleObject)]
#[graphql(name = "CreateInsureeMutationPayload")]
pub(crate) struct CreateInsureePayload {
    internal_id: Option<String>,
    client_mutation_id: Option<String>,
}

/// `CreateInsureeMutationInput`; serialised in snake case into the log's `jsonContent`,
/// as openIMIS stores it.
#[derive(Debug, Clone, InputObject, Serialize)]
#[graphql(name = "CreateInsureeMutationInput")]
#[serde(rename_all = "snake_case")]
pub(crate) struct CreateInsureeInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    client_mutation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_mutation_label: Option<String>,
    #[serde(skip)]
    client_mutation_details: Option<Vec<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chf_id: Option<String>,
    last_name: String,
    other_names: String,
    gender_id: String,
    #[serde(serialize_with = "date_text")]
    dob: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    marital: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    passport: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_village_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    card_issued: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relationship_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profession_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    education_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    type_of_id_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_facility_id: Option<i64>,
    #[serde(skip)]
    json_ext: Option<JsonString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_reason: Option<String>,
    #[serde(skip)]
    status_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    add_on_existing_policy: Option<bool>,
}

fn date_text<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date.0)
}

/// The mutation log's `error` for a failed insuree creation, written as openIMIS writes
/// it (Python's `json.dumps`: `message` first, `", "` and `": "` separators).
fn failed(detail: &str) -> String {
    let detail = serde_json::to_string(detail).unwrap_or_default();
    format!(r#"[{{"message": "Failed to create insuree", "detail": {detail}}}]"#)
}

#[Object(name = "Mutation")]
impl Mutation {
    /// Logs in: checks the CSRF token, the account's lockout and the password, then
    /// issues a JWT (also set as the `JWT` cookie).
    async fn token_auth(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> GqlResult<Option<ObtainToken>> {
        let cx = context(ctx)?;
        if !cx.csrf_ok {
            return Err(crate::csrf::FAILURE.into());
        }
        let state = &cx.state;
        if let Some(lockout) = state.config.lockout
            && let Some(left) = state.login_failures.locked(lockout, &username)
        {
            return Err(lockout_message(left).into());
        }
        let lookup = username.clone();
        let account = sql(ctx, move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id, username, password_hash FROM users WHERE username = ?1",
                )?
                .query_row([lookup], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()?)
        })?;
        // Unknown users pay for one hash too, so that timing does not tell who exists.
        let stored = account.as_ref().map_or_else(
            || crate::auth::hash_password("-", "no-such-user", state.config.password_iterations),
            |a| a.2.clone(),
        );
        let valid = verify_password(&password, &stored);
        let Some((user_id, canonical, _)) = account.filter(|_| valid) else {
            if state.config.lockout.is_some() {
                state.login_failures.failed(&username);
            }
            return Err(async_graphql::Error::new("Please enter valid credentials")
                .extend_with(|_, e| e.set(super::HTTP_STATUS, 401)));
        };
        state.login_failures.succeeded(&username);
        let now = unix_now();
        sql(ctx, move |conn| {
            conn.prepare_cached("UPDATE users SET last_login = ?1 WHERE id = ?2")?
                .execute((now, user_id))?;
            Ok(())
        })?;
        let (token, claims) = state.jwt.issue(&canonical, now, crate::uuid::random_v4());
        ctx.append_http_header(
            "set-cookie",
            format!(
                "JWT={token}; HttpOnly; Max-Age={}; Path=/",
                crate::jwt::TOKEN_TTL_S
            ),
        );
        let payload = serde_json::to_value(&claims).unwrap_or_default();
        Ok(Some(ObtainToken {
            payload: GenericScalar(payload),
            refresh_expires_in: claims.orig_iat + REFRESH_TTL_S,
            token,
        }))
    }

    /// Creates an insuree (or, like openIMIS' `create_or_update`, updates the current
    /// insuree with that `chfId`). The response carries only the mutation's ids; its
    /// outcome is in `mutationLogs`.
    async fn create_insuree(
        &self,
        ctx: &Context<'_>,
        input: CreateInsureeInput,
    ) -> GqlResult<Option<CreateInsureePayload>> {
        let cx = context(ctx)?;
        let user_id = match &cx.caller {
            Caller::User { id, .. } => Some(*id),
            _ => None,
        };
        let log = crate::uuid::random_v4();
        let json_content = serde_json::to_string(&input).unwrap_or_default();
        let details = input
            .client_mutation_details
            .as_ref()
            .map(|d| serde_json::to_string(d).unwrap_or_default());
        let client_mutation_id = input.client_mutation_id.clone();
        let row = (
            log.clone(),
            client_mutation_id.clone(),
            input.client_mutation_label.clone(),
            details,
            json_content,
            user_id,
        );
        sql(ctx, move |conn| {
            conn.prepare_cached(
                "INSERT INTO mutation_logs (uuid, client_mutation_id, client_mutation_label,
                     client_mutation_details, json_content, user_id, request_date_time, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
            )?
            .execute(rusqlite::params![
                row.0,
                row.1,
                row.2,
                row.3,
                row.4,
                row.5,
                now_iso()
            ])?;
            Ok(())
        })?;
        match (user_id, cx.state.config.mutation_delay) {
            (None, _) => {
                let id = log.clone();
                sql(ctx, move |conn| {
                    finish(
                        conn,
                        &id,
                        Err(failed("['User must be authenticated for this operation']")),
                    )
                })?;
            }
            (Some(user_id), None) => {
                let id = log.clone();
                sql(ctx, move |conn| {
                    let outcome = create(conn, user_id, &input);
                    finish(conn, &id, outcome)
                })?;
            }
            (Some(user_id), Some(delay)) => {
                // openIMIS with ASYNC=True hands the mutation to a worker: the log stays at
                // status 0 until the worker is done.
                let pool = cx.state.pool.clone();
                let id = log.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = pool
                        .run(move |conn| {
                            let outcome = create(conn, user_id, &input);
                            finish(conn, &id, outcome)
                        })
                        .await;
                });
            }
        }
        Ok(Some(CreateInsureePayload {
            internal_id: Some(log),
            client_mutation_id,
        }))
    }
}

/// Records a mutation's outcome: status 2 and the insuree it touched, or 1 and the error.
fn finish(conn: &Connection, log: &str, outcome: Result<i64, String>) -> Result<(), DbError> {
    match outcome {
        Ok(insuree) => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO insuree_mutations (mutation_uuid, insuree_id) VALUES (?1, ?2)",
            )?
            .execute((log, insuree))?;
            conn.prepare_cached("UPDATE mutation_logs SET status = 2 WHERE uuid = ?1")?
                .execute([log])?;
        }
        Err(error) => {
            conn.prepare_cached("UPDATE mutation_logs SET status = 1, error = ?2 WHERE uuid = ?1")?
                .execute((log, error))?;
        }
    }
    Ok(())
}

/// The insuree service: checks the references like Django's `objects.get` does, then
/// inserts the insuree, or updates the current one with the same insurance number.
fn create(conn: &mut Connection, user_id: i64, input: &CreateInsureeInput) -> Result<i64, String> {
    let result = (|| -> Result<Result<i64, String>, DbError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists = |sql_text: &str, key: rusqlite::types::Value| -> Result<bool, DbError> {
            Ok(tx
                .prepare(sql_text)?
                .query_row([key], |_| Ok(()))
                .optional()?
                .is_some())
        };
        use rusqlite::types::Value as V;
        let checks: [(&str, &str, Option<V>); 6] = [
            (
                "Gender",
                "SELECT 1 FROM genders WHERE code = ?1",
                Some(V::Text(input.gender_id.clone())),
            ),
            (
                "Family",
                "SELECT 1 FROM families WHERE id = ?1",
                Some(V::Integer(input.family_id.unwrap_or(0))),
            ),
            (
                "Relation",
                "SELECT 1 FROM relations WHERE id = ?1",
                input.relationship_id.map(V::Integer),
            ),
            (
                "Profession",
                "SELECT 1 FROM professions WHERE id = ?1",
                input.profession_id.map(V::Integer),
            ),
            (
                "Education",
                "SELECT 1 FROM education_levels WHERE id = ?1",
                input.education_id.map(V::Integer),
            ),
            (
                "IdentificationType",
                "SELECT 1 FROM identification_types WHERE code = ?1",
                input.type_of_id_id.clone().map(V::Text),
            ),
        ];
        for (model, sql_text, key) in checks {
            if let Some(key) = key
                && !exists(sql_text, key)?
            {
                return Ok(Err(format!("{model} matching query does not exist.")));
            }
        }
        let Some(chf_id) = input.chf_id.clone().filter(|c| !c.trim().is_empty()) else {
            return Ok(Err("Invalid insuree number (empty)".to_owned()));
        };
        let existing: Option<i64> = tx
            .prepare("SELECT id FROM insurees WHERE chf_id = ?1")?
            .query_row([&chf_id], |r| r.get(0))
            .optional()?;
        let values = rusqlite::params![
            chf_id,
            input.family_id,
            input.head.unwrap_or(false),
            input.last_name,
            input.other_names,
            input.gender_id,
            input.dob.0,
            input.marital,
            input.phone,
            input.email,
            input.profession_id,
            input.education_id,
            input.relationship_id,
            input.card_issued.unwrap_or(false),
            now_iso(),
            user_id,
            input.passport,
            input.type_of_id_id,
            input.current_address,
            input.status.clone().unwrap_or_else(|| "AC".to_owned()),
        ];
        let id =
            match existing {
                Some(id) => {
                    tx.prepare(
                    "UPDATE insurees SET chf_id = ?1, family_id = ?2, head = ?3, last_name = ?4,
                         other_names = ?5, gender = ?6, dob = ?7, marital = ?8, phone = ?9,
                         email = ?10, profession_id = ?11, education_id = ?12, relation_id = ?13,
                         card_issued = ?14, validity_from = ?15, audit_user_id = ?16,
                         passport = ?17, type_of_id = ?18, current_address = ?19, status = ?20
                     WHERE id = ?21",
                )?
                .execute(rusqlite::params_from_iter(
                    values.iter().copied().chain(std::iter::once(&id as &dyn rusqlite::ToSql)),
                ))?;
                    id
                }
                None => {
                    tx.prepare(
                    "INSERT INTO insurees (chf_id, family_id, head, last_name, other_names, gender,
                         dob, marital, phone, email, profession_id, education_id, relation_id,
                         card_issued, validity_from, audit_user_id, passport, type_of_id,
                         current_address, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                         ?16, ?17, ?18, ?19, ?20)",
                )?
                .execute(values)?;
                    tx.last_insert_rowid()
                }
            };
        tx.commit()?;
        Ok(Ok(id))
    })();
    match result {
        Ok(outcome) => outcome.map_err(|detail| failed(&detail)),
        Err(e) => Err(failed(&e.to_string())),
    }
}
