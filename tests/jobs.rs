//! Jobs: life cycle, ownership, listing and search, the outbox, expiry, import.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{job_body, with, TestApp};

async fn event_kinds(app: &TestApp, job_id: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM events WHERE entity_id = $1 ORDER BY id")
        .bind(job_id)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

fn ids(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_string()).collect()
}

both_backends! {
    async fn a_job_is_answered_with_every_field_and_what_the_server_derives(app: TestApp) {
        let (org, key) = app.publisher("南湖零工市场").await;
        let res = app.post("/v1/jobs", &key, job_body()).await;
        assert_eq!(res.status, StatusCode::CREATED);
        let j = &res.body;
        assert_eq!(j["status"], "open");
        assert_eq!(j["publisher_org_id"], org);
        assert_eq!(j["headcount"], 2);
        assert_eq!(j["disability_friendly"], false, "defaults are filled in");
        assert_eq!(j["requirements"]["age_max"], 60);
        for f in ["id", "created_at", "updated_at", "title", "description", "pay", "contact", "region_code"] {
            assert!(!j[f].is_null(), "{f}");
        }
        let got = app.get(&format!("/v1/jobs/{}", j["id"].as_str().unwrap()), &key).await;
        assert_eq!(got.body, res.body);
    }

    async fn every_change_appends_an_outbox_event_in_order(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let id = app.create_job(&key, job_body()).await;
        app.patch(&format!("/v1/jobs/{id}"), &key, json!({"headcount": 5})).await;
        app.post(&format!("/v1/jobs/{id}/close"), &key, json!({"reason": "filled"})).await;
        assert_eq!(event_kinds(&app, &id).await, ["job.created", "job.updated", "job.closed"]);
        let (payload,): (String,) = sqlx::query_as("SELECT payload FROM events WHERE kind = 'job.updated'")
            .fetch_one(&app.state.db.pool).await.unwrap();
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!((payload["headcount"].as_i64(), payload["previous_headcount"].as_i64()), (Some(5), Some(2)));
    }

    async fn a_publisher_acts_only_on_its_own_jobs(app: TestApp) {
        let (_, mine) = app.publisher("南湖零工市场").await;
        let (_, other) = app.publisher("秀洲零工市场").await;
        let id = app.create_job(&mine, job_body()).await;
        assert_eq!(app.patch(&format!("/v1/jobs/{id}"), &other, json!({"title": "改标题"})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.post(&format!("/v1/jobs/{id}/close"), &other, json!({"reason": "filled"})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &mine).await.body["title"], "小区保洁员");
        // Open jobs are public postings; once closed only the owner (and the bureau) see it.
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &other).await.status, StatusCode::OK);
        let closed = app.post(&format!("/v1/jobs/{id}/close"), &mine, json!({"reason": "withdrawn"})).await;
        assert_eq!(closed.status, StatusCode::OK);
        assert_eq!((closed.body["status"].as_str(), closed.body["close_reason"].as_str()), (Some("closed"), Some("withdrawn")));
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &other).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &mine).await.body["status"], "closed");
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &app.admin).await.body["status"], "closed");
    }

    async fn a_closed_job_cannot_be_changed_or_closed_again(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let id = app.create_job(&key, job_body()).await;
        app.post(&format!("/v1/jobs/{id}/close"), &key, json!({"reason": "filled"})).await;
        let again = app.post(&format!("/v1/jobs/{id}/close"), &key, json!({"reason": "filled"})).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "job_not_open");
        assert_eq!(app.patch(&format!("/v1/jobs/{id}"), &key, json!({"headcount": 3})).await.status, StatusCode::CONFLICT);
        let bad_reason = app.post(&format!("/v1/jobs/{}/close", app.create_job(&key, job_body()).await), &key, json!({"reason": "bored"})).await;
        assert_eq!(bad_reason.error_fields(), ["reason"]);
        assert_eq!(event_kinds(&app, &id).await, ["job.created", "job.closed"]);
    }

    async fn a_patch_is_checked_like_a_new_job_and_a_bad_one_changes_nothing(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let id = app.create_job(&key, job_body()).await;
        let bad = app.patch(&format!("/v1/jobs/{id}"), &key, json!({"pay": {"min": 50}, "title": "", "colour": "red"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut fields = bad.error_fields();
        fields.sort();
        assert_eq!(fields, ["colour", "pay.min", "title"]);
        let biased = app.patch(&format!("/v1/jobs/{id}"), &key, json!({"description": "限女性，40岁以下"})).await;
        assert_eq!(biased.status, StatusCode::UNPROCESSABLE_ENTITY);
        let unchanged = app.get(&format!("/v1/jobs/{id}"), &key).await;
        assert_eq!(unchanged.body["pay"]["min"], 20);
        assert_eq!(event_kinds(&app, &id).await, ["job.created"]);
        let ok = app.patch(&format!("/v1/jobs/{id}"), &key, json!({"pay": {"min": 22}, "address": "建设街道某小区", "requirements": {"age_max": null}})).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!((ok.body["pay"]["min"].as_i64(), ok.body["pay"]["max"].as_i64()), (Some(22), Some(25)));
        assert_eq!(ok.body["address"], "建设街道某小区");
        assert!(ok.body["requirements"]["age_max"].is_null());
        assert_eq!(ok.body["requirements"]["age_min"], 18);
    }

    async fn lists_filter_page_and_search(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let mut made = Vec::new();
        for (i, (region, category, title)) in [
            ("330402007", "cleaning", "小区保洁员"),
            ("330402012", "security", "园区门卫"),
            ("330411101", "greening", "绿化养护工"),
            ("330402008", "cleaning", "商场保洁员"),
            ("330421001", "delivery", "外卖骑手"),
        ].iter().enumerate() {
            let b = with(job_body(), |b| {
                b["region_code"] = json!(region);
                b["category"] = json!(category);
                b["title"] = json!(title);
                b["description"] = json!(format!("第{i}个岗位"));
            });
            made.push(app.create_job(&key, b).await);
        }
        // Newest first, three pages of two, nothing repeated.
        let mut seen = Vec::new();
        let mut path = "/v1/jobs?limit=2".to_string();
        loop {
            let page = app.get(&path, &app.admin).await;
            assert_eq!(page.status, StatusCode::OK);
            seen.extend(ids(&page.body));
            match page.body["next_cursor"].as_str() {
                Some(c) => path = format!("/v1/jobs?limit=2&cursor={c}"),
                None => break,
            }
        }
        let mut newest_first = made.clone();
        newest_first.reverse();
        assert_eq!(seen, newest_first);
        // A county includes its streets; a zone the streets it runs.
        assert_eq!(ids(&app.get("/v1/jobs?region=330402", &app.admin).await.body).len(), 3);
        assert_eq!(ids(&app.get("/v1/jobs?region=330400-ETDZ", &app.admin).await.body), [made[1].clone()]);
        assert_eq!(ids(&app.get("/v1/jobs?region=330402007", &app.admin).await.body), [made[0].clone()]);
        assert_eq!(ids(&app.get("/v1/jobs?category=cleaning", &app.admin).await.body).len(), 2);
        app.wait_indexed().await;
        let q = app.get("/v1/jobs?q=%E4%BF%9D%E6%B4%81", &app.admin).await; // 保洁
        let mut found = ids(&q.body);
        found.sort();
        let mut cleaning = vec![made[0].clone(), made[3].clone()];
        cleaning.sort();
        assert_eq!(found, cleaning);
        // The analyzer bridges wording and script: 打扫卫生 and 保潔 find the cleaning jobs too.
        for q in ["%E6%89%93%E6%89%AB%E5%8D%AB%E7%94%9F", "%E4%BF%9D%E6%BD%94"] {
            let mut found = ids(&app.get(&format!("/v1/jobs?q={q}"), &app.admin).await.body);
            found.sort();
            assert_eq!(found, cleaning, "q={q}");
        }
        // Ranked results page by rank.
        let first = app.get("/v1/jobs?q=%E4%BF%9D%E6%B4%81&limit=1", &app.admin).await;
        let next = first.body["next_cursor"].as_str().unwrap().to_string();
        let second = app.get(&format!("/v1/jobs?q=%E4%BF%9D%E6%B4%81&limit=1&cursor={next}"), &app.admin).await;
        let mut paged = [ids(&first.body), ids(&second.body)].concat();
        paged.sort();
        assert_eq!(paged, cleaning);
        assert!(second.body["next_cursor"].is_null());
        // Closed jobs leave the default (open) list but can be asked for.
        app.post(&format!("/v1/jobs/{}/close", made[0]), &key, json!({"reason": "filled"})).await;
        assert!(!ids(&app.get("/v1/jobs", &app.admin).await.body).contains(&made[0]));
        assert_eq!(ids(&app.get("/v1/jobs?status=closed", &app.admin).await.body), [made[0].clone()]);
        // Bad parameters are named.
        let bad = app.get("/v1/jobs?limit=500&status=gone&region=1&colour=red&cursor=%21", &app.admin).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let mut fields = bad.error_fields();
        fields.sort();
        assert_eq!(fields, ["colour", "cursor", "limit", "region", "status"]);
    }

    async fn search_words_are_matched_literally(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        app.create_job(&key, job_body()).await;
        for q in ["%25", "_", "%27%20OR%201%3D1--"] {
            let res = app.get(&format!("/v1/jobs?q={q}"), &app.admin).await;
            assert_eq!(res.status, StatusCode::OK);
            assert_eq!(ids(&res.body).len(), 0, "q={q}");
        }
    }

    async fn a_job_past_valid_until_expires_by_itself(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let soon = jobmatch_core::time::to_text(chrono::Utc::now() + chrono::Duration::seconds(2));
        let id = app.create_job(&key, with(job_body(), |b| b["valid_until"] = json!(soon))).await;
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &key).await.body["status"], "open");
        tokio::time::sleep(Duration::from_millis(2500)).await;
        // Readers see it expired at once, even before the sweeper writes it.
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &key).await.body["status"], "expired");
        assert!(ids(&app.get("/v1/jobs", &app.admin).await.body).is_empty());
        assert_eq!(ids(&app.get("/v1/jobs?status=expired", &app.admin).await.body), [id.as_str()]);
        assert_eq!(app.patch(&format!("/v1/jobs/{id}"), &key, json!({"headcount": 3})).await.status, StatusCode::CONFLICT);
        // The sweeper (every second in tests) writes the status and its event.
        let mut kinds = Vec::new();
        for _ in 0..50 {
            kinds = event_kinds(&app, &id).await;
            if kinds.len() == 2 { break; }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(kinds, ["job.created", "job.expired"]);
        let (status,): (String,) = sqlx::query_as("SELECT status FROM jobs WHERE id = $1").bind(&id).fetch_one(&app.state.db.pool).await.unwrap();
        assert_eq!(status, "expired");
    }

    async fn an_import_stores_the_good_rows_and_reports_the_bad_ones(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let mut rows: Vec<Value> = (0..5).map(|i| with(job_body(), |b| b["title"] = json!(format!("保洁员{i}号")))).collect();
        rows[2] = with(job_body(), |b| { b["pay"] = json!({"min": 9, "max": 1, "unit": "hour"}); b["category"] = json!("astronaut"); });
        rows[4] = with(job_body(), |b| b["description"] = json!("限本地户籍"));
        let dry = app.post("/v1/jobs/import?dry_run=true", &key, json!({"jobs": rows})).await;
        assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
        assert_eq!((dry.body["created"].as_u64(), dry.body["invalid"].as_u64()), (Some(0), Some(2)));
        assert_eq!(app.job_rows().await, 0, "a dry run stores nothing");
        let res = app.post("/v1/jobs/import", &key, json!({"jobs": rows})).await;
        assert_eq!((res.body["created"].as_u64(), res.body["invalid"].as_u64()), (Some(3), Some(2)));
        let results = res.body["results"].as_array().unwrap();
        assert_eq!(results[2]["row"], 3);
        assert_eq!(results[2]["status"], "invalid");
        let fields: Vec<&str> = results[2]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"pay.min") && fields.contains(&"category"), "{fields:?}");
        assert_eq!(results[4]["errors"][0]["code"], "discriminatory");
        let id = results[0]["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &key).await.body["title"], "保洁员0号");
        assert_eq!(app.job_rows().await, 3);
        assert_eq!(app.event_rows().await, 3);
        let empty = app.post("/v1/jobs/import", &key, json!({"jobs": []})).await;
        assert_eq!(empty.error_fields(), ["jobs"]);
    }
}
