//! Local policy as configuration (`schemas/seed/policy.toml`): certification
//! grounds and validity, and later allowance and subsidy figures.

use std::path::Path;

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
    /// The local monthly standard in yuan.
    pub monthly_standard: i64,
    /// At most this many months per person.
    pub max_months: i64,
    /// After a placement lifts the person out: months still paid, and the
    /// share of the standard paid in them (percent).
    pub taper_months: i64,
    pub taper_percent: i64,
}

impl Default for AllowancePolicy {
    fn default() -> Self {
        AllowancePolicy { monthly_standard: 1131, max_months: 6, taper_months: 3, taper_percent: 50 }
    }
}

/// The monthly progress report.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportPolicy {
    /// The city's yearly target of certified persons into work.
    pub city_target: i64,
}

impl Default for ReportPolicy {
    fn default() -> Self {
        ReportPolicy { city_target: 8500 }
    }
}

impl Policy {
    /// The embedded policy, or the file at `path`.
    pub fn load(path: Option<&Path>) -> Result<Policy, ConfigFileError> {
        let (name, text) = match path {
            None => ("policy.toml".to_string(), EMBEDDED.to_string()),
            Some(p) => (
                p.display().to_string(),
                std::fs::read_to_string(p).map_err(|e| ConfigFileError {
                    file: p.display().to_string(),
                    line: 0,
                    message: e.to_string(),
                })?,
            ),
        };
        let policy: Policy = toml::from_str(&text).map_err(|e| ConfigFileError {
            file: name.clone(),
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(1),
            message: e.message().to_string(),
        })?;
        let bad = |message: String| ConfigFileError { file: name.clone(), line: 1, message };
        if policy.version != 1 {
            return Err(bad(format!("unsupported version {}", policy.version)));
        }
        if !(1..=3650).contains(&policy.certification.validity_days) {
            return Err(bad("certification.validity_days must be 1–3650".into()));
        }
        if !(1..=36).contains(&policy.agency.insurance_months) {
            return Err(bad("agency.insurance_months must be 1–36".into()));
        }
        let a = &policy.allowance;
        if !(1..=12).contains(&a.max_months) || a.monthly_standard < 0 || !(0..=100).contains(&a.taper_percent) {
            return Err(bad("allowance: max_months 1–12, monthly_standard ≥ 0, taper_percent 0–100".into()));
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
    fn the_embedded_policy_holds_zhejiangs_grounds() {
        let p = Policy::load(None).unwrap();
        assert_eq!(p.certification.validity_days, 730);
        for g in ["older", "low_income_family", "long_term_unemployed", "disabled", "zero_employment_family"] {
            assert!(p.ground(g).is_some(), "{g}");
        }
        assert_eq!(p.ground("older").unwrap().min_age_female, Some(45));
    }
}
