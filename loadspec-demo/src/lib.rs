//! An openIMIS-like demo target for loadspec: a real HTTP server (axum on tokio) over a
//! real SQLite database, seeded with generated insurance data, whose claims GraphQL query
//! has the N+1 pattern that made claims search the bottleneck in the audited openIMIS.
//!
//! ```no_run
//! # fn main() -> Result<(), loadspec_demo::DemoError> {
//! let demo = loadspec_demo::start_in_background(loadspec_demo::DemoConfig::default())?;
//! println!("{} seeded in {:?}", demo.base_url(), demo.seeding_time());
//! let someone = &demo.info().sample_insurees(1)?[0];
//! println!("try GET {}/api/insurees/{}", demo.base_url(), someone.chf_id);
//! # Ok(()) }
//! ```
//!
//! # Data
//! Generated from [`DemoConfig::seed`] with `ChaCha8Rng` (same seed and sizes, same rows):
//! 4 regions > 12 districts > 48 wards > 240 villages, 60 health facilities, 120 medical
//! items, 64 services, 6 products, families of 1-7 insurees (ids `1..=families`) with
//! policies, and claims (codes `CL0000001`...) with 1-5 item lines and 0-2 service lines.
//! Insurance numbers are 9 digits: an 8-digit base and its value modulo 7
//! ([`insurance_number`]); bases from [`FREE_BASE_START`] up are never seeded, so
//! `insurance_number(FREE_BASE_START + n)` is free for creating insurees.
//!
//! # Users
//! `admin` / `admin123`, and `user0` .. `user{N-1}` with password `password{i}`
//! (`N` = [`DemoConfig::users`], 100 by default). Hashes are Django's
//! `pbkdf2_sha256$<iterations>$<salt>$<hash>` (PBKDF2-HMAC-SHA256,
//! [`DemoConfig::password_iterations`]: 10,000 by default, 1,000 in debug builds, about
//! 1.5 ms resp. 9 ms of real CPU per login); [`DemoInfo::credentials`] spreads virtual users
//! over the accounts.
//!
//! # Endpoints
//! Every `/api/*` route except login needs `Authorization: Bearer <access>`; JSON uses
//! camelCase field names; errors are `{"error": "..."}` (422 adds `"fields": [{"field",
//! "message"}]`).
//!
//! | Route | Answer |
//! |---|---|
//! | `POST /api/auth/login` `{"username","password"}` | `{"access","token_type","expires_in","username"}`, 401 |
//! | `GET /api/locations?type=R\|D\|W\|V&parent=<id>` | `[{"id","code","name","type","parentId"}]` |
//! | `GET /api/products` | `[{"id","code","name","locationId","lumpSum",...}]` |
//! | `GET /api/genders`, `/professions`, `/education-levels`, `/relations`, `/family-types` | lookup lists |
//! | `GET /api/health-facilities?district=<id>&level=H\|C\|D` | `[{"id","code","name","level","careType","locationId"}]` |
//! | `GET /api/insurees?q=&page=&page_size=` | `{"total","page","pageSize","results":[...]}` |
//! | `GET /api/insurees/{chf_id}` | insuree with `family` and `policies`, 404 |
//! | `POST /api/insurees` | 201 insuree, 409 duplicate `chfId`, 422 field errors |
//! | `GET /api/families/{id}` | family with `members` and `policies`, 404 |
//! | `POST /api/graphql` `{"query","variables","operationName"}` | `{"data"}` or 200 `{"errors","data":null}` |
//! | `GET /health` | `{"status":"ok"}` (no auth) |
//! | `GET /metrics` | Prometheus text (no auth) |
//!
//! Insuree search: an all-digit `q` is an insurance-number prefix, anything else must
//! match the start of the last or other names term by term (case-insensitive); `page`
//! starts at 1, `page_size` is 1..=100 (default 10). `POST /api/insurees` takes
//! `{"chfId","lastName","otherNames","gender","dob":"YYYY-MM-DD"}` plus either
//! `"familyId"` (joins that family) or `"newFamily": {"locationId": <village id>,
//! "povertyStatus", "familyType", "address"}` (creates it, with the insuree as head), and
//! optionally `"marital","phone","email","professionId","educationId","relationId",
//! "cardIssued"`.
//!
//! # GraphQL
//! A hand-written subset: queries (named or not) with variables and defaults, aliases,
//! nested selections; no fragments or directives. Errors answer 200 with
//! `{"errors": [{"message", "locations"}], "data": null}`. The schema:
//!
//! ```graphql
//! type Query {
//!   claims(insuree: String, status: Int, healthFacility: String, dateFrom: String,
//!          dateTo: String, first: Int = 20, offset: Int = 0): [Claim]  # first <= 1000
//!   claim(code: String!): Claim
//!   insuree(chfId: String!): Insuree
//! }
//! type Claim { id code visitType dateFrom dateTo dateClaimed claimed approved status
//!              insuree: Insuree  healthFacility: HealthFacility  diagnosis: Diagnosis
//!              items: [ClaimItem]  services: [ClaimService] }
//! type Insuree { id chfId lastName otherNames gender dob head phone email familyId }
//! type HealthFacility { id code name level }
//! type Diagnosis { id code name }
//! type ClaimItem { itemCode itemName qty price status }
//! type ClaimService { serviceCode serviceName qty price status }
//! ```
//!
//! Claims come newest first. Their resolvers are deliberately naive: one query for the
//! page, then per claim one query per selected object field, and per item or service line
//! one more for its code and name (N+1). Claim status codes: 1 rejected, 2 entered,
//! 4 checked, 8 processed, 16 valuated.
//!
//! Every response carries `Server-Timing: db;dur=<ms in SQLite>, app;dur=<ms total>`.
//! SQLite lock contention past [`DemoConfig::busy_timeout`] answers 503
//! `{"error":"database is locked"}`; requests past [`DemoConfig::request_timeout`] answer
//! 504 `{"error":"gateway timeout: ..."}`.

mod auth;
mod chf;
mod config;
mod date;
mod db;
mod error;
mod graphql;
mod metrics;
mod routes;
mod server;

pub use chf::{FREE_BASE_START, insurance_number, is_valid_insurance_number};
pub use config::DemoConfig;
pub use db::seed::{SeedStats, seed_database};
pub use error::DemoError;
pub use server::{BackgroundDemo, DemoInfo, DemoServer, SampleInsuree, serve, start_in_background};
