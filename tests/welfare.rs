//! Public-welfare jobs end to end: a position from the reserve to 就业登记,
//! an announcement matched and pushed only to certified people, a 公示
//! across National Day with its 调休 Saturday, an upheld objection and a
//! replacement, the report's column 5, a second placement for an older
//! person with a filing, and the refusals (third placement, second for
//! someone not allowed, uncertified, other county, missing parts).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::push::quick;

const STREET: &str = "330402008";

impl TestApp {
    /// A person of 南湖区 with push consent; `certified` runs the certification workflow.
    pub(crate) async fn seeker(&self, name: &str, birth: &str, seq: u32, certified: bool) -> String {
        let id = self
            .create_person(json!({
                "id_number": id_number("330402", birth, seq), "name": name, "phone": format!("1390573{seq:04}"),
                "region_code": STREET, "skills": ["河道保洁", "打扫卫生"], "preferred_categories": ["river_cleaning"],
                "availability": ["full_time"], "physical_limit": "medium",
                "consent": {"push": true, "share_with_agencies": false}
            }))
            .await;
        if certified {
            let path = format!("/v1/persons/{id}/certification");
            let r =
                self.post(&path, &self.admin, json!({"action": "apply", "grounds": ["long_term_unemployed"]})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let r = self.post(&path, &self.reviewer, json!({"action": "certify"})).await;
            assert_eq!(r.body["certification"]["status"], "certified", "{}", r.body);
        }
        id
    }

    /// A 公示 of `announcement` as if it had been posted on `starts_on`: the
    /// service takes a start from the day it is posted on (a back-dated
    /// 公示 was not public for its whole period) and a test cannot wait
    /// out its working days, so it is posted from today and then moved,
    /// with the day it was posted, to `starts_on`; its end is the bureau's
    /// calendar's, as the service computes it.
    pub(crate) async fn publicity_as_of(&self, key: &str, announcement: &str, starts_on: &str, how: &str) -> Value {
        self.calendar_reaching(20).await;
        let today = jobmatch_core::time::system_today().to_string();
        let posted = self
            .ok(
                &format!("/v1/welfare/announcements/{announcement}/publicity"),
                key,
                json!({"starts_on": today, "how_to_object": how}),
                StatusCode::CREATED,
            )
            .await;
        let id = posted["id"].as_str().unwrap().to_string();
        let start = chrono::NaiveDate::parse_from_str(starts_on, "%Y-%m-%d").unwrap();
        let days = self.state.policy.public_welfare.publicity_working_days;
        let ends = self.state.calendar().await.unwrap().end_of_working_days(start, days).expect("a year it lists");
        sqlx::query("UPDATE welfare_publicities SET starts_on = $1, ends_on = $2, created_at = $3 WHERE id = $4")
            .bind(starts_on)
            .bind(ends.to_string())
            .bind(format!("{starts_on}T01:00:00.000000Z"))
            .bind(&id)
            .execute(&self.state.db.pool)
            .await
            .unwrap();
        let r = self.get(&format!("/v1/welfare/publicities/{id}"), key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    }

    /// While the shipped calendar does not reach `days` past today (the next
    /// year's notice not yet entered), the missing year is entered with its
    /// weekends only and marked as test data, so that a 公示 posted today
    /// can be counted; no real notice is invented.
    pub(crate) async fn calendar_reaching(&self, days: i64) {
        use jobmatch_core::calendar::{put_year, CalendarYear, NotCovered};
        let today = jobmatch_core::time::system_today();
        for n in 0..=days {
            let cal = self.state.calendar().await.unwrap();
            if let Err(NotCovered(year)) = cal.is_working_day(today + chrono::Duration::days(n)) {
                let y = CalendarYear {
                    year,
                    holidays: vec![],
                    working_days: vec![],
                    source: "测试数据（周末休息，不是真实通知）".into(),
                };
                put_year(&self.state.db.pool, &y, "test", &self.state.now_text()).await.unwrap();
            }
        }
    }

    pub(crate) async fn ok(&self, path: &str, key: &str, body: Value, status: StatusCode) -> Value {
        let r = self.post(path, key, body).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
        r.body
    }

    pub(crate) async fn apply(&self, key: &str, announcement: &str, person: &str) -> String {
        let b = self
            .ok(
                &format!("/v1/welfare/announcements/{announcement}/applications"),
                key,
                json!({"person_id": person}),
                StatusCode::CREATED,
            )
            .await;
        b["id"].as_str().unwrap().to_string()
    }

    async fn refused_code(&self, key: &str, application: &str) -> String {
        let r = self.post(&format!("/v1/welfare/applications/{application}/select"), key, json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["person_id"]);
        assert!(!r.body["errors"][0]["message"].as_str().unwrap().is_empty());
        r.body["errors"][0]["code"].as_str().unwrap().to_string()
    }

    pub(crate) async fn position(&self, key: &str, headcount: i64) -> String {
        let b = self
            .ok(
                "/v1/welfare/positions",
                key,
                json!({"type": "river_cleaning", "employer_name": "南湖区解放街道办事处", "title": "河道保洁员",
                       "region_code": STREET, "address": "南湖区解放街道环城河沿线", "headcount": headcount,
                       "pay": {"min": 2300, "max": 2600}, "funded_from": "2026-01-01", "funded_until": "2029-12-31"}),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(b["state"], "reserved");
        b["id"].as_str().unwrap().to_string()
    }

    /// Draft and publish an announcement of `posts` posts; returns (announcement id, job id).
    pub(crate) async fn announce(
        &self,
        key: &str,
        position: &str,
        posts: i64,
        event: Option<&str>,
    ) -> (String, String) {
        let apply_by = (jobmatch_core::time::system_today() + chrono::Duration::days(10)).to_string();
        let mut body = json!({"requirements": "负责河道水面及岸坡保洁，每天早上6点到11点，能骑三轮车",
                              "posts": posts, "apply_by": apply_by,
                              "contact": {"name": "李老师", "phone": "0573-82012345"}});
        if let Some(e) = event {
            body["event_id"] = json!(e);
        }
        let a =
            self.ok(&format!("/v1/welfare/positions/{position}/announcements"), key, body, StatusCode::CREATED).await;
        assert_eq!(a["missing"], json!([]), "{a}");
        let id = a["id"].as_str().unwrap().to_string();
        let p = self.ok(&format!("/v1/welfare/announcements/{id}/publish"), key, json!({}), StatusCode::OK).await;
        assert_eq!(p["state"], "published");
        (id, p["job_id"].as_str().unwrap().to_string())
    }

    async fn end_placement(&self, placement: &str, on: &str) {
        self.ok(&format!("/v1/placements/{placement}/end"), &self.admin, json!({"ended_on": on}), StatusCode::OK).await;
    }
}

/// The public pages in a real browser (tests/browser/public.mjs): axe-core
/// WCAG 2.2 AA at phone and desktop width, nothing loaded from another
/// host, no sideways scrolling; screenshots under target/welfare-pages/.
/// Required when `JOBMATCH_BROWSER_TESTS=required` (as `.ci/run` sets).
fn browse_public(pages: Value) -> Option<Value> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    run_browser_script("public.mjs", &json!({"pages": pages, "out_dir": root.join("target/welfare-pages")}))
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|i| i[key]["id"].as_str().unwrap().to_string()).collect()
}

async fn reserve_to_registration(backend: Backend) {
    let Some(app) = spawn_app_with(backend, quick).await else {
        return eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
    };
    let (_, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
    let (_, jiashan) = app.org_with_key("嘉善县人社局", "bureau", "330421", "staff").await;
    let a = app.seeker("王小国", "19850310", 11, true).await;
    let b = app.seeker("陈丽", "19800420", 12, true).await;
    let c = app.seeker("赵明", "19880101", 13, true).await;
    // Born February 1968: retires at 60 + 10 months (2028-12-01).
    let o = app.seeker("钱老伯", "19680201", 15, true).await;
    let u = app.seeker("孙未认", "19860101", 17, false).await;

    // The reserve, and the other county's staff who may not touch it.
    let pos = app.position(&staff, 3).await;
    assert_eq!(app.get(&format!("/v1/welfare/positions/{pos}"), &jiashan).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&format!("/v1/welfare/positions/{pos}/announcements"), &jiashan, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post("/v1/welfare/positions", &jiashan, json!({"type": "river_cleaning", "employer_name": "某单位", "title": "河道保洁员",
        "region_code": STREET, "headcount": 1, "pay": {"min": 2000, "max": 2000}, "funded_from": "2026-01-01", "funded_until": "2026-12-31"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(app.get("/v1/welfare/positions", &jiashan).await.body["items"].as_array().unwrap().is_empty());
    // Bad positions: every field named, nothing stored.
    let before = app.count("welfare_positions").await;
    let r = app.post("/v1/welfare/positions", &staff, json!({"type": "astrology", "employer_name": "某", "title": "岗",
        "region_code": "999", "headcount": 0, "pay": {"min": 3000, "max": 2000}, "funded_from": "2026-05-01", "funded_until": "2026-01-01"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["employer_name", "funded_until", "headcount", "pay.max", "region_code", "title", "type"]);
    assert_eq!(app.count("welfare_positions").await, before);

    // An announcement missing its parts cannot be published: each part named, no job made.
    let draft = app
        .ok(
            &format!("/v1/welfare/positions/{pos}/announcements"),
            &staff,
            json!({"employer_name": null, "title": null, "pay": null}),
            StatusCode::CREATED,
        )
        .await;
    let draft_id = draft["id"].as_str().unwrap();
    let jobs_before = app.job_rows().await;
    let r = app.post(&format!("/v1/welfare/announcements/{draft_id}/publish"), &staff, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut missing = r.error_fields();
    missing.sort();
    assert_eq!(missing, ["apply_by", "contact", "employer_name", "pay", "requirements", "title"]);
    assert_eq!(app.job_rows().await, jobs_before);
    let r = app
        .patch(
            &format!("/v1/welfare/announcements/{draft_id}"),
            &staff,
            json!({"posts": 4000, "apply_by": "2026-02-30"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), ["posts", "apply_by"]);

    // A special recruitment event with its public page.
    let event = app
        .ok(
            "/v1/welfare/events",
            &staff,
            json!({"name": "2026年秋季公益性岗位专场招聘会", "region_code": "330402",
            "held_on": "2026-09-20", "place": "南湖区人力资源市场"}),
            StatusCode::CREATED,
        )
        .await;
    let event_id = event["id"].as_str().unwrap();
    let (ann, job) = app.announce(&staff, &pos, 3, Some(event_id)).await;
    let listed = app.get(&format!("/v1/welfare/positions/{pos}/announcements"), &staff).await;
    let states: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|a| a["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["draft", "published"]);
    assert_eq!(app.get(&format!("/v1/welfare/positions/{pos}"), &staff).await.body["state"], "recruiting");
    let page = app.send("GET", &format!("/v1/public/welfare/events/{event_id}"), None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body["jobs"][0]["title"], "河道保洁员");
    assert_eq!(page.body["jobs"][0]["posts"], 3);
    let html = app.client.get(format!("{}/public/welfare/events/{event_id}", app.base)).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    assert!(html.text().await.unwrap().contains("2026年秋季公益性岗位专场招聘会"));

    // The job is matched and pushed to certified people only.
    let stored = app.get(&format!("/v1/jobs/{job}"), &staff).await;
    assert_eq!(stored.body["source"], "public_welfare");
    assert_eq!(stored.body["certified_only"], true);
    app.wait_indexed().await;
    let cands = ids(&app.get(&format!("/v1/jobs/{job}/candidates?limit=50"), &app.admin).await.body, "person");
    for p in [&a, &b, &c, &o] {
        assert!(cands.contains(p), "certified {p} is a candidate: {cands:?}");
    }
    assert!(!cands.contains(&u), "an uncertified person is never a candidate");
    let theirs = ids(&app.get(&format!("/v1/persons/{u}/matches"), &app.admin).await.body, "job");
    assert!(!theirs.contains(&job), "nor is it among their matches");
    assert!(ids(&app.get(&format!("/v1/persons/{a}/matches"), &app.admin).await.body, "job").contains(&job));
    let told = app
        .notifications_until(&job, |items| {
            [&a, &b, &c, &o].iter().all(|p| items.iter().any(|n| n["person_id"] == **p && n["channel"] == "inbox"))
        })
        .await;
    assert!(told.iter().all(|n| n["person_id"] != u), "no notice for the uncertified: {told:?}");

    // Applications and selection: only certified people, only as many as the posts.
    let app_u = app.apply(&staff, &ann, &u).await;
    assert_eq!(app.refused_code(&staff, &app_u).await, "not_certified");
    let app_a = app.apply(&staff, &ann, &a).await;
    let app_c = app.apply(&staff, &ann, &c).await;
    let app_o = app.apply(&staff, &ann, &o).await;
    let app_b = app.apply(&staff, &ann, &b).await;
    let r = app.post(&format!("/v1/welfare/announcements/{ann}/applications"), &staff, json!({"person_id": a})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    for x in [&app_a, &app_c, &app_o] {
        app.ok(&format!("/v1/welfare/applications/{x}/select"), &staff, json!({}), StatusCode::OK).await;
    }
    let r = app.post(&format!("/v1/welfare/applications/{app_b}/select"), &staff, json!({})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("no_places")));

    // 公示 from Wednesday 30 September: National Day (1–7 October) and
    // Sunday 11 October do not count, Saturday 10 October (调休) does.
    let r = app
        .post(
            &format!("/v1/welfare/announcements/{ann}/publicity"),
            &staff,
            json!({"starts_on": "2026-10-09", "ends_on": "2026-10-08", "how_to_object": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, ["ends_on", "how_to_object", "starts_on"], "a start before today is refused too: {}", r.body);
    // Too short (three working days between two weekends) and, being in
    // the past, back-dated (before today and before the announcement was
    // published): each named.
    let r = app.post(&format!("/v1/welfare/announcements/{ann}/publicity"), &staff,
        json!({"starts_on": "2026-09-30", "ends_on": "2026-10-09", "how_to_object": "请致电南湖区人社局 0573-82012345"})).await;
    let mut codes: Vec<&str> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    codes.sort();
    assert_eq!(
        (r.status, codes),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["before_announcement", "before_today", "too_short"]),
        "{}",
        r.body
    );
    assert_eq!(app.count("welfare_publicities").await, 0, "nothing stored from a rejected 公示");
    // Posted on 30 September (moved there: see publicity_as_of).
    let pub1 = app
        .publicity_as_of(
            &staff,
            &ann,
            "2026-09-30",
            "请在公示期内致电南湖区人社局 0573-82012345 或到解放街道社区服务中心反映",
        )
        .await;
    assert_eq!((pub1["ends_on"].as_str(), pub1["working_days"].as_i64()), (Some("2026-10-12"), Some(5)));
    let pub1 = pub1["id"].as_str().unwrap().to_string();
    // The public page: masked names, dates, how to object; nothing else about the people.
    let public = app.send("GET", &format!("/v1/public/welfare/publicities/{pub1}"), None, None).await;
    assert_eq!(public.status, StatusCode::OK);
    let mut names: Vec<&str> = public.body["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["王*国", "赵*", "钱*伯"]);
    let text = public.body.to_string();
    for secret in ["王小国", "19850310", "1390573", &a] {
        assert!(!text.contains(secret), "{secret} must not be public: {text}");
    }
    let html = app.client.get(format!("{}/public/welfare/publicities/{pub1}", app.base)).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("王*国") && html.contains("2026-10-12") && !html.contains("王小国"));
    if matches!(backend, Backend::Sqlite) {
        let pages = json!({"publicity": format!("{}/public/welfare/publicities/{pub1}", app.base),
                           "event": format!("{}/public/welfare/events/{event_id}", app.base)});
        if let Some(report) = browse_public(pages) {
            assert!(report["foreign_requests"].as_array().unwrap().is_empty(), "{report}");
            for (name, page) in report["pages"].as_object().unwrap() {
                assert_eq!(page["status"], 200, "{name}");
                assert!(page["violations"].as_array().unwrap().is_empty(), "axe-core WCAG 2.2 AA on {name}: {page}");
                assert!(page["passes"].as_u64().unwrap() >= 5, "axe checked {name}");
                assert_eq!(page["scrolls_sideways"], false, "{name} reflows");
            }
            let text = report["pages"]["publicity-360"]["text"].as_str().unwrap();
            assert!(text.contains("王*国") && text.contains("如有异议") && !text.contains("王小国"), "{text}");
        }
    }

    // Objections: one after the period is refused; one within is upheld.
    let obj = format!("/v1/welfare/publicities/{pub1}/objections");
    let late = app
        .post(
            &obj,
            &staff,
            json!({"application_id": app_a, "objector": "群众张某 13800000000",
        "grounds": "此人已在外地就业", "received_on": "2026-10-13"}),
        )
        .await;
    assert_eq!(
        (late.status, late.body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("after_period"))
    );
    assert_eq!(app.count("welfare_objections").await, 0, "nothing stored from a refused objection");
    let o1 = app
        .ok(
            &obj,
            &staff,
            json!({"application_id": app_a, "objector": "群众张某 13800000000",
        "grounds": "此人已在外地就业", "received_on": "2026-10-09"}),
            StatusCode::CREATED,
        )
        .await;
    let o1 = o1["id"].as_str().unwrap();
    let o2 = app
        .ok(
            &obj,
            &staff,
            json!({"application_id": app_c, "objector": "匿名来电",
        "grounds": "家里有车", "received_on": "2026-10-10"}),
            StatusCode::CREATED,
        )
        .await;
    let o2 = o2["id"].as_str().unwrap();
    let register = format!("/v1/welfare/publicities/{pub1}/register");
    let r = app.post(&register, &staff, json!({})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("objections_open")));
    app.ok(
        &format!("/v1/welfare/objections/{o1}/resolve"),
        &staff,
        json!({"outcome": "upheld", "reason": "经核实已在嘉兴市外就业并参保"}),
        StatusCode::OK,
    )
    .await;
    let again = app
        .post(&format!("/v1/welfare/objections/{o1}/resolve"), &staff, json!({"outcome": "dismissed", "reason": "x"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    app.ok(
        &format!("/v1/welfare/objections/{o2}/resolve"),
        &staff,
        json!({"outcome": "dismissed", "reason": "经核实车辆为亲属所有，不影响认定"}),
        StatusCode::OK,
    )
    .await;
    let public = app.send("GET", &format!("/v1/public/welfare/publicities/{pub1}"), None, None).await;
    assert_eq!(public.body["names"].as_array().unwrap().len(), 2, "the removed person is no longer listed");

    // Registration on the first working day after the period.
    let done = app.ok(&register, &staff, json!({}), StatusCode::OK).await;
    let regs = done["registered"].as_array().unwrap();
    assert_eq!(regs.len(), 2, "{done}");
    assert_eq!(done["not_registered"][0]["state"], "removed");
    let reg_of = |p: &str| regs.iter().find(|r| r["person_id"] == p).unwrap().clone();
    let (rc, ro) = (reg_of(&c), reg_of(&o));
    assert_eq!(rc["started_on"], "2026-10-13");
    assert_eq!((rc["subsidy_end"].as_str(), rc["end_reason"].as_str()), (Some("2029-10-12"), Some("period")));
    assert_eq!((ro["subsidy_end"].as_str(), ro["end_reason"].as_str()), (Some("2028-11-30"), Some("retirement")));
    assert_eq!(app.post(&register, &staff, json!({})).await.status, StatusCode::CONFLICT);
    let person = app.get(&format!("/v1/persons/{c}"), &staff).await;
    assert_eq!(person.body["employment_status"], "public_welfare");

    // The replacement: the reopened place goes to B after a 公示 of her own.
    app.ok(&format!("/v1/welfare/applications/{app_b}/select"), &staff, json!({}), StatusCode::OK).await;
    let pub2 = app.publicity_as_of(&staff, &ann, "2026-10-19", "请致电南湖区人社局 0573-82012345").await;
    assert_eq!(pub2["ends_on"], "2026-10-23");
    let done = app
        .ok(
            &format!("/v1/welfare/publicities/{}/register", pub2["id"].as_str().unwrap()),
            &staff,
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(done["registered"][0]["person_id"], json!(b));
    assert_eq!(done["registered"][0]["started_on"], "2026-10-26");
    assert_eq!(app.get(&format!("/v1/welfare/positions/{pos}"), &staff).await.body["state"], "filled");
    let filled = app.get(&format!("/v1/jobs/{job}"), &staff).await;
    assert_eq!(
        (filled.body["status"].as_str(), filled.body["close_reason"].as_str()),
        (Some("closed"), Some("filled")),
        "recruiting stops"
    );

    // Column 5 of October's 进度表 counts the three.
    let report = app.get("/v1/reports/progress?month=2026-10&region=330400", &app.admin).await;
    let row = report.body["rows"].as_array().unwrap().iter().find(|r| r["unit_code"] == "330402").unwrap().clone();
    assert_eq!(row["public_welfare"], 3, "{row}");

    // The reserve's yearly count against the city's target.
    let year = jobmatch_core::time::system_today().format("%Y").to_string();
    let reserve = app.get(&format!("/v1/reports/welfare-reserve?year={year}&region=330400"), &app.admin).await;
    assert_eq!(reserve.status, StatusCode::OK, "{}", reserve.body);
    assert_eq!(reserve.body["city_target"], 1000);
    let held = i64::from(year == "2026");
    assert_eq!((reserve.body["events_held"].as_i64(), reserve.body["events_target"].as_i64()), (Some(held), Some(2)));
    assert_eq!(reserve.body["events_by_half"], json!([0, held]), "held in September: the second half");
    // Progress counts posts (岗位), not reserve records.
    let posts = reserve.body["posts"].as_f64().unwrap();
    assert_eq!(reserve.body["progress_percent"].as_f64(), Some((posts * 1000.0 / 1000.0).round() / 10.0));
    assert!(posts > reserve.body["positions"].as_f64().unwrap(), "{}", reserve.body);
    let nanhu = reserve.body["rows"].as_array().unwrap().iter().find(|r| r["unit_code"] == "330402").unwrap().clone();
    assert_eq!((nanhu["positions"].as_i64(), nanhu["posts"].as_i64()), (Some(1), Some(3)));
    let csv = app
        .client
        .get(format!("{}/v1/reports/welfare-reserve?year={year}&format=csv", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("南湖区,1,3"), "{csv}");
    let bytes = app
        .client
        .get(format!("{}/v1/reports/welfare-reserve?year={year}&format=xlsx", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    {
        use calamine::{Data, Reader, Xlsx};
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = wb.worksheet_range("公益性岗位储备").unwrap();
        let row =
            sheet.rows().find(|r| r.first() == Some(&Data::String("330402".into()))).expect("南湖区's row").to_vec();
        assert_eq!(
            (row[1].to_string(), row[2].to_string(), row[3].to_string()),
            ("南湖区".into(), "1".into(), "3".into())
        );
    }

    // A second placement comes only after the subsidy period ended
    // (补贴期满后): O and C leave early, and neither is placed again while
    // their periods run.
    app.end_placement(ro["placement_id"].as_str().unwrap(), "2026-10-31").await;
    app.end_placement(rc["placement_id"].as_str().unwrap(), "2026-10-31").await;
    let pos2 = app.position(&staff, 2).await;
    let (ann2, _) = app.announce(&staff, &pos2, 2, None).await;
    let o_again = app.apply(&staff, &ann2, &o).await;
    assert_eq!(app.refused_code(&staff, &o_again).await, "subsidy_running", "left early: no fresh period");
    let c_again = app.apply(&staff, &ann2, &c).await;
    assert_eq!(app.refused_code(&staff, &c_again).await, "subsidy_running");
    // Their periods over (set in the store: a test cannot wait three years),
    // O (an older man) may be placed again with a filing; C (young, no group) never.
    sqlx::query("UPDATE welfare_registrations SET subsidy_end = '2026-10-31' WHERE person_id IN ($1, $2)")
        .bind(&o)
        .bind(&c)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(app.refused_code(&staff, &o_again).await, "filing_required");
    assert_eq!(app.refused_code(&staff, &c_again).await, "second_placement_not_allowed");
    let r = app
        .post(
            "/v1/welfare/filings",
            &staff,
            json!({"person_id": o, "ground": "zero_employment_family",
        "filed_on": "2026-11-01", "filed_with": "嘉兴市人力社保局", "reference": "嘉人社备〔2026〕12号"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_shown_by_record"))
    );
    app.ok(
        "/v1/welfare/filings",
        &staff,
        json!({"person_id": o, "ground": "older", "filed_on": "2026-11-01",
        "filed_with": "嘉兴市人力社保局", "reference": "嘉人社备〔2026〕12号"}),
        StatusCode::CREATED,
    )
    .await;
    app.ok(&format!("/v1/welfare/applications/{o_again}/select"), &staff, json!({}), StatusCode::OK).await;
    let pub3 = app.publicity_as_of(&staff, &ann2, "2026-11-02", "请致电南湖区人社局 0573-82012345").await;
    let done = app
        .ok(
            &format!("/v1/welfare/publicities/{}/register", pub3["id"].as_str().unwrap()),
            &staff,
            json!({}),
            StatusCode::OK,
        )
        .await;
    let second = done["registered"][0].clone();
    assert_eq!((second["person_id"].as_str(), second["sequence"].as_i64()), (Some(o.as_str()), Some(2)));
    assert_eq!(second["started_on"], "2026-11-09");
    assert!(second["filing_id"].is_string());
    // A third placement is refused, whatever the filing.
    app.end_placement(second["placement_id"].as_str().unwrap(), "2026-11-20").await;
    app.ok(
        "/v1/welfare/filings",
        &staff,
        json!({"person_id": o, "ground": "older", "filed_on": "2026-11-21",
        "filed_with": "嘉兴市人力社保局", "reference": "嘉人社备〔2026〕30号"}),
        StatusCode::CREATED,
    )
    .await;
    let (ann3, job3) = app.announce(&staff, &pos2, 1, None).await;
    let o_third = app.apply(&staff, &ann3, &o).await;
    assert_eq!(app.refused_code(&staff, &o_third).await, "placement_limit");

    app.ok(
        &format!("/v1/welfare/applications/{c_again}/refuse"),
        &staff,
        json!({"reason": "补贴期满后再次安置仅限大龄、零就业家庭和重度残疾人员"}),
        StatusCode::OK,
    )
    .await;
    // The worklist: C's placement ended with no next step; the second position has a vacancy.
    let w = app.get("/v1/welfare/worklist", &staff).await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.body);
    let without: Vec<&str> = w.body["ending_without_next_step"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["person_id"].as_str().unwrap())
        .collect();
    assert!(without.contains(&c.as_str()), "{}", w.body);
    assert!(w.body["vacant_positions"].as_array().unwrap().iter().any(|p| p["position_id"] == pos2));
    assert!(w.body["subsidies_ending"].as_array().unwrap().is_empty(), "nothing ends within 60 days");
    // B's subsidy (registered 2026-10-26) ends on 2029-10-25: within three years from now.
    let far = app.get("/v1/welfare/worklist?within_days=1096", &staff).await;
    let ending: Vec<&str> =
        far.body["subsidies_ending"].as_array().unwrap().iter().map(|r| r["person_id"].as_str().unwrap()).collect();
    assert_eq!(ending, [b.as_str()], "{}", far.body);
    assert_eq!(app.get("/v1/welfare/worklist?within_days=0", &staff).await.status, StatusCode::BAD_REQUEST);
    // Closing a position stops its recruitment.
    let closed = app
        .ok(&format!("/v1/welfare/positions/{pos2}/close"), &staff, json!({"reason": "经费到期"}), StatusCode::OK)
        .await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(app.get(&format!("/v1/jobs/{job3}"), &staff).await.body["close_reason"], "withdrawn");
    // Every step is in the log.
    assert!(app.count("welfare_log").await >= 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_goes_from_the_reserve_to_registration_on_sqlite() {
    reserve_to_registration(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_goes_from_the_reserve_to_registration_on_postgres() {
    reserve_to_registration(Backend::Postgres).await
}

/// A calendar file of the bureau's own (`JOBMATCH_CALENDAR_FILE`): here this
/// year and the next with no holidays at all, so that dates around today are
/// known whatever the day the test runs. A person applies from their SMS
/// page; registration waits for the period's end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_applies_from_the_page_and_registration_waits_for_the_period_on_the_bureaus_calendar() {
    use chrono::Datelike;
    let dir = temp_dir();
    let year = jobmatch_core::time::system_today().year();
    let file = dir.join("calendar.toml");
    std::fs::write(
        &file,
        format!("version = 1\n[[year]]\nyear = {year}\nholidays = []\nworkdays = []\n[[year]]\nyear = {}\nholidays = []\nworkdays = []\n", year + 1),
    )
    .unwrap();
    let app = spawn_app_with(Backend::Sqlite, |s| s.calendar_file = Some(file.clone())).await.unwrap();
    let p = app.seeker("周新", "19900606", 21, true).await;
    let pos = app.position(&app.admin, 1).await;
    let (ann, job) = app.announce(&app.admin, &pos, 1, None).await;
    // The person applies themselves: 我感兴趣 on the page their SMS links to.
    let token = jobmatch_core::links::issue(&app.state.db.pool, &p, &job, 30, chrono::Utc::now()).await.unwrap();
    let answered = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/m/{token}/jobs/{job}/answer", app.base))
        .form(&[("answer", "interested")])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let listed = app.get(&format!("/v1/welfare/announcements/{ann}/applications"), &app.admin).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(
        (items.len(), items[0]["person_id"].as_str(), items[0]["state"].as_str()),
        (1, Some(p.as_str()), Some("applied"))
    );
    let application = items[0]["id"].as_str().unwrap().to_string();
    app.ok(&format!("/v1/welfare/applications/{application}/select"), &app.admin, json!({}), StatusCode::OK).await;
    let today = jobmatch_core::time::system_today();
    app.calendar_reaching(20).await;
    let publicity = app
        .ok(
            &format!("/v1/welfare/announcements/{ann}/publicity"),
            &app.admin,
            json!({"starts_on": today.to_string(), "how_to_object": "请致电 0573-82012345"}),
            StatusCode::CREATED,
        )
        .await;
    // Five working days with no holidays: today (if a weekday) and the next weekdays.
    let ends = chrono::NaiveDate::parse_from_str(publicity["ends_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert!(ends >= today + chrono::Duration::days(4) && ends <= today + chrono::Duration::days(8), "{publicity}");
    let r = app
        .post(&format!("/v1/welfare/publicities/{}/register", publicity["id"].as_str().unwrap()), &app.admin, json!({}))
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("period_not_over")), "{}", r.body);
    assert_eq!(app.count("welfare_registrations").await, 0);
    // A 公示 is public for its whole period: it cannot start before the day
    // it is posted, nor before the announcement was published (today).
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    let r = app
        .post(
            &format!("/v1/welfare/announcements/{ann}/publicity"),
            &app.admin,
            json!({"starts_on": yesterday, "how_to_object": "请致电 0573-82012345"}),
        )
        .await;
    let mut codes: Vec<&str> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    codes.sort();
    assert_eq!((r.status, codes), (StatusCode::UNPROCESSABLE_ENTITY, vec!["before_announcement", "before_today"]));
    assert_eq!(app.count("welfare_publicities").await, 1, "nothing stored from a back-dated 公示");
    // One back-dated before the rule, as such a row stands in a store: its
    // period over on paper, but it was never public for it — not registered.
    let id = publicity["id"].as_str().unwrap();
    sqlx::query("UPDATE welfare_publicities SET starts_on = $1, ends_on = $2 WHERE id = $3")
        .bind((today - chrono::Duration::days(12)).to_string())
        .bind((today - chrono::Duration::days(5)).to_string())
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let r = app.post(&format!("/v1/welfare/publicities/{id}/register"), &app.admin, json!({})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("backdated_publicity")), "{}", r.body);
    assert_eq!(app.count("welfare_registrations").await, 0);
    assert_eq!(app.count("placements").await, 0, "nobody placed from it");
    // A date the calendar does not list is refused, not guessed.
    let r = app
        .post(
            &format!("/v1/welfare/announcements/{ann}/publicity"),
            &app.admin,
            json!({"starts_on": format!("{}-01-05", year + 3), "how_to_object": "请致电 0573-82012345"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}
