//! Local policy as configuration (`schemas/seed/policy.toml`): certification
//! grounds and validity, and later allowance and subsidy figures.

use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use crate::vocab::ConfigFileError;

const EMBEDDED: &str = include_str!("../../../schemas/seed/policy.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ground {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub requires_group: Option<String>,
    #[serde(default)]
    pub min_age_female: Option<i64>,
    #[serde(default)]
    pub min_age_male: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    pub validity_days: i64,
    pub warn_days: i64,
    pub ground: Vec<Ground>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    pub certification: Certification,
    #[serde(default)]
    pub agency: AgencyPolicy,
    #[serde(default)]
    pub allowance: AllowancePolicy,
    #[serde(default)]
    pub report: ReportPolicy,
    pub public_welfare: WelfarePolicy,
    #[serde(default)]
    pub subsidy: SubsidyPolicy,
    #[serde(default)]
    pub evidence: EvidencePolicy,
}

/// How other departments' files name things.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidencePolicy {
    /// The kinds of employer (单位性质) the social-insurance file names:
    /// a stable code (what rules such as `excluded_employer_types` name),
    /// the Chinese name, and the other spellings the local file uses.
    pub employer_type: Vec<EmployerType>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployerType {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Default for EvidencePolicy {
    fn default() -> Self {
        let t = |code: &str, name: &str| EmployerType { code: code.into(), name: name.into(), aliases: Vec::new() };
        EvidencePolicy {
            employer_type: vec![
                t("enterprise", "企业"),
                t("government", "机关"),
                t("state_funded", "全额拨款事业单位"),
                t("public_welfare", "公益性岗位"),
                t("other", "其他"),
            ],
        }
    }
}

impl EvidencePolicy {
    /// The code of an employer kind as a file writes it (code, name or alias).
    pub fn employer_type(&self, written: &str) -> Option<&str> {
        self.employer_type
            .iter()
            .find(|t| t.code == written || t.name == written || t.aliases.iter().any(|a| a == written))
            .map(|t| t.code.as_str())
    }
}

/// The rules of direct subsidies (直补快办), each in dated versions.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyPolicy {
    #[serde(default)]
    pub rule: Vec<RuleVersion>,
}

/// The rules the engine knows.
pub const RULES: [&str; 6] =
    ["flexible_si", "employer_si", "welfare_post", "loan_interest", "living_allowance", "agency_service"];

/// One version of a subsidy rule: it applies to the months `from` to
/// `until` (YYYY-MM, inclusive; open-ended without `until`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleVersion {
    pub rule: String,
    pub from: String,
    #[serde(default)]
    pub until: Option<String>,
    /// The share of contributions paid back, as [numerator, denominator].
    #[serde(default)]
    pub share: Option<[i64; 2]>,
    /// The subsidy runs at most this many years from the first approval…
    #[serde(default)]
    pub years: Option<i64>,
    /// …or to retirement for someone within this many years of it then.
    #[serde(default)]
    pub near_retirement_years: Option<i64>,
    /// Yuan a month (the public-welfare post subsidy)…
    #[serde(default)]
    pub monthly_amount: Option<i64>,
    /// …or, for a county-level unit with its own (minimum-wage tiers
    /// differ), that unit's: unit code → yuan.
    #[serde(default)]
    pub monthly_amount_by_unit: std::collections::BTreeMap<String, i64>,
    /// At most this many yuan a month.
    #[serde(default)]
    pub monthly_cap: Option<i64>,
    /// Loans count up to this many yuan for the interest subsidy.
    #[serde(default)]
    pub loan_cap: Option<i64>,
    /// Employer kinds (`government`, `state_funded`, …) never subsidised.
    #[serde(default)]
    pub excluded_employer_types: Vec<String>,
    /// Who qualifies besides a person certified as 就业困难人员 on the
    /// month: members of these hardship groups (the loan interest subsidy).
    #[serde(default)]
    pub groups: Vec<String>,
}

impl RuleVersion {
    /// The stable name of this version, kept with every payment made under it.
    pub fn id(&self) -> String {
        format!("{}@{}", self.rule, self.from)
    }

    pub fn first_month(&self) -> NaiveDate {
        crate::time::parse_month(&self.from).expect("checked at load")
    }

    pub fn last_month(&self) -> Option<NaiveDate> {
        self.until.as_deref().and_then(crate::time::parse_month)
    }

