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
    text = replace(text, "publicity_name_mask = \"first_and_last\"", "publicity_name_mask = \"surname\"");
    text = replace(text, "aliases = [\"企业单位\", \"民营企业\", \"国有企业\"]", "aliases = [\"私营企业\"]");
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
    // The public 公示 masks names by the city's rule: the surname only.
    let chosen = app.seeker("王小国", "19800301", 31, true).await;
    let application = app.apply(&app.admin, &announcement, &chosen).await;
    app.ok(&format!("/v1/welfare/applications/{application}/select"), &app.admin, json!({}), StatusCode::OK).await;
    let today = app.state.today().to_string();
    let posted = app
        .ok(
            &format!("/v1/welfare/announcements/{announcement}/publicity"),
            &app.admin,
            json!({"starts_on": today, "how_to_object": "请致电南湖区人社局 0573-82012345"}),
            StatusCode::CREATED,
        )
        .await;
    let public = app
        .client
        .get(format!("{}/v1/public/welfare/publicities/{}", app.base, posted["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let public: serde_json::Value = public.json().await.unwrap();
    assert_eq!(public["names"], json!(["王**"]), "{public}");

    // The employer kinds as the city's insurance file spells them.
    let csv = format!(
        "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n\
         {},2026-10,单位职工,91330402MA2B00009A,嘉兴某公司,私营企业,1600,700,50\n",
        id_number("330402", "19780606", 62)
    );
    let r = app.post_bytes("/v1/evidence/import?kind=social_insurance", &app.admin, "text/csv", csv.into_bytes()).await;
    assert_eq!((r.status, r.body["stored"].as_i64()), (StatusCode::OK, Some(1)), "{}", r.body);
    let kind: String = sqlx::query_scalar("SELECT employer_type FROM si_contributions WHERE person_id = $1")
        .bind(&person)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(kind, "enterprise");
    let csv = format!(
        "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n\
         {},2026-09,单位职工,91330402MA2B00009A,嘉兴某公司,民营企业,1600,700,50\n",
        id_number("330402", "19780606", 62)
    );
    let r = app.post_bytes("/v1/evidence/import?kind=social_insurance", &app.admin, "text/csv", csv.into_bytes()).await;
    assert_eq!(
        (r.status, r.error_fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["rows[2].employer_type".to_string()])
    );

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
