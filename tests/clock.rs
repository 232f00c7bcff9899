//! The service's clock (issue 30): fixed to real time by default; with
//! `JOBMATCH_SETTABLE_CLOCK=true` (a rehearsal, 演练环境) the admin moves it
//! forward, every time-dependent part reads it, every page says so, and the
//! service refuses to start that way on a live store.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

both_backends!(
    // Off by default: the clock is real time and cannot be set, by anyone.
    async fn the_clock_is_real_time_unless_started_settable(app: TestApp) {
        let r = app.client.get(format!("{}/v1/ops/clock", app.base)).send().await.unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["settable"], false);
        let now = chrono::DateTime::parse_from_rfc3339(body["now"].as_str().unwrap()).unwrap();
        assert!((now.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds().abs() < 5);
        let later = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let r = app.send("PUT", "/v1/ops/clock", Some(&app.admin), Some(json!({"now": later}))).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("clock_fixed")), "{}", r.body);
        let ready = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(!ready.contains("演练环境"), "{ready}");
        let page = app.client.get(format!("{}/console/sign-in", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains("演练环境"), "no banner on a live service");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsal_clock_moves_forward_and_every_part_reads_it() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.settable_clock = true).await.unwrap();
    let (_, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
    let (_, publisher) = app.publisher("南湖零工市场").await;
    // A job valid for a week.
    let week = (jobmatch_core::time::system_today() + chrono::Duration::days(7)).to_string();
    let job = app.create_job(&publisher, with(job_body(), |b| b["valid_until"] = json!(week))).await;
    assert_eq!(app.get(&format!("/v1/jobs/{job}"), &app.admin).await.body["status"], "open");

    // Only the admin sets it; only forward; a time it can read.
    let target = chrono::Utc::now() + chrono::Duration::days(10);
    let body = json!({"now": target.to_rfc3339()});
    let r = app.send("PUT", "/v1/ops/clock", Some(&staff), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.send("PUT", "/v1/ops/clock", Some(&app.admin), Some(json!({"now": "next tuesday"}))).await;
    assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["now".to_string()]));
    let r = app.send("PUT", "/v1/ops/clock", Some(&app.admin), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["settable"], true);
    let now = chrono::DateTime::parse_from_rfc3339(r.body["now"].as_str().unwrap()).unwrap();
    assert!((now.with_timezone(&chrono::Utc) - target).num_seconds().abs() < 5, "{}", r.body);
    let back = (target - chrono::Duration::days(1)).to_rfc3339();
    let r = app.send("PUT", "/v1/ops/clock", Some(&app.admin), Some(json!({"now": back}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["code"], "backward");

    // The expiry sweep reads it: the week is over.
    let mut status = String::new();
    for _ in 0..100 {
        status = app.get(&format!("/v1/jobs/{job}"), &app.admin).await.body["status"].as_str().unwrap().to_string();
        if status == "expired" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "expired", "the sweep runs on the rehearsal's clock");
    // What is stored is dated by it.
    let p = app.create_person(person_body(301)).await;
    let created: String = sqlx::query_scalar("SELECT created_at FROM persons WHERE id = $1")
        .bind(&p)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(created.as_str() >= jobmatch_core::time::to_text(target).as_str(), "{created}");

    // Every page and /readyz say it is a rehearsal.
    let ready: serde_json::Value =
        app.client.get(format!("{}/readyz", app.base)).send().await.unwrap().json().await.unwrap();
    assert!(ready["detail"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().contains("演练环境")), "{ready}");
    let day = target.with_timezone(&jobmatch_core::time::shanghai()).format("%Y-%m-%d").to_string();
    // The console, the job seeker's page (an unknown link) and a public 公示 page (unknown).
    for path in ["/console/sign-in", "/m/nothing-here", "/public/welfare/publicities/wpb_nothing"] {
        let page = app.client.get(format!("{}{path}", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("<div class=\"rehearsal\" role=\"note\"><strong>演练环境</strong>"), "{path}: {page}");
        assert!(page.contains(&day), "{path}: the rehearsal's date: {page}");
    }

    // A restart keeps the rehearsal's time: it never turns back.
    let (data_dir, db) = app.shutdown().await;
    let app = start_app(&data_dir, &db, |s| s.settable_clock = true).await.unwrap();
    let r = app.client.get(format!("{}/v1/ops/clock", app.base)).send().await.unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(body["now"].as_str().unwrap()).unwrap();
    assert!(now.with_timezone(&chrono::Utc) >= target, "{body}");

    // A rehearsal's store is one for good: a live service refuses it.
    let (data_dir, db) = app.shutdown().await;
    let settings = jobmatch_core::config::Settings::for_data_dir(&data_dir, Some(db.clone())).expect("settings");
    let refused = jobmatch_app::Application::build(settings, jobmatch_app::ServiceRole::All).await;
    let message = format!("{:#}", refused.err().expect("a live service refuses a rehearsal's store"));
    assert!(message.contains("rehearsal"), "{message}");
    let _ = std::fs::remove_dir_all(data_dir.parent().unwrap_or(&data_dir));
}

/// A store holding a payment list approved on real time is live: the
/// service refuses to start on it with the settable clock, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settable_clock_is_refused_on_a_live_store() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let now = jobmatch_core::time::to_text(chrono::Utc::now());
    sqlx::query(
        "INSERT INTO payment_lists (id, unit_code, month, state, proposed_by, proposed_at, approved_by, approved_at, updated_at)
         VALUES ('pls_live', '330402', '2026-11', 'approved', 'a', $1, 'b', $1, $1)",
    )
    .bind(&now)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let (data_dir, db) = app.shutdown().await;
    let mut settings = jobmatch_core::config::Settings::for_data_dir(&data_dir, Some(db.clone())).expect("settings");
    settings.settable_clock = true;
    let refused = jobmatch_app::Application::build(settings, jobmatch_app::ServiceRole::All).await;
    let message = format!("{:#}", refused.err().expect("refused on a live store"));
    assert!(message.contains("JOBMATCH_SETTABLE_CLOCK") && message.contains("payment list"), "{message}");
    // Without it, the same store starts.
    let app = start_app(&data_dir, &db, |_| {}).await.unwrap();
    assert_eq!(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap().status(), StatusCode::OK);
}
