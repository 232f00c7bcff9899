//! The rule engine: what each subsidy rule makes due for a month, computed
//! from the records only (evidence, certifications, placements, public-welfare
//! registrations, allowances, agreements) under the version of the rule that
//! applies to that month (the policy file's `[[subsidy.rule]]`).
//!
//! The facts are gathered once per month ([`Facts::load`]); each rule is a
//! plain function of them ([`due`]), so each is tested on its own.
//!
//! - A month counts as certified when the certification holds on its first
//!   or its last day (a certification that lapses mid-month pays that month).
//! - A subsidy period starts at the first approved month under the rule (the
//!   month being computed when none is approved yet); the person's age is
//!   judged then: within `near_retirement_years` of the statutory retirement
//!   age the period runs to retirement, else `years`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use jobmatch_core::policy::{Policy, RuleVersion};
use jobmatch_core::AppState;

use super::money::{share, yuan};
use crate::outcomes::allowances::{lifted, schedule};
use crate::outcomes::figures::{certified_on, CertRow};
use crate::outcomes::{add_months, last_day, month_text, parse_month};

/// One payment a rule makes due.
#[derive(Clone, Debug, PartialEq)]
pub struct Due {
    pub rule: &'static str,
    pub rule_version: String,
    /// `person`, `employer` or `agency`.
    pub payee_kind: &'static str,
    /// The person's id, the employer's credit code (or public-welfare
    /// position), the agency's organisation id.
    pub payee_code: String,
    pub payee_name: String,
    /// Whom the payment is for.
    pub person_id: String,
    pub unit_code: String,
    pub amount_fen: i64,
    /// The records it rests on.
    pub evidence: Vec<String>,
    /// How the amount was reached, in Chinese.
    pub basis: String,
    /// A payment made once for a person and a cause rather than monthly
    /// (the agency's service subsidy: once per agreement): the cause.
    pub once_for: Option<String>,
}

impl Due {
    /// What may be paid only once: the rule, the payee, the person, the
    /// month — or, for a one-off payment, its cause in place of the month.
    pub fn claim(&self, month: &str) -> String {
        claim_text(
            self.rule,
            self.payee_kind,
            &self.payee_code,
            &self.person_id,
            self.once_for.as_deref().unwrap_or(month),
        )
    }
}

/// A claim as stored: rule, payee, person, and the month (or the one-off
/// payment's cause) it is for.
pub fn claim_text(rule: &str, payee_kind: &str, payee_code: &str, person_id: &str, per: &str) -> String {
    format!("{rule}|{payee_kind}:{payee_code}|{person_id}|{per}")
}

/// The agreement an agency service subsidy row was paid under, from its
/// evidence as stored (a JSON list `[placement, agreement]`).
pub fn agreement_of(evidence: &str) -> Option<String> {
    serde_json::from_str::<Vec<String>>(evidence).ok()?.get(1).cloned()
}

/// What the agency service subsidy is paid once for: its agreement.
pub fn agreement_cause(agreement_id: &str) -> String {
    format!("agreement:{agreement_id}")
}

#[derive(Clone, Debug)]
pub struct PersonFacts {
    pub name: String,
    pub unit_code: String,
    pub birth: NaiveDate,
    pub sex: String,
    pub certified: bool,
    /// The hardship groups (`low_income_family`, …) on the record.
    pub groups: Vec<String>,
    /// A woman's retirement kind as the record says (worker or cadre).
    pub female_kind: Option<String>,
}

impl PersonFacts {
    /// The retirement kind: `male`; a woman's as her record says, else the
    /// policy's default.
    pub fn retirement_kind<'a>(&'a self, policy: &'a Policy) -> &'a str {
        policy.public_welfare.kind_of(&self.sex, self.female_kind.as_deref())
    }
}

#[derive(Clone, Debug)]
pub struct Contribution {
    pub id: String,
    pub person_id: String,
    pub kind: String,
    pub employer_code: String,
    pub employer_name: String,
    pub employer_type: String,
    pub total_fen: i64,
}

#[derive(Clone, Debug)]
pub struct WelfarePost {
    pub placement_id: String,
    pub person_id: String,
    pub position_id: String,
    pub employer_name: String,
    pub unit_code: String,
    pub subsidy_start: String,
    pub subsidy_end: String,
}

