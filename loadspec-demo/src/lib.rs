//! A demo target that speaks openIMIS' API: the GraphQL operations of its insuree, family
//! and claim screens (`POST /api/graphql`, as openIMIS 24.10 serves them: the same
//! operation and argument names, relay connections, error messages and HTTP statuses), over
//! a real SQLite database seeded with generated insurance data, whose claims resolve the
//! N+1 way that made claims search the bottleneck of the audited openIMIS.
//!
//! ```no_run
//! # fn main() -> Result<(), loadspec_demo::DemoError> {
//! let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig::default())?;
//! println!("{} seeded in {:?}", demo.base_url(), demo.seeding_time());
//! let someone = &demo.info().sample_insurees(1)?[0];
//! println!("try insurees(chfId: \"{}\") at {}/api/graphql", someone.chf_id, demo.base_url());
//! # Ok(()) }
//! ```
//!
//! # Data
//! Generated from [`DemoConfig::seed`] with `ChaCha8Rng` (same seed and sizes, same rows):
//! 4 regions > 12 districts > 48 wards > 240 villages, 60 health facilities, 12 enrolment
//! officers, 120 medical items, 64 services, 6 products, families of 1-7 insurees (ids
//! `1..=families`) with policies, and claims (codes `CL0000001`...) with 1-5 item lines and
//! 0-2 service lines. Rows openIMIS addresses by uuid carry one. Insurance numbers are 9
//! digits: an 8-digit base and its value modulo 7 ([`insurance_number`]); bases from
//! [`FREE_BASE_START`] up are never seeded.
//!
//! # Users
//! `Admin` / `admin123` (openIMIS' demo administrator), and `user0` .. `user{N-1}` with
//! password `password{i}` (`N` = [`DemoConfig::users`], 100 by default); user names are
//! case-insensitive. Hashes are Django's `pbkdf2_sha256$<iterations>$<salt>$<hash>`
//! ([`DemoConfig::password_iterations`]: 10,000 by default, 1,000 in debug builds).
//!
//! # openIMIS' API
//! All `POST /api/graphql` with `{"query", "variables", "operationName"}`:
//! - **Login**: `mutation { tokenAuth(username, password) { token payload refreshExpiresIn } }`,
//!   which needs the same CSRF secret in the `csrftoken` cookie and the `X-CSRFToken` header
//!   (every GraphQL answer to a client without the cookie sets one, as does
//!   `GET /api/admin/login/`). It returns an HS256 JWT (valid a day, also set as the `JWT`
//!   cookie); send it as `Authorization: Bearer <token>` (or the cookie).
//! - **Queries**: `insurees` (filters `chfId`, `chfId_Istartswith`, `lastName_Icontains`,
//!   `otherNames_Icontains`, `dob_Gte`, `family_Uuid`, `parentLocation`..., `orderBy`),
//!   `families`, `familyMembers(familyUuid)`, `claims` (`status`, `insuree_ChfId`,
//!   `healthFacility_Code`, `dateClaimed_Gte`..., `orderBy`), `mutationLogs`,
//!   `insureeOfficers`, `locationsAll`, `healthFacilitiesStr`, `userDistricts`,
//!   `canAddInsuree`, `insureeNumberValidity`, `moduleConfigurations`, and the lists
//!   `insureeGenders`, `educations`, `professions`, `relations`, `familyTypes`,
//!   `confirmationTypes`, `identificationTypes`. Connections are relay's: `totalCount`,
//!   `edgeCount`, `pageInfo`, `edges { cursor node }`, `first`/`last`/`offset`/`after`/
//!   `before`, at most 100 records a page; `id`s are relay global ids.
//! - **Mutations**: `createInsuree(input: CreateInsureeMutationInput!) { clientMutationId
//!   internalId }`. The outcome is in `mutationLogs(clientMutationId:)`: `status` 0
//!   (received), 1 (failed: `error` is openIMIS' JSON `[{"message", "detail"}]`) or 2 (done,
//!   with the insurees it touched). An existing `chfId` updates that insuree, as openIMIS'
//!   `create_or_update` does. [`DemoConfig::mutation_delay`] runs mutations later, as
//!   openIMIS with `ASYNC=True` does.
//! - **Errors** as openIMIS answers them: `200` with `errors` and the failed field `null`
//!   for an anonymous call ("User not authorized for this operation"), a missing CSRF token
//!   ("CSRF token missing or incorrect.") or a page over the limit; `401` without `data`
//!   for a wrong password ("Please enter valid credentials") or a bad token ("Error
//!   decoding signature", "Signature has expired"); `400` for syntax and validation errors
//!   and bodies that are not JSON; Django's HTML `404` for unknown paths.
//! - **`MODE=PROD`** ([`DemoConfig::prod_mode`]): `429 {"detail":"Rate limit exceeded"}`
//!   past 150 requests per minute per client address, and an account locked for 5 minutes
//!   after 5 failed logins ("Too many failed attempts.Try again in 4 minutes.").
//!
//! `GET /api/core/users/current_user/` answers the logged-in user as the frontend reads it;
//! `GET /health` and `GET /metrics` (Prometheus text, no auth) are the demo's own.
//!
//! # Resolvers and the database
//! A GraphQL request runs on one pooled SQLite connection on a blocking thread, as a Django
//! worker holds one connection per request, and resolves each foreign key with a query of
//! its own (N+1): a page of claims costs one query for the page, one for the count, and per
//! claim one for its insuree, one for its facility, one per line and one per line's item.
//! Every response carries `Server-Timing: db;dur=<ms in SQLite>, app;dur=<ms total>`. SQLite
//! lock contention past [`DemoConfig::busy_timeout`] is a GraphQL error "database is locked"
//! in a 200 (graphene's answer to a database exception; the REST routes answer 503);
//! requests past [`DemoConfig::request_timeout`] answer 504.
//!
//! # REST routes for loadspec's own tests
//! Not openIMIS': `POST /api/auth/login` (opaque bearer tokens), `GET /api/locations`,
//! `/api/products`, `/api/genders`..., `GET|POST /api/insurees`, `GET /api/insurees/{chf_id}`
//! and `GET /api/families/{id}` (JSON, camelCase; errors `{"error": "..."}`) serve the tests
//! of loadspec's REST features (HAR import, checks, overload). The examples use GraphQL.

mod auth;
mod chf;
mod config;
mod csrf;
mod date;
mod db;
mod error;
mod graphql;
mod jwt;
mod limits;
mod metrics;
mod routes;
mod server;
mod uuid;

pub use chf::{FREE_BASE_START, insurance_number, is_valid_insurance_number};
pub use config::DemoConfig;
pub use db::seed::{SeedStats, seed_database};
pub use error::DemoError;
pub use limits::{Lockout, RateLimit};
pub use server::{BackgroundDemo, DemoInfo, DemoServer, SampleInsuree, serve, start_in_background};
