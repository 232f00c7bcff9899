//! Resident identity numbers (居民身份证号码, GB 11643-1999): normalising,
//! checking, and what they tell (birth date, sex).

use chrono::{Datelike, NaiveDate};

use crate::validate::to_half_width;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
/// Province-level codes of GB/T 2260 (the first two digits).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

/// What is wrong with an ID number (the message is for staff).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> IdError {
    IdError { code, message: message.into() }
}

/// A checked ID number and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResidentId {
    /// 18 characters, digits and a final uppercase `X` where it stands.
    pub number: String,
    pub birth_date: NaiveDate,
    /// `male` or `female` (the parity of the 17th digit).
    pub sex: &'static str,
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    let digits: Vec<u32> = first17.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    Some(CHECK[(sum % 11) as usize] as char)
}

/// Normalise what is unambiguous (spaces, full-width digits, a lowercase
/// `x`) and check the rest: length, province, a real birth date not in the
/// future, and the check character.
pub fn parse(raw: &str, today: NaiveDate) -> Result<ResidentId, IdError> {
    let s: String = to_half_width(raw).chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.to_uppercase();
    if s.chars().count() != 18 {
        return Err(err("bad_length", format!("身份证号应为 18 位，实际为 {} 位", s.chars().count())));
    }
    // Every test below indexes bytes: only ASCII may reach them.
    if !s.is_ascii() {
        return Err(err("bad_characters", "身份证号前 17 位应为数字，末位为数字或 X"));
    }
    let (body, last) = s.split_at(17);
    if !body.bytes().all(|b| b.is_ascii_digit()) || !(last == "X" || last.bytes().all(|b| b.is_ascii_digit())) {
        return Err(err("bad_characters", "身份证号前 17 位应为数字，末位为数字或 X"));
    }
    if !PROVINCES.contains(&&s[..2]) {
        return Err(err("bad_region", format!("身份证号前两位 {} 不是有效的省级行政区划代码", &s[..2])));
    }
    let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
        .map_err(|_| err("bad_birth_date", format!("身份证号中的出生日期 {} 不存在", &s[6..14])))?;
    if birth > today || birth.year() < 1900 {
        return Err(err("bad_birth_date", format!("身份证号中的出生日期 {birth} 不合理")));
    }
    let expected = check_char(body).ok_or_else(|| err("bad_characters", "身份证号格式错误"))?;
    if !last.starts_with(expected) {
        return Err(err("bad_check_digit", "身份证号校验位错误，请核对"));
    }
    let sex = if s.as_bytes()[16] % 2 == 1 { "male" } else { "female" };
    Ok(ResidentId { number: s, birth_date: birth, sex })
}

/// Whole years of age on `today`.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> i64 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age as i64
}

/// `3****************4`: only the first and the last character stay.
///
/// The birth date (digits 7–14), the sequence (15–17) and the region of
/// issue all stay hidden, so no other answered field (an age, an age band,
/// the sex, the home region) can rebuild the number: with the first and last
/// characters known, some 16 digits remain unknown (GB/T 35273 practice of
/// showing as little as identifies the record to its reader).
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() != 18 {
        return "*".repeat(chars.len());
    }
    format!("{}{}{}", chars[0], "*".repeat(16), chars[17])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn make(body17: &str) -> String {
        format!("{body17}{}", check_char(body17).unwrap())
    }

    #[test]
    fn a_valid_number_gives_birth_date_and_sex() {
        let id = parse(&make("33040219680512124"), today()).unwrap();
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1968, 5, 12).unwrap());
        assert_eq!(id.sex, "female");
        assert_eq!(age_on(id.birth_date, today()), 58);
        assert_eq!(parse(&make("33040219700315123"), today()).unwrap().sex, "male");
    }

    #[test]
    fn the_published_example_check_digit_is_x() {
        // GB 11643 example: 11010519491231002X.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert!(parse("11010519491231002x", today()).is_ok(), "lowercase x is normalised");
    }

    #[test]
    fn unambiguous_forms_are_normalised() {
        let good = make("33040219680512124");
        let spaced = format!("{} {} {}", &good[..6], &good[6..14], &good[14..]);
        assert_eq!(parse(&spaced, today()).unwrap().number, good);
        let wide: String = good.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
        assert_eq!(parse(&wide, today()).unwrap().number, good);
    }

    #[test]
    fn bad_numbers_are_refused_with_a_reason() {
        let good = make("33040219680512124");
        let wrong_check = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' });
        assert_eq!(parse(&wrong_check, today()).unwrap_err().code, "bad_check_digit");
        assert_eq!(parse(&make("33040220310230111"), today()).unwrap_err().code, "bad_birth_date");
        assert_eq!(parse(&make("33040220280101111"), today()).unwrap_err().code, "bad_birth_date");
        assert_eq!(parse(&make("99040219680512124"), today()).unwrap_err().code, "bad_region");
        assert_eq!(parse("3304021968051212", today()).unwrap_err().code, "bad_length");
        assert_eq!(parse("33040219680512A24X", today()).unwrap_err().code, "bad_characters");
    }

    #[test]
    fn masks_keep_only_the_first_and_last_character() {
        assert_eq!(mask("330402196805121241"), "3****************1");
        assert_eq!(mask("3304021968"), "**********");
    }

    #[test]
    fn non_ascii_characters_are_refused_not_panicked_on() {
        // 17 ASCII characters and a multi-byte one: byte 17 is inside it.
        assert_eq!(parse("3304021968051212中4", today()).unwrap_err().code, "bad_characters");
        assert_eq!(parse("33040219680512124中", today()).unwrap_err().code, "bad_characters");
        assert_eq!(parse("中30402196805121241", today()).unwrap_err().code, "bad_characters");
    }
}