#[derive(Clone, Debug)]
pub struct Loan {
    pub id: String,
    pub person_id: String,
    pub bank: String,
    pub amount_fen: i64,
    pub rate_ppm: i64,
    /// The day the money was lent and the day it falls due: interest runs
    /// from the first and up to (not on) the second.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The person's first guaranteed loan.
    pub first: bool,
    /// A business registered in the person's name by the month's end.
    pub business: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AllowanceMonth {
    pub allowance_id: String,
    pub person_id: String,
    pub amount_fen: i64,
    pub tapered: bool,
}

#[derive(Clone, Debug)]
pub struct AgencyDue {
    pub placement_id: String,
    pub person_id: String,
    pub agency_org_id: String,
    pub agency_name: String,
    pub agreement_id: String,
    pub amount_yuan: i64,
    pub months: i64,
}

/// Everything the rules look at for one month.
#[derive(Default)]
pub struct Facts {
    pub people: HashMap<String, PersonFacts>,
    pub contributions: Vec<Contribution>,
    pub unemployment_benefit: HashMap<String, String>,
    pub welfare: Vec<WelfarePost>,
    pub loans: Vec<Loan>,
    pub allowances: Vec<AllowanceMonth>,
    pub agencies: Vec<AgencyDue>,
    /// (rule, person) → the first approved month under the rule.
    pub first_approved: HashMap<(String, String), NaiveDate>,
    /// (person, agreement) whose agency service subsidy was approved or paid
    /// (and not reversed), whatever its claim says: never due again.
    pub agency_paid: HashSet<(String, String)>,
}

/// The days of `month` (its first day) the loan ran, and the month's days.
pub fn loan_days(loan: &Loan, month: NaiveDate) -> (i64, i64) {
    let next = add_months(month, 1);
    let from = loan.starts_on.max(month);
    let until = loan.ends_on.min(next);
    ((until - from).num_days().max(0), (next - month).num_days())
}

/// The end of a subsidy period that starts in `start` (the first day the
/// period no longer covers), and whether it runs to retirement; `None`
/// when the person had reached retirement at the start.
/// `kind`: the person's retirement kind (`male`, `female_worker`, `female_cadre`).
pub fn period_end(
    v: &RuleVersion,
    policy: &Policy,
    birth: NaiveDate,
    kind: &str,
    start: NaiveDate,
) -> Option<(NaiveDate, bool)> {
    let retire = policy.public_welfare.retirement_date(birth, kind)?;
    jobmatch_core::policy::subsidy_period_end(retire, start, v.years.unwrap_or(3), v.near_retirement_years.unwrap_or(0))
}

/// The rules that share one subsidy period per person.
const SI_RULES: [&str; 2] = ["flexible_si", "employer_si"];

/// Everything due for `month` under the policy, before any unit filter.
pub fn due(facts: &Facts, policy: &Policy, month: NaiveDate) -> Vec<Due> {
    let mut out = Vec::new();
    let rules = &policy.subsidy;
    let month_s = month_text(month);
    let (first, last) = (month, last_day(month));
    let in_welfare: HashSet<&str> = facts
        .welfare
        .iter()
        .filter(|w| {
            w.subsidy_start.as_str() <= last.to_string().as_str()
                && w.subsidy_end.as_str() >= first.to_string().as_str()
        })
        .map(|w| w.person_id.as_str())
        .collect();
    // One social-insurance subsidy period per person (财社〔2017〕164号: the
    // period is the person's, judged at the first approval), whichever of
    // the two rules paid first: 灵活就业 then 单位吸纳 is one period, not two.
    let period = |v: &RuleVersion, person: &PersonFacts, person_id: &str| {
        let start = SI_RULES
            .iter()
            .filter_map(|rule| facts.first_approved.get(&(rule.to_string(), person_id.to_string())).copied())
            .min()
            .unwrap_or(month)
            .min(month);
        let (end, to_retirement) = period_end(v, policy, person.birth, person.retirement_kind(policy), start)?;
        (month < end).then(|| {
            let why = if to_retirement {
                "距法定退休年龄不足规定年限，补贴至退休"
            } else {
                "补贴期按年限计"
            };
            format!("补贴期 {} 起至 {} 止（{why}）", month_text(start), end.pred_opt().unwrap_or(end))
        })
    };

    if let Some(v) = rules.version("flexible_si", month) {
        let [n, d] = v.share.unwrap_or([2, 3]);
        for c in facts.contributions.iter().filter(|c| c.kind == "flexible") {
            let Some(p) = facts.people.get(&c.person_id).filter(|p| p.certified) else { continue };
            let Some(when) = period(v, p, &c.person_id) else { continue };
            let mut amount = share(c.total_fen, n, d);
            if let Some(cap) = v.monthly_cap {
                amount = amount.min(cap * 100);
            }
            out.push(Due {
                rule: "flexible_si",
                rule_version: v.id(),
                payee_kind: "person",
                payee_code: c.person_id.clone(),
                payee_name: p.name.clone(),
                person_id: c.person_id.clone(),
                unit_code: p.unit_code.clone(),
                amount_fen: amount,
                evidence: vec![c.id.clone()],
                basis: format!("{month_s} 灵活就业实缴社保 {} 元 × {n}/{d}；{when}", yuan(c.total_fen)),
                once_for: None,
            });
        }
    }

    if let Some(v) = rules.version("employer_si", month) {
        for c in facts.contributions.iter().filter(|c| c.kind == "employer") {
            let Some(p) = facts.people.get(&c.person_id).filter(|p| p.certified) else { continue };
            if v.excluded_employer_types.contains(&c.employer_type)
                || in_welfare.contains(c.person_id.as_str())
                || facts.unemployment_benefit.contains_key(&c.person_id)
            {
                continue;
            }
            let Some(when) = period(v, p, &c.person_id) else { continue };
            out.push(Due {
                rule: "employer_si",
                rule_version: v.id(),
                payee_kind: "employer",
                payee_code: c.employer_code.clone(),
                payee_name: c.employer_name.clone(),
                person_id: c.person_id.clone(),
                unit_code: p.unit_code.clone(),
                amount_fen: c.total_fen,
                evidence: vec![c.id.clone()],
                basis: format!("{month_s} 单位缴纳养老、医疗、失业保险 {} 元；{when}", yuan(c.total_fen)),
                once_for: None,
            });
        }
    }

    if let Some(v) = rules.version("welfare_post", month) {
        for w in facts.welfare.iter().filter(|w| in_welfare.contains(w.person_id.as_str())) {
            let Some(p) = facts.people.get(&w.person_id) else { continue };
            let unit = if w.unit_code.is_empty() { &p.unit_code } else { &w.unit_code };
            // The unit's own amount where the policy gives one.
            let post = v.monthly_amount_by_unit.get(unit).copied().or(v.monthly_amount).unwrap_or(0) * 100;
            let si: Vec<&Contribution> = facts
                .contributions
                .iter()
                .filter(|c| c.person_id == w.person_id && c.kind == "employer" && c.employer_type == "public_welfare")
                .collect();
            let si_fen: i64 = si.iter().map(|c| c.total_fen).sum();
            let mut evidence = vec![w.placement_id.clone()];
            evidence.extend(si.iter().map(|c| c.id.clone()));
            out.push(Due {
                rule: "welfare_post",
                rule_version: v.id(),
                payee_kind: "employer",
                payee_code: format!("welfare:{}", w.position_id),
                payee_name: w.employer_name.clone(),
                person_id: w.person_id.clone(),
                unit_code: if w.unit_code.is_empty() { p.unit_code.clone() } else { w.unit_code.clone() },
                amount_fen: post + si_fen,
                evidence,
                basis: format!(
                    "岗位补贴 {} 元 + 单位缴纳社保 {} 元；补贴期 {} 至 {}",
                    yuan(post),
                    yuan(si_fen),
                    w.subsidy_start,
                    w.subsidy_end
                ),
                once_for: None,
            });
        }
    }

    if let Some(v) = rules.version("loan_interest", month) {
        let cap = v.loan_cap.unwrap_or(0) * 100;
        for l in facts.loans.iter().filter(|l| l.first) {
            // A founder in a hardship group: certified on the month, or in
            // one of the groups the rule names (the seed: 困难群体).
            let eligible = |p: &&PersonFacts| p.certified || p.groups.iter().any(|g| v.groups.contains(g));
            let Some(p) = facts.people.get(&l.person_id).filter(eligible) else { continue };
            let Some(business) = &l.business else { continue };
            let counted = l.amount_fen.min(cap);
            // A month the loan runs only part of (the first and the last)
            // pays the interest of the days it ran.
            let (days, in_month) = loan_days(l, month);
            if days == 0 {
                continue;
            }
            let amount = share(counted, l.rate_ppm * days, 12 * 1_000_000 * in_month);
            let part = if days < in_month { format!(" × {days}/{in_month} 天") } else { String::new() };
            out.push(Due {
                rule: "loan_interest",
                rule_version: v.id(),
                payee_kind: "person",
                payee_code: l.person_id.clone(),
                payee_name: p.name.clone(),
                person_id: l.person_id.clone(),
                unit_code: p.unit_code.clone(),
                amount_fen: amount,
                evidence: vec![l.id.clone(), business.clone()],
                basis: format!(
                    "首次创业担保贷款（{}）{} 元（贴息上限 {} 元）× 年利率 {}% ÷ 12{part}",
                    l.bank,
                    yuan(l.amount_fen),
                    yuan(cap),
                    l.rate_ppm as f64 / 10_000.0
                ),
                once_for: None,
            });
        }
    }

    if let Some(v) = rules.version("living_allowance", month) {
        for a in facts.allowances.iter().filter(|a| a.amount_fen > 0) {
            let Some(p) = facts.people.get(&a.person_id) else { continue };
            out.push(Due {
                rule: "living_allowance",
                rule_version: v.id(),
                payee_kind: "person",
                payee_code: a.person_id.clone(),
                payee_name: p.name.clone(),
                person_id: a.person_id.clone(),
                unit_code: p.unit_code.clone(),
                amount_fen: a.amount_fen,
                evidence: vec![a.allowance_id.clone()],
                basis: if a.tapered {
                    "临时生活补助（就业后待遇渐退）".into()
                } else {
                    "临时生活补助".into()
                },
                once_for: None,
            });
        }
    }

    if let Some(v) = rules.version("agency_service", month) {
        for a in facts
            .agencies
            .iter()
            .filter(|a| !facts.agency_paid.contains(&(a.person_id.clone(), a.agreement_id.clone())))
        {
            let Some(p) = facts.people.get(&a.person_id) else { continue };
            out.push(Due {
                rule: "agency_service",
                rule_version: v.id(),
                payee_kind: "agency",
                payee_code: a.agency_org_id.clone(),
                payee_name: a.agency_name.clone(),
                person_id: a.person_id.clone(),
                unit_code: p.unit_code.clone(),
                amount_fen: a.amount_yuan * 100,
                evidence: vec![a.placement_id.clone(), a.agreement_id.clone()],
                basis: format!(
                    "签订劳动合同后单位参保缴费满 {} 个月（社保数据），按协议每人 {} 元，每人每协议一次",
                    a.months, a.amount_yuan
                ),
                once_for: Some(agreement_cause(&a.agreement_id)),
            });
        }
    }
    out.retain(|d| d.amount_fen > 0);
    out
}

/// id, name, unit, birth date, sex, groups (JSON), the record's document.
type PersonRow = (String, String, Option<String>, String, String, String, String);

/// id, person, kind, employer code, name, type, pension, medical, unemployment.
type ContributionRow = (String, String, String, String, Option<String>, Option<String>, i64, i64, i64);
/// placement, person, position, employer, unit, subsidy start, subsidy end.
type WelfareRow = (String, String, String, String, Option<String>, String, String);
/// id, person, bank, amount, rate, starts on, a business registration, ends on.
type LoanRow = (String, String, String, i64, i64, String, Option<String>, String);

/// The people of a unit (`$n`) as a SQL set: those filed there, and those
/// in a public-welfare post of the unit; for `""` everyone. (Two texts, so
/// that a unit's set is read by its index.)
fn in_unit(n: usize, unit: &str) -> String {
    if unit.is_empty() {
        format!("(SELECT id FROM persons WHERE ${n} = '')")
    } else {
        format!(
            "(SELECT id FROM persons WHERE unit_code = ${n}
              UNION SELECT r.person_id FROM welfare_registrations r JOIN welfare_positions w ON w.id = r.position_id
              WHERE w.unit_code = ${n})"
        )
    }
}

