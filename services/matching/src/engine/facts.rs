//! What the matcher knows of a job or a person: the answer object, the codes
//! the hard rules test, and the analysed terms the ranker compares. Built
//! from the store when an outbox event arrives and kept in the index.

use chrono::NaiveDate;
use jobmatch_core::domain::{EmploymentType, ExpectedPay, Group, Job, JobStatus, Person, Physical, ServiceNeed};
use jobmatch_core::regions::Regions;
use jobmatch_core::vocab::Vocabulary;
use serde::{Deserialize, Serialize};

use crate::engine::analyzer::Analysis;

/// Analysed terms of a job's text fields.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JobTerms {
    pub title: Vec<String>,
    pub skills: Vec<String>,
    pub category: Vec<String>,
    pub description: Vec<String>,
    /// The terms of each skill the job asks for, one list per skill.
    #[serde(default)]
    pub skill_phrases: Vec<Vec<String>>,
}

impl JobTerms {
    /// What the job asks for, phrase by phrase: its skills, else its title.
    pub fn asked(&self) -> Vec<&[String]> {
        if self.skill_phrases.iter().any(|p| !p.is_empty()) {
            self.skill_phrases.iter().filter(|p| !p.is_empty()).map(Vec::as_slice).collect()
        } else if self.title.is_empty() {
            Vec::new()
        } else {
            vec![self.title.as_slice()]
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobFacts {
    pub job: Job,
    /// Every region the job lies in: itself, its street, county, city and
    /// the zone that runs its street.
    pub scopes: Vec<String>,
    pub street: Option<String>,
    pub county: Option<String>,
    /// Open places (headcount not yet filled).
    pub slots: i64,
    /// `valid_until` as Unix seconds (None: no end).
    pub valid_until_ts: Option<i64>,
    pub terms: JobTerms,
    /// The role its title names other than doing the trade (roles.toml
    /// code: sales, adviser, …), if any.
    #[serde(default)]
    pub role: Option<String>,
    /// Whether the worker would have to put in money (franchise, deposit).
    #[serde(default)]
    pub invests: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PersonFacts {
    /// The person as matching keeps it (`records::persons::to_matchable`:
    /// codes and skill words, no name, address or numbers).
    pub person: Person,
    pub birth_date: NaiveDate,
    /// The regions the person accepts work in: the preferred ones, or the home county.
    pub accept: Vec<String>,
    pub street: Option<String>,
    pub county: Option<String>,
    /// Analysed terms of the person's skills.
    pub terms: Vec<String>,
    /// Analysed words of the preferred categories.
    pub category_terms: Vec<String>,
    /// The posting roles (roles.toml codes) the person asks for.
    #[serde(default)]
    pub asks_roles: Vec<String>,
    /// Whether the person asked for help starting a business.
    #[serde(default)]
    pub wants_business: bool,
    /// The latest day the person can reach the statutory retirement age
    /// (2024 decision; for a woman the later of worker and cadre, as the
    /// record does not say which): a public-welfare post is never offered
    /// on or after it.
    #[serde(default)]
    pub retires_on: Option<NaiveDate>,
}

/// The physical demand a job states, as a rank (none stated: 0).
pub fn demand_rank(p: Option<Physical>) -> u64 {
    match p {
        None => 0,
        Some(Physical::Light) => 1,
        Some(Physical::Medium) => 2,
        Some(Physical::Heavy) => 3,
    }
}

/// The heaviest work a person can do, as a rank. A limit not recorded is
/// taken as `medium`: heavy work is offered only to people known to manage it.
pub fn limit_rank(p: Option<Physical>) -> u64 {
    demand_rank(Some(p.unwrap_or(Physical::Medium)))
}

impl JobFacts {
    /// The facts of a job; the analysed `terms` are filled in by the matcher,
    /// which analyses each text once for both the index and the facts.
    pub fn build(job: Job, regions: &Regions) -> JobFacts {
        let place = regions.placement(&job.input.region_code);
        let valid_until_ts =
            job.input.valid_until.as_deref().and_then(jobmatch_core::time::from_text).map(|t| t.timestamp());
        JobFacts {
            slots: job.input.headcount,
            street: place.street_code,
            county: place.county_code,
            scopes: regions.scopes(&job.input.region_code),
            valid_until_ts,
            terms: JobTerms::default(),
            role: None,
            invests: false,
            job,
        }
    }

    /// Whether the job can be offered at `now` (Unix seconds).
    pub fn is_open(&self, now: i64) -> bool {
        self.job.status == JobStatus::Open && self.slots > 0 && self.valid_until_ts.is_none_or(|v| v > now)
    }
}

impl PersonFacts {
    pub fn build(
        person: Person,
        regions: &Regions,
        vocab: &Vocabulary,
        analysis: &Analysis,
        welfare: &jobmatch_core::policy::WelfarePolicy,
    ) -> Option<PersonFacts> {
        let birth_date = NaiveDate::parse_from_str(person.birth_date.as_deref()?, "%Y-%m-%d").ok()?;
        // A woman whose kind the record does not say: the later of the two.
        let kinds: Vec<&str> = match (person.sex.as_str(), person.profile.retirement_kind.as_deref()) {
            ("male", _) => vec!["male"],
            (_, Some(kind)) => vec![kind],
            _ => vec!["female_worker", "female_cadre"],
        };
        let retires_on = kinds.iter().filter_map(|k| welfare.retirement_date(birth_date, k)).max();
        let place = regions.placement(&person.profile.region_code);
        let accept = if person.profile.preferred_regions.is_empty() {
            place.county_code.clone().into_iter().collect()
        } else {
            person.profile.preferred_regions.clone()
        };
        let skills = person.profile.skills.join("，");
        let terms = analysis.skill_terms(&skills);
        let category_text: Vec<String> =
            person.profile.preferred_categories.iter().filter_map(|c| vocab.category(c)).map(|c| c.text()).collect();
        let roles = &analysis.config().roles;
        let normal = analysis.normalise(&skills);
        let asks_roles = roles
            .roles
            .iter()
            .filter(|r| {
                r.asks.iter().any(|w| normal.contains(w.as_str()))
                    || r.asks_categories.iter().any(|c| person.profile.preferred_categories.contains(c))
            })
            .map(|r| r.code.clone())
            .collect();
        let wants_business = person.profile.service_needs.contains(&ServiceNeed::Entrepreneurship)
            || roles.invest.business_asks.iter().any(|w| normal.contains(w.as_str()));
        Some(PersonFacts {
            retires_on,
            asks_roles,
            wants_business,
            category_terms: analysis.terms(&category_text.join(" ")),
            terms,
            accept,
            street: place.street_code,
            county: place.county_code,
            birth_date,
            person,
        })
    }

    /// The last day the person may be placed in a public-welfare post: their
    /// certification holds and they have not reached retirement age.
    pub fn placeable_through(&self) -> Option<NaiveDate> {
        let certified = self.person.certification.as_ref()?.holds_through()?;
        Some(match self.retires_on.and_then(|r| r.pred_opt()) {
            Some(last) => certified.min(last),
            None => certified,
        })
    }

    /// Whether the person is matched at all: out of work (or in flexible
    /// work) and wanting work now.
    pub fn is_matchable(&self) -> bool {
        is_matchable(self.person.profile.employment_status, self.person.profile.willingness)
    }

    /// Whether a job is a fit at all whatever its words: a posting that
    /// needs the worker to put in money only for someone starting a business.
    pub fn may_take(&self, job: &JobFacts) -> bool {
        !job.invests || self.wants_business
    }

    pub fn is_disabled(&self) -> bool {
        self.person.profile.groups.contains(&Group::Disabled)
    }

    pub fn availability(&self) -> &[EmploymentType] {
        &self.person.profile.availability
    }

    pub fn expected_pay(&self) -> Option<&ExpectedPay> {
        self.person.profile.expected_pay.as_ref()
    }
}

pub use jobmatch_core::domain::is_matchable;
