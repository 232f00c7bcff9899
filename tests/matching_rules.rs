//! The property: across thousands of random people and jobs, no match and no
//! candidate ever breaks a hard rule of the contract. The rules are checked
//! here by a separate, plain reading of API.md, against the inputs as sent.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{id_number, spawn_app, Backend, TestApp};

const CATEGORIES: [(&str, &[&str]); 8] = [
    ("cleaning", &["保洁", "打扫卫生", "清扫"]),
    ("security", &["门卫", "巡逻", "看监控"]),
    ("delivery", &["送外卖", "骑电动车", "跑腿"]),
    ("catering", &["帮厨", "洗碗", "切菜"]),
    ("greening", &["修剪", "除草", "绿化养护"]),
    ("handicraft", &["串珠", "手工", "编织"]),
    ("driving", &["开车", "货车驾驶"]),
    ("elderly_care", &["照顾老人", "陪护"]),
];
const CERTS: [&str; 4] = ["health_cert", "driver_c1", "electrician", "security_guard"];
const PHYSICAL: [&str; 3] = ["light", "medium", "heavy"];

fn rank(p: Option<&str>) -> u8 {
    match p {
        Some("light") => 1,
        Some("medium") => 2,
        Some("heavy") => 3,
        _ => 0,
    }
}

fn age(birth: NaiveDate, today: NaiveDate) -> i64 {
    let mut a = (today.year() - birth.year()) as i64;
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a
}

/// Every code a region lies in: itself, its parents, and the zone running it.
fn lies_in(code: &str, regions: &HashMap<String, (Option<String>, Option<String>)>) -> Vec<String> {
    let mut out = vec![];
    let mut cur = Some(code.to_string());
    while let Some(c) = cur {
        let (parent, unit) = regions.get(&c).cloned().unwrap_or((None, None));
        out.push(c);
        if let Some(u) = unit {
            out.push(u);
        }
        cur = parent;
    }
    out
}

/// The first hard rule of API.md that (person, job) breaks. A job of a
/// public-welfare announcement carries `"certified_only": true`; a person
/// certified as 就业困难人员 `"certified": true` (test-side marks).
fn broken(
    person: &Value,
    job: &Value,
    closed: bool,
    regions: &HashMap<String, (Option<String>, Option<String>)>,
    today: NaiveDate,
) -> Option<&'static str> {
    if person["willingness"] != "now" {
        return Some("not_willing");
    }
    if !["unemployed", "flexible"].contains(&person["employment_status"].as_str().unwrap()) {
        return Some("employed");
    }
    if closed {
        return Some("closed");
    }
    let preferred: Vec<String> =
        person["preferred_regions"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
    let home_county =
        lies_in(person["region_code"].as_str().unwrap(), regions).into_iter().find(|c| c.len() == 6).unwrap();
    let allowed = if preferred.is_empty() { vec![home_county] } else { preferred };
    let job_in = lies_in(job["region_code"].as_str().unwrap(), regions);
    if !allowed.iter().any(|a| job_in.contains(a)) {
        return Some("region");
    }
    let id = person["id_number"].as_str().unwrap();
    let a = age(NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap(), today);
    let req = &job["requirements"];
    if req["age_min"].as_i64().is_some_and(|m| a < m) || req["age_max"].as_i64().is_some_and(|m| a > m) {
        return Some("age");
    }
    let held: Vec<&Value> = person["certificates"].as_array().unwrap().iter().collect();
    if req["certificates"].as_array().unwrap().iter().any(|c| !held.contains(&c)) {
        return Some("certificate");
    }
    let limit = rank(person["physical_limit"].as_str()).max(if person["physical_limit"].is_null() { 2 } else { 0 });
    if rank(req["physical"].as_str()) > limit {
        return Some("physical");
    }
    if job["certified_only"] == true && person["certified"] != true {
        return Some("not_certified");
    }
    // Nor a public-welfare post for someone past the statutory retirement
    // age (2024 decision): a man's; a woman's later one (cadre), as the
    // record does not say whether she is a worker or a cadre.
    if job["certified_only"] == true {
        let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap();
        let male = id.as_bytes()[16] % 2 == 1;
        let retire = |base: u32, from: (i32, u32), step: i64, most: i64| {
            let cohort = (birth.year() - from.0) as i64 * 12 + birth.month0() as i64 - (from.1 - 1) as i64;
            let delay = if cohort < 0 { 0 } else { (cohort / step + 1).min(most) };
            birth.checked_add_months(chrono::Months::new(base * 12 + delay as u32)).unwrap()
        };
        let retires = if male {
            retire(60, (1965, 1), 4, 36)
        } else {
            retire(50, (1975, 1), 2, 60).max(retire(55, (1970, 1), 4, 36))
        };
        if retires <= today {
            return Some("not_certified");
        }
    }
    None
}

