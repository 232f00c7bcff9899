//! The working-day calendar kept in the store (issue 30, item 1): the
//! shipped years seeded, `GET /v1/calendar` with how far it reaches and the
//! warning (also in `/readyz`, `/metrics` and on the admin's home page),
//! `PUT /v1/calendar/{year}` for the admin only, every bad field named and
//! nothing stored from a refusal, a year entered counted with at once, and
//! the console page in a real browser.
//!
//! Test years are marked as test data in their `source`: no real notice is
//! invented here.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::json;

use crate::console::Browser;
use crate::helpers::*;

/// How far the shipped calendar (2024–2026) reaches from `today`.
fn shipped_reach(today: chrono::NaiveDate) -> (Option<String>, bool) {
    if (2024..=2026).contains(&today.year()) {
        let until = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        (Some(until.to_string()), (until - today).num_days() <= 60)
    } else {
        (None, true)
    }
}

both_backends! {
    async fn the_calendar_is_kept_in_the_store_by_the_admin(app: TestApp) {
        let today = jobmatch_core::time::system_today();
        let (_, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let c = app.get("/v1/calendar", &staff).await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.body);
        let years: Vec<i64> = c.body["years"].as_array().unwrap().iter().map(|y| y["year"].as_i64().unwrap()).collect();
        assert_eq!(years, [2024, 2025, 2026], "the shipped years, seeded");
        let y2026 = &c.body["years"][2];
        assert!(y2026["holidays"].as_array().unwrap().contains(&json!("2026-10-01")));
        assert!(y2026["working_days"].as_array().unwrap().contains(&json!("2026-10-10")));
        assert!(y2026["updated_by"].is_null() && !y2026["source"].as_str().unwrap().is_empty());
        let (until, warning) = shipped_reach(today);
        assert_eq!(c.body["covered_until"].as_str().map(String::from), until);
        assert_eq!(c.body["warning"], warning);

        // The warning where operators and the admin look.
        let ready = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        let ready: serde_json::Value = ready.json().await.unwrap();
        let detail = ready["detail"].as_array().cloned().unwrap_or_default();
        assert_eq!(detail.iter().any(|d| d.as_str().unwrap().contains("工作日历")), warning, "{ready}");
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        let line = metrics.lines().find(|l| l.starts_with("jobmatch_calendar_days_covered")).expect("the gauge");
        let days: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        let expected = until.as_deref().map(|u| (chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d").unwrap() - today).num_days()).unwrap_or(-1);
        assert_eq!(days, expected as f64, "{line}");

        // Only the admin enters a year; every bad field is named; nothing is stored.
        let body = json!({"holidays": ["2031-01-01"], "working_days": [], "source": "测试数据（不是真实通知）"});
        assert_eq!(app.send("PUT", "/v1/calendar/2031", Some(&staff), Some(body.clone())).await.status, StatusCode::FORBIDDEN);
        let bad = app.send("PUT", "/v1/calendar/2031", Some(&app.admin), Some(json!({
            "holidays": ["2031-13-01", "2030-10-01", "2031-02-01", "2031-02-01"], "working_days": ["2031-01-06", "2031-02-01"],
            "source": "x"}))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        let mut fields = bad.error_fields();
        fields.sort();
        assert_eq!(fields, ["holidays[0]", "holidays[1]", "holidays[3]", "source", "working_days[0]", "working_days[1]"], "{}", bad.body);
        let wrong_year = app.send("PUT", "/v1/calendar/1800", Some(&app.admin), Some(body.clone())).await;
        assert_eq!((wrong_year.status, wrong_year.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["year".to_string()]));
        assert_eq!(app.count("calendar_years").await, 3, "nothing stored from a refusal");

        // A year entered is counted with at once (no restart); entering it
        // again replaces it.
        let created = app.send("PUT", "/v1/calendar/2031", Some(&app.admin), Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["holidays"], json!(["2031-01-01"]));
        assert!(created.body["updated_by"].is_string());
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cal = app.state.calendar().await.unwrap();
        assert_eq!(cal.is_working_day(d("2031-01-01")), Ok(false));
        assert_eq!(cal.is_working_day(d("2031-01-02")), Ok(true));
        let again = app.send("PUT", "/v1/calendar/2031", Some(&app.admin),
            Some(json!({"holidays": ["2031-01-01", "2031-01-02"], "working_days": ["2031-01-04"], "source": "测试数据（更正）"}))).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        let cal = app.state.calendar().await.unwrap();
        assert_eq!((cal.is_working_day(d("2031-01-02")), cal.is_working_day(d("2031-01-04"))), (Ok(false), Ok(true)));
        // 2031 with a gap before it does not extend the reach.
        let c = app.get("/v1/calendar", &staff).await;
        assert_eq!(c.body["covered_until"].as_str().map(String::from), until);
        assert_eq!(app.count("calendar_years").await, 4);
    }
}

// The page, as the bureau's admin uses it, in a real browser; and the
// item on the admin's home page while the calendar runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_keeps_the_calendar_in_the_console() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let bureau = app.bureau_org().await;
    let password = app.account(&app.admin, &bureau, "city.calendar", "admin", None).await;
    let (_, warning) = shipped_reach(jobmatch_core::time::system_today());
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("city.calendar", &password).await.status, StatusCode::SEE_OTHER);
    let home = browser.get("/console/").await;
    assert_eq!(home.body.contains("请录入下一年的放假安排"), warning, "{}", home.body);
    let page = browser.get("/console/calendar").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("2026") && page.body.contains("录入或更正一年"), "{}", page.body);
    // A form with mistakes: the summary names the fields, nothing stored.
    let csrf = page.hidden("csrf");
    let refused = browser
        .post(
            "/console/calendar",
            &[("csrf", &csrf), ("year", "2032"), ("holidays", "2032-01-01，2032-02-30"), ("source", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("<a href=\"#f-holidays\">") && refused.body.contains("<a href=\"#f-source\">"));
    assert_eq!(app.count("calendar_years").await, 3);
    // Staff see the page but no form.
    let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
    let staff_password = app.account(&app.admin, &org, "nanhu.cal", "staff", None).await;
    let mut staff = Browser::new(&app);
    staff.sign_in("nanhu.cal", &staff_password).await;
    let theirs = staff.get("/console/calendar").await;
    assert!(theirs.status == StatusCode::OK && !theirs.body.contains("录入或更正一年"), "{}", theirs.body);

    let out = run_browser_script(
        "calendar.mjs",
        &json!({"base": app.base, "login": "city.calendar", "password": password, "year": "2033",
                "out_dir": std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-pages")}),
    );
    if let Some(out) = out {
        crate::console::assert_checked_pages(&out);
        let steps = &out["steps"];
        assert!(steps["page_text"].as_str().unwrap().contains("已录入的年份"), "{steps}");
        assert!(steps["error_summary"].as_str().unwrap().contains("第 2 个日期“2033-13-01”不是有效日期"), "{steps}");
        assert_eq!(steps["kept"], "2033-01-01 2033-13-01", "what was typed is kept");
        assert_eq!(steps["saved_at"], "/console/calendar?saved=2033");
        assert!(steps["saved_text"].as_str().unwrap().contains("2033 年的放假安排已保存"), "{steps}");
        let cal = app.state.calendar().await.unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2033, 1, 1).unwrap();
        assert_eq!(cal.is_working_day(day), Ok(false));
    }
}