    fn covers(&self, month: NaiveDate) -> bool {
        self.first_month() <= month && self.last_month().is_none_or(|u| month <= u)
    }

    /// What is wrong with this version for its rule (empty when fine).
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                out.push(format!("{} from {}: {what}", self.rule, self.from));
            }
        };
        need(crate::time::parse_month(&self.from).is_some(), "from must be YYYY-MM");
        need(self.until.as_deref().is_none_or(|u| crate::time::parse_month(u).is_some()), "until must be YYYY-MM");
        need(
            self.until
                .as_deref()
                .and_then(crate::time::parse_month)
                .is_none_or(|u| crate::time::parse_month(&self.from).is_some_and(|f| f <= u)),
            "until before from",
        );
        let period = |v: &Self| {
            v.years.is_some_and(|y| (1..=10).contains(&y))
                && v.near_retirement_years.is_some_and(|y| (0..=10).contains(&y))
        };
        match self.rule.as_str() {
            "flexible_si" => {
                need(self.share.is_some_and(|[n, d]| n > 0 && d > 0 && n <= d), "share [n, d] with 0 < n ≤ d");
                need(period(self), "years 1–10 and near_retirement_years 0–10");
            }
            "employer_si" => need(period(self), "years 1–10 and near_retirement_years 0–10"),
            "welfare_post" => {
                need(self.monthly_amount.is_some_and(|a| (0..=100_000).contains(&a)), "monthly_amount 0–100000");
                need(
                    self.monthly_amount_by_unit.iter().all(|(u, a)| (0..=100_000).contains(a) && is_unit_code(u)),
                    "monthly_amount_by_unit: county-level unit codes = 0–100000",
                );
            }
            "loan_interest" => {
                need(self.loan_cap.is_some_and(|a| a > 0), "loan_cap > 0");
                need(
                    self.groups.iter().all(|g| {
                        crate::domain::Group::parse(g).is_some_and(|g| g != crate::domain::Group::HardshipCertified)
                    }),
                    "groups: low_income_family, disabled, zero_employment_family (certification is the workflow's, not a tag)",
                );
            }
            "living_allowance" | "agency_service" => {}
            other => out.push(format!("unknown rule {other} (known: {})", RULES.join(", "))),
        }
        if self.monthly_cap.is_some_and(|c| c < 0) {
            out.push(format!("{} from {}: monthly_cap ≥ 0", self.rule, self.from));
        }
        out
    }
}

impl SubsidyPolicy {
    /// The version of `rule` that applies to `month`, if any.
    pub fn version(&self, rule: &str, month: NaiveDate) -> Option<&RuleVersion> {
        self.rule.iter().find(|v| v.rule == rule && v.covers(month))
    }

    /// Every problem of the rules: bad values, and two versions of one rule
    /// that apply to the same month.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.rule.iter().flat_map(RuleVersion::problems).collect();
        if !out.is_empty() {
            return out;
        }
        for (i, a) in self.rule.iter().enumerate() {
            for b in &self.rule[i + 1..] {
                let overlap = a.rule == b.rule
                    && a.last_month().is_none_or(|u| b.first_month() <= u)
                    && b.last_month().is_none_or(|u| a.first_month() <= u);
                if overlap {
                    out.push(format!("{}: the versions from {} and from {} overlap", a.rule, a.from, b.from));
                }
            }
        }
        out
    }
}

/// A kind of public-welfare position (公益性岗位类型).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionType {
    pub code: String,
    pub name: String,
    /// The job category (index-config) its recruitment is posted under.
    pub category: String,
}

/// One statutory retirement age and its gradual rise (2024 national decision).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetirementRule {
    /// `male`, `female_worker` or `female_cadre`.
    pub kind: String,
    /// The age before the reform.
    pub base_age: i64,
    /// People born in this month (`YYYY-MM`) or later retire later…
    pub reform_from_birth: String,
    /// …by one month per this many months of birth cohort…
    pub months_per_step: i64,
    /// …up to this many months.
    pub max_delay_months: i64,
}

