//! The plain baseline of issue 14: jieba's search-mode words and Okapi
//! BM25 (k1 1.2, b 0.75) over the same rows, with the hard rules as
//! filters and nothing else — no synonyms, stop words, categories, roles,
//! region or pay. `jobmatch-bench bm25-eval DIR` prints its nDCG@10 both
//! ways, so the engine's figures on a set can be read against it.

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use jieba_rs::Jieba;
use jobmatch_core::AppState;
use jobmatch_matching::engine::facts::{JobFacts, PersonFacts};
use jobmatch_matching::engine::rules::broken_rule;
use serde_json::Value;

use crate::pg::{load_eval, Judged};

/// Jieba's words of `text` (search mode), punctuation and spaces dropped.
fn words(jieba: &Jieba, text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    jieba
        .cut_for_search(&text, true)
        .into_iter()
        .map(|t| t.word.trim())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(String::from)
        .collect()
}

/// A BM25 index over a few hundred short documents.
struct Bm25 {
    docs: Vec<HashMap<String, f64>>,
    lengths: Vec<f64>,
    df: HashMap<String, f64>,
}

impl Bm25 {
    fn new(texts: &[Vec<String>]) -> Bm25 {
        let mut df: HashMap<String, f64> = HashMap::new();
        let mut docs = Vec::new();
        for words in texts {
            let mut tf: HashMap<String, f64> = HashMap::new();
            for w in words {
                *tf.entry(w.clone()).or_default() += 1.0;
            }
            for w in tf.keys() {
                *df.entry(w.clone()).or_default() += 1.0;
            }
            docs.push(tf);
        }
        Bm25 { lengths: texts.iter().map(|t| t.len() as f64).collect(), docs, df }
    }

    /// BM25 of each document for `query` (0 when no word is shared).
    fn scores(&self, query: &[String]) -> Vec<f64> {
        let n = self.docs.len() as f64;
        let avg = self.lengths.iter().sum::<f64>() / n.max(1.0);
        let (k1, b) = (1.2, 0.75);
        let mut q: Vec<&String> = query.iter().collect();
        q.sort();
        q.dedup();
        self.docs
            .iter()
            .zip(&self.lengths)
            .map(|(tf, len)| {
                q.iter()
                    .filter_map(|w| tf.get(*w).map(|f| (w, f)))
                    .map(|(w, f)| {
                        let df = self.df.get(*w).copied().unwrap_or(0.0);
                        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                        idf * f * (k1 + 1.0) / (f + k1 * (1.0 - b + b * len / avg.max(1.0)))
                    })
                    .sum()
            })
            .collect()
    }
}

/// The ten best of `scores` with a positive score, best first (ties by index).
fn top(scores: &[f64], allowed: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).filter(|i| scores[*i] > 0.0 && allowed(*i)).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));
    order.truncate(10);
    order
}

/// nDCG@10 of plain jieba + BM25 (+ the hard rules) on an evaluation set.
pub async fn eval(dir: &Path) -> anyhow::Result<Value> {
    let work = std::env::temp_dir().join(format!("jobmatch-bm25-eval-{}", std::process::id()));
    let state = AppState::open(jobmatch_core::config::Settings::for_data_dir(&work.join("data"), None)?).await?;
    let (world, job_keys, person_keys, closed) = load_eval(dir)?;
    let judged = Judged::read(dir)?;
    let jieba = Jieba::new();
    let analysis = crate::pg::dummy_analysis();
    let jobs: Vec<JobFacts> = world
        .jobs
        .iter()
        .filter(|j| !closed.contains(&j.id))
        .map(|j| JobFacts::build(j.clone(), &state.regions))
        .collect();
    let people: Vec<PersonFacts> = world
        .persons
        .iter()
        .filter_map(|p| {
            PersonFacts::build(p.clone(), &state.regions, &state.vocab, analysis, &state.policy.public_welfare)
        })
        .collect();
    let job_text = |f: &JobFacts| {
        let i = &f.job.input;
        words(&jieba, &format!("{} {} {}", i.title, i.requirements.skills.join(" "), i.description))
    };
    let job_index = Bm25::new(&jobs.iter().map(job_text).collect::<Vec<_>>());
    let person_index =
        Bm25::new(&people.iter().map(|p| words(&jieba, &p.person.profile.skills.join(" "))).collect::<Vec<_>>());
    let (today, now) = (jobmatch_core::time::system_today(), Utc::now().timestamp());
    let fits = |j: &JobFacts, p: &PersonFacts| p.is_matchable() && broken_rule(j, p, today, now).is_none();
    let (mut m, mut c, mut violations) = (Vec::new(), Vec::new(), 0);
    for p in &people {
        let pk = &person_keys[&p.person.id];
        let scores = job_index.scores(&words(&jieba, &p.person.profile.skills.join(" ")));
        let ranked: Vec<String> =
            top(&scores, |i| fits(&jobs[i], p)).into_iter().map(|i| job_keys[&jobs[i].job.id].clone()).collect();
        violations += ranked.iter().filter(|jk| judged.forbidden.contains(&(pk.clone(), (*jk).clone()))).count();
        if let Some(v) = judged.by_person.get(pk).and_then(|g| crate::eval::ndcg(&ranked, g, 10)) {
            m.push(v);
        }
    }
    for j in &jobs {
        let jk = &job_keys[&j.job.id];
        let scores = person_index.scores(&job_text(j));
        let ranked: Vec<String> = top(&scores, |k| fits(j, &people[k]))
            .into_iter()
            .map(|k| person_keys[&people[k].person.id].clone())
            .collect();
        violations += ranked.iter().filter(|pk| judged.forbidden.contains(&((*pk).clone(), jk.clone()))).count();
        if let Some(v) = judged.by_job.get(jk).and_then(|g| crate::eval::ndcg(&ranked, g, 10)) {
            c.push(v);
        }
    }
    let mean = |v: &[f64]| (v.iter().sum::<f64>() / v.len().max(1) as f64 * 10_000.0).round() / 10_000.0;
    let _ = std::fs::remove_dir_all(&work);
    Ok(
        serde_json::json!({"engine": "jieba + BM25 + hard rules", "match_ndcg10": mean(&m), "cand_ndcg10": mean(&c), "violations": violations}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bm25_prefers_the_document_with_the_rarer_shared_word() {
        let docs = vec![
            vec!["叉车".to_string(), "工".to_string()],
            vec!["保洁".to_string(), "工".to_string()],
            vec!["保洁".to_string(), "员".to_string()],
        ];
        let idx = Bm25::new(&docs);
        let s = idx.scores(&["叉车".to_string(), "工".to_string()]);
        assert!(s[0] > s[1] && s[1] > 0.0 && s[2] == 0.0, "{s:?}");
        assert_eq!(top(&s, |_| true), vec![0, 1]);
    }
}
