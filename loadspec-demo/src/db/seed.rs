//! Deterministic bulk seeding of a fresh database file.
//!
//! Everything is generated from one `ChaCha8Rng` per table family (seeded from the
//! configured seed), inserted through prepared statements inside a single transaction on
//! a connection with journaling off; indexes are built afterwards and the file is then
//! switched to WAL for serving. The reference data (locations, facilities, items...) is
//! generated first and kept in memory, so the big tables draw their foreign keys from
//! vectors instead of querying them back.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, Transaction, params};

use super::schema;
use crate::auth::hash_password;
use crate::chf::{SEED_BASE_START, insurance_number};
use crate::config::DemoConfig;
use crate::date::{SEED_TODAY, days_from_civil};
use crate::error::DemoError;

/// What seeding produced: row counts per table and how long it took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedStats {
    /// Locations (regions, districts, wards and villages).
    pub locations: u64,
    /// Villages only (the locations families live in).
    pub villages: u64,
    /// Health facilities.
    pub health_facilities: u64,
    /// Medical items.
    pub medical_items: u64,
    /// Medical services.
    pub medical_services: u64,
    /// Insurance products.
    pub products: u64,
    /// Families; their ids are `1..=families`.
    pub families: u64,
    /// Insurees; their ids are `1..=insurees`.
    pub insurees: u64,
    /// Policies.
    pub policies: u64,
    /// Claims.
    pub claims: u64,
    /// Claim item lines.
    pub claim_items: u64,
    /// Claim service lines.
    pub claim_services: u64,
    /// User accounts (`admin` plus `userN`).
    pub users: u64,
    /// Wall-clock time of the whole seeding (schema, rows, indexes, WAL switch).
    pub duration: Duration,
}

impl SeedStats {
    /// Total number of rows inserted.
    pub fn total_rows(&self) -> u64 {
        self.locations
            + self.health_facilities
            + self.medical_items
            + self.medical_services
            + self.products
            + self.families
            + self.insurees
            + self.policies
            + self.claims
            + self.claim_items
            + self.claim_services
            + self.users
    }
}

/// Creates the schema in a new database file at `path` and fills it from `config`.
///
/// The file must not exist yet. The same seed and sizes always produce the same rows.
pub fn seed_database(path: &Path, config: &DemoConfig) -> Result<SeedStats, DemoError> {
    let started = Instant::now();
    if path.exists() {
        return Err(DemoError::InvalidConfig(format!(
            "refusing to seed over the existing file {}",
            path.display()
        )));
    }
    let mut conn = Connection::open(path)?;
    // Nothing can read the file while it is being built, so durability is irrelevant:
    // no journal, no fsync, one exclusive lock.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -200000;",
    )?;
    conn.execute_batch(schema::TABLES)?;

    // Password hashing is the only CPU-heavy part that is not SQLite: do it on a second
    // thread while the main one inserts rows.
    let users = user_accounts(config);
    let mut stats = std::thread::scope(|scope| -> Result<SeedStats, DemoError> {
        let hashing = scope.spawn(|| hash_accounts(&users, config));
        let tx = conn.transaction()?;
        let mut stats = SeedStats::default();
        let mut seeder = Seeder::new(&tx, config.seed);
        seeder.reference_data(&mut stats)?;
        seeder.families_and_insurees(config.insurees, &mut stats)?;
        seeder.claims(config.claims, &mut stats)?;
        let hashed = hashing
            .join()
            .map_err(|_| DemoError::Server("password hashing thread panicked".into()))?;
        insert_users(&tx, &hashed, &mut stats)?;
        tx.commit()?;
        Ok(stats)
    })?;

    conn.execute_batch(schema::INDEXES)?;
    conn.execute_batch(
        "PRAGMA analysis_limit = 1000;
         ANALYZE;
         PRAGMA locking_mode = NORMAL;
         PRAGMA journal_mode = WAL;",
    )?;
    drop(conn);
    stats.duration = started.elapsed();
    Ok(stats)
}

struct Account {
    username: String,
    password: String,
    role: &'static str,
    salt: String,
}

