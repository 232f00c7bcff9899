//! The hard rules of API.md, each in one place: [`Rule::broken`] is the
//! plain-code check every answer passes before it is given, and
//! [`Rule::job_filters`] / [`Rule::person_filters`] are the same rule as
//! index filters for person→jobs and job→people. Changing a rule means
//! changing its three arms here (and the evaluation set's reading of it).

use std::ops::Bound;

use chrono::{Datelike, NaiveDate};
use jobmatch_core::domain::{EmploymentStatus, Willingness};
use jobmatch_core::idcard::age_on;
use tantivy::query::{Occur, Query};

use crate::engine::facts::{demand_rank, limit_rank, JobFacts, PersonFacts};
use crate::engine::index::{any_of, range_i64, range_u64, term, Side};

/// A hard rule: a pairing that breaks one is never answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The person wants work now.
    NotWilling,
    /// The person is out of work or in flexible work.
    Employed,
    /// The job is open and not past `valid_until`.
    Closed,
    /// The job lies in a region the person accepts.
    Region,
    /// The person's age is within the job's bounds.
    Age,
    /// The person holds every certificate the job requires.
    Certificate,
    /// The job's physical demand is within the person's limit.
    Physical,
    /// A job for certified 就业困难人员 only (a public-welfare recruitment)
    /// goes to people who could be placed in it on the day: their
    /// certification holds and they are below the statutory retirement age.
    NotCertified,
}

/// When a rule is judged: today's date (ages) and now (validity).
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    pub today: NaiveDate,
    pub now: i64,
}

type Clause = (Occur, Box<dyn Query>);

impl Rule {
    /// In the order of the evaluation set's `forbidden.tsv`: the first broken
    /// rule is the one reported.
    pub const ALL: [Rule; 8] = [
        Rule::NotWilling,
        Rule::Employed,
        Rule::Closed,
        Rule::Region,
        Rule::Age,
        Rule::Certificate,
        Rule::Physical,
        Rule::NotCertified,
    ];

    /// The code of the evaluation set and the logs.
    pub fn code(self) -> &'static str {
        match self {
            Rule::NotWilling => "not_willing",
            Rule::Employed => "employed",
            Rule::Closed => "closed",
            Rule::Region => "region",
            Rule::Age => "age",
            Rule::Certificate => "certificate",
            Rule::Physical => "physical",
            Rule::NotCertified => "not_certified",
        }
    }

    /// Whether pairing `job` with `person` breaks the rule.
    pub fn broken(self, job: &JobFacts, person: &PersonFacts, at: Moment) -> bool {
        let profile = &person.person.profile;
        let req = &job.job.input.requirements;
        match self {
            Rule::NotWilling => profile.willingness != Willingness::Now,
            Rule::Employed => {
                !matches!(profile.employment_status, EmploymentStatus::Unemployed | EmploymentStatus::Flexible)
            }
            Rule::Closed => !job.is_open(at.now),
            Rule::Region => !person.accept.iter().any(|r| job.scopes.contains(r)),
            Rule::Age => {
                let age = age_on(person.birth_date, at.today);
                req.age_min.is_some_and(|m| age < m) || req.age_max.is_some_and(|m| age > m)
            }
            Rule::Certificate => !req.certificates.iter().all(|c| profile.certificates.contains(c)),
            Rule::Physical => demand_rank(req.physical) > limit_rank(profile.physical_limit),
            Rule::NotCertified => {
                job.job.certified_only && person.placeable_through().is_none_or(|last| last < at.today)
            }
        }
    }

    /// The rule as filters on the jobs index, for `person`'s matches.
    /// `certificates` is every certificate code the vocabulary knows. The
    /// person-only rules are kept by answering nothing for an unmatchable
    /// person ([`PersonFacts::is_matchable`]).
    pub fn job_filters(self, jobs: &Side, person: &PersonFacts, certificates: &[&str], at: Moment) -> Vec<Clause> {
        let profile = &person.person.profile;
        match self {
            Rule::NotWilling | Rule::Employed => Vec::new(),
            Rule::Closed => vec![(Occur::Must, range_i64(jobs.until, Bound::Excluded(at.now), Bound::Unbounded))],
            Rule::Region => vec![(Occur::Must, any_of(jobs.region, &person.accept))],
            Rule::Age => {
                let age = age_on(person.birth_date, at.today);
                vec![
                    (Occur::Must, range_i64(jobs.age_lo, Bound::Unbounded, Bound::Included(age))),
                    (Occur::Must, range_i64(jobs.age_hi, Bound::Included(age), Bound::Unbounded)),
                ]
            }
            Rule::Certificate => {
                let not_held: Vec<String> = certificates
                    .iter()
                    .filter(|c| !profile.certificates.iter().any(|held| held == *c))
                    .map(|c| c.to_string())
                    .collect();
                if not_held.is_empty() {
                    Vec::new()
                } else {
                    vec![(Occur::MustNot, any_of(jobs.cert, &not_held))]
                }
            }
            Rule::Physical => vec![(
                Occur::Must,
                range_u64(jobs.physical, Bound::Unbounded, Bound::Included(limit_rank(profile.physical_limit))),
            )],
            Rule::NotCertified => match person.placeable_through() {
                Some(last) if last >= at.today => Vec::new(),
                _ => vec![(Occur::Must, range_i64(jobs.certified, Bound::Unbounded, Bound::Included(0)))],
            },
        }
    }

    /// The rule as filters on the people index, for `job`'s candidates. Only
    /// matchable people are indexed (`NotWilling`, `Employed`), and a job
    /// that is not open gets no candidates (`Closed`).
    pub fn person_filters(self, people: &Side, job: &JobFacts, at: Moment) -> Vec<Clause> {
        let req = &job.job.input.requirements;
        let days = |d: NaiveDate| d.signed_duration_since(NaiveDate::default()).num_days();
        match self {
            Rule::NotWilling | Rule::Employed | Rule::Closed => Vec::new(),
            Rule::Region => vec![(Occur::Must, any_of(people.region, &job.scopes))],
            Rule::Age => {
                let mut clauses = Vec::new();
                if let Some(min) = req.age_min {
                    let latest = days(born_before_for_min_age(at.today, min));
                    clauses.push((Occur::Must, range_i64(people.age_lo, Bound::Unbounded, Bound::Included(latest))));
                }
                if let Some(max) = req.age_max {
                    let earliest = days(born_after_for_max_age(at.today, max));
                    clauses.push((Occur::Must, range_i64(people.age_lo, Bound::Included(earliest), Bound::Unbounded)));
                }
                clauses
            }
            Rule::Certificate => req.certificates.iter().map(|c| (Occur::Must, term(people.cert, c))).collect(),
            Rule::Physical => vec![(
                Occur::Must,
                range_u64(people.physical, Bound::Included(demand_rank(req.physical)), Bound::Unbounded),
            )],
            Rule::NotCertified if job.job.certified_only => {
                vec![(Occur::Must, range_i64(people.certified, Bound::Included(days(at.today)), Bound::Unbounded))]
            }
            Rule::NotCertified => Vec::new(),
        }
    }
}

/// The first hard rule a pairing breaks (see [`Rule::ALL`] for the order).
pub fn broken_rule(job: &JobFacts, person: &PersonFacts, today: NaiveDate, now: i64) -> Option<&'static str> {
    Rule::ALL.into_iter().find(|rule| rule.broken(job, person, Moment { today, now })).map(Rule::code)
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