/// Public-welfare jobs (公益性岗位).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WelfarePolicy {
    pub position_types: Vec<PositionType>,
    /// New reserve positions the city aims for each year.
    pub reserve_target: i64,
    /// Special recruitment events (专场招聘) the city holds each year.
    pub events_per_year: i64,
    /// The 公示 period in working days.
    pub publicity_working_days: u32,
    /// A post subsidy runs at most this many years…
    pub subsidy_years: i64,
    /// …or to retirement for a person within this many years of it.
    pub near_retirement_years: i64,
    /// Placements a person may have in a lifetime.
    pub max_placements: i64,
    /// The retirement kind assumed for a woman when staff do not say.
    pub default_female_kind: String,
    pub retirement: Vec<RetirementRule>,
    /// How many days ahead a 公示 may be scheduled to start.
    #[serde(default = "default_publicity_horizon_days")]
    pub publicity_horizon_days: i64,
    /// How names are masked on the public 公示: `first_and_last` (王*国) or
    /// `surname` (王**). Never in full.
    #[serde(default = "default_publicity_name_mask")]
    pub publicity_name_mask: String,
    /// The grounds on which someone whose subsidy ended may be placed again
    /// (人社部发〔2019〕124号: older, zero-employment family, severe disability).
    #[serde(default = "default_repeat_grounds")]
    pub repeat_grounds: Vec<String>,
}

fn default_publicity_horizon_days() -> i64 {
    60
}

fn default_publicity_name_mask() -> String {
    "first_and_last".into()
}

fn default_repeat_grounds() -> Vec<String> {
    ["older", "zero_employment_family", "severe_disability"].map(String::from).to_vec()
}

impl WelfarePolicy {
    pub fn position_type(&self, code: &str) -> Option<&PositionType> {
        self.position_types.iter().find(|t| t.code == code)
    }

    /// A person's retirement kind: `male`; a woman's as her record says
    /// (`retirement_kind`), else this policy's default.
    pub fn kind_of<'a>(&'a self, sex: &str, recorded: Option<&'a str>) -> &'a str {
        match (sex, recorded) {
            ("male", _) => "male",
            (_, Some(kind)) => kind,
            _ => self.default_female_kind.as_str(),
        }
    }

    pub fn retirement_kinds(&self) -> Vec<&str> {
        self.retirement.iter().map(|r| r.kind.as_str()).collect()
    }

    /// The day a person born on `birth` reaches the statutory retirement
    /// age of `kind` (None for an unknown kind).
    pub fn retirement_date(&self, birth: NaiveDate, kind: &str) -> Option<NaiveDate> {
        let rule = self.retirement.iter().find(|r| r.kind == kind)?;
        let from = crate::time::parse_month(&rule.reform_from_birth)?;
        let cohort = crate::time::months_between(from, birth);
        let delay = if cohort < 0 { 0 } else { (cohort / rule.months_per_step + 1).min(rule.max_delay_months) };
        birth.checked_add_months(Months::new((rule.base_age * 12 + delay) as u32))
    }
}

/// The end of a subsidy period that starts on `start` — the first day it
/// no longer covers — and whether it runs to retirement, for a person who
/// reaches the statutory retirement age on `retire`: `years` years, or to
/// retirement when that is within `near_years` of the start (财社〔2017〕164号
/// and 人社部发〔2019〕124号: 对距法定退休年龄不足5年的人员，可延长至退休), never
/// past retirement; `None` when retirement was reached by the start. One
/// computation for the public-welfare post subsidy and the social-insurance
/// subsidies.
pub fn subsidy_period_end(
    retire: NaiveDate,
    start: NaiveDate,
    years: i64,
    near_years: i64,
) -> Option<(NaiveDate, bool)> {
    if retire <= start {
        return None;
    }
    let after = |n: i64| start.checked_add_months(Months::new(u32::try_from(n.max(0) * 12).ok()?));
    let near_line = after(near_years)?;
    let full = after(years)?;
    if retire <= near_line || retire < full {
        Some((retire, true))
    } else {
        Some((full, false))
    }
}

/// HR agency service subsidies.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyPolicy {
    /// Months of social insurance after the labour contract before the
    /// service subsidy is due, when an agreement does not say.
    pub insurance_months: i64,
}

impl Default for AgencyPolicy {
    fn default() -> Self {
        AgencyPolicy { insurance_months: 3 }
    }
}

/// Temporary living allowance (临时生活补助) and its taper (待遇渐退).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowancePolicy {
    /// The local monthly standard in yuan…
    pub monthly_standard: i64,
    /// …or, for a county-level unit with its own (minimum-wage tiers
    /// differ), that unit's: unit code → yuan.
    #[serde(default)]
    pub by_unit: std::collections::BTreeMap<String, i64>,
    /// At most this many months per person.
    pub max_months: i64,
    /// After a placement lifts the person out: months still paid, and the
    /// share of the standard paid in them (percent).
    pub taper_months: i64,
    pub taper_percent: i64,
}

