//! The data in `index-config/`: categories, certificates and forbidden
//! wording. The files are embedded in the binary; a folder given by
//! `JOBMATCH_INDEX_CONFIG_DIR` (a k8s ConfigMap) replaces them. A bad file stops
//! the start with a message naming the file and line.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::validate::to_half_width;

const EMBEDDED: [(&str, &str); 3] = [
    ("categories.toml", include_str!("../../../index-config/categories.toml")),
    ("certificates.toml", include_str!("../../../index-config/certificates.toml")),
    ("forbidden-terms.toml", include_str!("../../../index-config/forbidden-terms.toml")),
];

/// A file of `index-config/` that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("index-config/{file}:{line}: {message}")]
pub struct ConfigFileError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub occupation_code: Option<String>,
    #[serde(default)]
    pub words: Vec<String>,
    /// Categories close to this one.
    #[serde(default)]
    pub related: Vec<String>,
}

impl Category {
    /// The category's name and words as one text, for analysis.
    pub fn text(&self) -> String {
        format!("{} {}", self.name, self.words.join(" "))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ground {
    pub code: String,
    pub name: String,
    pub terms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    version: u32,
    category: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificatesFile {
    version: u32,
    certificate: Vec<Certificate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForbiddenFile {
    version: u32,
    #[serde(default)]
    allowed: Vec<String>,
    ground: Vec<Ground>,
}

/// A forbidden term found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub term: String,
    pub ground_code: String,
    pub ground_name: String,
}

/// Everything loaded from `index-config/`.
#[derive(Clone, Debug)]
pub struct Vocabulary {
    pub categories: Vec<Category>,
    pub certificates: Vec<Certificate>,
    grounds: Vec<Ground>,
    allowed: Vec<String>,
    category_codes: Vec<&'static str>,
    certificate_codes: Vec<&'static str>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The text of a configuration file: the one at `path`, or the embedded copy
/// (named `name` in errors).
pub fn read_config(
    path: Option<&std::path::Path>,
    name: &str,
    embedded: &str,
) -> Result<(String, String), ConfigFileError> {
    match path {
        None => Ok((name.to_string(), embedded.to_string())),
        Some(p) => std::fs::read_to_string(p)
            .map(|text| (p.display().to_string(), text))
            .map_err(|e| ConfigFileError { file: p.display().to_string(), line: 0, message: e.to_string() }),
    }
}

/// A TOML configuration file, or the error with its line.
pub fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, ConfigFileError> {
    toml::from_str(text).map_err(|e| ConfigFileError {
        file: file.into(),
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        message: e.message().to_string(),
    })
}

/// The line on which `needle` first appears, for semantic errors.
fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle).map(|o| line_of(text, o)).unwrap_or(1)
}

/// The form texts and terms are compared in: compatibility forms folded
/// (NFKC: full-width letters, circled and styled characters), invisible
/// characters and white space dropped, lower case. So `限\u{200b}男性`,
/// `限 男 性` and `限男性` all read `限男性`.
fn normalize(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    to_half_width(text)
        .nfkc()
        .filter(|c| !c.is_whitespace() && !crate::validate::is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Vocabulary {
    /// Load from `dir`, or the embedded copies when `None`.
    pub fn load(dir: Option<&Path>) -> Result<Vocabulary, ConfigFileError> {
        let mut texts = Vec::new();
        for (name, embedded) in EMBEDDED {
            let text = match dir {
                None => embedded.to_string(),
                Some(d) => std::fs::read_to_string(d.join(name)).map_err(|e| ConfigFileError {
                    file: name.into(),
                    line: 0,
                    message: format!("cannot read {}: {e}", d.join(name).display()),
                })?,
            };
            texts.push((name, text));
        }
        Self::from_texts(&texts[0].1, &texts[1].1, &texts[2].1)
    }

    pub fn from_texts(categories: &str, certificates: &str, forbidden: &str) -> Result<Vocabulary, ConfigFileError> {
        let cats: CategoriesFile = parse("categories.toml", categories)?;
        let certs: CertificatesFile = parse("certificates.toml", certificates)?;
        let forb: ForbiddenFile = parse("forbidden-terms.toml", forbidden)?;
        for (file, text, version) in [
            ("categories.toml", categories, cats.version),
            ("certificates.toml", certificates, certs.version),
            ("forbidden-terms.toml", forbidden, forb.version),
        ] {
            if version != 1 {
                return Err(ConfigFileError {
                    file: file.into(),
                    line: find_line(text, "version"),
                    message: format!("unsupported version {version} (this build reads version 1)"),
                });
            }
        }
        let mut seen = HashSet::new();
        for c in &cats.category {
            if !seen.insert(c.code.clone()) || c.code.is_empty() || c.name.is_empty() {
                return Err(ConfigFileError {
                    file: "categories.toml".into(),
                    line: find_line(categories, &format!("\"{}\"", c.code)),
                    message: format!("category '{}' is empty or repeated", c.code),
                });
            }
        }
        for c in &cats.category {
            if let Some(r) = c.related.iter().find(|r| !cats.category.iter().any(|x| &x.code == *r)) {
                return Err(ConfigFileError {
                    file: "categories.toml".into(),
                    line: find_line(categories, &format!("\"{}\"", c.code)),
                    message: format!("category '{}' names an unknown related category '{r}'", c.code),
                });
            }
        }
        let mut seen = HashSet::new();
        for c in &certs.certificate {
            if !seen.insert(c.code.clone()) || c.code.is_empty() {
                return Err(ConfigFileError {
                    file: "certificates.toml".into(),
                    line: find_line(certificates, &format!("\"{}\"", c.code)),
                    message: format!("certificate '{}' is empty or repeated", c.code),
                });
            }
        }
        for g in &forb.ground {
            if let Some(t) = g.terms.iter().find(|t| normalize(t).is_empty()) {
                return Err(ConfigFileError {
                    file: "forbidden-terms.toml".into(),
                    line: find_line(forbidden, &format!("\"{t}\"")),
                    message: "empty term".into(),
                });
            }
        }
        // Codes are needed as `&'static str` lists for validation messages; the
        // vocabulary lives for the whole process, so leaking once is fine.
        let leak = |s: &String| -> &'static str { Box::leak(s.clone().into_boxed_str()) };
        Ok(Vocabulary {
            category_codes: cats.category.iter().map(|c| leak(&c.code)).collect(),
            certificate_codes: certs.certificate.iter().map(|c| leak(&c.code)).collect(),
            categories: cats.category,
            certificates: certs.certificate,
            grounds: forb.ground,
            allowed: forb.allowed.iter().map(|a| normalize(a)).collect(),
        })
    }

    pub fn category_codes(&self) -> &[&'static str] {
        &self.category_codes
    }

    pub fn certificate_codes(&self) -> &[&'static str] {
        &self.certificate_codes
    }

    /// The name of a certificate code (the code itself when unknown).
    pub fn certificate_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.certificates.iter().find(|c| c.code == code).map(|c| c.name.as_str()).unwrap_or(code)
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// Every forbidden term in `text`, once each.
    pub fn discriminatory_terms(&self, text: &str) -> Vec<Finding> {
        let mut t = normalize(text);
        for a in &self.allowed {
            t = t.replace(a.as_str(), "|");
        }
        let mut out: Vec<Finding> = Vec::new();
        for g in &self.grounds {
            for term in &g.terms {
                if t.contains(&normalize(term)) && !out.iter().any(|f| &f.term == term) {
                    out.push(Finding { term: term.clone(), ground_code: g.code.clone(), ground_name: g.name.clone() });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_hold_every_category_the_contract_names() {
        let v = Vocabulary::load(None).unwrap();
        for code in [
            "cleaning",
            "housekeeping",
            "security",
            "greening",
            "river_cleaning",
            "elderly_care",
            "childcare",
            "delivery",
            "handicraft",
            "community_assistant",
            "retail",
            "catering",
            "warehouse",
            "manufacturing",
            "driving",
            "maintenance",
            "parking",
            "agriculture",
        ] {
            assert!(v.category(code).is_some(), "{code}");
        }
        for code in
            ["health_cert", "driver_c1", "driver_forklift", "electrician", "security_guard", "caregiver", "nursery"]
        {
            assert!(v.certificate_codes().contains(&code), "{code}");
        }
    }

    #[test]
    fn discriminatory_wording_is_found_but_no_restriction_is_not() {
        let v = Vocabulary::load(None).unwrap();
        let f = v.discriminatory_terms("招保洁员，限 男性，乙肝携带者勿扰");
        let terms: Vec<&str> = f.iter().map(|f| f.term.as_str()).collect();
        assert!(terms.contains(&"限男") && terms.contains(&"乙肝"), "{terms:?}");
        assert!(v.discriminatory_terms("招保洁员，男女不限，欢迎残疾人朋友").is_empty());
        assert!(v.discriminatory_terms("限本地户籍").iter().any(|f| f.ground_code == "household_registration"));
    }

    #[test]
    fn a_bad_file_is_reported_with_its_line() {
        let good = Vocabulary::load(None).unwrap();
        drop(good);
        let e = Vocabulary::from_texts(
            "version = 1\n[[category]]\ncode = 5\n",
            "version = 1\ncertificate = []\n",
            "version = 1\nground = []\n",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("categories.toml", 3), "{e}");
        let dup = "version = 1\n[[category]]\ncode = \"a\"\nname = \"A\"\n[[category]]\ncode = \"b\"\nname = \"B\"\n[[category]]\ncode = \"a\"\nname = \"C\"\n";
        let e =
            Vocabulary::from_texts(dup, "version = 1\ncertificate = []\n", "version = 1\nground = []\n").unwrap_err();
        assert!(e.message.contains("'a'"), "{e}");
    }
}
