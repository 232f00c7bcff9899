//! What a team without a search engine would do: the hard rules as SQL
//! filters and PostgreSQL ILIKE / pg_trgm for the text, over the same rows.
//! Used by `jobmatch-bench matching --postgres` (latency) and
//! `jobmatch-bench pg-eval` (quality on an evaluation set).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use jobmatch_core::domain::{Consent, EmploymentStatus, Job, JobInput, JobStatus, Person, PersonProfile, Willingness};
use jobmatch_core::AppState;
use jobmatch_matching::engine::facts::{demand_rank, limit_rank, JobFacts, PersonFacts};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::matching::{demand, rule_args, World};

pub struct Pg {
    pool: PgPool,
}

/// Columns of `bench_jobs` being loaded: text columns, then numbers and certificates.
type JobCols = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);
type JobNums = (Vec<i32>, Vec<i32>, Vec<i32>, Vec<i64>, Vec<String>);
type PersonCols = (Vec<String>, Vec<String>, Vec<String>, Vec<String>, Vec<i32>, Vec<i32>, Vec<String>);

/// An evaluation set as domain objects: the world, job and person ids to
/// keys, and the closed jobs.
pub type EvalSet = (World, HashMap<String, String>, HashMap<String, String>, HashSet<String>);

fn days(d: NaiveDate) -> i32 {
    d.signed_duration_since(NaiveDate::default()).num_days() as i32
}

fn like_any(phrases: &[String]) -> Vec<String> {
    phrases.iter().filter(|p| !p.trim().is_empty()).map(|p| format!("%{}%", p.trim())).collect()
}

impl Pg {
    pub async fn connect(url: &str) -> anyhow::Result<Pg> {
        crate::store::refuse_a_real_store(Some(url)).await?;
        let pool = PgPoolOptions::new().max_connections(2).connect(url).await.context("connect to PostgreSQL")?;
        Ok(Pg { pool })
    }