/// The seeded accounts: `admin`/`admin123` and `user{i}`/`password{i}`, with salts from
/// the seed so the stored hashes are deterministic too.
fn user_accounts(config: &DemoConfig) -> Vec<Account> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7573_6572);
    let mut salt = || {
        let bytes: [u8; 12] = rng.random();
        BASE64.encode(bytes)
    };
    let mut accounts = vec![Account {
        username: "admin".into(),
        password: "admin123".into(),
        role: "admin",
        salt: salt(),
    }];
    for i in 0..config.users {
        accounts.push(Account {
            username: format!("user{i}"),
            password: format!("password{i}"),
            role: "clerk",
            salt: salt(),
        });
    }
    accounts
}

fn hash_accounts<'a>(accounts: &'a [Account], config: &DemoConfig) -> Vec<(&'a Account, String)> {
    accounts
        .iter()
        .map(|a| (a, hash_password(&a.password, &a.salt, config.password_iterations)))
        .collect()
}

fn insert_users(
    tx: &Transaction<'_>,
    hashed: &[(&Account, String)],
    stats: &mut SeedStats,
) -> Result<(), DemoError> {
    let mut stmt = tx.prepare(
        "INSERT INTO users (id, username, password_hash, role) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, (account, hash)) in hashed.iter().enumerate() {
        stmt.execute(params![i as i64 + 1, account.username, hash, account.role])?;
    }
    stats.users = hashed.len() as u64;
    Ok(())
}

const LAST_NAMES: &[&str] = &[
    "Mwakasege", "Kimaro", "Mushi", "Massawe", "Mollel", "Lyimo", "Swai", "Temba", "Shirima",
    "Mrema", "Mbwambo", "Kisanga", "Nyerere", "Mwakyusa", "Mwinyi", "Kikwete", "Magufuli",
    "Hassan", "Juma", "Omari", "Salim", "Bakari", "Mfinanga", "Ngowi", "Mapunda", "Komba",
    "Haule", "Mbilinyi", "Kapinga", "Ndunguru", "Chacha", "Wambura", "Marwa", "Mwita",
    "Nyamhanga", "Kahindi", "Otieno", "Odhiambo", "Wanjiku", "Kamau", "Mutua", "Njoroge",
    "Achieng", "Okello", "Mugisha", "Niyonzima", "Habimana", "Uwimana", "Banda", "Phiri",
];
const MALE_NAMES: &[&str] = &[
    "Juma", "Hamisi", "Baraka", "Emmanuel", "Joseph", "John", "Daudi", "Petro", "Yusuf",
    "Abdallah", "Rashidi", "Salum", "Godfrey", "Elia", "Frank", "Michael", "Paulo", "Amani",
    "Issa", "Musa", "Omari", "Ramadhani", "Selemani", "Athumani", "Erasto", "Godlisten",
    "Jackson", "Kelvin", "Lucas", "Nassoro",
];
const FEMALE_NAMES: &[&str] = &[
    "Neema", "Rehema", "Amina", "Mwanaisha", "Zawadi", "Upendo", "Grace", "Mary", "Anna",
    "Elizabeth", "Halima", "Zainabu", "Fatuma", "Saida", "Mariam", "Agnes", "Rose", "Esther",
    "Happiness", "Joyce", "Lucy", "Martha", "Tumaini", "Witness", "Rukia", "Subira", "Imani",
    "Faraja", "Pendo", "Sikudhani",
];
const PLACE_PREFIXES: &[&str] = &[
    "Kibo", "Mlima", "Bonde", "Mto", "Ziwa", "Nyika", "Pwani", "Msitu", "Jangwa", "Kisiwa",
    "Mbuga", "Kilima", "Bahari", "Mwamba", "Shamba", "Kijiji",
];
const PLACE_SUFFIXES: &[&str] = &[
    "ni", "wa", "ra", "nga", "mba", "ko", "la", "ti", "ye", "zi", "ju", "go", "shi", "ndo",
];
const ICD_CODES: &[&str] = &[
    "A09", "B50", "B54", "J06", "J18", "K29", "N39", "O80", "R50", "E11", "I10", "L03",
    "H10", "K02", "M54", "S61", "T14", "A01", "B20", "D50",
];
const ITEM_BASES: &[(&str, &str)] = &[
    ("Paracetamol", "tablets"),
    ("Amoxicillin", "capsules"),
    ("Artemether/Lumefantrine", "tablets"),
    ("Metformin", "tablets"),
    ("Ibuprofen", "tablets"),
    ("Ciprofloxacin", "tablets"),
    ("Oral rehydration salts", "sachets"),
    ("Ferrous sulphate", "tablets"),
    ("Cotrimoxazole", "tablets"),
    ("Metronidazole", "tablets"),
    ("Doxycycline", "capsules"),
    ("Amlodipine", "tablets"),
    ("Salbutamol", "inhaler"),
    ("Ceftriaxone", "vial"),
    ("Diclofenac", "ampoule"),
    ("Gauze bandage", "roll"),
    ("Syringe", "piece"),
    ("Normal saline", "bottle"),
    ("Zinc sulphate", "tablets"),
    ("Albendazole", "tablets"),
];
const STRENGTHS: &[&str] = &["50mg", "100mg", "250mg", "500mg", "1g", "5ml", "10ml"];
const SERVICE_BASES: &[(&str, &str)] = &[
    ("General consultation", "C"),
    ("Specialist consultation", "C"),
    ("Malaria rapid test", "D"),
    ("Full blood count", "D"),
    ("Urinalysis", "D"),
    ("X-ray chest", "D"),
    ("Ultrasound abdomen", "D"),
    ("Normal delivery", "S"),
    ("Caesarean section", "S"),
    ("Minor surgery", "S"),
    ("Wound dressing", "O"),
    ("Admission per day", "H"),
    ("Dental extraction", "O"),
    ("Eye examination", "C"),
    ("HIV test", "D"),
    ("Physiotherapy session", "O"),
];

