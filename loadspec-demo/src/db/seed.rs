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
use rand::{Rng, RngCore, SeedableRng};
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
    /// Diagnoses (ICD codes).
    pub diagnoses: u64,
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
            + self.diagnoses
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
    if config.claims > 0 && config.insurees == 0 {
        return Err(DemoError::InvalidConfig(
            "claims need at least one insuree".into(),
        ));
    }
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
        "PRAGMA foreign_keys = OFF;
         PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -200000;",
    )?;
    conn.execute_batch(&schema::tables())?;

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
    uuid: String,
    username: String,
    password: String,
    role: &'static str,
    salt: String,
}

/// The seeded accounts: `Admin`/`admin123` (openIMIS' demo administrator) and `user{i}`/`password{i}`, with salts from
/// the seed so the stored hashes are deterministic too.
fn user_accounts(config: &DemoConfig) -> Vec<Account> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7573_6572);
    let mut salt = || {
        let bytes: [u8; 12] = rng.random();
        BASE64.encode(bytes)
    };
    let mut ids = Draws::new(ChaCha8Rng::seed_from_u64(config.seed ^ 0x7575_6964));
    let mut accounts = vec![Account {
        uuid: ids.uuid(),
        username: "Admin".into(),
        password: "admin123".into(),
        role: "admin",
        salt: salt(),
    }];
    for i in 0..config.users {
        accounts.push(Account {
            uuid: ids.uuid(),
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
        .map(|a| {
            (
                a,
                hash_password(&a.password, &a.salt, config.password_iterations),
            )
        })
        .collect()
}

fn insert_users(
    tx: &Transaction<'_>,
    hashed: &[(&Account, String)],
    stats: &mut SeedStats,
) -> Result<(), DemoError> {
    let mut stmt = tx.prepare(
        "INSERT INTO users (id, uuid, username, password_hash, role) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, (account, hash)) in hashed.iter().enumerate() {
        stmt.execute(params![
            i as i64 + 1,
            account.uuid,
            account.username,
            hash,
            account.role
        ])?;
    }
    stats.users = hashed.len() as u64;
    Ok(())
}

/// Seeded enrolment officers.
const OFFICERS: u32 = 12;

const LAST_NAMES: &[&str] = &[
    "Mwakasege",
    "Kimaro",
    "Mushi",
    "Massawe",
    "Mollel",
    "Lyimo",
    "Swai",
    "Temba",
    "Shirima",
    "Mrema",
    "Mbwambo",
    "Kisanga",
    "Nyerere",
    "Mwakyusa",
    "Mwinyi",
    "Kikwete",
    "Magufuli",
    "Hassan",
    "Juma",
    "Omari",
    "Salim",
    "Bakari",
    "Mfinanga",
    "Ngowi",
    "Mapunda",
    "Komba",
    "Haule",
    "Mbilinyi",
    "Kapinga",
    "Ndunguru",
    "Chacha",
    "Wambura",
    "Marwa",
    "Mwita",
    "Nyamhanga",
    "Kahindi",
    "Otieno",
    "Odhiambo",
    "Wanjiku",
    "Kamau",
    "Mutua",
    "Njoroge",
    "Achieng",
    "Okello",
    "Mugisha",
    "Niyonzima",
    "Habimana",
    "Uwimana",
    "Banda",
    "Phiri",
];
const MALE_NAMES: &[&str] = &[
    "Juma",
    "Hamisi",
    "Baraka",
    "Emmanuel",
    "Joseph",
    "John",
    "Daudi",
    "Petro",
    "Yusuf",
    "Abdallah",
    "Rashidi",
    "Salum",
    "Godfrey",
    "Elia",
    "Frank",
    "Michael",
    "Paulo",
    "Amani",
    "Issa",
    "Musa",
    "Omari",
    "Ramadhani",
    "Selemani",
    "Athumani",
    "Erasto",
    "Godlisten",
    "Jackson",
    "Kelvin",
    "Lucas",
    "Nassoro",
];
const FEMALE_NAMES: &[&str] = &[
    "Neema",
    "Rehema",
    "Amina",
    "Mwanaisha",
    "Zawadi",
    "Upendo",
    "Grace",
    "Mary",
    "Anna",
    "Elizabeth",
    "Halima",
    "Zainabu",
    "Fatuma",
    "Saida",
    "Mariam",
    "Agnes",
    "Rose",
    "Esther",
    "Happiness",
    "Joyce",
    "Lucy",
    "Martha",
    "Tumaini",
    "Witness",
    "Rukia",
    "Subira",
    "Imani",
    "Faraja",
    "Pendo",
    "Sikudhani",
];
const PLACE_PREFIXES: &[&str] = &[
    "Kibo", "Mlima", "Bonde", "Mto", "Ziwa", "Nyika", "Pwani", "Msitu", "Jangwa", "Kisiwa",
    "Mbuga", "Kilima", "Bahari", "Mwamba", "Shamba", "Kijiji",
];
const PLACE_SUFFIXES: &[&str] = &[
    "ni", "wa", "ra", "nga", "mba", "ko", "la", "ti", "ye", "zi", "ju", "go", "shi", "ndo",
];
const DIAGNOSES: &[(&str, &str)] = &[
    ("A09", "Infectious gastroenteritis and colitis"),
    ("B50", "Plasmodium falciparum malaria"),
    ("B54", "Unspecified malaria"),
    ("J06", "Acute upper respiratory infections"),
    ("J18", "Pneumonia, organism unspecified"),
    ("K29", "Gastritis and duodenitis"),
    ("N39", "Urinary tract infection"),
    ("O80", "Single spontaneous delivery"),
    ("R50", "Fever of other and unknown origin"),
    ("E11", "Type 2 diabetes mellitus"),
    ("I10", "Essential (primary) hypertension"),
    ("L03", "Cellulitis"),
    ("H10", "Conjunctivitis"),
    ("K02", "Dental caries"),
    ("M54", "Dorsalgia"),
    ("S61", "Open wound of wrist and hand"),
    ("T14", "Injury of unspecified body region"),
    ("A01", "Typhoid and paratyphoid fevers"),
    ("B20", "HIV disease"),
    ("D50", "Iron deficiency anaemia"),
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
    /// The uuids of seeded rows, from a stream of their own so that adding them changed no
    /// other seeded value.
    ids: Draws,
}

impl<'c> Seeder<'c> {
    fn new(tx: &'c Transaction<'c>, seed: u64) -> Self {
        let dates = (FIRST_DAY..=SEED_TODAY + 400)
            .map(crate::date::format_day)
            .collect();
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
            ids: Draws::new({
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(9);
                rng
            }),
        }
    }

    fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }

    /// The `YYYY-MM-DD` text of a day number (clamped to the preformatted range).
    fn day(&self, day: i32) -> &str {
        let index = usize::try_from(day - FIRST_DAY)
            .unwrap_or(0)
            .min(self.dates.len() - 1);
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
                 ('S', 'Students'), ('T', 'Teachers'), ('C', 'Council'), ('O', 'Others');
             INSERT INTO identification_types VALUES ('D', 'Driving licence', 1),
                 ('N', 'National ID', 2), ('P', 'Passport', 3), ('V', 'Voter card', 4);
             INSERT INTO confirmation_types VALUES ('A', 'Assessment', 1, 0),
                 ('B', 'Beneficiary card', 2, 0), ('C', 'Community', 3, 0), ('D', 'Disability card', 4, 0);",
        )?;

        // 4 regions x 3 districts x 4 wards x 5 villages.
        let mut loc = tx.prepare(
            "INSERT INTO locations (id, code, name, type, parent_id, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut hf = tx.prepare(
            "INSERT INTO health_facilities (id, code, name, level, care_type, location_id, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let place = |rng: &mut ChaCha8Rng| {
            let p = PLACE_PREFIXES[rng.random_range(0..PLACE_PREFIXES.len())];
            let s = PLACE_SUFFIXES[rng.random_range(0..PLACE_SUFFIXES.len())];
            format!("{p}{s}")
        };
        let mut id = 0_i64;
        let mut facility = 0_u32;
        for r in 1..=4 {
            id += 1;
            let region = id;
            loc.execute(params![
                region,
                format!("R{r}"),
                place(&mut rng),
                "R",
                None::<i64>,
                self.ids.uuid()
            ])?;
            for d in 1..=3 {
                id += 1;
                let district = id;
                let district_name = place(&mut rng);
                loc.execute(params![
                    district,
                    format!("R{r}D{d}"),
                    district_name,
                    "D",
                    region,
                    self.ids.uuid()
                ])?;
                facility += 1;
                hf.execute(params![
                    facility,
                    format!("HF{facility:04}"),
                    format!("{district_name} District Hospital"),
                    "H",
                    "B",
                    district,
                    self.ids.uuid()
                ])?;
                for w in 1..=4 {
                    id += 1;
                    let ward = id;
                    let ward_name = place(&mut rng);
                    let code = format!("R{r}D{d}M{w}");
                    loc.execute(params![
                        ward,
                        code,
                        ward_name,
                        "W",
                        district,
                        self.ids.uuid()
                    ])?;
                    facility += 1;
                    let (level, care, suffix) = if w % 2 == 1 {
                        ("C", "O", "Health Centre")
                    } else {
                        ("D", "O", "Dispensary")
                    };
                    hf.execute(params![
                        facility,
                        format!("HF{facility:04}"),
                        format!("{ward_name} {suffix}"),
                        level,
                        care,
                        district,
                        self.ids.uuid()
                    ])?;
                    for v in 1..=5 {
                        id += 1;
                        let code = format!("R{r}D{d}M{w}V{v}");
                        loc.execute(params![
                            id,
                            code,
                            place(&mut rng),
                            "V",
                            ward,
                            self.ids.uuid()
                        ])?;
                        self.villages.push(id);
                        self.village_regions.push(region);
                    }
                }
            }
        }
        stats.locations = id as u64;
        stats.villages = self.villages.len() as u64;
        self.officers(id)?;
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
                item.execute(params![
                    n,
                    format!("I{n:04}"),
                    format!("{base} {strength}"),
                    package,
                    price
                ])?;
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
                service.execute(params![
                    n,
                    format!("S{n:04}"),
                    format!("{base}{level}"),
                    category,
                    price
                ])?;
                self.service_prices.push(price);
            }
        }
        stats.medical_services = n as u64;

        let mut diagnosis =
            tx.prepare("INSERT INTO diagnoses (id, code, name) VALUES (?1, ?2, ?3)")?;
        for (i, (code, name)) in DIAGNOSES.iter().enumerate() {
            diagnosis.execute(params![i as i64 + 1, code, name])?;
        }
        stats.diagnoses = DIAGNOSES.len() as u64;

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

    /// Enrolment officers (`E00001`...), one per district, who appear in the insuree
    /// form's officer picker.
    fn officers(&mut self, locations: i64) -> Result<(), DemoError> {
        let mut officer = self.tx.prepare(
            "INSERT INTO officers (id, uuid, code, last_name, other_names, dob, phone, location_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut district = 0;
        for id in 1..=i64::from(OFFICERS) {
            let last = *self.ids.pick(LAST_NAMES);
            let first = *self.ids.pick(MALE_NAMES);
            let age_days = self.ids.range(25 * 365, 60 * 365);
            let dob = self.day(SEED_TODAY - age_days).to_owned();
            let phone = format!("+2557{:08}", self.ids.below_large(100_000_000));
            // Districts follow their region: ids 2, 27, 52 of each 76-id region block.
            district = (district % 12) + 1;
            let location = ((district - 1) / 3) * 76 + 2 + ((district - 1) % 3) * 25;
            officer.execute(params![
                id,
                self.ids.uuid(),
                format!("E{id:05}"),
                last,
                first,
                dob,
                phone,
                (location <= locations).then_some(location),
            ])?;
        }
        Ok(())
    }

    fn families_and_insurees(
        &mut self,
        insurees: u32,
        stats: &mut SeedStats,
    ) -> Result<(), DemoError> {
        let tx = self.tx;
        let mut rng = Draws::new(self.rng(2));
        let mut fam = tx.prepare(
            "INSERT INTO families (id, head_insuree_id, location_id, poverty, family_type, address,
                 uuid, validity_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut ins = tx.prepare(
            "INSERT INTO insurees (id, chf_id, family_id, head, last_name, other_names, gender,
                 dob, marital, phone, email, profession_id, education_id, relation_id,
                 card_issued, validity_from, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        let mut pol = tx.prepare(
            "INSERT INTO policies (id, family_id, product_id, enroll_date, start_date,
                 effective_date, expiry_date, status, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        // Family sizes 1..=7 with a realistic skew towards 3-5 members.
        const SIZE_WEIGHTS: [u32; 7] = [10, 14, 20, 20, 16, 12, 8];
        const FAMILY_TYPES: [&str; 10] = ["H", "H", "H", "H", "H", "H", "P", "S", "T", "O"];
        const POLICY_STATUS: [i64; 10] = [2, 2, 2, 2, 2, 2, 2, 2, 1, 4];
        let mut next_insuree: u32 = 0;
        let mut family_id: i64 = 0;
        let mut policy_id: i64 = 0;
        while next_insuree < insurees {
            family_id += 1;
            let size = (rng.weighted(&SIZE_WEIGHTS) as u32 + 1).min(insurees - next_insuree);
            let village_index = rng.below(self.villages.len() as u32) as usize;
            let village = self.villages[village_index];
            let last_name = *rng.pick(LAST_NAMES);
            let head_id = i64::from(next_insuree) + 1;
            let poverty = rng.percent(20);
            let family_type = *rng.pick(&FAMILY_TYPES);
            let address = format!("Plot {}, block {}", rng.range(1, 400), rng.range(1, 40));
            let enroll = SEED_TODAY - rng.range(30, 3000);
            let uuid = self.ids.uuid();
            fam.execute(params![
                family_id,
                head_id,
                village,
                poverty,
                family_type,
                address,
                uuid,
                format!("{}T08:00:00.000", self.day(enroll)),
            ])?;
            let head_male = rng.percent(60);
            for member in 0..size {
                next_insuree += 1;
                let id = i64::from(next_insuree);
                let base = SEED_BASE_START + (next_insuree - 1) * 4 + rng.below(4);
                let (male, relation, age, marital) = match member {
                    0 => {
                        let marital = if size > 1 {
                            "M"
                        } else {
                            *rng.pick(&["S", "W", "D", "S"])
                        };
                        (head_male, None, rng.range(18, 80), marital)
                    }
                    1 => (!head_male, Some(8), rng.range(18, 70), "M"),
                    _ => {
                        let relation = if rng.percent(85) { 4 } else { 5 };
                        (rng.percent(50), Some(relation), rng.range(0, 25), "S")
                    }
                };
                let gender = if rng.below(200) == 0 {
                    "O"
                } else if male {
                    "M"
                } else {
                    "F"
                };
                let first = if male {
                    *rng.pick(MALE_NAMES)
                } else {
                    *rng.pick(FEMALE_NAMES)
                };
                let dob = SEED_TODAY - age * 365 - rng.range(0, 365);
                let adult = age >= 18;
                let phone = (adult && rng.percent(60))
                    .then(|| format!("+2557{:08}", rng.below_large(100_000_000)));
                let email = (adult && rng.percent(10)).then(|| {
                    format!(
                        "{}.{}{id}@example.org",
                        first.to_lowercase(),
                        last_name.to_lowercase()
                    )
                });
                let profession = match age {
                    18.. => Some(rng.range(1, 11)),
                    6.. => Some(5),
                    _ => None,
                };
                let education = (age >= 4).then(|| rng.range(1, 8));
                let card_issued = rng.percent(70);
                let uuid = self.ids.uuid();
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
                    format!("{}T08:00:00.000", self.day(enroll.max(dob))),
                    uuid,
                ])?;
            }

            // One current policy, and for older families often an expired one before it.
            let region = self.village_regions[village_index];
            let candidates: Vec<&(i64, i64, f64)> = self
                .products
                .iter()
                .filter(|p| p.1 == 0 || p.1 == region)
                .collect();
            let (product, _, value) = **rng.pick(&candidates);
            if SEED_TODAY - enroll > 400 && rng.percent(40) {
                policy_id += 1;
                let (start, end) = (self.day(enroll), self.day(enroll + 365));
                pol.execute(params![
                    policy_id,
                    family_id,
                    product,
                    start,
                    start,
                    self.day(enroll + 7),
                    end,
                    8,
                    value
                ])?;
            }
            policy_id += 1;
            let start = SEED_TODAY - rng.range(0, 360);
            let status = *rng.pick(&POLICY_STATUS);
            let effective = (status != 1).then(|| self.day(start + 7));
            pol.execute(params![
                policy_id,
                family_id,
                product,
                self.day(start - 10),
                self.day(start),
                effective,
                self.day(start + 365),
                status,
                value
            ])?;
        }
        stats.families = family_id as u64;
        stats.insurees = u64::from(next_insuree);
        stats.policies = policy_id as u64;
        Ok(())
    }

    fn claims(&mut self, claims: u32, stats: &mut SeedStats) -> Result<(), DemoError> {
        let tx = self.tx;
        let mut rng = Draws::new(self.rng(3));
        let mut claim = tx.prepare(
            "INSERT INTO claims (id, code, insuree_id, health_facility_id, icd_id, visit_type,
                 date_from, date_to, date_claimed, claimed, approved, status, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut item = LineBatch::new(tx, "claim_items", "item_id")?;
        let mut service = LineBatch::new(tx, "claim_services", "service_id")?;
        let insurees = stats.insurees.max(1);
        let items = self.item_prices.len() as u32;
        let services = self.service_prices.len() as u32;
        let mut item_id = 0_i64;
        let mut service_id = 0_i64;
        // Claim status codes as in openIMIS: 1 rejected, 2 entered, 4 checked,
        // 8 processed, 16 valuated.
        const STATUS: [i64; 10] = [2, 2, 2, 4, 4, 8, 8, 16, 16, 1];
        for id in 1..=i64::from(claims) {
            let insuree = rng.below_large(insurees) as i64 + 1;
            let facility = rng.below(self.facilities) + 1;
            let from = SEED_TODAY - rng.range(0, 730);
            let inpatient = rng.below(8) == 0;
            let to = from + if inpatient { rng.range(1, 10) } else { 0 };
            let claimed_on = to + rng.range(0, 15);
            let status = *rng.pick(&STATUS);
            let line_status = if status == 1 { 2 } else { 1 };
            let mut total = 0.0;
            for _ in 0..rng.range(1, 6) {
                item_id += 1;
                let which = rng.below(items) as usize;
                let qty = rng.range(1, 31);
                let price = self.item_prices[which];
                total += price * f64::from(qty);
                item.push((id, item_id, which as i64 + 1, qty, price, line_status))?;
            }
            for _ in 0..rng.range(0, 3) {
                service_id += 1;
                let which = rng.below(services) as usize;
                let qty = if inpatient { to - from } else { 1 };
                let price = self.service_prices[which];
                total += price * f64::from(qty);
                service.push((id, service_id, which as i64 + 1, qty, price, line_status))?;
            }
            let total = cents(total);
            let approved = match status {
                1 => Some(0.0),
                8 | 16 => Some(if rng.below(5) == 0 {
                    cents(total * 0.8)
                } else {
                    total
                }),
                _ => None,
            };
            let visit_type = if inpatient {
                "R"
            } else if rng.below(10) == 0 {
                "E"
            } else {
                "O"
            };
            let uuid = self.ids.uuid();
            claim.execute(params![
                id,
                format!("CL{id:07}"),
                insuree,
                facility,
                rng.below(DIAGNOSES.len() as u32) + 1,
                visit_type,
                self.day(from),
                self.day(to),
                self.day(claimed_on),
                total,
                approved,
                status,
                uuid,
            ])?;
        }
        item.finish()?;
        service.finish()?;
        stats.claims = u64::from(claims);
        stats.claim_items = item_id as u64;
        stats.claim_services = service_id as u64;
        Ok(())
    }
}

/// A claim line: (claim id, line id, item or service id, quantity, price, status).
type Line = (i64, i64, i64, i32, f64, i64);

/// Lines per multi-row `INSERT`.
const LINES_PER_INSERT: usize = 100;

/// Claim lines buffered and inserted `LINES_PER_INSERT` rows per statement: for these
/// narrow rows the per-statement cost (step, reset, VDBE start-up) outweighs the binding,
/// most of all in unoptimised builds.
struct LineBatch<'c> {
    many: rusqlite::Statement<'c>,
    one: rusqlite::Statement<'c>,
    rows: Vec<Line>,
}

impl<'c> LineBatch<'c> {
    fn new(tx: &'c Transaction<'c>, table: &str, target: &str) -> Result<Self, DemoError> {
        let head =
            format!("INSERT INTO {table} (claim_id, id, {target}, qty, price, status) VALUES ");
        let tuples = vec!["(?, ?, ?, ?, ?, ?)"; LINES_PER_INSERT].join(", ");
        Ok(Self {
            many: tx.prepare(&format!("{head}{tuples}"))?,
            one: tx.prepare(&format!("{head}(?, ?, ?, ?, ?, ?)"))?,
            rows: Vec::with_capacity(LINES_PER_INSERT),
        })
    }

    fn push(&mut self, line: Line) -> Result<(), DemoError> {
        self.rows.push(line);
        if self.rows.len() == LINES_PER_INSERT {
            let mut index = 0;
            for &(claim, id, target, qty, price, status) in &self.rows {
                self.many.raw_bind_parameter(index + 1, claim)?;
                self.many.raw_bind_parameter(index + 2, id)?;
                self.many.raw_bind_parameter(index + 3, target)?;
                self.many.raw_bind_parameter(index + 4, qty)?;
                self.many.raw_bind_parameter(index + 5, price)?;
                self.many.raw_bind_parameter(index + 6, status)?;
                index += 6;
            }
            self.many.raw_execute()?;
            self.rows.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), DemoError> {
        for (claim, id, target, qty, price, status) in self.rows.drain(..) {
            self.one
                .execute(params![claim, id, target, qty, price, status])?;
        }
        Ok(())
    }
}

/// Random draws cut from the ChaCha8 stream 16 bits at a time.
///
/// `Rng::random_range` spends 32 or 64 bits of generator output per draw; in unoptimised
/// (`cargo run`) builds producing ChaCha blocks dominated seeding, so the many small
/// choices here take 16 bits each (multiply-shift, bias below n/65536: irrelevant for
/// synthetic data) from bytes filled in bulk.
struct Draws {
    rng: ChaCha8Rng,
    buf: [u8; 512],
    pos: usize,
}

impl Draws {
    fn new(rng: ChaCha8Rng) -> Self {
        Self {
            rng,
            buf: [0; 512],
            pos: 512,
        }
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        if self.pos + N > self.buf.len() {
            self.rng.fill_bytes(&mut self.buf);
            self.pos = 0;
        }
        let mut out = [0; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        out
    }

    /// A version-4 uuid in its usual text form.
    fn uuid(&mut self) -> String {
        crate::uuid::format_v4(self.bytes())
    }

    /// A value in `0..n` (`n` up to 65,536).
    fn below(&mut self, n: u32) -> u32 {
        if n > 1 << 16 {
            return self.below_large(u64::from(n)) as u32;
        }
        (u32::from(u16::from_le_bytes(self.bytes())) * n) >> 16
    }

    /// A value in `0..n` for `n` up to 2^32.
    fn below_large(&mut self, n: u64) -> u64 {
        (u64::from(u32::from_le_bytes(self.bytes())) * n) >> 32
    }

    /// A value in `lo..hi`.
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below(hi.abs_diff(lo)) as i32
    }

    fn percent(&mut self, p: u32) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u32) as usize]
    }

    /// Index drawn with the given relative weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut pick = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len().saturating_sub(1)
    }
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
