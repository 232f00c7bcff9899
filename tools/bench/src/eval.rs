//! `jobmatch-bench eval <dir>`: load an evaluation set (jobs.jsonl, persons.jsonl,
//! judgments.tsv, forbidden.tsv; see eval/shared-set/FORMAT.md) into a fresh
//! store through the API, as a partner would, and score matching: nDCG@k of
//! person→jobs and job→people against the graded judgments, and the count of
//! answers that break a hard rule.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use jobmatch_core::config::Settings;
use serde_json::{json, Value};

use jobmatch_app::{Application, ServiceRole};

/// nDCG@k of a ranking against graded relevance (unlisted: 0).
pub fn ndcg(ranked: &[String], grades: &HashMap<String, i64>, k: usize) -> Option<f64> {
    let gain = |g: i64| (2f64.powi(g as i32)) - 1.0;
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, x)| gain(*grades.get(x).unwrap_or(&0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<i64> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal.iter().take(k).enumerate().map(|(i, g)| gain(*g) / ((i + 2) as f64).log2()).sum();
    (idcg > 0.0).then(|| dcg / idcg)
}

fn tsv(path: &Path) -> anyhow::Result<Vec<HashMap<String, String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| header.iter().map(|h| h.to_string()).zip(l.split('\t').map(String::from)).collect())
        .collect())
}

fn jsonl(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| Ok(serde_json::from_str(l)?)).collect()
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let body = res.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