    /// (Re)create the two tables with trigram and array indexes and load `world`.
    pub async fn load(&self, world: &World, state: &AppState) -> anyhow::Result<()> {
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "DROP TABLE IF EXISTS bench_jobs",
            "DROP TABLE IF EXISTS bench_people",
            "CREATE TABLE bench_jobs (id text PRIMARY KEY, category text NOT NULL, body text NOT NULL, scopes text[] NOT NULL,
                age_min int NOT NULL, age_max int NOT NULL, physical int NOT NULL, certs text[] NOT NULL, valid_until bigint NOT NULL)",
            "CREATE TABLE bench_people (id text PRIMARY KEY, body text NOT NULL, prefs text[] NOT NULL, accept text[] NOT NULL,
                birth int NOT NULL, physical int NOT NULL, certs text[] NOT NULL)",
        ] {
            sqlx::query(sql).execute(&self.pool).await?;
        }
        for chunk in world.jobs.chunks(5000) {
            let mut cols: JobCols = Default::default();
            let mut nums: JobNums = Default::default();
            for j in chunk {
                let f = JobFacts::build(j.clone(), &state.regions);
                cols.0.push(j.id.clone());
                cols.1.push(j.input.category.clone());
                cols.2.push(format!(
                    "{} {} {}",
                    j.input.title,
                    j.input.requirements.skills.join("，"),
                    j.input.description
                ));
                cols.3.push(format!("{{{}}}", f.scopes.join(",")));
                nums.0.push(j.input.requirements.age_min.unwrap_or(0) as i32);
                nums.1.push(j.input.requirements.age_max.unwrap_or(200) as i32);
                nums.2.push(demand_rank(j.input.requirements.physical) as i32);
                nums.3.push(f.valid_until_ts.unwrap_or(i64::MAX));
                nums.4.push(format!("{{{}}}", j.input.requirements.certificates.join(",")));
            }
            sqlx::query(
                "INSERT INTO bench_jobs SELECT id, category, body, scopes::text[], age_min, age_max, physical, certs::text[], valid_until
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::text[], $9::bigint[])
                 AS t(id, category, body, scopes, age_min, age_max, physical, certs, valid_until)",
            )
            .bind(&cols.0)
            .bind(&cols.1)
            .bind(&cols.2)
            .bind(&cols.3)
            .bind(&nums.0)
            .bind(&nums.1)
            .bind(&nums.2)
            .bind(&nums.4)
            .bind(&nums.3)
            .execute(&self.pool)
            .await
            .context("loading bench_jobs")?;
        }
        for chunk in world.persons.chunks(5000) {
            let mut c: PersonCols = Default::default();
            for p in chunk {
                let Some(f) = PersonFacts::build(
                    p.clone(),
                    &state.regions,
                    &state.vocab,
                    dummy_analysis(),
                    &state.policy.public_welfare,
                ) else {
                    continue;
                };
                if !f.is_matchable() {
                    continue;
                }
                c.0.push(p.id.clone());
                c.1.push(p.profile.skills.join("，"));
                c.2.push(format!("{{{}}}", p.profile.preferred_categories.join(",")));
                c.3.push(format!("{{{}}}", f.accept.join(",")));
                c.4.push(days(f.birth_date));
                c.5.push(limit_rank(p.profile.physical_limit) as i32);
                c.6.push(format!("{{{}}}", p.profile.certificates.join(",")));
            }
            sqlx::query(
                "INSERT INTO bench_people SELECT id, body, prefs::text[], accept::text[], birth, physical, certs::text[]
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[])
                 AS t(id, body, prefs, accept, birth, physical, certs)",
            )
            .bind(&c.0)
            .bind(&c.1)
            .bind(&c.2)
            .bind(&c.3)
            .bind(&c.4)
            .bind(&c.5)
            .bind(&c.6)
            .execute(&self.pool)
            .await
            .context("loading bench_people")?;
        }
        for sql in [
            "CREATE INDEX ON bench_jobs USING gin (body gin_trgm_ops)",
            "CREATE INDEX ON bench_jobs USING gin (scopes)",
            "CREATE INDEX ON bench_people USING gin (body gin_trgm_ops)",
            "CREATE INDEX ON bench_people USING gin (accept)",
            "ANALYZE bench_jobs",
            "ANALYZE bench_people",
        ] {
            sqlx::query(sql).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Jobs for a person: rules as filters; the wanted categories or the
    /// person's own words (ILIKE), ranked by trigram similarity.
    pub async fn matches(&self, f: &PersonFacts, state: &AppState, limit: i64) -> anyhow::Result<Vec<String>> {
        if !f.is_matchable() {
            return Ok(Vec::new());
        }
        let (accept, age, limit_rank, not_held) = rule_args(f, state);
        let skills = f.person.profile.skills.join("，");
        Ok(sqlx::query_scalar(
            "SELECT id FROM bench_jobs
             WHERE scopes && $1 AND age_min <= $2 AND age_max >= $2 AND physical <= $3 AND NOT (certs && $4)
               AND valid_until > $5 AND (category = ANY($6) OR body ILIKE ANY($7))
             ORDER BY similarity(body, $8) DESC, id LIMIT $9",
        )
        .bind(&accept)
        .bind(age as i32)
        .bind(limit_rank as i32)
        .bind(&not_held)
        .bind(Utc::now().timestamp())
        .bind(&f.person.profile.preferred_categories)
        .bind(like_any(&f.person.profile.skills))
        .bind(skills)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// People for a job, the same way round.
    pub async fn candidates(&self, f: &JobFacts, limit: i64) -> anyhow::Result<Vec<String>> {
        let today = Utc::now().date_naive();
        let req = &f.job.input.requirements;
        let youngest = jobmatch_matching::engine::rules::born_before_for_min_age(today, req.age_min.unwrap_or(0));
        let oldest = jobmatch_matching::engine::rules::born_after_for_max_age(today, req.age_max.unwrap_or(150));
        let words: Vec<String> = req.skills.iter().cloned().chain([f.job.input.title.clone()]).collect();
        Ok(sqlx::query_scalar(
            "SELECT id FROM bench_people
             WHERE accept && $1 AND birth <= $2 AND birth >= $3 AND physical >= $4 AND certs @> $5
               AND ($6 = ANY(prefs) OR body ILIKE ANY($7))
             ORDER BY similarity(body, $8) DESC, id LIMIT $9",
        )
        .bind(&f.scopes)
        .bind(days(youngest))
        .bind(days(oldest))
        .bind(demand(f) as i32)
        .bind(&req.certificates)
        .bind(&f.job.input.category)
        .bind(like_any(&words))
        .bind(words.join("，"))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Facts need an analyzer; SQL does its own text matching, so one shared
/// instance is made once.
pub fn dummy_analysis() -> &'static jobmatch_matching::engine::analyzer::Analysis {
    use std::sync::OnceLock;
    static ANALYSIS: OnceLock<jobmatch_matching::engine::analyzer::Analysis> = OnceLock::new();
    ANALYSIS.get_or_init(|| {
        let c = jobmatch_matching::engine::config::MatchConfig::load(None).expect("embedded index-config");
        jobmatch_matching::engine::analyzer::Analysis::new(std::sync::Arc::new(c))
    })
}

fn with_defaults(mut v: Value, defaults: Value) -> Value {
    if let (Some(o), Some(d)) = (v.as_object_mut(), defaults.as_object()) {
        for (k, dv) in d {
            o.entry(k.clone()).or_insert(dv.clone());
        }
    }
    v
}

/// The grades and the rule-breaking pairs of an evaluation set, by key.
pub struct Judged {
    /// person → job → grade (grades above 0 only).
    pub by_person: HashMap<String, HashMap<String, i64>>,
    /// job → person → grade (grades above 0 only).
    pub by_job: HashMap<String, HashMap<String, i64>>,
    /// (person, job) pairs that break a hard rule.
    pub forbidden: HashSet<(String, String)>,
}

impl Judged {
    pub fn read(dir: &Path) -> anyhow::Result<Judged> {
        let text = std::fs::read_to_string(dir.join("judgments.tsv"))?;
        let mut by_person: HashMap<String, HashMap<String, i64>> = HashMap::new();
        let mut by_job: HashMap<String, HashMap<String, i64>> = HashMap::new();
        for l in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let c: Vec<&str> = l.split('\t').collect();
            let g: i64 = c.get(2).and_then(|g| g.parse().ok()).unwrap_or(0);
            if g > 0 {
                by_person.entry(c[0].into()).or_default().insert(c[1].into(), g);
                by_job.entry(c[1].into()).or_default().insert(c[0].into(), g);
            }
        }
        let forbidden = std::fs::read_to_string(dir.join("forbidden.tsv"))?
            .lines()
            .skip(1)
            .filter_map(|l| {
                l.split_once('\t').map(|(p, r)| (p.to_string(), r.split('\t').next().unwrap_or("").to_string()))
            })
            .collect();
        Ok(Judged { by_person, by_job, forbidden })
    }
}

/// The evaluation set as domain objects (jobs marked closed are closed).
pub fn load_eval(dir: &Path) -> anyhow::Result<EvalSet> {
    let mut world = World { jobs: Vec::new(), persons: Vec::new() };
    let (mut job_keys, mut person_keys, mut closed) = (HashMap::new(), HashMap::new(), HashSet::new());
    let now = jobmatch_core::time::to_text(chrono::Utc::now());
    for line in std::fs::read_to_string(dir.join("jobs.jsonl"))?.lines().filter(|l| !l.trim().is_empty()) {
        let mut v: Value = serde_json::from_str(line)?;
        let key = v["key"].as_str().unwrap_or_default().to_string();
        let is_closed = v["close_after_create"].as_bool().unwrap_or(false);
        if let Some(o) = v.as_object_mut() {
            o.remove("key");
            o.remove("close_after_create");
        }
        let v = with_defaults(v, serde_json::json!({"headcount": 1, "requirements": {}, "disability_friendly": false}));
        let input: JobInput = serde_json::from_value(v).context("an eval job")?;
        let id = format!("job_{key}");
        if is_closed {
            closed.insert(id.clone());
        }
        job_keys.insert(id.clone(), key);
        world.jobs.push(Job {
            id,
            input,
            status: if is_closed { JobStatus::Closed } else { JobStatus::Open },
            close_reason: None,
            certified_only: false,
            publisher_org_id: "org_eval".into(),
            created_at: now.clone(),
            updated_at: now.clone(),
        });
    }
    let today = Utc::now().date_naive();
    for line in std::fs::read_to_string(dir.join("persons.jsonl"))?.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)?;
        let key = v["key"].as_str().unwrap_or_default().to_string();
        let id_number = v["id_number"].as_str().unwrap_or_default().to_string();
        let parsed =
            jobmatch_core::idcard::parse(&id_number, today).map_err(|e| anyhow::anyhow!("{key}: {}", e.message))?;
        let strings = |k: &str| -> Vec<String> {
            v[k].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default()
        };
        let profile = PersonProfile {
            name: v["name"].as_str().unwrap_or_default().into(),
            region_code: v["region_code"].as_str().unwrap_or_default().into(),
            address: None,
            groups: serde_json::from_value(v["groups"].clone()).unwrap_or_default(),
            employment_status: serde_json::from_value(v["employment_status"].clone())
                .unwrap_or(EmploymentStatus::Unemployed),
            willingness: serde_json::from_value(v["willingness"].clone()).unwrap_or(Willingness::Now),
            willingness_reason: None,
            service_needs: vec![],
            skills: strings("skills"),
            certificates: strings("certificates"),
            preferred_categories: strings("preferred_categories"),
            preferred_regions: strings("preferred_regions"),
            expected_pay: serde_json::from_value(v["expected_pay"].clone()).ok(),
            availability: serde_json::from_value(v["availability"].clone()).unwrap_or_default(),
            physical_limit: serde_json::from_value(v["physical_limit"].clone()).ok(),
            consent: Consent { push: true, share_with_agencies: true, recommend_to_employers: false },
            retirement_kind: None,
        };
        let id = format!("per_{key}");
        person_keys.insert(id.clone(), key);
        world.persons.push(Person {
            id,
            id_number: String::new(),
            phone: None,
            profile,
            birth_date: Some(parsed.birth_date.format("%Y-%m-%d").to_string()),
            age: jobmatch_core::idcard::age_on(parsed.birth_date, today),
            sex: parsed.sex.into(),
            certification: None,
            created_at: now.clone(),
            updated_at: now.clone(),
        });
    }
    Ok((world, job_keys, person_keys, closed))
}

/// nDCG@10 of the SQL approach on an evaluation set, both ways, and its violations.
pub async fn eval(dir: &Path, url: &str) -> anyhow::Result<Value> {
    let work = std::env::temp_dir().join(format!("jobmatch-pg-eval-{}", std::process::id()));
    let state = AppState::open(jobmatch_core::config::Settings::for_data_dir(&work.join("data"), None)?).await?;
    let (world, job_keys, person_keys, closed) = load_eval(dir)?;
    let pg = Pg::connect(url).await?;
    let open_world = World {
        jobs: world.jobs.iter().filter(|j| !closed.contains(&j.id)).cloned().collect(),
        persons: world.persons.clone(),
    };
    pg.load(&open_world, &state).await?;
    let Judged { by_person, by_job, forbidden } = Judged::read(dir)?;
    let analysis = dummy_analysis();
    let (mut m, mut c, mut violations) = (Vec::new(), Vec::new(), 0);
    for p in &world.persons {
        let pk = &person_keys[&p.id];
        let Some(f) =
            PersonFacts::build(p.clone(), &state.regions, &state.vocab, analysis, &state.policy.public_welfare)
        else {
            continue;
        };
        let ranked: Vec<String> = pg.matches(&f, &state, 10).await?.iter().map(|id| job_keys[id].clone()).collect();
        violations += ranked.iter().filter(|jk| forbidden.contains(&((*pk).clone(), (*jk).clone()))).count();
        if let Some(v) = by_person.get(pk).and_then(|g| crate::eval::ndcg(&ranked, g, 10)) {
            m.push(v);
        }
    }
    for j in &open_world.jobs {
        let jk = &job_keys[&j.id];
        let f = JobFacts::build(j.clone(), &state.regions);
        let ranked: Vec<String> = pg.candidates(&f, 10).await?.iter().map(|id| person_keys[id].clone()).collect();
        violations += ranked.iter().filter(|pk| forbidden.contains(&((*pk).clone(), jk.clone()))).count();
        if let Some(v) = by_job.get(jk).and_then(|g| crate::eval::ndcg(&ranked, g, 10)) {
            c.push(v);
        }
    }
    let mean = |v: &[f64]| (v.iter().sum::<f64>() / v.len().max(1) as f64 * 10_000.0).round() / 10_000.0;
    let _ = std::fs::remove_dir_all(&work);
    Ok(
        serde_json::json!({"engine": "postgres ILIKE + pg_trgm", "match_ndcg10": mean(&m), "cand_ndcg10": mean(&c), "violations": violations}),
    )
}
