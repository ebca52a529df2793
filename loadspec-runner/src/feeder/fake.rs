//! Generated test data drawn from a user's seeded random stream: names, dates, ids, phone
//! numbers and e-mail addresses. The same seed gives the same data (`--seed`), so a failing
//! run can be replayed.
//!
//! Names, phone numbers and e-mails come from the [`fake`](https://crates.io/crates/fake) crate
//! (English locale); dates and ids are computed here.
//!
//! ```
//! use loadspec_runner::feeder::fake::{self, Date, Person};
//! use rand::SeedableRng as _;
//!
//! let mut rng = loadspec_runner::UserRng::seed_from_u64(7);
//! let person = Person::generate(&mut rng);
//! assert!(person.email.contains('@'));
//! let dob = fake::date_between(&mut rng, Date::new(1950, 1, 1).unwrap(), Date::new(2005, 12, 31).unwrap());
//! assert!(dob.to_string().starts_with(['1', '2']));
//! let id = fake::digits(&mut rng, 8);
//! assert_eq!(id.len(), 8);
//! ```

use std::fmt;

use ::fake::Fake as _;
use ::fake::faker::internet::en::SafeEmail;
use ::fake::faker::name::en::{FirstName, LastName};
use ::fake::faker::phone_number::en::PhoneNumber;
use rand::Rng;

/// A first name (`"Amani"`, `"Grace"`...).
pub fn first_name<R: Rng + ?Sized>(rng: &mut R) -> String {
    FirstName().fake_with_rng(rng)
}

/// A last name.
pub fn last_name<R: Rng + ?Sized>(rng: &mut R) -> String {
    LastName().fake_with_rng(rng)
}

/// A phone number in one of the locale's formats.
pub fn phone_number<R: Rng + ?Sized>(rng: &mut R) -> String {
    PhoneNumber().fake_with_rng(rng)
}

/// An e-mail address at a reserved example domain (`example.com`, `.net`, `.org`): safe to
/// send to a test target.
pub fn email<R: Rng + ?Sized>(rng: &mut R) -> String {
    SafeEmail().fake_with_rng(rng)
}

/// `n` random decimal digits (the first one not 0), e.g. for numeric identifiers.
pub fn digits<R: Rng + ?Sized>(rng: &mut R, n: usize) -> String {
    (0..n)
        .map(|i| {
            let low = u32::from(i == 0 && n > 1);
            char::from_digit(rng.random_range(low..10), 10).unwrap_or('0')
        })
        .collect()
}

/// `prefix` followed by `n` random digits, e.g. `id(rng, "CL", 7)` → `"CL4821906"`.
pub fn id<R: Rng + ?Sized>(rng: &mut R, prefix: &str, n: usize) -> String {
    format!("{prefix}{}", digits(rng, n))
}

/// A random (version 4) UUID, lower-case and hyphenated.
pub fn uuid<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0_u8; 16];
    rng.fill(&mut bytes[..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A calendar date (proleptic Gregorian); `Display` writes `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i64,
}

impl Date {
    /// The date, if it exists (`Date::new(2024, 2, 30)` is `None`).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        let date = Self {
            days: days_from_civil(i64::from(year), month, day),
        };
        (date.ymd() == (year, month, day)).then_some(date)
    }

    /// Today, in UTC.
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            days: i64::try_from(secs / 86_400).unwrap_or(0),
        }
    }

    /// Year, month (1-12) and day (1-31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(self.days);
        (i32::try_from(y).unwrap_or(i32::MAX), m, d)
    }

    /// The date `days` later (earlier if negative).
    pub fn add_days(self, days: i64) -> Self {
        Self {
            days: self.days + days,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A date drawn uniformly from `from..=to` (the bounds in either order).
pub fn date_between<R: Rng + ?Sized>(rng: &mut R, from: Date, to: Date) -> Date {
    let (low, high) = if from <= to { (from, to) } else { (to, from) };
    Date {
        days: rng.random_range(low.days..=high.days),
    }
}

/// A date of birth for an age drawn from `min_age..=max_age` years, relative to today.
pub fn birth_date<R: Rng + ?Sized>(rng: &mut R, min_age: u32, max_age: u32) -> Date {
    let today = Date::today();
    let (young, old) = (min_age.min(max_age), min_age.max(max_age));
    let latest = today.add_days(-(i64::from(young) * 36_525 / 100));
    let earliest = today.add_days(-((i64::from(old) + 1) * 36_525 / 100) + 1);
    date_between(rng, earliest, latest)
}

/// A fake person, consistent across its fields (the e-mail uses the names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// `first.last<NN>@example.org`, lower case, ASCII only.
    pub email: String,
    /// A phone number.
    pub phone: String,
    /// Date of birth, 18 to 80 years ago.
    pub birth_date: Date,
}

impl Person {
    /// A new person from the user's random stream.
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let first_name = first_name(rng);
        let last_name = last_name(rng);
        let ascii = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let email = format!(
            "{}.{}{}@example.org",
            ascii(&first_name),
            ascii(&last_name),
            rng.random_range(10..100)
        );
        Self {
            phone: phone_number(rng),
            birth_date: birth_date(rng, 18, 80),
            first_name,
            last_name,
            email,
        }
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let month = i64::from(month);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn dates_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (1969, 12, 31), (2024, 12, 31)] {
            let date = Date::new(y, m, d).unwrap();
            assert_eq!(date.ymd(), (y, m, d));
        }
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(2024, 1, 5).unwrap().to_string(), "2024-01-05");
    }

    #[test]
    fn same_seed_same_data() {
        let mut a = crate::UserRng::seed_from_u64(42);
        let mut b = crate::UserRng::seed_from_u64(42);
        assert_eq!(Person::generate(&mut a), Person::generate(&mut b));
        assert_eq!(uuid(&mut a), uuid(&mut b));
        let id = uuid(&mut a);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let dob = birth_date(&mut a, 18, 18);
        let age_days = Date::today().days - dob.days;
        assert!((18 * 365..=19 * 366).contains(&age_days), "{age_days}");
    }
}