/// A public-welfare position and its published announcement, as the
/// position's body and the job it becomes (as `broken` reads it).
fn random_welfare(rng: &mut StdRng, streets: &[String], i: usize) -> (Value, Value, Value) {
    let street = streets.choose(rng).unwrap().clone();
    let (kind, category) = [
        ("river_cleaning", "river_cleaning"),
        ("green_ecology", "greening"),
        ("community_service", "community_assistant"),
    ]
    .choose(rng)
    .copied()
    .unwrap();
    let position = json!({"type": kind, "employer_name": format!("街道办事处{i}"), "title": format!("公益性岗位{i}"),
        "region_code": street, "headcount": 2, "pay": {"min": 2200, "max": 2500},
        "funded_from": "2026-01-01", "funded_until": "2029-12-31"});
    let mut announcement = json!({"requirements": "保洁、巡查、协助社区工作", "workplace": "辖区内", "posts": 2,
        "apply_by": (Utc::now().date_naive() + chrono::Duration::days(30)).to_string(),
        "contact": {"name": "李", "phone": "13805731234"}});
    let mut req = json!({"certificates": []});
    if rng.gen_bool(0.5) {
        let lo = rng.gen_range(18..=45);
        announcement["age_min"] = json!(lo);
        req["age_min"] = json!(lo);
    }
    if rng.gen_bool(0.5) {
        let hi = rng.gen_range(50..=65);
        announcement["age_max"] = json!(hi);
        req["age_max"] = json!(hi);
    }
    let job = json!({"region_code": street, "category": category, "requirements": req, "certified_only": true});
    (position, announcement, job)
}

fn random_job(rng: &mut StdRng, streets: &[String], i: usize) -> Value {
    let (cat, words) = CATEGORIES.choose(rng).unwrap();
    let lo = rng.gen_range(16..=50);
    let n_certs = if rng.gen_bool(0.6) { 0 } else { rng.gen_range(1..=2) };
    let mut req = json!({
        "skills": words.choose_multiple(rng, 2).collect::<Vec<_>>(),
        "certificates": CERTS.choose_multiple(rng, n_certs).collect::<Vec<_>>(),
    });
    if rng.gen_bool(0.5) {
        req["age_min"] = json!(lo);
    }
    if rng.gen_bool(0.7) {
        req["age_max"] = json!(rng.gen_range(lo.max(40)..=70));
    }
    if rng.gen_bool(0.8) {
        req["physical"] = json!(PHYSICAL.choose(rng).unwrap());
    }
    json!({
        "title": format!("{}岗位{i}", words[0]),
        "description": format!("招{}，{}。", words[0], words.join("、")),
        "source": "gig_market", "category": cat,
        "employment_type": (["gig", "part_time", "full_time", "seasonal"]).choose(rng).unwrap(),
        "pay": {"min": 2000, "max": 4000, "unit": "month"},
        "region_code": streets.choose(rng).unwrap(),
        "requirements": req,
        "contact": {"name": "王", "phone": "13805731234"}
    })
}

