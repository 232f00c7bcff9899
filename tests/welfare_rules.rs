//! The public-welfare recruitment's own limits, on both backends: no
//! application after the announcement's 报名截止, its age limits judged at
//! selection, and nobody past the statutory retirement age offered the post.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

impl TestApp {
    /// Publish an announcement of one post of a new position with `extra`
    /// parts (age limits); its id and the job's.
    async fn announce_with(&self, extra: Value) -> (String, String) {
        let position = self.position(&self.admin, 2).await;
        let apply_by = (jobmatch_core::time::system_today() + chrono::Duration::days(10)).to_string();
        let mut body = json!({"requirements": "负责河道水面及岸坡保洁，每天早上6点到11点", "posts": 2,
                              "apply_by": apply_by, "contact": {"name": "李老师", "phone": "0573-82012345"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let a = self
            .ok(&format!("/v1/welfare/positions/{position}/announcements"), &self.admin, body, StatusCode::CREATED)
            .await;
        let id = a["id"].as_str().unwrap().to_string();
        let p =
            self.ok(&format!("/v1/welfare/announcements/{id}/publish"), &self.admin, json!({}), StatusCode::OK).await;
        (id, p["job_id"].as_str().unwrap().to_string())
    }
}

both_backends!(
    // 报名截止: an application recorded after the deadline is refused (one
    // received on paper before it is still recorded), and nothing stored.
    async fn applications_close_at_the_deadline(app: TestApp) {
        let (announcement, _) = app.announce_with(json!({})).await;
        let early = app.seeker("沈桂芬", "19700301", 2, true).await;
        let late = app.seeker("陆美华", "19700302", 4, true).await;
        // The deadline passes: it was yesterday.
        let yesterday = jobmatch_core::time::system_today() - chrono::Duration::days(1);
        let doc: String = sqlx::query_scalar("SELECT doc FROM welfare_announcements WHERE id = $1")
            .bind(&announcement)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        let mut doc: Value = serde_json::from_str(&doc).unwrap();
        doc["apply_by"] = json!(yesterday.to_string());
        sqlx::query("UPDATE welfare_announcements SET doc = $1 WHERE id = $2")
            .bind(doc.to_string())
            .bind(&announcement)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let path = format!("/v1/welfare/announcements/{announcement}/applications");
        let before = app.count("welfare_applications").await;
        let r = app.post(&path, &app.admin, json!({"person_id": late})).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (StatusCode::CONFLICT, Some("applications_closed")),
            "{}",
            r.body
        );
        assert!(r.body["detail"].as_str().unwrap().contains(&yesterday.to_string()), "{}", r.body);
        assert_eq!(app.count("welfare_applications").await, before, "nothing stored");
        let on_paper = (yesterday - chrono::Duration::days(2)).to_string();
        let r = app.post(&path, &app.admin, json!({"person_id": early, "applied_on": on_paper})).await;
        assert_eq!(r.status, StatusCode::CREATED, "received before the deadline: {}", r.body);
    }

    // The announcement's age limits are checked when an applicant is
    // chosen, with the age on that day.
    async fn the_announcements_age_limits_hold_at_selection(app: TestApp) {
        let (announcement, _) = app.announce_with(json!({"age_min": 40, "age_max": 50})).await;
        let young_enough = app.seeker("沈桂芬", "19800301", 2, true).await;
        let too_old = app.seeker("陆建华", "19700302", 5, true).await;
        let ok = app.apply(&app.admin, &announcement, &young_enough).await;
        let old = app.apply(&app.admin, &announcement, &too_old).await;
        let r = app.post(&format!("/v1/welfare/applications/{old}/select"), &app.admin, json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["person_id"]);
        assert_eq!(r.body["errors"][0]["code"], "outside_age_limits");
        assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("40–50"), "{}", r.body);
        let state: String = sqlx::query_scalar("SELECT state FROM welfare_applications WHERE id = $1")
            .bind(&old)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        assert_eq!(state, "applied", "nothing changed");
        let r = app.post(&format!("/v1/welfare/applications/{ok}/select"), &app.admin, json!({})).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("selected")), "{}", r.body);
    }

    // A certified man past his retirement age (60, born before 1965) is
    // not offered a public-welfare post: he could not be placed in it.
    // A certified woman of the same age is: a woman cadre retires later,
    // and the record does not say which she is.
    async fn nobody_past_retirement_is_offered_a_public_welfare_post(app: TestApp) {
        let retired = app.seeker("钱永福", "19640615", 3, true).await;
        let working_age = app.seeker("孙志刚", "19700615", 5, true).await;
        let woman = app.seeker("周玉兰", "19750615", 6, true).await;
        let (_, job) = app.announce_with(json!({})).await;
        app.wait_indexed().await;
        let r = app.get(&format!("/v1/jobs/{job}/candidates?limit=50"), &app.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let ids: Vec<&str> =
            r.body["items"].as_array().unwrap().iter().map(|c| c["person"]["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&working_age.as_str()), "{}", r.body);
        assert!(ids.contains(&woman.as_str()), "{}", r.body);
        assert!(!ids.contains(&retired.as_str()), "past retirement: {}", r.body);
        // Nor is the post among his matches.
        let m = app.get(&format!("/v1/persons/{retired}/matches"), &app.admin).await;
        assert_eq!(m.status, StatusCode::OK, "{}", m.body);
        assert!(m.body["items"].as_array().unwrap().iter().all(|j| j["job"]["id"] != job.as_str()), "{}", m.body);
    }

    // A woman's retirement kind is on her record: a woman cadre born in June
    // 1974 (55, plus 14 months: 2030) is placed; recorded as nothing, the
    // policy's default (worker: 50, reached in 2024) refuses her. A man
    // has no kind to give.
    async fn a_womans_retirement_kind_is_on_her_record(app: TestApp) {
        let (announcement, _) = app.announce_with(json!({})).await;
        let cadre = app.seeker("吴秀珍", "19740615", 8, true).await;
        let unsaid = app.seeker("许美琴", "19740616", 10, true).await;
        let r =
            app.patch(&format!("/v1/persons/{cadre}"), &app.admin, json!({"retirement_kind": "female_cadre"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["retirement_kind"], "female_cadre", "{}", r.body);
        let man = app.seeker("陆建国", "19740617", 9, true).await;
        let r = app.patch(&format!("/v1/persons/{man}"), &app.admin, json!({"retirement_kind": "female_cadre"})).await;
        assert_eq!(
            (r.status, r.error_fields()),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["retirement_kind".to_string()])
        );
        let r = app.patch(&format!("/v1/persons/{cadre}"), &app.admin, json!({"retirement_kind": "queen"})).await;
        assert_eq!(
            (r.status, r.error_fields()),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["retirement_kind".to_string()])
        );
        let placed = app.apply(&app.admin, &announcement, &cadre).await;
        let r = app.post(&format!("/v1/welfare/applications/{placed}/select"), &app.admin, json!({})).await;
        assert_eq!(
            (r.status, r.body["retirement_kind"].as_str()),
            (StatusCode::OK, Some("female_cadre")),
            "{}",
            r.body
        );
        let refused = app.apply(&app.admin, &announcement, &unsaid).await;
        let r = app.post(&format!("/v1/welfare/applications/{refused}/select"), &app.admin, json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "past_retirement");
    }
);
