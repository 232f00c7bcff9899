//! Matching on the evaluation sets in `eval/` through the API: the reasons
//! it gives are true ones (a skill reason never cites a place, a body word,
//! a hedge or a stop word), a posting that sells or advises on a trade
//! ranks below the trade itself, and a posting that needs the worker's
//! money reaches only someone starting a business.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::helpers::{id_number, job_body, person_body, spawn_app, with, Backend, TestApp};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(root().join("index-config").join(name))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Words no skill reason may cite: every place name of the region table
/// (whole and without its 市/区/县/镇/街道 ending), the words that are never
/// skills and the stop words.
fn not_skills() -> HashSet<String> {
    let mut out: HashSet<String> = config_lines("not-skills.txt").into_iter().collect();
    out.extend(config_lines("stopwords.txt"));
    let regions = std::fs::read_to_string(root().join("schemas/seed/regions-jiaxing.csv")).unwrap();
    for line in regions.lines().skip(1) {
        let name = line.split(',').nth(1).unwrap().split('（').next().unwrap().to_string();
        for suffix in ["街道", "社区", "市", "区", "县", "镇", "乡", "村"] {
            if let Some(stem) = name.strip_suffix(suffix).filter(|s| s.chars().count() >= 2) {
                out.insert(stem.to_string());
            }
        }
        out.insert(name);
    }
    out
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The words of each `技能匹配: a、b` reason of a list answer.
fn skill_words(items: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for item in items["items"].as_array().unwrap() {
        for r in item["reasons"].as_array().unwrap() {
            if let Some(words) = r.as_str().unwrap().strip_prefix("技能匹配: ") {
                out.extend(words.split('、').map(String::from));
            }
        }
    }
    out
}

/// Load a set's jobs (closing those marked so) and people; their ids by key.
async fn load(app: &TestApp, dir: &Path) -> (HashMap<String, String>, HashMap<String, String>) {
    let (_, publisher) = app.publisher("评测零工市场").await;
    let mut jobs = HashMap::new();
    for mut j in jsonl(&dir.join("jobs.jsonl")) {
        let key = j["key"].as_str().unwrap().to_string();
        let close = j["close_after_create"].as_bool().unwrap_or(false);
        let o = j.as_object_mut().unwrap();
        o.remove("key");
        o.remove("close_after_create");
        let id = app.create_job(&publisher, j).await;
        if close {
            let closed = app.post(&format!("/v1/jobs/{id}/close"), &publisher, json!({"reason": "filled"})).await;
            assert_eq!(closed.status, 200, "{key}: {:?}", closed.body);
        }
        jobs.insert(key, id);
    }
    let mut persons = HashMap::new();
    for mut p in jsonl(&dir.join("persons.jsonl")) {
        let key = p["key"].as_str().unwrap().to_string();
        p.as_object_mut().unwrap().remove("key");
        persons.insert(key, app.create_person(p).await);
    }
    app.wait_indexed().await;
    (jobs, persons)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_every_set_no_reason_cites_a_place_a_body_word_or_a_stop_word_as_a_skill() {
    let banned = not_skills();
    assert!(banned.contains("平湖") && banned.contains("手脚") && banned.contains("的"), "the banned list is read");
    let mut sets: Vec<PathBuf> = std::fs::read_dir(root().join("eval"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("jobs.jsonl").exists())
        .collect();
    sets.sort();
    assert!(sets.len() >= 2, "the shared set and our own: {sets:?}");
    for dir in sets {
        let app = spawn_app(Backend::Sqlite).await.unwrap();
        let (jobs, persons) = load(&app, &dir).await;
        let (mut cited, mut bad) = (0, Vec::new());
        for (key, id) in &persons {
            let answer = app.get(&format!("/v1/persons/{id}/matches?limit=10"), &app.admin).await;
            assert_eq!(answer.status, 200);
            for w in skill_words(&answer.body) {
                cited += 1;
                if banned.contains(&w) {
                    bad.push(format!("{key}: {w}"));
                }
            }
        }
        for (key, id) in &jobs {
            let answer = app.get(&format!("/v1/jobs/{id}/candidates?limit=10"), &app.admin).await;
            if answer.status != 200 {
                continue; // closed
            }
            for w in skill_words(&answer.body) {
                cited += 1;
                if banned.contains(&w) {
                    bad.push(format!("{key}: {w}"));
                }
            }
        }
        assert!(cited >= 100, "{}: only {cited} skill words cited", dir.display());
        assert!(bad.is_empty(), "{}: reasons citing non-skills: {bad:?}", dir.display());
    }
}

fn job(title: &str, category: &str, description: &str, skills: &[&str]) -> Value {
    with(job_body(), |b| {
        b["title"] = json!(title);
        b["region_code"] = json!("330402008");
        b["category"] = json!(category);
        b["employment_type"] = json!("full_time");
        b["requirements"] = json!({"age_max": 65, "physical": "medium", "skills": skills});
        b["description"] = json!(description);
    })
}

fn person(seq: u32, skills: &[&str], needs: &[&str]) -> Value {
    with(person_body(seq), |b| {
        b["id_number"] = json!(id_number("330402", "19760315", seq));
        b["region_code"] = json!("330402008");
        b["skills"] = json!(skills);
        b["service_needs"] = json!(needs);
        b["preferred_categories"] = json!([]);
        b["certificates"] = json!(["driver_forklift", "health_cert"]);
        b["availability"] = json!(["full_time"]);
        b["physical_limit"] = json!("medium");
    })
}

fn titles(answer: &Value) -> Vec<String> {
    answer["items"].as_array().unwrap().iter().map(|i| i["job"]["title"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_work_itself_ranks_above_selling_it_and_investing_is_for_founders_only() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (_, key) = app.publisher("南湖零工市场").await;
    for (title, category, description, skills) in [
        ("叉车销售顾问", "warehouse", "向工厂推销叉车和配件，开过叉车、懂叉车优先，底薪加提成。", vec!["叉车"]),
        ("叉车工", "warehouse", "在仓库开叉车装卸货物。", vec!["叉车"]),
        ("餐饮加盟招商专员", "catering", "招募加盟商，介绍后厨洗碗消毒流程。", vec!["洗碗"]),
        ("快餐店合伙人", "catering", "需投资8万元，总部提供洗碗机和培训。", vec!["洗碗"]),
        ("洗碗工", "catering", "负责餐具清洗消毒。", vec!["洗碗"]),
    ] {
        app.create_job(&key, job(title, category, description, &skills)).await;
    }
    let forklift = app.create_person(person(301, &["开过叉车"], &["job"])).await;
    let dishes = app.create_person(person(303, &["在饭店洗过碗"], &["job"])).await;
    let founder = app.create_person(person(305, &["在饭店洗过碗", "想自己开店"], &["job", "entrepreneurship"])).await;
    let seller = app.create_person(person(307, &["卖过叉车配件，想做销售"], &["job"])).await;
    app.wait_indexed().await;
    let list = |id: String| {
        let app = &app;
        async move { titles(&app.get(&format!("/v1/persons/{id}/matches?limit=10"), &app.admin).await.body) }
    };
    let pos = |l: &[String], t: &str| l.iter().position(|x| x == t);

    let l = list(forklift).await;
    assert_eq!(l.first().map(String::as_str), Some("叉车工"), "{l:?}");
    assert!(pos(&l, "叉车销售顾问").is_none_or(|p| p > 0), "{l:?}");

    let l = list(dishes).await;
    assert_eq!(l.first().map(String::as_str), Some("洗碗工"), "{l:?}");
    assert!(pos(&l, "餐饮加盟招商专员").is_none_or(|p| p > pos(&l, "洗碗工").unwrap()), "{l:?}");
    assert!(pos(&l, "快餐店合伙人").is_none(), "a posting that needs money is no job for them: {l:?}");

    let l = list(founder).await;
    assert!(pos(&l, "快餐店合伙人").is_some(), "someone starting a business may see it: {l:?}");

    // Someone who asks for sales work gets the sales posting of their trade first.
    let l = list(seller).await;
    assert_eq!(l.first().map(String::as_str), Some("叉车销售顾问"), "{l:?}");
}