/// Day-number range covered by the preformatted date strings (1920-01-01 .. today+400).
const FIRST_DAY: i32 = days_from_civil(1920, 1, 1);

struct Seeder<'c> {
    tx: &'c Transaction<'c>,
    seed: u64,
    dates: Vec<String>,
    villages: Vec<i64>,
    /// Region of each village (same index as `villages`).
    village_regions: Vec<i64>,
    /// (product id, region id or 0 for national, price).
    products: Vec<(i64, i64, f64)>,
    facilities: u32,
    item_prices: Vec<f64>,
    service_prices: Vec<f64>,
}

impl<'c> Seeder<'c> {
    fn new(tx: &'c Transaction<'c>, seed: u64) -> Self {
        let dates = (FIRST_DAY..=SEED_TODAY + 400).map(crate::date::format_day).collect();
        Self {
            tx,
            seed,
            dates,
            villages: Vec::new(),
            village_regions: Vec::new(),
            products: Vec::new(),
            facilities: 0,
            item_prices: Vec::new(),
            service_prices: Vec::new(),
        }
    }

    fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }

    /// The `YYYY-MM-DD` text of a day number (clamped to the preformatted range).
    fn day(&self, day: i32) -> &str {
        let index = usize::try_from(day - FIRST_DAY).unwrap_or(0).min(self.dates.len() - 1);
        &self.dates[index]
    }

    fn reference_data(&mut self, stats: &mut SeedStats) -> Result<(), DemoError> {
        let tx = self.tx;
        let mut rng = self.rng(1);
        tx.execute_batch(
            "INSERT INTO genders VALUES ('M', 'Male', 1), ('F', 'Female', 2), ('O', 'Other', 3);
             INSERT INTO professions VALUES (1, 'Housewife'), (2, 'Employee'),
                 (3, 'Self-employed'), (4, 'Farmer'), (5, 'Student'), (6, 'Teacher'),
                 (7, 'Trader'), (8, 'Fisherman'), (9, 'Health worker'), (10, 'Other');
             INSERT INTO education_levels VALUES (1, 'Nursery'), (2, 'Primary school'),
                 (3, 'Secondary school'), (4, 'University'), (5, 'Postgraduate studies'),
                 (6, 'Not educated'), (7, 'Other');
             INSERT INTO relations VALUES (1, 'Brother/Sister'), (2, 'Father/Mother'),
                 (3, 'Uncle/Aunt'), (4, 'Son/Daughter'), (5, 'Grand parents'),
                 (6, 'Employee'), (7, 'Others'), (8, 'Spouse');
             INSERT INTO family_types VALUES ('H', 'Household'), ('P', 'Priests'),
                 ('S', 'Students'), ('T', 'Teachers'), ('C', 'Council'), ('O', 'Others');",
        )?;

        // 4 regions x 3 districts x 4 wards x 5 villages.
        let mut loc = tx.prepare(
            "INSERT INTO locations (id, code, name, type, parent_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut hf = tx.prepare(
            "INSERT INTO health_facilities (id, code, name, level, care_type, location_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut place = |rng: &mut ChaCha8Rng| {
            let p = PLACE_PREFIXES[rng.random_range(0..PLACE_PREFIXES.len())];
            let s = PLACE_SUFFIXES[rng.random_range(0..PLACE_SUFFIXES.len())];
            format!("{p}{s}")
        };
        let mut id = 0_i64;
        let mut facility = 0_u32;
        for r in 1..=4 {
            id += 1;
            let region = id;
            loc.execute(params![region, format!("R{r}"), place(&mut rng), "R", None::<i64>])?;
            for d in 1..=3 {
                id += 1;
                let district = id;
                let district_name = place(&mut rng);
                loc.execute(params![district, format!("R{r}D{d}"), district_name, "D", region])?;
                facility += 1;
                hf.execute(params![
                    facility,
                    format!("HF{facility:04}"),
                    format!("{district_name} District Hospital"),
                    "H",
                    "B",
                    district
                ])?;
                for w in 1..=4 {
                    id += 1;
                    let ward = id;
                    let ward_name = place(&mut rng);
                    let code = format!("R{r}D{d}M{w}");
                    loc.execute(params![ward, code, ward_name, "W", district])?;
                    facility += 1;
                    let (level, care, suffix) =
                        if w % 2 == 1 { ("C", "O", "Health Centre") } else { ("D", "O", "Dispensary") };
                    hf.execute(params![
                        facility,
                        format!("HF{facility:04}"),
                        format!("{ward_name} {suffix}"),
                        level,
                        care,
                        district
                    ])?;
                    for v in 1..=5 {
                        id += 1;
                        let code = format!("R{r}D{d}M{w}V{v}");
                        loc.execute(params![id, code, place(&mut rng), "V", ward])?;
                        self.villages.push(id);
                        self.village_regions.push(region);
                    }
                }
            }
        }
        stats.locations = id as u64;
        stats.villages = self.villages.len() as u64;
        stats.health_facilities = u64::from(facility);
        self.facilities = facility;

        let mut item = tx.prepare(
            "INSERT INTO medical_items (id, code, name, package, price) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut n = 0_i64;
        for (base, package) in ITEM_BASES {
            for strength in STRENGTHS.iter().take(6) {
                n += 1;
                let price = cents(rng.random_range(0.2..40.0));
                item.execute(params![n, format!("I{n:04}"), format!("{base} {strength}"), package, price])?;
                self.item_prices.push(price);
            }
        }
        stats.medical_items = n as u64;

        let mut service = tx.prepare(
            "INSERT INTO medical_services (id, code, name, category, price)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut n = 0_i64;
        for (base, category) in SERVICE_BASES {
            for level in ["", " (level 2)", " (level 3)", " (follow-up)"] {
                n += 1;
                let price = cents(rng.random_range(1.0..120.0));
                service.execute(params![n, format!("S{n:04}"), format!("{base}{level}"), category, price])?;
                self.service_prices.push(price);
            }
        }
        stats.medical_services = n as u64;

        let mut product = tx.prepare(
            "INSERT INTO products (id, code, name, location_id, lump_sum, premium_adult,
                 max_members, insurance_period, date_from, date_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let catalogue: [(&str, &str, i64, f64); 6] = [
            ("BASIC", "Basic cover", 0, 10_000.0),
            ("PREM", "Premium cover", 0, 40_000.0),
            ("FAM", "Family plus", 0, 25_000.0),
            ("R1SP", "Region 1 special", 1, 8_000.0),
            ("R2SP", "Region 2 special", 2, 8_000.0),
            ("STUD", "Student cover", 0, 5_000.0),
        ];
        for (i, (code, name, region, lump_sum)) in catalogue.iter().enumerate() {
            let pid = i as i64 + 1;
            // Regions are the first location of each 1 + 3 * (1 + 4 * 6) block of ids.
            let location = (*region > 0).then(|| (region - 1) * 76 + 1);
            product.execute(params![
                pid,
                code,
                name,
                location,
                lump_sum,
                lump_sum / 4.0,
                if *code == "STUD" { 1 } else { 8 },
                12,
                self.day(days_from_civil(2015, 1, 1)),
                self.day(days_from_civil(2030, 12, 31)),
            ])?;
            self.products.push((pid, location.unwrap_or(0), *lump_sum));
        }
        stats.products = catalogue.len() as u64;
        Ok(())
    }

    fn families_and_insurees(&mut self, insurees: u32, stats: &mut SeedStats) -> Result<(), DemoError> {
        let tx = self.tx;
        let mut rng = self.rng(2);
        let mut fam = tx.prepare(
            "INSERT INTO families (id, head_insuree_id, location_id, poverty, family_type, address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut ins = tx.prepare(
            "INSERT INTO insurees (id, chf_id, family_id, head, last_name, other_names, gender,
                 dob, marital, phone, email, profession_id, education_id, relation_id,
                 card_issued, validity_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        let mut pol = tx.prepare(
            "INSERT INTO policies (id, family_id, product_id, enroll_date, start_date,
                 effective_date, expiry_date, status, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        // Family sizes 1..=7 with a realistic skew towards 3-5 members.
        const SIZE_WEIGHTS: [u32; 7] = [10, 14, 20, 20, 16, 12, 8];
        let mut next_insuree: u32 = 0;
        let mut family_id: i64 = 0;
        let mut policy_id: i64 = 0;
        while next_insuree < insurees {
            family_id += 1;
            let size = (weighted(&mut rng, &SIZE_WEIGHTS) as u32 + 1).min(insurees - next_insuree);
            let village_index = rng.random_range(0..self.villages.len());
            let village = self.villages[village_index];
            let last_name = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let head_id = i64::from(next_insuree) + 1;
            let poverty = rng.random_bool(0.2);
            let family_type = ["H", "H", "H", "H", "H", "H", "P", "S", "T", "O"][rng.random_range(0..10)];
            let address = format!("Plot {}, block {}", rng.random_range(1..400), rng.random_range(1..40));
            fam.execute(params![family_id, head_id, village, poverty, family_type, address])?;

            let enroll = SEED_TODAY - rng.random_range(30..3000);
            let head_gender_male = rng.random_bool(0.6);
            for member in 0..size {
                next_insuree += 1;
                let id = i64::from(next_insuree);
                let base = SEED_BASE_START + (next_insuree - 1) * 4 + rng.random_range(0..4);
                let (male, relation, age_years, marital) = match member {
                    0 => (head_gender_male, None, rng.random_range(18..80), if size > 1 { "M" } else { ["S", "W", "D", "S"][rng.random_range(0..4)] }),
                    1 => (!head_gender_male, Some(8), rng.random_range(18..70), "M"),
                    _ => (rng.random_bool(0.5), Some(if rng.random_bool(0.85) { 4 } else { 5 }), rng.random_range(0..25), "S"),
                };
                let gender = if rng.random_ratio(1, 200) { "O" } else if male { "M" } else { "F" };
                let first = if male {
                    MALE_NAMES[rng.random_range(0..MALE_NAMES.len())]
                } else {
                    FEMALE_NAMES[rng.random_range(0..FEMALE_NAMES.len())]
                };
                let dob = SEED_TODAY - age_years * 365 - rng.random_range(0..365);
                let adult = age_years >= 18;
                let phone = (adult && rng.random_bool(0.6))
                    .then(|| format!("+2557{:08}", rng.random_range(0..100_000_000_u32)));
                let email = (adult && rng.random_bool(0.1))
                    .then(|| format!("{}.{}{}@example.org", first.to_ascii_lowercase(), last_name.to_ascii_lowercase(), id));
                let profession = if adult { Some(rng.random_range(1..=10)) } else if age_years >= 6 { Some(5) } else { None };
                let education = if age_years >= 4 { Some(rng.random_range(1..=7)) } else { None };
                let card_issued = rng.random_bool(0.7);
                ins.execute(params![
                    id,
                    insurance_number(base),
                    family_id,
                    member == 0,
                    last_name,
                    first,
                    gender,
                    self.day(dob),
                    marital,
                    phone,
                    email,
                    profession,
                    education,
                    relation,
                    card_issued,
                    self.day(enroll.max(dob)),
                ])?;
            }

            // One current policy, and for older families often an expired one before it.
            let region = self.village_regions[village_index];
            let candidates: Vec<&(i64, i64, f64)> =
                self.products.iter().filter(|p| p.1 == 0 || p.1 == region).collect();
            let (product, _, value) = *candidates[rng.random_range(0..candidates.len())];
            if SEED_TODAY - enroll > 400 && rng.random_bool(0.4) {
                policy_id += 1;
                let start = enroll;
                pol.execute(params![policy_id, family_id, product, self.day(start), self.day(start), self.day(start + 7), self.day(start + 365), 8, value])?;
            }
            policy_id += 1;
            let start = SEED_TODAY - rng.random_range(0..360);
            let status = [2, 2, 2, 2, 2, 2, 2, 2, 1, 4][rng.random_range(0..10)];
            let effective = (status != 1).then(|| self.day(start + 7).to_owned());
            pol.execute(params![policy_id, family_id, product, self.day(start - 10), self.day(start), effective, self.day(start + 365), status, value])?;
        }
        stats.families = family_id as u64;
        stats.insurees = u64::from(next_insuree);
        stats.policies = policy_id as u64;
        Ok(())
    }

    fn claims(&mut self, claims: u32, stats: &mut SeedStats) -> Result<(), DemoError> {
        let tx = self.tx;
        let mut rng = self.rng(3);
        let mut claim = tx.prepare(
            "INSERT INTO claims (id, code, insuree_id, health_facility_id, icd_code, visit_type,
                 date_from, date_to, date_claimed, claimed, approved, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut item = tx.prepare(
            "INSERT INTO claim_items (id, claim_id, item_id, qty, price, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut service = tx.prepare(
            "INSERT INTO claim_services (id, claim_id, service_id, qty, price, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let insurees = stats.insurees.max(1);
        let items = self.item_prices.len();
        let services = self.service_prices.len();
        let mut item_id = 0_i64;
        let mut service_id = 0_i64;
        // Claim status codes as in openIMIS: 1 rejected, 2 entered, 4 checked,
        // 8 processed, 16 valuated.
        const STATUS: [i64; 10] = [2, 2, 2, 4, 4, 8, 8, 16, 16, 1];
        for id in 1..=i64::from(claims) {
            let insuree = rng.random_range(1..=insurees) as i64;
            let facility = rng.random_range(1..=self.facilities);
            let from = SEED_TODAY - rng.random_range(0..730);
            let inpatient = rng.random_ratio(1, 8);
            let to = from + if inpatient { rng.random_range(1..10) } else { 0 };
            let claimed_on = to + rng.random_range(0..15);
            let status = STATUS[rng.random_range(0..STATUS.len())];
            let line_status = if status == 1 { 2 } else { 1 };
            let mut total = 0.0;
            for _ in 0..rng.random_range(1..=5) {
                item_id += 1;
                let which = rng.random_range(0..items);
                let qty = rng.random_range(1..=30_i64);
                let price = self.item_prices[which];
                total += price * qty as f64;
                item.execute(params![item_id, id, which as i64 + 1, qty, price, line_status])?;
            }
            for _ in 0..rng.random_range(0..=2) {
                service_id += 1;
                let which = rng.random_range(0..services);
                let qty = if inpatient { to - from } else { 1 }.max(1);
                let price = self.service_prices[which];
                total += price * f64::from(qty);
                service.execute(params![service_id, id, which as i64 + 1, qty, price, line_status])?;
            }
            let total = cents(total);
            let approved = match status {
                1 => Some(0.0),
                8 | 16 => Some(if rng.random_ratio(1, 5) { cents(total * 0.8) } else { total }),
                _ => None,
            };
            claim.execute(params![
                id,
                format!("CL{id:07}"),
                insuree,
                facility,
                ICD_CODES[rng.random_range(0..ICD_CODES.len())],
                if inpatient { "R" } else if rng.random_ratio(1, 10) { "E" } else { "O" },
                self.day(from),
                self.day(to),
                self.day(claimed_on),
                total,
                approved,
                status,
            ])?;
        }
        stats.claims = u64::from(claims);
        stats.claim_items = item_id as u64;
        stats.claim_services = service_id as u64;
        Ok(())
    }
}

/// Index drawn with the given relative weights.
fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            return i;
        }
        pick -= w;
    }
    weights.len().saturating_sub(1)
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
