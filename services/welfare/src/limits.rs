//! The national rules on who may be placed in a public-welfare job, and for
//! how long the post subsidy runs. Plain functions of the records, so each
//! rule is tested on its own and the API only gathers the facts.

use chrono::{Months, NaiveDate};
use jobmatch_core::domain::Group;
use jobmatch_core::idcard::age_on;
use jobmatch_core::policy::{Ground, WelfarePolicy};

/// What the rules need to know about a person.
pub struct Candidate<'a> {
    pub birth: NaiveDate,
    /// `male` or `female`.
    pub sex: &'a str,
    pub groups: &'a [Group],
    /// The last day the certification as 就业困难人员 holds, when in force.
    pub certified_through: Option<NaiveDate>,
    /// `male`, `female_worker` or `female_cadre`.
    pub retirement_kind: &'a str,
}

/// Why someone may not be placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotCertified,
    PastRetirement(NaiveDate),
    PlacementLimit(i64),
    SubsidyRunning(NaiveDate),
    NotAllowedAgain,
    FilingRequired(Vec<&'static str>),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotCertified => "not_certified",
            Refusal::PastRetirement(_) => "past_retirement",
            Refusal::PlacementLimit(_) => "placement_limit",
            Refusal::SubsidyRunning(_) => "subsidy_running",
            Refusal::NotAllowedAgain => "second_placement_not_allowed",
            Refusal::FilingRequired(_) => "filing_required",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::NotCertified => "只有认定有效的就业困难人员才能安置到公益性岗位".into(),
            Refusal::PastRetirement(d) => format!("本人已于 {d} 达到法定退休年龄，不能安置"),
            Refusal::PlacementLimit(n) => format!("每人一生最多安置 {n} 次公益性岗位，本人已达上限"),
            Refusal::SubsidyRunning(d) => format!("上一次公益性岗位补贴期到 {d} 才结束，期满后才能再次安置"),
            Refusal::NotAllowedAgain => {
                "补贴期满后只有大龄就业困难人员、零就业家庭成员和重度残疾人可以再次安置，本人不属于这些人员".into()
            }
            Refusal::FilingRequired(grounds) => format!(
                "再次安置须先向上级备案（可用理由：{}），请先登记备案",
                grounds.iter().map(|g| ground_name(g)).collect::<Vec<_>>().join("、")
            ),
        }
    }
}

pub fn ground_name(code: &str) -> &'static str {
    match code {
        "older" => "大龄就业困难人员",
        "zero_employment_family" => "零就业家庭成员",
        "severe_disability" => "重度残疾人",
        _ => "其他",
    }
}

/// The grounds on which this person may be placed again on `on`: older
/// (the certification's `older` ages), a zero-employment family, or a
/// disability (staff file it as severe; the filing is the proof).
pub fn repeat_grounds(
    birth: NaiveDate,
    sex: &str,
    groups: &[Group],
    older: Option<&Ground>,
    on: NaiveDate,
    allowed: &[String],
) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let age = age_on(birth, on);
    let older_age = older.and_then(|g| if sex == "male" { g.min_age_male } else { g.min_age_female });
    if older_age.is_some_and(|min| age >= min) {
        out.push("older");
    }
    if groups.contains(&Group::ZeroEmploymentFamily) {
        out.push("zero_employment_family");
    }
    if groups.contains(&Group::Disabled) {
        out.push("severe_disability");
    }
    // Only the grounds the policy file allows (the national three, or fewer).
    out.retain(|g| allowed.iter().any(|a| a == g));
    out
}

/// Whether the person may be placed on `on`, given the ends of their
/// earlier post subsidies and the grounds of their unused filings. `Ok`
/// carries the filing ground used for a repeat placement.
pub fn may_place(
    policy: &WelfarePolicy,
    older: Option<&Ground>,
    c: &Candidate<'_>,
    earlier_subsidy_ends: &[NaiveDate],
    filed: &[String],
    on: NaiveDate,
) -> Result<Option<&'static str>, Refusal> {
    if c.certified_through.is_none_or(|last| last < on) {
        return Err(Refusal::NotCertified);
    }
    if let Some(retire) = policy.retirement_date(c.birth, c.retirement_kind) {
        if retire <= on {
            return Err(Refusal::PastRetirement(retire));
        }
    }
    if earlier_subsidy_ends.is_empty() {
        return Ok(None);
    }
    if earlier_subsidy_ends.len() as i64 >= policy.max_placements {
        return Err(Refusal::PlacementLimit(policy.max_placements));
    }
    if let Some(last) = earlier_subsidy_ends.iter().max().filter(|end| **end >= on) {
        return Err(Refusal::SubsidyRunning(*last));
    }
    let grounds = repeat_grounds(c.birth, c.sex, c.groups, older, on, &policy.repeat_grounds);
    if grounds.is_empty() {
        return Err(Refusal::NotAllowedAgain);
    }
    grounds.iter().find(|g| filed.iter().any(|f| f == *g)).map(|g| Some(*g)).ok_or(Refusal::FilingRequired(grounds))
}

/// A post-subsidy period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// `period` (the policy's years) or `retirement`.
    pub end_reason: &'static str,
}