/// A county-level unit's code as the policy file may name it: six digits
/// (a county or district), or a development zone's (`330400-ETDZ`).
fn is_unit_code(code: &str) -> bool {
    let (head, zone) = code.split_once('-').unwrap_or((code, ""));
    head.len() == 6
        && head.bytes().all(|b| b.is_ascii_digit())
        && zone.bytes().all(|b| b.is_ascii_uppercase())
        && zone.len() <= 8
}

impl Default for AllowancePolicy {
    fn default() -> Self {
        AllowancePolicy {
            monthly_standard: 1131,
            by_unit: Default::default(),
            max_months: 6,
            taper_months: 3,
            taper_percent: 50,
        }
    }
}

impl AllowancePolicy {
    /// The monthly standard of the reporting unit `unit_code` (yuan).
    pub fn standard_for(&self, unit_code: Option<&str>) -> i64 {
        unit_code.and_then(|u| self.by_unit.get(u)).copied().unwrap_or(self.monthly_standard)
    }
}

/// The monthly progress report.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportPolicy {
    /// The city's yearly target of certified persons into work.
    pub city_target: i64,
    /// 报送: the day of the month each unit submits its 进度表 by…
    #[serde(default = "default_submission_day")]
    pub submission_day: u32,
    /// …and the day from which its staff are reminded.
    #[serde(default = "default_reminder_day")]
    pub reminder_day: u32,
    /// What a month's 进度表 covers: `calendar_month` (the 1st to the last
    /// day; what is recorded after the submission is sent as a correction)
    /// or `to_submission_day` (from the day after the previous month's
    /// submission day to this month's: the 26th–31st count in the next).
    #[serde(default = "default_report_period")]
    pub period: String,
    /// How many months back late evidence is still paid (补发).
    #[serde(default = "default_arrears_months")]
    pub arrears_months: i64,
}

fn default_submission_day() -> u32 {
    25
}
fn default_reminder_day() -> u32 {
    20
}
fn default_report_period() -> String {
    "calendar_month".into()
}
fn default_arrears_months() -> i64 {
    12
}

impl Default for ReportPolicy {
    fn default() -> Self {
        ReportPolicy {
            city_target: 8500,
            submission_day: default_submission_day(),
            reminder_day: default_reminder_day(),
            period: default_report_period(),
            arrears_months: default_arrears_months(),
        }
    }
}

impl ReportPolicy {
    /// The days a month's 进度表 covers (`month`: its first day).
    pub fn period_of(&self, month: NaiveDate) -> (NaiveDate, NaiveDate) {
        use crate::time::{add_months, last_day};
        match self.period.as_str() {
            "to_submission_day" => {
                let day_of = |m: NaiveDate| m.with_day(self.submission_day).unwrap_or_else(|| last_day(m));
                let before = day_of(add_months(month, -1));
                (before.succ_opt().unwrap_or(before), day_of(month))
            }
            _ => (month, last_day(month)),
        }
    }

    /// The last day to submit `month`'s 进度表 on time.
    pub fn deadline(&self, month: NaiveDate) -> NaiveDate {
        month.with_day(self.submission_day).unwrap_or(month)
    }
}

