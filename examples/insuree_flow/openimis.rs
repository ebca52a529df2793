//! openIMIS' GraphQL API as the flows speak it: the CSRF-protected `tokenAuth` login, typed
//! GraphQL calls whose `errors` fail the request with their message, and the wait for a
//! mutation's outcome in `mutationLogs`. The same code talks to the embedded demo and to a
//! real openIMIS backend.

use std::time::{Duration, Instant};

use loadspec::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Where openIMIS serves GraphQL.
pub(crate) const GRAPHQL: &str = "/api/graphql";

/// The cookie and header of Django's CSRF check.
const CSRF_COOKIE: &str = "csrftoken";
const CSRF_HEADER: &str = "X-CSRFToken";

/// How long a mutation may stay at status 0 (received) before the flow gives up.
const MUTATION_DEADLINE: Duration = Duration::from_secs(30);
/// The frontend's journal polls every 2 s; the flow starts faster and backs off to that.
const POLL_FIRST: Duration = Duration::from_millis(100);
const POLL_MAX: Duration = Duration::from_secs(2);

/// An account to log in with (from the credentials feeder).
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// Sends a GraphQL request labelled `label` and reads the JSON value at `pointer` of its
/// answer into `T`. An answer with `errors`, a status of 400 or more, or something that is
/// not a GraphQL answer at all fails the request (and the transaction) with what came back.
pub(crate) async fn call<T: DeserializeOwned>(
    tx: &mut Transaction<'_>,
    label: &'static str,
    query: &str,
    variables: serde_json::Value,
    pointer: &str,
) -> Result<T, Failure> {
    tx.graphql(query, variables)
        .label(label)
        .send()
        .await?
        .expect_ok()?
        .json_at(pointer)
}

/// A 32-character CSRF secret from the user's random stream (Django accepts any
/// well-formed secret as long as cookie and header carry the same one).
fn csrf_secret(tx: &mut Transaction<'_>) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..32)
        .map(|_| char::from(CHARS[tx.rng().random_range(0..CHARS.len())]))
        .collect()
}

#[derive(Deserialize)]
struct Token {
    token: String,
}

/// `tokenAuth` with the session's `csrftoken` cookie echoed in `X-CSRFToken` (a client
/// without one makes one up, as a script would), then `Authorization: Bearer <JWT>` on
/// every following request.
pub(crate) async fn token_auth(tx: &mut Transaction<'_>, account: &Account) -> Result<(), Failure> {
    tx.session().set_graphql_path(GRAPHQL);
    let secret = match tx.session().cookie(CSRF_COOKIE) {
        Some(secret) => secret.to_owned(),
        None => {
            let secret = csrf_secret(tx);
            tx.set_cookie(CSRF_COOKIE, &secret)?;
            secret
        }
    };
    let variables =
        serde_json::json!({ "username": account.username, "password": account.password });
    let token: Token = tx
        .graphql(
            "mutation authenticate($username: String!, $password: String!) { tokenAuth(username: $username, password: $password) { token refreshExpiresIn } }",
            variables,
        )
        .label("GraphQL tokenAuth")
        .header(CSRF_HEADER, &secret)
        .send()
        .await?
        .expect_ok()
        .map_err(not_openimis)?
        .json_at("/data/tokenAuth")?;
    tx.session().bearer(&token.token)?;
    Ok(())
}

/// Adds a hint to a login that met something other than openIMIS: a 404, an HTML page, or
/// JSON that is no GraphQL answer.
fn not_openimis(failure: Failure) -> Failure {
    let foreign = matches!(failure.status(), Some(404 | 405 | 501))
        || failure.message().contains("an HTML page")
        || failure.message().contains("expected a GraphQL response");
    if !foreign {
        return failure;
    }
    Failure::new(
        failure.kind(),
        format!(
            "{} — is the target an openIMIS backend (POST {GRAPHQL})?",
            failure.describe()
        ),
    )
}

/// A `mutationLogs` node: the mutation's outcome.
#[derive(Debug, Deserialize)]
pub(crate) struct MutationLog {
    /// 0 received, 1 failed, 2 done.
    pub(crate) status: Option<i64>,
    /// For status 1: openIMIS' JSON list of `{"message", "detail"}`.
    pub(crate) error: Option<String>,
}