/// The subsidy of a placement starting on `start`: the policy's years, or
/// to the day before the statutory retirement age when the person is
/// within `near_retirement_years` of it at the start — however far beyond
/// the years that is (the same computation as the social-insurance
/// subsidies: [`jobmatch_core::policy::subsidy_period_end`]).
pub fn subsidy_period(policy: &WelfarePolicy, birth: NaiveDate, kind: &str, start: NaiveDate) -> Period {
    let full = || {
        let end = start.checked_add_months(Months::new((policy.subsidy_years.max(0) * 12) as u32));
        Period { start, end: end.and_then(|e| e.pred_opt()).unwrap_or(start), end_reason: "period" }
    };
    let Some(retire) = policy.retirement_date(birth, kind) else { return full() };
    match jobmatch_core::policy::subsidy_period_end(retire, start, policy.subsidy_years, policy.near_retirement_years) {
        Some((end, to_retirement)) => Period {
            start,
            end: end.pred_opt().unwrap_or(start).max(start),
            end_reason: if to_retirement { "retirement" } else { "period" },
        },
        // Past retirement at the start (refused at selection): no days.
        None => Period { start, end: start, end_reason: "retirement" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobmatch_core::policy::Policy;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn person<'a>(birth: &str, sex: &'a str, groups: &'a [Group], kind: &'a str) -> Candidate<'a> {
        Candidate { birth: d(birth), sex, groups, certified_through: Some(d("2030-12-31")), retirement_kind: kind }
    }

    #[test]
    fn a_subsidy_runs_three_years_or_to_retirement_when_that_is_within_five_years() {
        let p = Policy::load(None).unwrap().public_welfare;
        // Young: three years less a day.
        let young = subsidy_period(&p, d("1985-03-01"), "male", d("2026-10-13"));
        assert_eq!((young.end, young.end_reason), (d("2029-10-12"), "period"));
        // A man born 1967-06-20 (the eighth four-month cohort) retires at
        // 60 + 8 months (2028-02-20): within five years, so the subsidy
        // stops the day before.
        assert_eq!(p.retirement_date(d("1967-06-20"), "male"), Some(d("2028-02-20")));
        let near = subsidy_period(&p, d("1967-06-20"), "male", d("2026-10-13"));
        assert_eq!((near.end, near.end_reason), (d("2028-02-19"), "retirement"));
        // A woman cadre born 1972-01-10 retires at 55 + 7 months.
        assert_eq!(p.retirement_date(d("1972-01-10"), "female_cadre"), Some(d("2027-08-10")));
        let cadre = subsidy_period(&p, d("1972-01-10"), "female_cadre", d("2026-10-13"));
        assert_eq!((cadre.end, cadre.end_reason), (d("2027-08-09"), "retirement"));
        // Within five years but retiring after three: to retirement all the
        // same (对距法定退休年龄不足5年的人员，可延长至退休), not three years.
        assert_eq!(p.retirement_date(d("1969-06-01"), "male"), Some(d("2030-08-01")));
        let later = subsidy_period(&p, d("1969-06-01"), "male", d("2026-10-13"));
        assert_eq!((later.end, later.end_reason), (d("2030-07-31"), "retirement"));
        let worker = subsidy_period(&p, d("1978-05-01"), "female_worker", d("2026-10-13"));
        // 50 years + 21 months: 2030-02-01, within five years: to retirement.
        assert_eq!(p.retirement_date(d("1978-05-01"), "female_worker"), Some(d("2030-02-01")));
        assert_eq!((worker.end, worker.end_reason), (d("2030-01-31"), "retirement"));
        // More than five years away: the three years.
        let far = subsidy_period(&p, d("1975-01-01"), "male", d("2026-10-13"));
        assert_eq!((far.end, far.end_reason), (d("2029-10-12"), "period"));
    }

    #[test]
    fn two_placements_at_most_and_the_second_only_for_the_groups_allowed_with_a_filing() {
        let policy = Policy::load(None).unwrap();
        let p = &policy.public_welfare;
        let older = policy.ground("older");
        let on = d("2030-01-10");
        let none: &[Group] = &[];
        let first = person("1980-01-01", "male", none, "male");
        assert_eq!(may_place(p, older, &first, &[], &[], on), Ok(None));
        // Not certified (or lapsed): never.
        let lapsed =
            Candidate { certified_through: Some(d("2030-01-09")), ..person("1980-01-01", "male", none, "male") };
        assert_eq!(may_place(p, older, &lapsed, &[], &[], on), Err(Refusal::NotCertified));
        // A second placement for someone in no allowed group.
        assert_eq!(may_place(p, older, &first, &[d("2029-12-31")], &[], on), Err(Refusal::NotAllowedAgain));
        // An older man (55+ on the day) whose subsidy ended: needs a filing, then may.
        let old = person("1972-05-01", "male", none, "male");
        assert_eq!(may_place(p, older, &old, &[d("2029-12-31")], &[], on), Err(Refusal::FilingRequired(vec!["older"])));
        assert_eq!(may_place(p, older, &old, &[d("2029-12-31")], &["older".into()], on), Ok(Some("older")));
        // …but not while the first subsidy runs, and never a third time.
        assert_eq!(
            may_place(p, older, &old, &[d("2030-01-10")], &["older".into()], on),
            Err(Refusal::SubsidyRunning(d("2030-01-10")))
        );
        assert_eq!(
            may_place(p, older, &old, &[d("2026-01-01"), d("2029-01-01")], &["older".into()], on),
            Err(Refusal::PlacementLimit(2))
        );
        // A filing on a ground the person does not have does not count.
        let zero = [Group::ZeroEmploymentFamily];
        let z = person("1990-01-01", "female", &zero, "female_worker");
        assert_eq!(
            may_place(p, older, &z, &[d("2029-12-31")], &["older".into()], on),
            Err(Refusal::FilingRequired(vec!["zero_employment_family"]))
        );
        // Past retirement: never.
        let retired = person("1960-01-01", "male", none, "male");
        assert_eq!(may_place(p, older, &retired, &[], &[], on), Err(Refusal::PastRetirement(d("2020-01-01"))));
    }
}
