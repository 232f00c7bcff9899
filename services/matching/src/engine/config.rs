//! The matching part of `index-config/`: jieba dictionary, synonyms, stop
//! words, words that are never skills, the roles of postings, the
//! traditional→simplified table and the weights. Embedded in the
//! binary; `JOBMATCH_INDEX_CONFIG_DIR` replaces them. Loaded once at start; a
//! bad line stops the start naming the file and line.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use jobmatch_core::vocab::ConfigFileError;
use serde::Deserialize;

const EMBEDDED: [(&str, &str); 8] = [
    ("not-skills.txt", include_str!("../../../../index-config/not-skills.txt")),
    ("roles.toml", include_str!("../../../../index-config/roles.toml")),
    ("pinyin.txt", include_str!("../../../../index-config/pinyin.txt")),
    ("dictionary.txt", include_str!("../../../../index-config/dictionary.txt")),
    ("synonyms.txt", include_str!("../../../../index-config/synonyms.txt")),
    ("stopwords.txt", include_str!("../../../../index-config/stopwords.txt")),
    ("t2s.txt", include_str!("../../../../index-config/t2s.txt")),
    ("weights.toml", include_str!("../../../../index-config/weights.toml")),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldWeights {
    pub title: f32,
    pub skills: f32,
    pub category: f32,
    pub description: f32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankWeights {
    pub text: f32,
    pub category: f32,
    pub availability: f32,
    pub region: f32,
    pub pay: f32,
    pub disability_bonus: f32,
    pub other_role: f32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionWeights {
    pub same_community: f32,
    pub same_street: f32,
    pub same_county: f32,
    pub elsewhere: f32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrieve {
    pub candidates: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub version: u32,
    pub fields: FieldWeights,
    pub rank: RankWeights,
    pub region: RegionWeights,
    pub retrieve: Retrieve,
}

/// A role a posting may have other than doing its trade (roles.toml).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub code: String,
    pub name: String,
    pub title_words: Vec<String>,
    pub asks: Vec<String>,
    pub asks_categories: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invest {
    pub words: Vec<String>,
    pub negations: Vec<String>,
    pub business_asks: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub version: u32,
    #[serde(rename = "role")]
    pub roles: Vec<Role>,
    pub invest: Invest,
}

impl Roles {
    /// The role a posting's title names, if any (the first in file order).
    pub fn of_title(&self, title: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.title_words.iter().any(|w| title.contains(w.as_str())))
    }

    /// Whether `text` asks the worker to put in money: an investment word
    /// not right after a negation.
    pub fn asks_for_money(&self, text: &str) -> bool {
        self.invest.words.iter().any(|w| {
            text.match_indices(w.as_str()).any(|(at, _)| {
                let before = &text[..at];
                !self.invest.negations.iter().any(|n| before.ends_with(n.as_str()))
            })
        })
    }
}

/// Everything the analyzer and the ranker read from `index-config/`.
#[derive(Clone, Debug)]
pub struct MatchConfig {
    /// (word, frequency) for jieba.
    pub dictionary: Vec<(String, Option<usize>)>,
    /// word → canonical terms of the groups it is in.
    pub synonyms: HashMap<String, Vec<String>>,
    pub stopwords: HashSet<String>,
    /// Words that are never skill evidence (not-skills.txt), and place names.
    pub not_skills: HashSet<String>,
    /// Place names (from the region table): jieba keeps them whole, and
    /// they are never skill evidence.
    pub places: Vec<String>,
    pub roles: Roles,
    pub t2s: HashMap<char, char>,
    /// Toneless pinyin of each character (homophone typos).
    pub pinyin: HashMap<char, String>,
    pub weights: Weights,
}

fn err(file: &str, line: usize, message: impl Into<String>) -> ConfigFileError {
    ConfigFileError { file: file.into(), line, message: message.into() }
}

/// Lines that are not blank or comments, with their line numbers.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

impl MatchConfig {
    pub fn load(dir: Option<&Path>) -> Result<MatchConfig, ConfigFileError> {
        let mut texts = HashMap::new();
        for (name, embedded) in EMBEDDED {
            let text = match dir {
                None => embedded.to_string(),
                Some(d) => std::fs::read_to_string(d.join(name))
                    .map_err(|e| err(name, 0, format!("cannot read {}: {e}", d.join(name).display())))?,
            };
            texts.insert(name, text);
        }
        let mut c = Self::from_texts(
            &texts["dictionary.txt"],
            &texts["synonyms.txt"],
            &texts["stopwords.txt"],
            &texts["t2s.txt"],
            &texts["weights.toml"],
        )?;
        c.pinyin = parse_pinyin(&texts["pinyin.txt"])?;
        c.not_skills = lines(&texts["not-skills.txt"]).map(|(_, l)| l.to_string()).collect();
        c.roles = parse_roles(&texts["roles.toml"])?;
        Ok(c)
    }

    /// Add the place names of the region table (full names and the names
    /// without 市/区/县/镇/街道/乡/村/社区): never skill words.
    pub fn with_places<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> MatchConfig {
        const SUFFIXES: [&str; 8] = ["街道", "社区", "市", "区", "县", "镇", "乡", "村"];
        for name in names {
            let name = name.split(['（', '(']).next().unwrap_or(name);
            let mut forms = vec![name.to_string()];
            if let Some(stem) = SUFFIXES.iter().find_map(|s| name.strip_suffix(s)) {
                if stem.chars().count() >= 2 {
                    forms.push(stem.to_string());
                }
            }
            for f in forms {
                if self.not_skills.insert(f.clone()) {
                    self.places.push(f);
                }
            }
        }
        self
    }

    pub fn from_texts(
        dict: &str,
        syn: &str,
        stop: &str,
        t2s: &str,
        weights: &str,
    ) -> Result<MatchConfig, ConfigFileError> {
        let mut dictionary = Vec::new();
        for (n, line) in lines(dict) {
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default().to_string();
            let freq = match parts.next() {
                None => None,
                Some(f) => Some(
                    f.parse::<usize>()
                        .map_err(|_| err("dictionary.txt", n, format!("frequency '{f}' is not a number")))?,
                ),
            };
            dictionary.push((word, freq));
        }
        let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
        for (n, line) in lines(syn) {
            let words: Vec<String> =
                line.split([',', '，']).map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
            if words.len() < 2 {
                return Err(err("synonyms.txt", n, "a group needs at least two words"));
            }
            if let Some(w) = words.iter().find(|w| w.contains(char::is_whitespace)) {
                return Err(err("synonyms.txt", n, format!("'{w}' holds a space")));
            }
            let canonical = words[0].clone();
            for w in &words {
                let entry = synonyms.entry(w.clone()).or_default();
                if !entry.contains(&canonical) {
                    entry.push(canonical.clone());
                }
            }
        }
        let stopwords = lines(stop).map(|(_, l)| l.to_string()).collect();
        let mut table = HashMap::new();
        for (n, line) in lines(t2s) {
            let chars: Vec<char> = line.chars().collect();
            if chars.len() != 2 {
                return Err(err("t2s.txt", n, "expected two characters: traditional, then simplified"));
            }
            table.insert(chars[0], chars[1]);
        }
        let weights: Weights = toml::from_str(weights).map_err(|e| {
            let line = e.span().map(|s| weights[..s.start].matches('\n').count() + 1).unwrap_or(1);
            err("weights.toml", line, e.message())
        })?;
        if weights.version != 1 {
            return Err(err("weights.toml", 1, format!("unsupported version {}", weights.version)));
        }
        let r = &weights.rank;
        let sum = r.text + r.category + r.availability + r.region + r.pay;
        if (sum - 1.0).abs() > 0.01 {
            return Err(err("weights.toml", 1, format!("[rank] shares add up to {sum}, not 1")));
        }
        if !(0.0..=1.0).contains(&r.other_role) {
            return Err(err("weights.toml", 1, "[rank] other_role must lie in 0–1"));
        }
        Ok(MatchConfig {
            dictionary,
            synonyms,
            stopwords,
            not_skills: HashSet::new(),
            places: Vec::new(),
            roles: parse_roles(ROLES_EMBEDDED)?,
            t2s: table,
            pinyin: HashMap::new(),
            weights,
        })
    }
}

const ROLES_EMBEDDED: &str = include_str!("../../../../index-config/roles.toml");

fn parse_roles(text: &str) -> Result<Roles, ConfigFileError> {
    let roles: Roles = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(1);
        err("roles.toml", line, e.message())
    })?;
    if roles.version != 1 {
        return Err(err("roles.toml", 1, format!("unsupported version {}", roles.version)));
    }
    Ok(roles)
}

fn parse_pinyin(text: &str) -> Result<HashMap<char, String>, ConfigFileError> {
    let mut out = HashMap::new();
    for (n, line) in lines(text) {
        let mut parts = line.split_whitespace();
        let (Some(c), Some(p), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("pinyin.txt", n, "expected a character, a space and its pinyin"));
        };
        let mut chars = c.chars();
        let (Some(ch), None) = (chars.next(), chars.next()) else {
            return Err(err("pinyin.txt", n, "expected one character"));
        };
        if !p.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(err("pinyin.txt", n, format!("'{p}' is not toneless pinyin")));
        }
        out.insert(ch, p.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_load() {
        let c = MatchConfig::load(None).unwrap();
        assert!(c.synonyms["打扫卫生"].contains(&"保洁".to_string()));
        assert_eq!(c.t2s[&'潔'], '洁');
        assert!(c.stopwords.contains("的"));
        assert_eq!(c.pinyin[&'洁'], "jie");
        assert!(parse_pinyin("洁 jié\n").is_err());
        assert!(c.not_skills.contains("手脚") && c.not_skills.contains("以前"));
        let c = c.with_places(["平湖市", "王江泾镇", "嘉兴港区（浙江乍浦经济开发区）"]);
        assert!(c.not_skills.contains("平湖") && c.not_skills.contains("王江泾") && c.not_skills.contains("嘉兴港区"));
        let r = &c.roles;
        assert_eq!(r.of_title("叉车销售顾问").map(|r| r.code.as_str()), Some("sales"));
        assert_eq!(r.of_title("叉车工").map(|r| r.code.as_str()), None);
        assert!(r.asks_for_money("需投资8万元，总部提供设备"));
        assert!(!r.asks_for_money("无需押金，包吃住"));
    }

    #[test]
    fn a_bad_line_is_named() {
        let ok = |name: &str| EMBEDDED.iter().find(|(n, _)| *n == name).unwrap().1;
        let e = MatchConfig::from_texts(
            ok("dictionary.txt"),
            "# x\n保洁, 打扫\n孤单\n",
            ok("stopwords.txt"),
            ok("t2s.txt"),
            ok("weights.toml"),
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("synonyms.txt", 3));
        let e = MatchConfig::from_texts(
            "保洁 lots\n",
            ok("synonyms.txt"),
            ok("stopwords.txt"),
            ok("t2s.txt"),
            ok("weights.toml"),
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("dictionary.txt", 1));
    }
}