impl Policy {
    /// The embedded policy, or the file at `path`.
    pub fn load(path: Option<&Path>) -> Result<Policy, ConfigFileError> {
        let (name, text) = crate::vocab::read_config(path, "policy.toml", EMBEDDED)?;
        let policy: Policy = crate::vocab::parse(&name, &text)?;
        let bad = |message: String| ConfigFileError { file: name.clone(), line: 1, message };
        if policy.version != 1 {
            return Err(bad(format!("unsupported version {}", policy.version)));
        }
        if !(1..=3650).contains(&policy.certification.validity_days) {
            return Err(bad("certification.validity_days must be 1–3650".into()));
        }
        let w = &policy.public_welfare;
        if !(1..=366).contains(&w.publicity_horizon_days) {
            return Err(bad("public_welfare.publicity_horizon_days must be 1–366".into()));
        }
        if w.repeat_grounds.iter().any(|g| !default_repeat_grounds().contains(g)) {
            return Err(bad(
                "public_welfare.repeat_grounds may only name older, zero_employment_family, severe_disability".into(),
            ));
        }
        if !["first_and_last", "surname"].contains(&w.publicity_name_mask.as_str()) {
            return Err(bad("public_welfare.publicity_name_mask must be first_and_last or surname".into()));
        }
        let kinds = &policy.evidence.employer_type;
        let codes: std::collections::HashSet<&str> = kinds.iter().map(|t| t.code.as_str()).collect();
        if codes.len() != kinds.len() || !codes.contains("public_welfare") {
            return Err(bad("evidence.employer_type: unique codes, public_welfare among them".into()));
        }
        if let Some(bad_code) = policy
            .subsidy
            .rule
            .iter()
            .flat_map(|v| v.excluded_employer_types.iter())
            .find(|c| !codes.contains(c.as_str()))
        {
            return Err(bad(format!("excluded_employer_types names {bad_code}, not an evidence.employer_type code")));
        }
        let r = &policy.report;
        if !(1..=28).contains(&r.submission_day) || !(1..=r.submission_day).contains(&r.reminder_day) {
            return Err(bad("report.submission_day must be 1–28 and reminder_day 1–submission_day".into()));
        }
        if !["calendar_month", "to_submission_day"].contains(&r.period.as_str()) {
            return Err(bad("report.period must be calendar_month or to_submission_day".into()));
        }
        if !(1..=60).contains(&r.arrears_months) {
            return Err(bad("report.arrears_months must be 1–60".into()));
        }
        if !(1..=36).contains(&policy.agency.insurance_months) {
            return Err(bad("agency.insurance_months must be 1–36".into()));
        }
        let a = &policy.allowance;
        if !(1..=12).contains(&a.max_months) || a.monthly_standard < 0 || !(0..=100).contains(&a.taper_percent) {
            return Err(bad("allowance: max_months 1–12, monthly_standard ≥ 0, taper_percent 0–100".into()));
        }
        if a.by_unit.iter().any(|(unit, yuan)| !(1..=100_000).contains(yuan) || !is_unit_code(unit)) {
            return Err(bad(
                "allowance.by_unit: county-level unit codes (330402, 330400-ETDZ …) = 1–100000 yuan".into()
            ));
        }
        let w = &policy.public_welfare;
        if w.position_types.is_empty() || !(1..=30).contains(&w.publicity_working_days) {
            return Err(bad("public_welfare: at least one position type, publicity_working_days 1–30".into()));
        }
        if !(1..=10).contains(&w.subsidy_years) || !(0..=10).contains(&w.near_retirement_years) || w.max_placements < 1
        {
            return Err(bad(
                "public_welfare: subsidy_years 1–10, near_retirement_years 0–10, max_placements ≥ 1".into()
            ));
        }
        for r in &w.retirement {
            if crate::time::parse_month(&r.reform_from_birth).is_none() || r.months_per_step < 1 || r.base_age < 40 {
                return Err(bad(format!(
                    "public_welfare.retirement {}: reform_from_birth YYYY-MM, months_per_step ≥ 1",
                    r.kind
                )));
            }
        }
        for kind in ["male", w.default_female_kind.as_str()] {
            if !w.retirement.iter().any(|r| r.kind == kind) {
                return Err(bad(format!("public_welfare.retirement has no rule for {kind}")));
            }
        }
        let problems = policy.subsidy.problems();
        if !problems.is_empty() {
            return Err(bad(format!("subsidy.rule: {}", problems.join("; "))));
        }
        if policy.certification.ground.is_empty() {
            return Err(bad("certification needs at least one ground".into()));
        }
        Ok(policy)
    }

    pub fn ground(&self, code: &str) -> Option<&Ground> {
        self.certification.ground.iter().find(|g| g.code == code)
    }

