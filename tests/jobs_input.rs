//! Bad input, tried as a new user would: each gets the right status, every
//! bad field named, and nothing is stored.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{job_body, with, TestApp};

/// Post `body`, expect `status` with every one of `fields` named, and no job stored.
async fn refused(app: &TestApp, key: &str, label: &str, body: Value, status: StatusCode, fields: &[&str]) {
    let before = (app.job_rows().await, app.event_rows().await);
    let res = app.post("/v1/jobs", key, body).await;
    assert_eq!(res.status, status, "{label}: {}", res.body);
    assert!(res.is_problem(), "{label}: content type {}", res.content_type);
    let named = res.error_fields();
    for f in fields {
        assert!(named.iter().any(|n| n == f), "{label}: {f} not in {named:?}");
    }
    assert_eq!((app.job_rows().await, app.event_rows().await), before, "{label}: something was stored");
}

both_backends! {
    async fn each_bad_field_is_refused_and_named(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let u = StatusCode::UNPROCESSABLE_ENTITY;
        let cases: Vec<(&str, Value, Vec<&str>)> = vec![
            ("empty object", json!({}), vec!["title", "description", "source", "category", "employment_type", "pay", "region_code", "contact"]),
            ("missing title", with(job_body(), |b| { b.as_object_mut().unwrap().remove("title"); }), vec!["title"]),
            ("overlong title", with(job_body(), |b| b["title"] = json!("保".repeat(61))), vec!["title"]),
            ("overlong description", with(job_body(), |b| b["description"] = json!("洁".repeat(5001))), vec!["description"]),
            ("pay min > max", with(job_body(), |b| b["pay"] = json!({"min": 30, "max": 20, "unit": "hour"})), vec!["pay.min"]),
            ("zero pay", with(job_body(), |b| b["pay"] = json!({"min": 0, "max": 20, "unit": "hour"})), vec!["pay.min"]),
            ("pay unit", with(job_body(), |b| b["pay"]["unit"] = json!("week")), vec!["pay.unit"]),
            ("unknown category", with(job_body(), |b| b["category"] = json!("astronaut")), vec!["category"]),
            ("unknown region", with(job_body(), |b| b["region_code"] = json!("999999")), vec!["region_code"]),
            ("city as region", with(job_body(), |b| b["region_code"] = json!("330400")), vec!["region_code"]),
            ("age 15", with(job_body(), |b| b["requirements"]["age_min"] = json!(15)), vec!["requirements.age_min"]),
            ("age 90", with(job_body(), |b| b["requirements"]["age_max"] = json!(90)), vec!["requirements.age_max"]),
            ("unknown certificate", with(job_body(), |b| b["requirements"]["certificates"] = json!(["pilot"])), vec!["requirements.certificates"]),
            ("physical", with(job_body(), |b| b["requirements"]["physical"] = json!("extreme")), vec!["requirements.physical"]),
            ("bad phone", with(job_body(), |b| b["contact"] = json!({"name": "王", "phone": "12345"})), vec!["contact.phone"]),
            ("past valid_until", with(job_body(), |b| b["valid_until"] = json!("2020-01-01T00:00:00Z")), vec!["valid_until"]),
            ("unreadable valid_until", with(job_body(), |b| b["valid_until"] = json!("next week")), vec!["valid_until"]),
            ("headcount 0", with(job_body(), |b| b["headcount"] = json!(0)), vec!["headcount"]),
            ("wrong types", with(job_body(), |b| { b["headcount"] = json!("两个"); b["disability_friendly"] = json!("yes"); b["pay"] = json!([1]); }),
                vec!["headcount", "disability_friendly", "pay"]),
            ("unknown field", with(job_body(), |b| b["salary_secret"] = json!(1)), vec!["salary_secret"]),
            ("unknown nested field", with(job_body(), |b| b["contact"]["wechat"] = json!("x")), vec!["contact.wechat"]),
            ("control characters", with(job_body(), |b| b["title"] = json!("保洁\u{0007}员")), vec!["title"]),
            ("two bad fields at once", with(job_body(), |b| { b.as_object_mut().unwrap().remove("title"); b["category"] = json!("x"); }), vec!["title", "category"]),
        ];
        for (label, body, fields) in cases {
            refused(&app, &key, label, body, u, &fields).await;
        }
    }

    async fn discriminatory_wording_is_refused_naming_the_words(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        for (text, term) in [("限男性，45岁以下", "限男"), ("乙肝携带者勿扰", "乙肝"), ("限本地户籍", "限本地户籍"), ("少数民族勿扰", "少数民族勿扰"), ("残疾人勿扰", "残疾人勿扰")] {
            let body = with(job_body(), |b| b["description"] = json!(format!("负责楼道清洁。{text}")));
            let before = app.job_rows().await;
            let res = app.post("/v1/jobs", &key, body).await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
            assert_eq!(res.body["code"], "discriminatory_wording");
            let terms: Vec<&str> = res.body["terms"].as_array().unwrap().iter().map(|t| t["term"].as_str().unwrap()).collect();
            assert!(terms.contains(&term), "{text}: {terms:?}");
            assert!(res.body["detail"].as_str().unwrap().contains(term));
            assert_eq!(app.job_rows().await, before);
        }
        let title = app.post("/v1/jobs", &key, with(job_body(), |b| b["title"] = json!("保洁员（男士优先）"))).await;
        assert_eq!(title.error_fields(), ["title"]);
        // Saying a ground does not matter is not discrimination.
        app.create_job(&key, with(job_body(), |b| b["description"] = json!("负责楼道清洁，男女不限，欢迎残疾人朋友报名"))).await;
    }

    async fn malformed_bodies_are_400_or_415_and_store_nothing(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let post = |body: &'static [u8], ctype: &'static str| {
            app.client.post(format!("{}/v1/jobs", app.base)).bearer_auth(&key).header("content-type", ctype).body(body).send()
        };
        let res = TestApp::answer(post(b"{not json", "application/json").await.unwrap()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(res.body["code"], "malformed_json");
        let res = TestApp::answer(post(b"", "application/json").await.unwrap()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let res = TestApp::answer(post(b"[1,2]", "application/json").await.unwrap()).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.error_fields(), ["body"]);
        let res = TestApp::answer(post(b"title=x", "application/x-www-form-urlencoded").await.unwrap()).await;
        assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(app.job_rows().await, 0);
    }

    async fn a_ten_megabyte_body_is_413_and_the_server_stays_well(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let big = vec![b'x'; 10 * 1024 * 1024];
        let res = app.client.post(format!("{}/v1/jobs", app.base)).bearer_auth(&key)
            .header("content-type", "application/json").body(big).send().await.unwrap();
        let res = TestApp::answer(res).await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.is_problem());
        assert_eq!(app.job_rows().await, 0);
        app.create_job(&key, job_body()).await;
    }

    async fn hostile_text_is_stored_and_answered_as_plain_text(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let title = "<script>alert(1)</script>'; DROP TABLE jobs;--";
        let description = "Robert'); DELETE FROM events; -- <img src=x onerror=alert(1)> \"引号\" \\ 反斜杠";
        let id = app.create_job(&key, with(job_body(), |b| { b["title"] = json!(title); b["description"] = json!(description); })).await;
        let got = app.get(&format!("/v1/jobs/{id}"), &key).await;
        assert_eq!(got.body["title"], title);
        assert_eq!(got.body["description"], description);
        assert!(got.content_type.starts_with("application/json"));
        assert_eq!(app.job_rows().await, 1);
        assert_eq!(app.event_rows().await, 1);
    }

    async fn phones_and_dates_are_normalised(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let res = app.post("/v1/jobs", &key, with(job_body(), |b| {
            b["contact"]["phone"] = json!("+86 138-0573-1234");
            b["valid_until"] = json!("2099-12-31");
        })).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "two years at most");
        assert_eq!(res.error_fields(), ["valid_until"]);
        let next_month = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
        let res = app.post("/v1/jobs", &key, with(job_body(), |b| {
            b["contact"]["phone"] = json!("+86 138-0573-1234");
            b["valid_until"] = json!(next_month);
        })).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        assert_eq!(res.body["contact"]["phone"], "13805731234");
        assert!(res.body["valid_until"].as_str().unwrap().ends_with("T15:59:59.000000Z"), "end of that day in Shanghai");
    }
}
