//! The openIMIS-like schema (a simplified subset of its `tbl*` tables).
//!
//! Rows that openIMIS addresses by uuid (locations, health facilities, families, insurees,
//! claims, officers, mutation logs) carry one: deterministic for seeded rows, random (the
//! column default) for rows the API creates.
//!
//! Secondary indexes are created after the bulk load (`INDEXES`): building them once is
//! much cheaper than maintaining them row by row while seeding. Claim lines are clustered
//! by claim (`WITHOUT ROWID`, key `(claim_id, id)`), which needs no extra index and is
//! appended in key order by the seeder.

/// Tables, created on an empty database before seeding (`RANDOM_UUID` stands for
/// [`RANDOM_UUID_SQL`]).
pub(crate) fn tables() -> String {
    TABLES.replace("RANDOM_UUID", RANDOM_UUID_SQL)
}

/// A random version-4 uuid in SQL: the default of every `uuid` column.
const RANDOM_UUID_SQL: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
     substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
     substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

const TABLES: &str = "
CREATE TABLE genders (
    code TEXT PRIMARY KEY,
    gender TEXT NOT NULL,
    sort_order INTEGER NOT NULL
);
CREATE TABLE professions (id INTEGER PRIMARY KEY, profession TEXT NOT NULL);
CREATE TABLE education_levels (id INTEGER PRIMARY KEY, education TEXT NOT NULL);
CREATE TABLE relations (id INTEGER PRIMARY KEY, relation TEXT NOT NULL);
CREATE TABLE family_types (code TEXT PRIMARY KEY, type TEXT NOT NULL);
CREATE TABLE identification_types (code TEXT PRIMARY KEY, name TEXT NOT NULL, sort_order INTEGER NOT NULL);
CREATE TABLE confirmation_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    number_required INTEGER NOT NULL
);
CREATE TABLE locations (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('R', 'D', 'W', 'V')),
    parent_id INTEGER REFERENCES locations(id)
);
CREATE TABLE health_facilities (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('H', 'C', 'D')),
    care_type TEXT NOT NULL,
    location_id INTEGER NOT NULL REFERENCES locations(id)
);
CREATE TABLE medical_items (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    package TEXT NOT NULL,
    price REAL NOT NULL
);
CREATE TABLE medical_services (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price REAL NOT NULL
);
CREATE TABLE diagnoses (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    location_id INTEGER REFERENCES locations(id),
    lump_sum REAL NOT NULL,
    premium_adult REAL NOT NULL,
    max_members INTEGER NOT NULL,
    insurance_period INTEGER NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL
);
CREATE TABLE families (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    head_insuree_id INTEGER NOT NULL,
    location_id INTEGER NOT NULL REFERENCES locations(id),
    poverty INTEGER NOT NULL,
    family_type TEXT REFERENCES family_types(code),
    address TEXT,
    confirmation_no TEXT NOT NULL DEFAULT '',
    confirmation_type TEXT REFERENCES confirmation_types(code),
    validity_from TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now'))
);
CREATE TABLE insurees (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    chf_id TEXT NOT NULL UNIQUE,
    family_id INTEGER NOT NULL REFERENCES families(id),
    head INTEGER NOT NULL,
    last_name TEXT NOT NULL COLLATE NOCASE,
    other_names TEXT NOT NULL COLLATE NOCASE,
    gender TEXT NOT NULL REFERENCES genders(code),
    dob TEXT NOT NULL,
    marital TEXT,
    phone TEXT,
    email TEXT,
    profession_id INTEGER REFERENCES professions(id),
    education_id INTEGER REFERENCES education_levels(id),
    relation_id INTEGER REFERENCES relations(id),
    card_issued INTEGER NOT NULL,
    validity_from TEXT NOT NULL,
    audit_user_id INTEGER REFERENCES users(id),
    passport TEXT,
    type_of_id TEXT REFERENCES identification_types(code),
    current_address TEXT,
    status TEXT NOT NULL DEFAULT 'AC'
);
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    family_id INTEGER NOT NULL REFERENCES families(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    enroll_date TEXT NOT NULL,
    start_date TEXT NOT NULL,
    effective_date TEXT,
    expiry_date TEXT NOT NULL,
    status INTEGER NOT NULL,
    value REAL NOT NULL
);
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    code TEXT NOT NULL UNIQUE,
    insuree_id INTEGER NOT NULL REFERENCES insurees(id),
    health_facility_id INTEGER NOT NULL REFERENCES health_facilities(id),
    icd_id INTEGER NOT NULL REFERENCES diagnoses(id),
    visit_type TEXT NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    date_claimed TEXT NOT NULL,
    claimed REAL NOT NULL,
    approved REAL,
    status INTEGER NOT NULL
);
CREATE TABLE claim_items (
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    id INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES medical_items(id),
    qty INTEGER NOT NULL,
    price REAL NOT NULL,
    status INTEGER NOT NULL,
    PRIMARY KEY (claim_id, id)
) WITHOUT ROWID;
CREATE TABLE claim_services (
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    id INTEGER NOT NULL,
    service_id INTEGER NOT NULL REFERENCES medical_services(id),
    qty INTEGER NOT NULL,
    price REAL NOT NULL,
    status INTEGER NOT NULL,
    PRIMARY KEY (claim_id, id)
) WITHOUT ROWID;
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    last_login INTEGER
);
CREATE TABLE officers (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL DEFAULT (RANDOM_UUID),
    code TEXT NOT NULL UNIQUE,
    last_name TEXT NOT NULL,
    other_names TEXT NOT NULL,
    dob TEXT,
    phone TEXT,
    location_id INTEGER REFERENCES locations(id)
);
-- openIMIS' core.MutationLog: one row per mutation, its outcome in status (0 received,
-- 1 error with JSON in error, 2 done) and the insurees it touched in insuree_mutations.
CREATE TABLE mutation_logs (
    uuid TEXT PRIMARY KEY,
    client_mutation_id TEXT,
    client_mutation_label TEXT,
    client_mutation_details TEXT,
    json_content TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    request_date_time TEXT NOT NULL,
    status INTEGER NOT NULL,
    error TEXT
) WITHOUT ROWID;
CREATE TABLE insuree_mutations (
    mutation_uuid TEXT NOT NULL REFERENCES mutation_logs(uuid),
    insuree_id INTEGER NOT NULL REFERENCES insurees(id),
    PRIMARY KEY (mutation_uuid, insuree_id)
) WITHOUT ROWID;
CREATE TABLE auth_tokens (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Secondary indexes, created after the bulk load.
pub(crate) const INDEXES: &str = "
CREATE INDEX ix_locations_parent ON locations(parent_id);
CREATE INDEX ix_health_facilities_location ON health_facilities(location_id);
CREATE INDEX ix_insurees_family ON insurees(family_id);
CREATE INDEX ix_insurees_name ON insurees(last_name, other_names);
CREATE INDEX ix_insurees_other_names ON insurees(other_names);
CREATE INDEX ix_policies_family ON policies(family_id);
CREATE INDEX ix_claims_insuree ON claims(insuree_id, date_claimed);
CREATE INDEX ix_claims_status ON claims(status, date_claimed);
CREATE INDEX ix_claims_date ON claims(date_claimed);
CREATE INDEX ix_auth_tokens_expiry ON auth_tokens(expires_at);
CREATE UNIQUE INDEX ux_locations_uuid ON locations(uuid);
CREATE UNIQUE INDEX ux_health_facilities_uuid ON health_facilities(uuid);
CREATE UNIQUE INDEX ux_families_uuid ON families(uuid);
CREATE UNIQUE INDEX ux_insurees_uuid ON insurees(uuid);
CREATE UNIQUE INDEX ux_claims_uuid ON claims(uuid);
CREATE INDEX ix_claims_hf ON claims(health_facility_id, date_claimed);
CREATE INDEX ix_mutation_logs_client_id ON mutation_logs(client_mutation_id);
CREATE INDEX ix_mutation_logs_time ON mutation_logs(request_date_time);
";