fn random_person(rng: &mut StdRng, streets: &[String], counties: &[&str], i: usize) -> Value {
    let (cat, words) = CATEGORIES.choose(rng).unwrap();
    let birth = format!("{}{:02}{:02}", rng.gen_range(1957..=2007), rng.gen_range(1..=12), rng.gen_range(1..=28));
    let street = streets.choose(rng).unwrap().clone();
    let preferred: Vec<String> = match rng.gen_range(0..3) {
        0 => vec![],
        1 => {
            let n = rng.gen_range(1..=2);
            counties.choose_multiple(rng, n).map(|c| c.to_string()).collect()
        }
        _ => vec![street.clone()],
    };
    let n_certs = rng.gen_range(0..=2);
    let mut p = json!({
        "id_number": id_number(&street[..6], &birth, (i % 1000) as u32),
        "name": format!("测试{i}"),
        "phone": "13905738765",
        "region_code": street,
        "employment_status": (["unemployed", "unemployed", "unemployed", "flexible", "employed"]).choose(rng).unwrap(),
        "willingness": (["now", "now", "now", "now", "later", "not_now"]).choose(rng).unwrap(),
        "skills": words.choose_multiple(rng, 2).collect::<Vec<_>>(),
        "certificates": CERTS.choose_multiple(rng, n_certs).collect::<Vec<_>>(),
        "preferred_categories": [cat],
        "preferred_regions": preferred,
        "availability": (["gig", "part_time", "full_time"]).choose_multiple(rng, 2).collect::<Vec<_>>(),
    });
    if rng.gen_bool(0.8) {
        p["physical_limit"] = json!(PHYSICAL.choose(rng).unwrap());
    }
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_match_or_candidate_ever_breaks_a_hard_rule() {
    let app: TestApp = spawn_app(Backend::Sqlite).await.unwrap();
    let mut rng = StdRng::seed_from_u64(20261125);
    let csv = jobmatch_core::regions::parse_csv(jobmatch_core::regions::SEED_CSV).unwrap();
    let regions: HashMap<String, (Option<String>, Option<String>)> =
        csv.iter().map(|r| (r.code.clone(), (r.parent.clone(), r.reporting_unit.clone()))).collect();
    // Four neighbouring counties, so that regions rule out a good share.
    let counties = ["330402", "330411", "330421", "330481"];
    let streets: Vec<String> = csv
        .iter()
        .filter(|r| r.level == "street" && counties.contains(&&r.code[..6]))
        .map(|r| r.code.clone())
        .collect();
    let (_, key) = app.publisher("评测零工市场").await;
    let mut jobs: Vec<Value> = (0..1500).map(|i| random_job(&mut rng, &streets, i)).collect();
    let mut persons: Vec<Value> = (0..1000).map(|i| random_person(&mut rng, &streets, &counties, i)).collect();
    let mut job_ids: Vec<String> =
        futures::stream::iter(jobs.iter().cloned()).map(|j| app.create_job(&key, j)).buffered(8).collect().await;
    // Public-welfare recruitments: only certified people may be matched.
    for i in 0..150 {
        let (position, announcement, job) = random_welfare(&mut rng, &streets, i);
        let pos = app.post("/v1/welfare/positions", &app.admin, position).await;
        assert_eq!(pos.status, StatusCode::CREATED, "{}", pos.body);
        let path = format!("/v1/welfare/positions/{}/announcements", pos.body["id"].as_str().unwrap());
        let draft = app.post(&path, &app.admin, announcement).await;
        assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
        let path = format!("/v1/welfare/announcements/{}/publish", draft.body["id"].as_str().unwrap());
        let published = app.post(&path, &app.admin, json!({})).await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.body);
        job_ids.push(published.body["job_id"].as_str().unwrap().to_string());
        jobs.push(job);
    }
    let closed: Vec<bool> = (0..jobs.len()).map(|_| rng.gen_bool(0.05)).collect();
    for (id, _) in job_ids.iter().zip(&closed).filter(|(_, c)| **c) {
        assert_eq!(
            app.post(&format!("/v1/jobs/{id}/close"), &app.admin, json!({"reason": "filled"})).await.status,
            StatusCode::OK
        );
    }
    let person_ids: Vec<String> =
        futures::stream::iter(persons.iter().cloned()).map(|p| app.create_person(p)).buffered(8).collect().await;
    // A third of the people are certified as 就业困难人员.
    for (pi, pid) in person_ids.iter().enumerate() {
        if !rng.gen_bool(0.35) {
            continue;
        }
        let path = format!("/v1/persons/{pid}/certification");
        let applied =
            app.post(&path, &app.admin, json!({"action": "apply", "grounds": ["long_term_unemployed"]})).await;
        if applied.status != StatusCode::OK {
            continue;
        }
        let r = app.post(&path, &app.reviewer, json!({"action": "certify"})).await;
        if r.body["certification"]["status"] == "certified" {
            persons[pi]["certified"] = json!(true);
        }
    }
    let certified = persons.iter().filter(|p| p["certified"] == true).count();
    assert!(certified > 200, "{certified} people certified");
    app.wait_indexed().await;
    let today = Utc::now().with_timezone(&jobmatch_core::time::shanghai()).date_naive();
    let job_at: HashMap<&str, usize> = job_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let person_at: HashMap<&str, usize> = person_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let (mut checked, mut nonempty, mut welfare_pairs) = (0, 0, 0);
    for (pi, pid) in person_ids.iter().enumerate() {
        let res = app.get(&format!("/v1/persons/{pid}/matches?limit=100"), &app.admin).await;
        assert_eq!(res.status, StatusCode::OK);
        let items = res.body["items"].as_array().unwrap();
        nonempty += usize::from(!items.is_empty());
        for it in items {
            let ji = job_at[it["job"]["id"].as_str().unwrap()];
            checked += 1;
            welfare_pairs += usize::from(jobs[ji]["certified_only"] == true);
            assert_eq!(broken(&persons[pi], &jobs[ji], closed[ji], &regions, today), None, "person {pi} got job {ji}");
        }
        // Whatever a matchable person could take, they are offered something when it exists.
        let could = (0..jobs.len())
            .filter(|&ji| broken(&persons[pi], &jobs[ji], closed[ji], &regions, today).is_none())
            .count();
        assert_eq!(items.len(), could.min(100), "person {pi}: every eligible job is reachable");
    }
    for ji in (0..jobs.len()).step_by(5) {
        let res = app.get(&format!("/v1/jobs/{}/candidates?limit=200", job_ids[ji]), &app.admin).await;
        for it in res.body["items"].as_array().unwrap() {
            let pi = person_at[it["person"]["id"].as_str().unwrap()];
            checked += 1;
            assert_eq!(
                broken(&persons[pi], &jobs[ji], closed[ji], &regions, today),
                None,
                "job {ji} offered person {pi}"
            );
        }
    }
    assert!(welfare_pairs > 50, "certified people were offered public-welfare jobs: {welfare_pairs}");
    assert!(
        checked > 5_000 && nonempty > 200,
        "the property was exercised: {checked} pairs, {nonempty} people with matches"
    );
    eprintln!("checked {checked} answered pairs; {nonempty} of {} people had matches", persons.len());
}