/// Load `dir` into a fresh store and print the scores as one JSON line.
pub async fn run(dir: &Path, k: usize, detail: bool, database_url: Option<String>) -> anyhow::Result<Value> {
    let jobs = jsonl(&dir.join("jobs.jsonl"))?;
    let persons = jsonl(&dir.join("persons.jsonl"))?;
    let judgments = tsv(&dir.join("judgments.tsv"))?;
    let forbidden: HashSet<(String, String)> =
        tsv(&dir.join("forbidden.tsv"))?.into_iter().map(|r| (r["person"].clone(), r["job"].clone())).collect();

    let work = std::env::temp_dir().join(format!("jobmatch-eval-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    crate::store::refuse_a_real_store(database_url.as_deref()).await?;
    let settings = Settings::for_data_dir(&work.join("data"), database_url)?;
    let app = Application::build(settings, ServiceRole::All).await?;
    let port = app.port();
    let state = app.state().clone();
    crate::store::claim(&state).await?;
    let matcher = app.matcher().context("matching is not running")?;
    let admin = jobmatch_app::cli::create_key(&state, "评测管理员", "bureau", "admin", "330400").await?;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let c = Client { http: reqwest::Client::new(), base: format!("http://127.0.0.1:{port}") };
    use reqwest::Method as M;

    let mut errors: Vec<String> = Vec::new();
    let (_, org) = c
        .call(
            M::POST,
            "/v1/orgs",
            &admin,
            Some(&json!({"name": "评测零工市场", "kind": "gig_market", "region_code": "330400"})),
        )
        .await?;
    let org_id = org["id"].as_str().context("creating the publisher failed")?;
    let (_, key) =
        c.call(M::POST, &format!("/v1/orgs/{org_id}/keys"), &admin, Some(&json!({"role": "publisher"}))).await?;
    let publisher = key["key"].as_str().context("creating the publisher key failed")?.to_string();

    let mut job_ids: HashMap<String, String> = HashMap::new();
    let mut closed: HashSet<String> = HashSet::new();
    for mut j in jobs {
        let obj = j.as_object_mut().context("a job line is not an object")?;
        let key = obj.remove("key").and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let close = obj.remove("close_after_create").and_then(|v| v.as_bool()).unwrap_or(false);
        let (status, body) = c.call(M::POST, "/v1/jobs", &publisher, Some(&j)).await?;
        let Some(id) = body["id"].as_str().filter(|_| status == 201) else {
            errors.push(format!("job {key}: {status} {body}"));
            continue;
        };
        if close {
            c.call(M::POST, &format!("/v1/jobs/{id}/close"), &publisher, Some(&json!({"reason": "filled"}))).await?;
            closed.insert(key.clone());
        }
        job_ids.insert(key, id.to_string());
    }
    let mut person_ids: HashMap<String, String> = HashMap::new();
    let mut unmatchable: HashSet<String> = HashSet::new();
    for mut p in persons {
        let obj = p.as_object_mut().context("a person line is not an object")?;
        let key = obj.remove("key").and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let willing = obj.get("willingness").and_then(Value::as_str).unwrap_or("now") == "now";
        let free = ["unemployed", "flexible"]
            .contains(&obj.get("employment_status").and_then(Value::as_str).unwrap_or("unemployed"));
        if !(willing && free) {
            unmatchable.insert(key.clone());
        }
        let (status, body) = c.call(M::POST, "/v1/persons", &admin, Some(&p)).await?;
        match body["id"].as_str().filter(|_| status == 201) {
            Some(id) => {
                person_ids.insert(key, id.to_string());
            }
            None => errors.push(format!("person {key}: {status} {body}")),
        }
    }
    // Wait for matching to apply every write (the contract: within a second).
    let waited = Instant::now();
    while !matcher.caught_up().await? && waited.elapsed().as_secs() < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let mut by_person: HashMap<String, HashMap<String, i64>> = HashMap::new();
    let mut by_job: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for r in &judgments {
        let g: i64 = r["grade"].parse().unwrap_or(0);
        if g > 0 {
            by_person.entry(r["person"].clone()).or_default().insert(r["job"].clone(), g);
            by_job.entry(r["job"].clone()).or_default().insert(r["person"].clone(), g);
        }
    }
    let job_key: HashMap<&str, &str> = job_ids.iter().map(|(k, v)| (v.as_str(), k.as_str())).collect();
    let person_key: HashMap<&str, &str> = person_ids.iter().map(|(k, v)| (v.as_str(), k.as_str())).collect();
    let mut violations: Vec<String> = Vec::new();
    let (mut match_scores, mut cand_scores, mut latencies) = (Vec::new(), Vec::new(), Vec::new());
    let mut persons_sorted: Vec<(&String, &String)> = person_ids.iter().collect();
    persons_sorted.sort();
    for (pk, pid) in persons_sorted {
        let t = Instant::now();
        let (status, body) = c.call(M::GET, &format!("/v1/persons/{pid}/matches?limit={k}"), &admin, None).await?;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            errors.push(format!("matches {pk}: {status}"));
            continue;
        }
        let ranked: Vec<String> = body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| job_key.get(i["job"]["id"].as_str().unwrap_or("")).unwrap_or(&"?").to_string())
            .collect();
        for jk in &ranked {
            if forbidden.contains(&(pk.clone(), jk.clone())) || closed.contains(jk) || unmatchable.contains(pk) {
                violations.push(format!("{pk}->{jk}"));
            }
        }
        if let Some(v) = by_person.get(pk).and_then(|g| ndcg(&ranked, g, k)) {
            if detail {
                eprintln!("match {pk} {v:.3} {}", ranked.join(" "));
            }
            match_scores.push(v);
        }
    }
    let mut jobs_sorted: Vec<(&String, &String)> = job_ids.iter().collect();
    jobs_sorted.sort();
    for (jk, jid) in jobs_sorted {
        if closed.contains(jk) {
            continue;
        }
        let (status, body) = c.call(M::GET, &format!("/v1/jobs/{jid}/candidates?limit={k}"), &admin, None).await?;
        if status != 200 {
            errors.push(format!("candidates {jk}: {status}"));
            continue;
        }
        let ranked: Vec<String> = body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| person_key.get(i["person"]["id"].as_str().unwrap_or("")).unwrap_or(&"?").to_string())
            .collect();
        for pk in &ranked {
            if forbidden.contains(&(pk.clone(), jk.clone())) || unmatchable.contains(pk) {
                violations.push(format!("{jk}<-{pk}"));
            }
        }
        if let Some(v) = by_job.get(jk).and_then(|g| ndcg(&ranked, g, k)) {
            if detail {
                eprintln!("cand {jk} {v:.3} {}", ranked.join(" "));
            }
            cand_scores.push(v);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let mean =
        |v: &[f64]| (!v.is_empty()).then(|| (v.iter().sum::<f64>() / v.len() as f64 * 10_000.0).round() / 10_000.0);
    for e in errors.iter().take(20) {
        eprintln!("error: {e}");
    }
    for v in violations.iter().take(20) {
        eprintln!("violation: {v}");
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(json!({
        "match_ndcg10": mean(&match_scores),
        "cand_ndcg10": mean(&cand_scores),
        "violations": violations.len(),
        "errors": errors.len(),
        "jobs": job_ids.len(),
        "persons": person_ids.len(),
        "match_p50_ms": latencies.get(latencies.len() / 2).map(|v| (v * 100.0).round() / 100.0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_is_one_for_the_ideal_order_and_less_otherwise() {
        let g: HashMap<String, i64> = [("a".to_string(), 3), ("b".to_string(), 1)].into();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!((ndcg(&s(&["a", "b"]), &g, 10).unwrap() - 1.0).abs() < 1e-9);
        assert!(ndcg(&s(&["b", "a"]), &g, 10).unwrap() < 1.0);
        assert!(ndcg(&s(&["x", "y"]), &g, 10).unwrap() == 0.0);
        assert!(ndcg(&s(&["a"]), &HashMap::new(), 10).is_none());
    }
}