impl Facts {
    /// Gather the facts of `month` from the store, for the people of `unit`
    /// (`""`: the whole city).
    pub async fn load(state: &AppState, month: NaiveDate, unit: &str) -> anyhow::Result<Facts> {
        let pool = &state.db.pool;
        let month_s = month_text(month);
        let (first, last) = (month.to_string(), last_day(month).to_string());
        // Allowances run at most max_months (+ taper) from their start.
        let allowance_from =
            month_text(add_months(month, -(state.policy.allowance.max_months + state.policy.allowance.taper_months)));
        let mut facts = Facts::default();

        // The three largest readings at once, each on its own task (decoding
        // rows is CPU work; the store answers them in parallel).
        // Whose people and certifications to read: a unit's people; for the
        // whole city only those the month's records are about (a superset:
        // the rules then decide).
        let (who, who_binds): (String, Vec<String>) = if unit.is_empty() {
            (
                "(SELECT person_id FROM si_contributions WHERE month = $1
                  UNION SELECT person_id FROM welfare_registrations WHERE subsidy_start <= $3 AND subsidy_end >= $2
                  UNION SELECT person_id FROM startup_loans WHERE starts_on <= $3 AND ends_on >= $2
                  UNION SELECT person_id FROM allowances WHERE start_month <= $1 AND start_month >= $4)"
                    .to_string(),
                vec![month_s.clone(), first.clone(), last.clone(), allowance_from.clone()],
            )
        } else {
            (in_unit(1, unit), vec![unit.to_string()])
        };
        let people = {
            let (pool, sql, binds) = (
                pool.clone(),
                format!("SELECT id, name, unit_code, birth_date, sex, groups, doc FROM persons WHERE id IN {who}"),
                who_binds.clone(),
            );
            tokio::spawn(async move {
                let mut q = sqlx::query_as::<_, PersonRow>(&sql);
                for b in binds {
                    q = q.bind(b);
                }
                q.fetch_all(&pool).await
            })
        };
        let certs = {
            let (pool, sql, binds) = (
                pool.clone(),
                format!(
                    "SELECT e.person_id, e.from_status, e.to_status, e.grounds, e.valid_until, e.effective_on
                     FROM certification_events e WHERE e.person_id IN {who}
                     ORDER BY e.person_id, e.id"
                ),
                who_binds,
            );
            tokio::spawn(async move {
                let mut q = sqlx::query_as::<_, CertRow>(&sql);
                for b in binds {
                    q = q.bind(b);
                }
                q.fetch_all(&pool).await
            })
        };
        let contributions = {
            let (pool, sql, unit, month) = (pool.clone(), format!(
                "SELECT id, person_id, kind, employer_code, employer_name, employer_type, pension_fen, medical_fen, unemployment_fen
                 FROM si_contributions WHERE month = $1 AND person_id IN {} ORDER BY person_id, kind, employer_code",
                in_unit(2, unit)
            ), unit.to_string(), month_s.clone());
            tokio::spawn(async move {
                sqlx::query_as::<_, ContributionRow>(&sql).bind(month).bind(unit).fetch_all(&pool).await
            })
        };
        let (people, certs, contributions) = (people.await??, certs.await??, contributions.await??);
        let mut by_person: HashMap<&str, Vec<CertRow>> = HashMap::new();
        for c in &certs {
            by_person.entry(c.0.as_str()).or_default().push(c.clone());
        }
        for (id, name, unit, birth, sex, groups, doc) in people {
            let events = by_person.get(id.as_str());
            let certified = events.is_some_and(|e| certified_on(e, &first) || certified_on(e, &last));
            let Ok(birth) = NaiveDate::parse_from_str(&birth, "%Y-%m-%d") else { continue };
            let groups = serde_json::from_str(&groups).unwrap_or_default();
            let unit_code = unit.unwrap_or_default();
            let female_kind = serde_json::from_str::<serde_json::Value>(&doc)
                .ok()
                .and_then(|d| d["retirement_kind"].as_str().map(String::from));
            facts.people.insert(id, PersonFacts { name, unit_code, birth, sex, certified, groups, female_kind });
        }