    pub fn ground_codes(&self) -> Vec<&str> {
        self.certification.ground.iter().map(|g| g.code.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subsidy_period_runs_to_retirement_within_the_near_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let start = d("2026-10-13");
        // Far from retirement: the years.
        assert_eq!(subsidy_period_end(d("2045-01-01"), start, 3, 5), Some((d("2029-10-13"), false)));
        // Four years away, within five: to retirement, past the three years.
        assert_eq!(subsidy_period_end(d("2030-08-01"), start, 3, 5), Some((d("2030-08-01"), true)));
        // Exactly five years away: still to retirement.
        assert_eq!(subsidy_period_end(d("2031-10-13"), start, 3, 5), Some((d("2031-10-13"), true)));
        // Never past retirement, whatever the near years.
        assert_eq!(subsidy_period_end(d("2028-01-01"), start, 3, 0), Some((d("2028-01-01"), true)));
        // Retired by the start: none.
        assert_eq!(subsidy_period_end(d("2026-10-13"), start, 3, 5), None);
    }

    #[test]
    fn the_embedded_policy_holds_zhejiangs_grounds() {
        let p = Policy::load(None).unwrap();
        assert_eq!(p.certification.validity_days, 730);
        for g in ["older", "low_income_family", "long_term_unemployed", "disabled", "zero_employment_family"] {
            assert!(p.ground(g).is_some(), "{g}");
        }
        assert_eq!(p.ground("older").unwrap().min_age_female, Some(45));
    }

    #[test]
    fn subsidy_rules_are_dated_and_never_overlap() {
        let p = Policy::load(None).unwrap().subsidy;
        let m = |s: &str| crate::time::parse_month(s).unwrap();
        for rule in RULES {
            assert!(p.version(rule, m("2026-01")).is_some(), "{rule}");
        }
        assert_eq!(p.version("flexible_si", m("2026-01")).unwrap().share, Some([2, 3]));
        let version = |rule: &str, from: &str, until: Option<&str>| RuleVersion {
            rule: rule.into(),
            from: from.into(),
            until: until.map(String::from),
            share: None,
            years: None,
            near_retirement_years: None,
            monthly_amount: Some(1000),
            monthly_cap: None,
            loan_cap: None,
            excluded_employer_types: vec![],
            groups: vec![],
            monthly_amount_by_unit: Default::default(),
        };
        let two = |a, b| SubsidyPolicy { rule: vec![a, b] };
        let ok = two(version("welfare_post", "2025-01", Some("2025-06")), version("welfare_post", "2025-07", None));
        assert!(ok.problems().is_empty(), "{:?}", ok.problems());
        assert_eq!(ok.version("welfare_post", m("2025-06")).unwrap().id(), "welfare_post@2025-01");
        assert_eq!(ok.version("welfare_post", m("2025-07")).unwrap().id(), "welfare_post@2025-07");
        assert!(ok.version("welfare_post", m("2024-12")).is_none());
        let bad = two(version("welfare_post", "2025-01", Some("2025-07")), version("welfare_post", "2025-07", None));
        assert_eq!(bad.problems(), ["welfare_post: the versions from 2025-01 and from 2025-07 overlap"]);
        let open = two(version("welfare_post", "2025-01", None), version("welfare_post", "2026-01", None));
        assert_eq!(open.problems().len(), 1);
        let other = two(version("welfare_post", "2025-01", None), version("loan_interest", "2025-01", None));
        assert_eq!(other.problems(), ["loan_interest from 2025-01: loan_cap > 0"]);
    }

    #[test]
    fn retirement_ages_rise_by_the_2024_schedule() {
        let w = Policy::load(None).unwrap().public_welfare;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Before the reform's cohorts: 60 / 50 / 55.
        assert_eq!(w.retirement_date(d("1964-12-15"), "male"), Some(d("2024-12-15")));
        assert_eq!(w.retirement_date(d("1974-12-15"), "female_worker"), Some(d("2024-12-15")));
        assert_eq!(w.retirement_date(d("1969-12-15"), "female_cadre"), Some(d("2024-12-15")));
        // First cohorts: one month later.
        assert_eq!(w.retirement_date(d("1965-04-10"), "male"), Some(d("2025-05-10")));
        assert_eq!(w.retirement_date(d("1965-05-10"), "male"), Some(d("2025-07-10")));
        assert_eq!(w.retirement_date(d("1975-02-10"), "female_worker"), Some(d("2025-03-10")));
        assert_eq!(w.retirement_date(d("1975-03-10"), "female_worker"), Some(d("2025-05-10")));
        // Last cohorts: 63 / 55 / 58, and no later.
        assert_eq!(w.retirement_date(d("1976-09-01"), "male"), Some(d("2039-09-01")));
        assert_eq!(w.retirement_date(d("1990-01-01"), "male"), Some(d("2053-01-01")));
        assert_eq!(w.retirement_date(d("1984-12-01"), "female_worker"), Some(d("2039-12-01")));
        assert_eq!(w.retirement_date(d("1981-09-01"), "female_cadre"), Some(d("2039-09-01")));
        assert_eq!(w.retirement_date(d("1970-01-01"), "pilot"), None);
    }
}
