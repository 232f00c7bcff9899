//! What a city configures is read from the policy file, not the code
//! (issue 30, item 11): the 报送 period and days, a county's own allowance
//! standard, the 公示 scheduling horizon and the re-placement grounds.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// The embedded policy with a city's own choices.
fn city_policy() -> String {
    let embedded = include_str!("../schemas/seed/policy.toml");
    let replace = |text: String, from: &str, to: &str| {
        assert!(text.contains(from), "the embedded policy has {from}");
        text.replace(from, to)
    };
    let mut text = embedded.to_string();
    text = replace(text, "period = \"calendar_month\"", "period = \"to_submission_day\"");
    text = replace(text, "submission_day = 25", "submission_day = 24");
    text = replace(text, "by_unit = {}", "by_unit = { \"330402\" = 1200 }");
    text = replace(text, "publicity_horizon_days = 60", "publicity_horizon_days = 10");
    text = replace(
        text,
        "repeat_grounds = [\"older\", \"zero_employment_family\", \"severe_disability\"]",
        "repeat_grounds = [\"older\"]",
    );
    text
}

async fn a_citys_choices_are_read_from_its_policy_file(backend: Backend) {
    let dir = temp_dir();
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, city_policy()).unwrap();
    let Some(app) = spawn_app_with(backend, |s| s.policy_file = Some(policy.clone())).await else { return };

    // 报送: the month runs from the day after the month before's 24th to its own.
    let r = app.get("/v1/reports/progress?month=2026-11&region=330400", &app.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["period_from"].as_str(), r.body["period_to"].as_str()),
        (Some("2026-10-25"), Some("2026-11-24"))
    );
    let board = app.get("/v1/reports/progress/submissions?month=2026-11", &app.admin).await;
    assert_eq!(board.body["deadline"], "2026-11-24", "{}", board.body);
    assert_eq!(
        (board.body["period_from"].as_str(), board.body["period_to"].as_str()),
        (Some("2026-10-25"), Some("2026-11-24"))
    );

    // 南湖区's own allowance standard.
    let person = app
        .create_person(json!({
            "id_number": id_number("330402", "19780606", 62), "name": "郑丽华", "phone": "13705730062",
            "region_code": "330402008", "groups": ["low_income_family"], "skills": ["保洁"],
            "employment_status": "unemployed", "consent": {"push": false, "share_with_agencies": false}
        }))
        .await;
    let r = app
        .post(
            "/v1/allowances",
            &app.admin,
            json!({"person_id": person, "start_month": "2026-10", "months": 1, "monthly_amount": 1131}),
        )
        .await;
    assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["monthly_amount".to_string()]));
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("1200"), "{}", r.body);
    let r = app
        .post("/v1/allowances", &app.admin, json!({"person_id": person, "start_month": "2026-10", "months": 1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        (r.body["monthly_amount"].as_i64(), r.body["schedule"][0]["amount"].as_str()),
        (Some(1200), Some("1200.00"))
    );

    // The 公示 horizon: ten days.
    let position = app.position(&app.admin, 1).await;
    let (announcement, _) = app.announce(&app.admin, &position, 1, None).await;
    let far = (app.state.today() + chrono::Duration::days(11)).to_string();
    let r = app
        .post(
            &format!("/v1/welfare/announcements/{announcement}/publicity"),
            &app.admin,
            json!({"starts_on": far, "how_to_object": "请致电南湖区人社局 0573-82012345"}),
        )
        .await;
    assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["starts_on".to_string()]));
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("10 天"), "{}", r.body);

    // Re-placement grounds: only 大龄 here; a filing on another is refused.
    let r = app
        .post(
            "/v1/welfare/filings",
            &app.admin,
            json!({"person_id": person, "ground": "zero_employment_family", "filed_on": "2026-11-01",
                   "filed_with": "嘉兴市人力社保局", "reference": "嘉人社备〔2026〕12号"}),
        )
        .await;
    assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["ground".to_string()]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citys_choices_are_read_from_its_policy_file_on_sqlite() {
    a_citys_choices_are_read_from_its_policy_file(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citys_choices_are_read_from_its_policy_file_on_postgres() {
    a_citys_choices_are_read_from_its_policy_file(Backend::Postgres).await;
}
