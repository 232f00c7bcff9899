//! Ranking: one score for a (person, job) pair, the same whichever side asks,
//! so scores are comparable within a list and across directions. Signals:
//! text relevance (the person's skill words found in the job, weighted by
//! field and rarity, and how much of the job's own skills they cover),
//! category preference, availability, region closeness and pay against
//! expectation. Each pair carries short Chinese reasons staff can read out.

use jobmatch_core::domain::{EmploymentType, PayUnit};
use jobmatch_core::vocab::Vocabulary;

use crate::engine::config::Weights;
use crate::engine::facts::{JobFacts, PersonFacts};

/// A ranked pair.
#[derive(Clone, Debug)]
pub struct Scored {
    pub score: f32,
    pub reasons: Vec<String>,
}

/// Rarity of a term among open jobs.
pub trait Idf {
    fn idf(&self, term: &str) -> f32;
}

/// Pay per month, roughly, for comparing across units (8-hour days, 22 days).
fn monthly(amount: i64, unit: PayUnit) -> Option<f64> {
    match unit {
        PayUnit::Month => Some(amount as f64),
        PayUnit::Day => Some(amount as f64 * 22.0),
        PayUnit::Hour => Some(amount as f64 * 8.0 * 22.0),
        PayUnit::Piece => None,
    }
}

/// Half-saturation of the matched-words sum: one rare word in the title
/// gives about half of the text signal.
const TEXT_SATURATION: f32 = 3.0;

pub fn score(job: &JobFacts, person: &PersonFacts, w: &Weights, vocab: &Vocabulary, idf: &dyn Idf) -> Scored {
    let mut reasons = Vec::new();
    let fw = &w.fields;
    let max_field = fw.title.max(fw.skills).max(fw.category).max(fw.description);

    // Text: the person's words found in the job, by field and rarity.
    let mut matched = 0.0f32;
    let mut shown: Vec<(f32, &str)> = Vec::new();
    for t in &person.terms {
        let field = if job.terms.title.contains(t) {
            fw.title
        } else if job.terms.skills.contains(t) {
            fw.skills
        } else if job.terms.category.contains(t) {
            fw.category
        } else if job.terms.description.contains(t) {
            fw.description
        } else {
            continue;
        };
        // A sound-alike match (a typo) says less than the word itself.
        let sound_alike = t.starts_with(crate::engine::analyzer::PINYIN_PREFIX);
        let weight = idf.idf(t) * field / max_field * if sound_alike { 0.5 } else { 1.0 };
        matched += weight;
        if !sound_alike {
            shown.push((weight, t));
        }
    }
    let saturation = matched / (matched + TEXT_SATURATION);
    // How many of the skills the job asks for (each a phrase; else its
    // title) the person has: a phrase is covered when any of its words is.
    let (mut have, mut all) = (0.0f32, 0.0f32);
    for phrase in job.terms.asked() {
        let i = phrase.iter().map(|t| idf.idf(t)).fold(0.0f32, f32::max);
        all += i;
        if phrase.iter().any(|t| person.terms.contains(t) || person.category_terms.contains(t)) {
            have += i;
        }
    }
    let coverage = if all > 0.0 { have / all } else { 0.0 };
    let text = 0.45 * saturation + 0.55 * coverage;
    if !shown.is_empty() {
        shown.sort_by(|a, b| b.0.total_cmp(&a.0));
        let words: Vec<&str> = shown.iter().take(3).map(|(_, t)| *t).collect();
        reasons.push(format!("技能匹配: {}", words.join("、")));
    }

    // Category: wanted, close to what is wanted, or neither.
    let preferred = &person.person.profile.preferred_categories;
    let category = if preferred.is_empty() {
        0.5
    } else if preferred.contains(&job.job.input.category) {
        if let Some(c) = vocab.category(&job.job.input.category) {
            reasons.push(format!("意向工种: {}", c.name));
        }
        1.0
    } else if preferred.iter().filter_map(|p| vocab.category(p)).any(|p| p.related.contains(&job.job.input.category)) {
        0.5
    } else {
        0.0
    };

    // Availability: the kind of employment the person can take.
    let kinds = person.availability();
    let availability = if kinds.is_empty() {
        0.6
    } else if kinds.contains(&job.job.input.employment_type) {
        reasons.push(
            match job.job.input.employment_type {
                EmploymentType::FullTime => "可全职",
                EmploymentType::PartTime => "可兼职",
                EmploymentType::Gig => "可打零工",
                EmploymentType::Seasonal => "可做季节工",
            }
            .to_string(),
        );
        1.0
    } else {
        0.0
    };

    // Region closeness.
    let rw = &w.region;
    let profile = &person.person.profile;
    let region = if job.job.input.region_code == profile.region_code {
        reasons.push(
            if job.street.as_deref() == Some(job.job.input.region_code.as_str()) { "同街道" } else { "同社区" }
                .to_string(),
        );
        if job.street.as_deref() == Some(job.job.input.region_code.as_str()) {
            rw.same_street
        } else {
            rw.same_community
        }
    } else if job.street.is_some() && job.street == person.street {
        reasons.push("同街道".to_string());
        rw.same_street
    } else if job.county.is_some() && job.county == person.county {
        reasons.push("同区县".to_string());
        rw.same_county
    } else {
        reasons.push("在意向区域内".to_string());
        rw.elsewhere
    };

    // Pay against expectation, compared per month where units allow.
    let pay_in = &job.job.input.pay;
    let pay = match person.expected_pay() {
        None => 0.6,
        Some(exp) => {
            let same_unit = exp.unit == pay_in.unit;
            let (job_min, job_max, want) = if same_unit {
                (Some(pay_in.min as f64), Some(pay_in.max as f64), Some(exp.min as f64))
            } else {
                (monthly(pay_in.min, pay_in.unit), monthly(pay_in.max, pay_in.unit), monthly(exp.min, exp.unit))
            };
            match (job_min, job_max, want) {
                (Some(lo), Some(hi), Some(want)) if want > 0.0 => {
                    if lo >= want {
                        reasons.push("薪资高于期望".to_string());
                        1.0
                    } else if hi >= want {
                        reasons.push("薪资符合期望".to_string());
                        0.85
                    } else {
                        reasons.push("薪资低于期望".to_string());
                        let r = (hi / want) as f32;
                        0.5 * r * r
                    }
                }
                _ => 0.6,
            }
        }
    };

    let rk = &w.rank;
    let mut total =
        rk.text * text + rk.category * category + rk.availability * availability + rk.region * region + rk.pay * pay;
    if person.is_disabled() && job.job.input.disability_friendly {
        total += rk.disability_bonus;
        reasons.push(DISABILITY_REASON.to_string());
    }
    // What the person would do all day: a posting that sells (advises on,
    // streams, recruits for) the trade is not the trade.
    if job.role.as_ref().is_some_and(|r| !person.asks_roles.contains(r)) {
        total *= rk.other_role;
    }
    Scored { score: (total.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0, reasons }
}

/// The reason that tells a person is disabled.
const DISABILITY_REASON: &str = "适合残障人士";

/// Whether a reason tells which hardship group a person is in (never shown
/// to publishers).
pub fn reveals_group(reason: &str) -> bool {
    reason == DISABILITY_REASON
}
