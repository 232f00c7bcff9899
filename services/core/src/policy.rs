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
