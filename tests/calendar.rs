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

/// A year whose notice is not entered does not stop recruitment (issue 30,
/// item 1): a 公示 is posted with a provisional end (暂定) from the
/// statutory holidays of the 2024 放假办法, shown so on the public page;
/// registration waits until the year is entered; the end is then settled —
/// later when the notice gives more days off, never earlier — and, the
/// rehearsal clock moved past it, the people are registered.
async fn a_missing_year_gives_a_provisional_end_that_is_never_shortened(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.settable_clock = true).await else { return };
    let today = app.state.today();
    let year = today.year();
    // This year's and later notices not entered (the test's premise).
    sqlx::query("DELETE FROM calendar_years WHERE year >= $1")
        .bind(i64::from(year))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let how = "请致电南湖区人社局 0573-82012345";
    let post = |announcement: String, start: chrono::NaiveDate| {
        let app = &app;
        async move {
            app.ok(
                &format!("/v1/welfare/announcements/{announcement}/publicity"),
                &app.admin,
                json!({"starts_on": start.to_string(), "how_to_object": how}),
                StatusCode::CREATED,
            )
            .await
        }
    };
    let publicised = |n: u32| {
        let app = &app;
        async move {
            let position = app.position(&app.admin, 1).await;
            let (announcement, _) = app.announce(&app.admin, &position, 1, None).await;
            let person = app.seeker(&format!("候选人{n}"), "19800301", 10 + n, true).await;
            let application = app.apply(&app.admin, &announcement, &person).await;
            app.ok(&format!("/v1/welfare/applications/{application}/select"), &app.admin, json!({}), StatusCode::OK)
                .await;
            announcement
        }
    };
    let (a, b) = (publicised(1).await, publicised(2).await);
    let early = post(a, today).await;
    let late_start = today + chrono::Duration::days(21);
    let late = post(b, late_start).await;
    let none = jobmatch_core::calendar::Calendar::from_years(&[]);
    for (p, start) in [(&early, today), (&late, late_start)] {
        assert_eq!(p["provisional"], true, "{p}");
        let (want, _) = none.end_of_working_days_provisional(start, 5).unwrap();
        assert_eq!(p["ends_on"], want.to_string(), "{p}");
        assert!(want >= start + chrono::Duration::days(4), "five working days take at least five days");
    }
    let id = |p: &serde_json::Value| p["id"].as_str().unwrap().to_string();
    let public =
        app.client.get(format!("{}/v1/public/welfare/publicities/{}", app.base, id(&early))).send().await.unwrap();
    let public: serde_json::Value = public.json().await.unwrap();
    assert_eq!(public["provisional"], true, "{public}");
    let page = app.client.get(format!("{}/public/welfare/publicities/{}", app.base, id(&early))).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("（暂定）") && page.contains("只会延后、不会提前"), "{page}");
    // Registration waits for the year's notice.
    let r = app.post(&format!("/v1/welfare/publicities/{}/register", id(&early)), &app.admin, json!({})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("provisional_end")), "{}", r.body);

    // The admin enters the year (test data: every weekday of the early
    // 公示's provisional period is a holiday in it, none of the late one's).
    let early_end = chrono::NaiveDate::parse_from_str(early["ends_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let mut holidays = Vec::new();
    let mut day = today;
    while day <= early_end {
        if day.weekday().num_days_from_monday() < 5 && day.year() == year {
            holidays.push(day.to_string());
        }
        day = day.succ_opt().unwrap();
    }
    for y in [year, year + 1] {
        let days: Vec<&String> = holidays.iter().filter(|d| d.starts_with(&y.to_string())).collect();
        let r = app
            .send(
                "PUT",
                &format!("/v1/calendar/{y}"),
                Some(&app.admin),
                Some(json!({"holidays": days, "working_days": [], "source": "测试数据（不是真实通知）"})),
            )
            .await;
        assert!(r.status == StatusCode::CREATED || r.status == StatusCode::OK, "{}", r.body);
    }
    // The early one is settled later; the late one keeps its end (never shortened).
    let e = app.get(&format!("/v1/welfare/publicities/{}", id(&early)), &app.admin).await;
    assert_eq!(e.body["provisional"], false, "{}", e.body);
    let settled = chrono::NaiveDate::parse_from_str(e.body["ends_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    if holidays.iter().any(|h| h.starts_with(&year.to_string())) {
        assert!(settled > early_end, "more days off in the notice: later ({settled} after {early_end})");
    }
    let l = app.get(&format!("/v1/welfare/publicities/{}", id(&late)), &app.admin).await;
    assert_eq!((l.body["provisional"].as_bool(), &l.body["ends_on"]), (Some(false), &late["ends_on"]), "{}", l.body);
    // Past the settled end (the rehearsal clock moved on), the people are registered.
    let after = settled + chrono::Duration::days(1);
    let at = format!("{after}T09:00:00+08:00");
    let r = app.send("PUT", "/v1/ops/clock", Some(&app.admin), Some(json!({"now": at}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let done = app
        .ok(&format!("/v1/welfare/publicities/{}/register", id(&early)), &app.admin, json!({}), StatusCode::OK)
        .await;
    assert_eq!(done["registered"].as_array().unwrap().len(), 1, "{done}");
    let started = done["registered"][0]["started_on"].as_str().unwrap().to_string();
    assert!(started > settled.to_string(), "the placement begins after the 公示: {started}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_year_gives_a_provisional_end_on_sqlite() {
    a_missing_year_gives_a_provisional_end_that_is_never_shortened(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_year_gives_a_provisional_end_on_postgres() {
    a_missing_year_gives_a_provisional_end_that_is_never_shortened(Backend::Postgres).await;
}