#[derive(Deserialize)]
struct Edges<T> {
    edges: Vec<Edge<T>>,
}

#[derive(Deserialize)]
struct Edge<T> {
    node: T,
}

/// The nodes of a relay connection at `pointer` (`.../edges[].node`).
pub(crate) async fn nodes<T: DeserializeOwned>(
    tx: &mut Transaction<'_>,
    label: &'static str,
    query: &str,
    variables: serde_json::Value,
    pointer: &str,
) -> Result<Vec<T>, Failure> {
    let page: Edges<T> = call(tx, label, query, variables, pointer).await?;
    Ok(page.edges.into_iter().map(|e| e.node).collect())
}

/// Waits until the mutation `client_mutation_id` is no longer at status 0, asking with
/// `query` (which must select `status` and `error` of the `mutationLogs` nodes): the first
/// time at once, then backing off to the frontend's 2 s, for at most 30 s. Status 1 fails
/// with the log's error (a database deadlock as kind `deadlock`).
pub(crate) async fn wait_for_mutation(
    tx: &mut Transaction<'_>,
    label: &'static str,
    query: &str,
    client_mutation_id: &str,
) -> Result<(), Failure> {
    let started = Instant::now();
    let mut wait = POLL_FIRST;
    loop {
        let logs: Vec<MutationLog> = nodes(
            tx,
            label,
            query,
            serde_json::json!({ "id": client_mutation_id }),
            "/data/mutationLogs",
        )
        .await?;
        let Some(log) = logs.into_iter().next() else {
            return Err(Failure::check(format!(
                "no mutation log for clientMutationId {client_mutation_id}"
            )));
        };
        match log.status {
            Some(2) => return Ok(()),
            Some(1) => {
                let error = log.error.unwrap_or_default();
                let message = format!("the mutation failed: {}", mutation_error(&error));
                return Err(if error.to_lowercase().contains("deadlock") {
                    Failure::deadlock(message)
                } else {
                    Failure::check(message)
                });
            }
            _ if started.elapsed() >= MUTATION_DEADLINE => {
                return Err(Failure::check(format!(
                    "the mutation was still at status 0 (received) after {} s",
                    MUTATION_DEADLINE.as_secs()
                )));
            }
            // Not a think time: the server decides how long this takes, so it is waited
            // for in smoke runs too, and counts in the transaction's time.
            _ => tokio::time::sleep(wait).await,
        }
        wait = (wait * 2).min(POLL_MAX);
    }
}

/// The messages and details of openIMIS' mutation error JSON, or the text as it is.
fn mutation_error(error: &str) -> String {
    #[derive(Deserialize)]
    struct Entry {
        message: Option<String>,
        detail: Option<String>,
    }
    match serde_json::from_str::<Vec<Entry>>(error) {
        Ok(entries) if !entries.is_empty() => entries
            .into_iter()
            .map(|e| match (e.message, e.detail) {
                (Some(m), Some(d)) => format!("{m}: {d}"),
                (Some(m), None) => m,
                (None, Some(d)) => d,
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => error.to_owned(),
    }
}

/// The primary key inside a relay global id (`base64("FamilyGQLType:42")` → 42), which
/// openIMIS' mutations take as `familyId`.
pub(crate) fn decode_id(global_id: &str) -> Option<i64> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(global_id)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.split_once(':')?.1.parse().ok()
}

/// A GraphQL string literal of `text` (JSON's escapes are GraphQL's).
pub(crate) fn literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_errors_read_as_openimis_writes_them() {
        assert_eq!(
            mutation_error(
                r#"[{"message": "Failed to create insuree", "detail": "Family matching query does not exist."}]"#
            ),
            "Failed to create insuree: Family matching query does not exist."
        );
        assert_eq!(mutation_error("plain"), "plain");
        assert_eq!(decode_id("RmFtaWx5R1FMVHlwZTox"), Some(1));
        assert_eq!(literal("a \"b\""), r#""a \"b\"""#);
    }
}
