//! Insurance numbers (`chfId`): 8 digits plus a modulo-7 check digit, as openIMIS
//! deployments commonly configure them.

/// Seeded insurance numbers use bases from this value up (4 per insuree); bases from
/// [`FREE_BASE_START`] up are never seeded, so scenarios can create insurees with them.
pub(crate) const SEED_BASE_START: u32 = 10_000_000;

/// First base that the seeder never uses: `insurance_number(FREE_BASE_START + n)` is a
/// valid, free number for any `n` below 49,999,999.
pub const FREE_BASE_START: u32 = 50_000_000;

/// The 9-digit insurance number for an 8-digit `base` (taken modulo 100,000,000): the
/// base, zero-padded, followed by `base % 7`.
pub fn insurance_number(base: u32) -> String {
    let base = base % 100_000_000;
    format!("{base:08}{}", base % 7)
}

/// Whether `chf_id` is 9 ASCII digits whose last digit is the check digit of the first 8.
pub fn is_valid_insurance_number(chf_id: &str) -> bool {
    if chf_id.len() != 9 || !chf_id.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (base, check) = chf_id.split_at(8);
    match (base.parse::<u32>(), check.parse::<u32>()) {
        (Ok(base), Ok(check)) => base % 7 == check,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_carry_a_check_digit() {
        assert_eq!(insurance_number(10_000_000), "100000003");
        assert!(is_valid_insurance_number(&insurance_number(
            FREE_BASE_START + 12
        )));
        assert!(!is_valid_insurance_number("100000004"));
        assert!(!is_valid_insurance_number("10000000"));
        assert!(!is_valid_insurance_number("10000000a"));
    }
}