        facts.contributions = contributions
            .into_iter()
            .map(|r| Contribution {
                id: r.0,
                person_id: r.1,
                kind: r.2,
                employer_code: r.3,
                employer_name: r.4.unwrap_or_default(),
                employer_type: r.5.unwrap_or_default(),
                total_fen: r.6 + r.7 + r.8,
            })
            .collect();
        let benefit: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT person_id, id FROM ui_payments WHERE month = $1 AND person_id IN {}",
            in_unit(2, unit)
        ))
        .bind(&month_s)
        .bind(unit)
        .fetch_all(pool)
        .await?;
        facts.unemployment_benefit = benefit.into_iter().collect();

        let welfare: Vec<WelfareRow> = sqlx::query_as(&format!(
            "SELECT r.placement_id, r.person_id, r.position_id, w.employer_name, w.unit_code, r.subsidy_start, r.subsidy_end
             FROM welfare_registrations r
             JOIN welfare_positions w ON w.id = r.position_id
             JOIN placements p ON p.id = r.placement_id
             WHERE r.subsidy_start <= $2 AND r.subsidy_end >= $1 AND (w.unit_code = $3 OR r.person_id IN {})
               AND (p.ended_on IS NULL OR p.ended_on >= $1)
               AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)
             ORDER BY r.person_id",
            in_unit(3, unit)
        ))
        .bind(&first)
        .bind(&last)
        .bind(unit)
        .fetch_all(pool)
        .await?;
        facts.welfare = welfare
            .into_iter()
            .map(|r| WelfarePost {
                placement_id: r.0,
                person_id: r.1,
                position_id: r.2,
                employer_name: r.3,
                unit_code: r.4.unwrap_or_default(),
                subsidy_start: r.5,
                subsidy_end: r.6,
            })
            .collect();

        let loans: Vec<LoanRow> = sqlx::query_as(&format!(
            "SELECT l.id, l.person_id, l.bank, l.amount_fen, l.rate_ppm, l.starts_on,
                    (SELECT MIN(b.id) FROM business_registrations b WHERE b.person_id = l.person_id AND b.registered_on <= $2),
                    l.ends_on
             FROM startup_loans l WHERE l.starts_on <= $2 AND l.ends_on >= $1 AND l.person_id IN {}
             ORDER BY l.person_id",
            in_unit(3, unit)
        ))
        .bind(&first)
        .bind(&last)
        .bind(unit)
        .fetch_all(pool)
        .await?;
        let firsts: Vec<(String, String)> = sqlx::query_as(
            "SELECT person_id, MIN(starts_on) FROM startup_loans
             WHERE person_id IN (SELECT person_id FROM startup_loans WHERE starts_on <= $2 AND ends_on >= $1)
             GROUP BY person_id",
        )
        .bind(&first)
        .bind(&last)
        .fetch_all(pool)
        .await?;
        let firsts: HashMap<String, String> = firsts.into_iter().collect();
        facts.loans = loans
            .into_iter()
            .filter_map(|r| {
                Some(Loan {
                    first: firsts.get(&r.1) == Some(&r.5),
                    starts_on: NaiveDate::parse_from_str(&r.5, "%Y-%m-%d").ok()?,
                    ends_on: NaiveDate::parse_from_str(&r.7, "%Y-%m-%d").ok()?,
                    id: r.0,
                    person_id: r.1,
                    bank: r.2,
                    amount_fen: r.3,
                    rate_ppm: r.4,
                    business: r.6,
                })
            })
            .collect();

        let allowances: Vec<(String, String, String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, person_id, start_month, months, monthly_amount FROM allowances
             WHERE start_month <= $1 AND start_month >= $2 AND person_id IN {}",
            in_unit(3, unit)
        ))
        .bind(&month_s)
        .bind(&allowance_from)
        .bind(unit)
        .fetch_all(pool)
        .await?;
        let started: Vec<(String, String)> = sqlx::query_as(
            "SELECT person_id, started_on FROM placements p
             WHERE person_id IN (SELECT person_id FROM allowances WHERE start_month <= $1 AND start_month >= $2)
               AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)",
        )
        .bind(&month_s)
        .bind(&allowance_from)
        .fetch_all(pool)
        .await?;
        for (id, person, start, months, amount) in allowances {
            let Some(start) = parse_month(&start) else { continue };
            let lifted = lifted(start, started.iter().filter(|s| s.0 == person).map(|s| s.1.as_str()));
            let plan = schedule(start, months, amount, lifted, &state.policy.allowance);
            if let Some(pay) = plan.iter().find(|p| p.month == month_s) {
                facts.allowances.push(AllowanceMonth {
                    allowance_id: id,
                    person_id: person,
                    amount_fen: pay.fen,
                    tapered: pay.tapered,
                });
            }
        }

        for q in crate::outcomes::subsidies::qualified(pool, &state.policy, "").await? {
            if q.qualified_on.starts_with(&month_s) && facts.people.contains_key(&q.person_id) {
                facts.agencies.push(AgencyDue {
                    placement_id: q.placement_id,
                    person_id: q.person_id,
                    agency_org_id: q.agency_org_id,
                    agency_name: q.agency_name,
                    agreement_id: q.agreement_id,
                    amount_yuan: q.amount,
                    months: q.months,
                });
            }
        }

        let approved: Vec<(String, String, String)> = sqlx::query_as(&format!(
            "SELECT rule, person_id, MIN(period_month) FROM payment_rows
             WHERE state IN ('approved', 'paid') AND reverses IS NULL AND person_id IN {}
             GROUP BY rule, person_id",
            in_unit(1, unit)
        ))
        .bind(unit)
        .fetch_all(pool)
        .await?;
        for (rule, person, m) in approved {
            if let Some(m) = parse_month(&m) {
                facts.first_approved.insert((rule, person), m);
            }
        }
        // Agency subsidies approved or paid under any claim (one listed
        // before claims named the agreement included): by their evidence.
        let agency: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT person_id, evidence FROM payment_rows r
             WHERE rule = 'agency_service' AND state IN ('approved', 'paid') AND reverses IS NULL
               AND NOT EXISTS (SELECT 1 FROM payment_rows x WHERE x.reverses = r.id) AND person_id IN {}",
            in_unit(1, unit)
        ))
        .bind(unit)
        .fetch_all(pool)
        .await?;
        for (person, evidence) in agency {
            if let Some(agreement) = agreement_of(&evidence) {
                facts.agency_paid.insert((person, agreement));
            }
        }
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn person(birth: &str, sex: &str, certified: bool) -> PersonFacts {
        PersonFacts {
            name: "某人".into(),
            unit_code: "330402".into(),
            birth: d(birth),
            sex: sex.into(),
            certified,
            groups: Vec::new(),
            female_kind: None,
        }
    }

    fn contribution(person: &str, kind: &str, employer_type: &str, fen: i64) -> Contribution {
        Contribution {
            id: format!("sic-{person}-{kind}"),
            person_id: person.into(),
            kind: kind.into(),
            employer_code: if kind == "employer" { "91330400MA2B000001".into() } else { String::new() },
            employer_name: "某公司".into(),
            employer_type: employer_type.into(),
            total_fen: fen,
        }
    }

    #[test]
    fn each_rule_pays_only_what_its_conditions_allow() {
        let policy = Policy::load(None).unwrap();
        let month = d("2025-03-01");
        let mut f = Facts::default();
        f.people.insert("a".into(), person("1980-05-01", "female", true));
        f.people.insert("b".into(), person("1980-05-01", "male", false));
        f.people.insert("c".into(), person("1975-05-01", "male", true));
        f.people.insert("g".into(), person("1975-05-01", "male", true));
        f.contributions = vec![
            contribution("a", "flexible", "", 90_000),
            contribution("b", "flexible", "", 90_000),
            contribution("c", "employer", "enterprise", 120_000),
            contribution("g", "employer", "government", 120_000),
        ];
        let due = due(&f, &policy, month);
        let got: Vec<(&str, &str, i64)> = due.iter().map(|d| (d.rule, d.person_id.as_str(), d.amount_fen)).collect();
        // b is not certified; g's employer is a government body.
        assert_eq!(got, [("flexible_si", "a", 60_000), ("employer_si", "c", 120_000)]);
        assert_eq!(due[1].payee_kind, "employer");
        assert_eq!(due[1].claim("2025-03"), "employer_si|employer:91330400MA2B000001|c|2025-03");

        // A month with the living allowance (or its taper) still pays the
        // employer's subsidy: no rule withholds it.
        f.allowances.push(AllowanceMonth {
            allowance_id: "alw-1".into(),
            person_id: "c".into(),
            amount_fen: 56_550,
            tapered: true,
        });
        assert!(super::due(&f, &policy, month).iter().any(|d| d.rule == "employer_si" && d.person_id == "c"));

        // A month with unemployment insurance: no employer subsidy.
        f.unemployment_benefit.insert("c".into(), "uip-1".into());
        assert!(super::due(&f, &policy, month).iter().all(|d| d.rule != "employer_si"));

        // An agency's subsidy is due once per person and agreement: one
        // approved before (under whatever claim) is not due again.
        f.agencies.push(AgencyDue {
            placement_id: "plc-1".into(),
            person_id: "a".into(),
            agency_org_id: "org-1".into(),
            agency_name: "甲人力".into(),
            agreement_id: "agr-1".into(),
            amount_yuan: 500,
            months: 3,
        });
        let agency =
            |f: &Facts| super::due(f, &policy, month).into_iter().filter(|d| d.rule == "agency_service").count();
        assert_eq!(agency(&f), 1);
        let once = super::due(&f, &policy, month).into_iter().find(|d| d.rule == "agency_service").unwrap();
        assert_eq!(once.claim("2025-03"), "agency_service|agency:org-1|a|agreement:agr-1");
        f.agency_paid.insert(("a".into(), "agr-1".into()));
        assert_eq!(agency(&f), 0);
    }

    #[test]
    fn flexible_work_then_an_employer_is_one_subsidy_period() {
        let policy = Policy::load(None).unwrap();
        let mut f = Facts::default();
        // Born 1985: far from retirement, so three years.
        f.people.insert("a".into(), person("1985-05-01", "female", true));
        f.contributions = vec![contribution("a", "employer", "enterprise", 120_000)];
        // Paid as flexible work from January 2022: the period runs to the end
        // of December 2024, whichever rule pays.
        f.first_approved.insert(("flexible_si".into(), "a".into()), d("2022-01-01"));
        let rules = |month: &str| -> Vec<&'static str> {
            due(&f, &policy, d(month)).iter().filter(|d| d.person_id == "a").map(|d| d.rule).collect()
        };
        assert_eq!(rules("2024-12-01"), ["employer_si"], "within the one period");
        assert!(rules("2025-01-01").is_empty(), "not a second period for the employer");
        assert!(due(&f, &policy, d("2024-12-01"))[0].basis.contains("补贴期 2022-01 起至 2024-12-31 止"));
    }

    #[test]
    fn a_loan_pays_the_interest_of_the_days_it_ran_in_its_first_and_last_month() {
        let policy = Policy::load(None).unwrap();
        let mut f = Facts::default();
        f.people.insert("a".into(), person("1980-05-01", "female", true));
        let loan = Loan {
            id: "sln-1".into(),
            person_id: "a".into(),
            bank: "某银行".into(),
            amount_fen: 10_000_000,
            rate_ppm: 34_500,
            starts_on: d("2025-02-15"),
            ends_on: d("2027-02-14"),
            first: true,
            business: Some("brg-1".into()),
        };
        f.loans = vec![loan.clone()];
        let month_of = |f: &Facts, m: &str| -> Vec<(i64, String)> {
            due(f, &policy, d(m)).into_iter().map(|d| (d.amount_fen, d.basis)).collect()
        };
        // 100,000 yuan at 3.45 %: 287.50 a full month.
        let full = month_of(&f, "2025-03-01");
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].0, 28_750);
        assert!(!full[0].1.contains("天"), "{}", full[0].1);
        // Lent on the 15th of a 28-day February: 14 days.
        let first = month_of(&f, "2025-02-01");
        assert_eq!(first[0].0, 14_375);
        assert!(first[0].1.ends_with("× 14/28 天"), "{}", first[0].1);
        // Repaid on 14 February 2027: 13 days of that month.
        assert_eq!(month_of(&f, "2027-02-01")[0].0, 13_348); // 287.50 × 13/28 = 133.482
        assert_eq!(loan_days(&loan, d("2027-02-01")), (13, 28));
        // Not lent yet, or repaid: nothing.
        assert!(month_of(&f, "2025-01-01").is_empty());
        assert!(month_of(&f, "2027-03-01").is_empty());
        // Not the first loan, or no business registered: nothing.
        f.loans[0].first = false;
        assert!(month_of(&f, "2025-03-01").is_empty());
        f.loans[0].first = true;
        f.loans[0].business = None;
        assert!(month_of(&f, "2025-03-01").is_empty());
    }

    #[test]
    fn the_period_runs_to_retirement_only_for_those_within_five_years_at_the_start() {
        let policy = Policy::load(None).unwrap();
        let v = policy.subsidy.version("flexible_si", d("2025-01-01")).unwrap();
        // A man born 1965-06-10 retires at 60 years 2 months (2025-08-10): within 5 years.
        assert_eq!(period_end(v, &policy, d("1965-06-10"), "male", d("2025-01-01")), Some((d("2025-08-10"), true)));
        // Born 1970-03-01: retires at 61 years 4 months (2031-07-01), more than 5 years after 2025-01: 3 years.
        assert_eq!(period_end(v, &policy, d("1970-03-01"), "male", d("2025-01-01")), Some((d("2028-01-01"), false)));
        // Already retired at the start: nothing.
        assert_eq!(period_end(v, &policy, d("1960-01-01"), "male", d("2025-01-01")), None);
    }
}
