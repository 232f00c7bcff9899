//! The hard rules of API.md, written once as plain code. The index queries
//! apply them as filters; every result is also checked here before it is
//! answered, and the property tests check answers against this function.

use chrono::{Datelike, NaiveDate};
use jobmatch_core::idcard::age_on;

use crate::engine::facts::{demand_rank, limit_rank, JobFacts, PersonFacts};

/// The first hard rule a pairing breaks, in the order of the evaluation set:
/// `not_willing` / `employed` > `closed` > `region` > `age` > `certificate` > `physical`.
pub fn broken_rule(job: &JobFacts, person: &PersonFacts, today: NaiveDate, now: i64) -> Option<&'static str> {
    use jobmatch_core::domain::{EmploymentStatus, Willingness};
    let profile = &person.person.profile;
    if profile.willingness != Willingness::Now {
        return Some("not_willing");
    }
    if !matches!(profile.employment_status, EmploymentStatus::Unemployed | EmploymentStatus::Flexible) {
        return Some("employed");
    }
    if !job.is_open(now) {
        return Some("closed");
    }
    if !person.accept.iter().any(|r| job.scopes.contains(r)) {
        return Some("region");
    }
    let age = age_on(person.birth_date, today);
    let req = &job.job.input.requirements;
    if req.age_min.is_some_and(|m| age < m) || req.age_max.is_some_and(|m| age > m) {
        return Some("age");
    }
    if !req.certificates.iter().all(|c| profile.certificates.contains(c)) {
        return Some("certificate");
    }
    if demand_rank(req.physical) > limit_rank(profile.physical_limit) {
        return Some("physical");
    }
    None
}

/// The earliest birth date (inclusive) of someone at most `age` years old on `today`.
pub fn born_after_for_max_age(today: NaiveDate, age: i64) -> NaiveDate {
    // Someone aged `age` was born after `today` minus age+1 years.
    shift_years(today, -(age + 1)).succ_opt().unwrap_or(today)
}

/// The latest birth date (inclusive) of someone at least `age` years old on `today`.
pub fn born_before_for_min_age(today: NaiveDate, age: i64) -> NaiveDate {
    shift_years(today, -age)
}

fn shift_years(d: NaiveDate, years: i64) -> NaiveDate {
    let y = d.year() + years as i32;
    NaiveDate::from_ymd_opt(y, d.month(), d.day()).unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 2, 28).expect("valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_date_bounds_agree_with_ages() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let lo = born_after_for_max_age(today, 55);
        assert_eq!(age_on(lo, today), 55);
        assert_eq!(age_on(lo.pred_opt().unwrap(), today), 56);
        let hi = born_before_for_min_age(today, 18);
        assert_eq!(age_on(hi, today), 18);
        assert_eq!(age_on(hi.succ_opt().unwrap(), today), 17);
        // A leap-day birthday.
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(age_on(born_before_for_min_age(leap, 18), leap), 18);
    }
}
