//! Matching through the API: hard rules, ranking and reasons, visibility,
//! the outbox keeping indexes in step, restarts and rebuilds.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{id_number, job_body, person_body, start_app, with};

fn ids(v: &Value, key: &str) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|i| i[key]["id"].as_str().unwrap().to_string()).collect()
}

/// A cleaner in 解放街道 (南湖区): the contract's example person.
fn cleaner() -> Value {
    with(person_body(124), |b| b["region_code"] = json!("330402008"))
}

fn job(title: &str, region: &str, category: &str, skills: &[&str]) -> Value {
    with(job_body(), |b| {
        b["title"] = json!(title);
        b["region_code"] = json!(region);
        b["category"] = json!(category);
        b["requirements"] = json!({"age_max": 65, "physical": "medium", "skills": skills});
        b["description"] = json!(format!("{title}，工作地点在本街道附近。"));
    })
}

both_backends! {
    async fn a_cleaner_gets_cleaning_jobs_first_with_reasons_and_never_a_job_she_cannot_take(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let near = app.create_job(&key, job("小区保洁员", "330402008", "cleaning", &["保洁"])).await;
        let far = app.create_job(&key, job("商场保洁员", "330402011", "cleaning", &["保洁", "清扫"])).await;
        let other = app.create_job(&key, job("超市收银员", "330402008", "retail", &["收银"])).await;
        let young_only = app.create_job(&key, with(job("写字楼保洁员", "330402008", "cleaning", &["保洁"]), |b| b["requirements"]["age_max"] = json!(50))).await;
        let heavy = app.create_job(&key, with(job("搬运保洁工", "330402008", "cleaning", &["保洁"]), |b| b["requirements"]["physical"] = json!("heavy"))).await;
        let cert = app.create_job(&key, with(job("食堂保洁员", "330402008", "cleaning", &["保洁"]), |b| b["requirements"]["certificates"] = json!(["health_cert"]))).await;
        let other_county = app.create_job(&key, job("河边保洁员", "330411002", "cleaning", &["保洁"])).await;
        let closed = app.create_job(&key, job("楼道保洁员", "330402008", "cleaning", &["保洁"])).await;
        app.post(&format!("/v1/jobs/{closed}/close"), &key, json!({"reason": "filled"})).await;
        let pid = app.create_person(cleaner()).await;
        app.wait_indexed().await;
        let res = app.get(&format!("/v1/persons/{pid}/matches"), &app.admin).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let got = ids(&res.body, "job");
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], near, "same street first");
        assert_eq!(got[1], far);
        assert_eq!(got[2], other, "a job of another kind ranks last");
        for banned in [&young_only, &heavy, &cert, &other_county, &closed] {
            assert!(!got.contains(banned));
        }
        let items = res.body["items"].as_array().unwrap();
        let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]) && scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
        let reasons: Vec<String> = items[0]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
        assert!(reasons.iter().any(|r| r.starts_with("技能匹配") && r.contains("保洁")), "{reasons:?}");
        assert!(reasons.contains(&"同街道".to_string()) && reasons.contains(&"意向工种: 保洁".to_string()), "{reasons:?}");
        assert_eq!(items[0]["job"]["title"], "小区保洁员", "the whole job is answered");
        // From the job's side the same pair has the same score.
        let cands = app.get(&format!("/v1/jobs/{near}/candidates"), &app.admin).await;
        assert_eq!(ids(&cands.body, "person"), [pid.as_str()]);
        assert_eq!(cands.body["items"][0]["score"], items[0]["score"]);
        assert!(cands.body["items"][0]["person"]["id_number"].as_str().unwrap().contains("****"), "candidates are masked");
        // Nobody for the job she is too old for.
        assert!(ids(&app.get(&format!("/v1/jobs/{young_only}/candidates"), &app.admin).await.body, "person").is_empty());
    }

    async fn people_who_cannot_be_matched_get_nothing_and_are_offered_to_nobody(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let jid = app.create_job(&key, job("小区保洁员", "330402008", "cleaning", &["保洁"])).await;
        let working = app.create_person(with(cleaner(), |b| b["employment_status"] = json!("employed"))).await;
        let later = app.create_person(with(cleaner(), |b| { b["id_number"] = json!(id_number("330402", "19680512", 126)); b["willingness"] = json!("later"); })).await;
        let flexible = app.create_person(with(cleaner(), |b| { b["id_number"] = json!(id_number("330402", "19680512", 128)); b["employment_status"] = json!("flexible"); })).await;
        app.wait_indexed().await;
        for p in [&working, &later] {
            let res = app.get(&format!("/v1/persons/{p}/matches"), &app.admin).await;
            assert_eq!(res.status, StatusCode::OK);
            assert!(ids(&res.body, "job").is_empty());
        }
        assert_eq!(ids(&app.get(&format!("/v1/persons/{flexible}/matches"), &app.admin).await.body, "job"), [jid.as_str()]);
        assert_eq!(ids(&app.get(&format!("/v1/jobs/{jid}/candidates"), &app.admin).await.body, "person"), [flexible.as_str()]);
        // Finding work takes a person out of every candidate list.
        app.patch(&format!("/v1/persons/{flexible}"), &app.admin, json!({"employment_status": "employed"})).await;
        app.wait_indexed().await;
        assert!(ids(&app.get(&format!("/v1/jobs/{jid}/candidates"), &app.admin).await.body, "person").is_empty());
    }

    async fn a_write_is_visible_to_matching_within_a_second(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let pid = app.create_person(cleaner()).await;
        let started = Instant::now();
        let jid = app.create_job(&key, job("小区保洁员", "330402008", "cleaning", &["保洁"])).await;
        let mut seen = false;
        while started.elapsed() < Duration::from_secs(3) {
            if ids(&app.get(&format!("/v1/persons/{pid}/matches"), &app.admin).await.body, "job").contains(&jid) {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(seen, "the new job never reached matching");
        eprintln!("job visible to matching after {:?}", started.elapsed());
        app.post(&format!("/v1/jobs/{jid}/close"), &key, json!({"reason": "filled"})).await;
        app.wait_indexed().await;
        assert!(ids(&app.get(&format!("/v1/persons/{pid}/matches"), &app.admin).await.body, "job").is_empty());
    }

    async fn who_sees_what(app: TestApp) {
        let (_, market) = app.publisher("南湖零工市场").await;
        let (_, other_market) = app.publisher("秀洲零工市场").await;
        let (_, nanhu) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let (_, xiuzhou) = app.org_with_key("秀洲区人社局", "bureau", "330411", "staff").await;
        let (_, agency) = app.org_with_key("嘉禾人力", "hr_agency", "330400", "agency").await;
        let jid = app.create_job(&market, with(job("外卖骑手", "330402008", "delivery", &["骑电动车"]), |b| b["employment_type"] = json!("gig"))).await;
        let nanhu_person = app.create_person(with(cleaner(), |b| { b["preferred_regions"] = json!(["330402", "330411"]); b["preferred_categories"] = json!(["delivery"]); })).await;
        let xiuzhou_person = app.create_person(json!({"id_number": id_number("330411", "19800101", 311), "name": "李强", "phone": "13600000001",
            "region_code": "330411002", "preferred_regions": ["330402", "330411"], "skills": ["送过外卖"], "physical_limit": "heavy"})).await;
        app.wait_indexed().await;
        let path = format!("/v1/jobs/{jid}/candidates");
        let all = app.get(&path, &app.admin).await;
        assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(ids(&app.get(&path, &nanhu).await.body, "person"), [nanhu_person.as_str()], "staff see the people of their region");
        assert_eq!(ids(&app.get(&path, &xiuzhou).await.body, "person"), [xiuzhou_person.as_str()]);
        let mine = app.get(&path, &market).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert_eq!(mine.body["items"], json!([]), "nobody agreed to be recommended to employers");
        app.patch(&format!("/v1/persons/{nanhu_person}"), &app.admin, json!({"consent": {"recommend_to_employers": true}})).await;
        app.wait_indexed().await;
        let mine = app.get(&path, &market).await;
        assert_eq!(ids(&mine.body, "person"), [nanhu_person.as_str()], "only who consented");
        assert!(mine.body["items"][0]["person"]["name"].as_str().unwrap().contains('*'), "publishers see masked names");
        assert!(!mine.body.to_string().contains("13905738765"));
        assert_eq!(app.get(&path, &other_market).await.status, StatusCode::NOT_FOUND, "only for its own jobs");
        let theirs = app.get(&path, &agency).await;
        assert_eq!(theirs.status, StatusCode::OK, "an agency asks among its own people");
        assert_eq!(theirs.body["items"], json!([]), "and has none assigned");
        assert_eq!(app.get(&format!("/v1/persons/{nanhu_person}/matches"), &xiuzhou).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/v1/persons/{nanhu_person}/matches"), &market).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/v1/persons/{nanhu_person}/matches"), &nanhu).await.status, StatusCode::OK);
        assert_eq!(app.get(&format!("/v1/persons/{nanhu_person}/matches?limit=0"), &nanhu).await.error_fields(), ["limit"]);
    }

    async fn a_restarted_replica_catches_up_and_a_broken_index_is_rebuilt(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let pid = app.create_person(cleaner()).await;
        let first = app.create_job(&key, job("小区保洁员", "330402008", "cleaning", &["保洁"])).await;
        app.wait_indexed().await;
        let state = app.state.clone();
        let (data_dir, db) = app.shutdown().await;
        // While it is down, the store moves on.
        let store = jobmatch_core::db::Db::connect(&db).await.unwrap();
        let org: String = sqlx::query_scalar("SELECT id FROM orgs WHERE name = '南湖零工市场'").fetch_one(&store.pool).await.unwrap();
        let rules = jobmatch_posting::jobs::validate::JobRules {
            vocab: &state.vocab,
            regions: &state.regions,
            now: chrono::Utc::now(),
            previous_valid_until: None,
        };
        let input = jobmatch_posting::jobs::validate::read_job(&job("楼道保洁员", "330402008", "cleaning", &["保洁"]), &rules).unwrap();
        let offline = jobmatch_core::AppState { db: store.clone(), ..state.clone() };
        let second = jobmatch_posting::jobs::store::insert(&offline, &org, &input).await.unwrap().id;
        store.pool.close().await;
        let app = start_app(&data_dir, &db, |_| {}).await.unwrap();
        app.wait_indexed().await;
        let mut got = ids(&app.get(&format!("/v1/persons/{pid}/matches"), &app.admin).await.body, "job");
        got.sort();
        let mut want = vec![first.clone(), second.clone()];
        want.sort();
        assert_eq!(got, want, "caught up from the outbox");
        let (data_dir, db) = app.shutdown().await;
        // A damaged index is rebuilt from the store.
        let jobs_index = data_dir.join("index/jobs");
        for entry in std::fs::read_dir(&jobs_index).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() != "VERSION" {
                std::fs::write(&path, b"garbage").unwrap();
            }
        }
        let app = start_app(&data_dir, &db, |_| {}).await.unwrap();
        let mut got = ids(&app.get(&format!("/v1/persons/{pid}/matches"), &app.admin).await.body, "job");
        got.sort();
        assert_eq!(got, want, "rebuilt from the store");
        drop(app); // removes the folder
    }
}
