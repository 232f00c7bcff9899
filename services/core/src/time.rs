//! Time as the store and the API write it, and business time in Asia/Shanghai.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};

/// China Standard Time (UTC+8, no daylight saving since 1991).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Today in Asia/Shanghai by the system clock — for tests and tools only:
/// the service reads its own clock (`AppState::today`, [`crate::clock`]).
pub fn system_today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&shanghai()).date_naive()
}

/// The day (Asia/Shanghai) of an instant in store text form.
pub fn local_day(stored: &str) -> Option<NaiveDate> {
    from_text(stored).map(|t| t.with_timezone(&shanghai()).date_naive())
}

/// A UTC instant in the fixed-width text form used in the store and the API.
pub fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parse an RFC 3339 time, or a bare `YYYY-MM-DD` date meaning the end of that
/// day in Asia/Shanghai (what staff mean by "valid until the 30th").
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let end = d.and_hms_opt(23, 59, 59)?;
    shanghai().from_local_datetime(&end).single().map(|t| t.with_timezone(&Utc))
}

/// The first day of a `YYYY-MM` month.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    if s.len() != 7 || s.as_bytes()[4] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()
}

/// The first day of the month `n` months after `first`'s.
pub fn add_months(first: NaiveDate, n: i64) -> NaiveDate {
    use chrono::Datelike;
    let total = first.year() as i64 * 12 + first.month0() as i64 + n;
    NaiveDate::from_ymd_opt((total.div_euclid(12)) as i32, (total.rem_euclid(12) + 1) as u32, 1).expect("a valid month")
}

/// The last day of `first`'s month.
pub fn last_day(first: NaiveDate) -> NaiveDate {
    add_months(first, 1).pred_opt().expect("a day before")
}

/// Whole months from `a`'s month to `b`'s.
pub fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    use chrono::Datelike;
    (b.year() as i64 * 12 + b.month0() as i64) - (a.year() as i64 * 12 + a.month0() as i64)
}

/// Parse a stored timestamp.
pub fn from_text(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// A stored instant as staff read it, to the minute in Asia/Shanghai
/// (`2026-12-03 21:04`); text that is no instant, cut to that length.
pub fn local_minutes(stored: &str) -> String {
    match from_text(stored) {
        Some(t) => t.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M").to_string(),
        None => stored.chars().take(16).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_text_sorts_like_time() {
        let a = to_text(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
        let b = to_text(Utc.with_ymd_and_hms(2026, 10, 2, 3, 4, 5).unwrap());
        assert_eq!(a.len(), b.len());
        assert!(a < b);
        assert_eq!(a, "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn staff_read_an_instant_to_the_minute_in_shanghai() {
        assert_eq!(local_minutes("2026-12-07T20:26:45.123456Z"), "2026-12-08 04:26");
        assert_eq!(local_minutes("not a time at all"), "not a time at al");
    }

    #[test]
    fn a_bare_date_means_the_end_of_that_day_in_shanghai() {
        let t = parse_instant("2026-12-31").unwrap();
        assert_eq!(to_text(t), "2026-12-31T15:59:59.000000Z");
        assert!(parse_instant("2026-02-30").is_none());
        assert!(parse_instant("soon").is_none());
    }
}
