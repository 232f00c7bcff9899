//! The person registry: ID checks, protection and masking, audit, history,
//! certification, plans.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{id_number, person_body, with};

both_backends! {
    async fn a_person_gets_birth_date_age_and_sex_from_the_id_number(app: TestApp) {
        let res = app.post("/v1/persons", &app.admin, person_body(124)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let p = &res.body;
        assert_eq!((p["birth_date"].as_str(), p["sex"].as_str()), (Some("1968-05-12"), Some("female")));
        assert!(p["age"].as_i64().unwrap() >= 58);
        assert_eq!(p["id_number"], person_body(124)["id_number"]);
        assert_eq!(p["employment_status"], "unemployed", "defaults are filled in");
        assert_eq!(p["willingness"], "now");
        let male = app.post("/v1/persons", &app.admin, with(person_body(0), |b| b["id_number"] = json!(id_number("330402", "19700315", 123)))).await;
        assert_eq!(male.body["sex"], "male");
    }

    async fn a_second_registration_of_an_id_number_is_409_with_the_existing_id(app: TestApp) {
        let id = app.create_person(person_body(124)).await;
        // The same number typed with a space and a lowercase x where it stands is the same person.
        let again = app.post("/v1/persons", &app.admin, with(person_body(124), |b| b["name"] = json!("张桂芳2"))).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["existing_id"], id);
        assert_eq!(app.count("persons").await, 1);
    }

    async fn id_numbers_are_normalised_where_unambiguous_and_refused_otherwise(app: TestApp) {
        let good = id_number("330402", "19750101", 135);
        let wrong_check = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' });
        let refused: Vec<(&str, String)> = vec![
            ("wrong check digit", wrong_check),
            ("no such day", id_number("330402", "20310230", 111)),
            ("in the future", id_number("330402", "20300101", 111)),
            ("a child", id_number("330402", "20200101", 111)),
            ("too short", good[..17].to_string()),
            ("letters", format!("33040A{}", &good[6..])),
        ];
        for (label, number) in refused {
            let res = app.post("/v1/persons", &app.admin, with(person_body(0), |b| b["id_number"] = json!(number))).await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
            assert_eq!(res.error_fields(), ["id_number"], "{label}");
        }
        assert_eq!(app.count("persons").await, 0);
        // An X check digit typed in lowercase, spaces, full-width digits.
        let x = (0..1000).map(|s| id_number("330402", "19700101", s)).find(|n| n.ends_with('X')).unwrap();
        let res = app.post("/v1/persons", &app.admin, with(person_body(0), |b| b["id_number"] = json!(x.to_lowercase()))).await;
        assert_eq!(res.body["id_number"], x.as_str());
        let spaced = format!("{} {} {}", &good[..6], &good[6..14], &good[14..]);
        let res = app.post("/v1/persons", &app.admin, with(person_body(0), |b| b["id_number"] = json!(spaced))).await;
        assert_eq!(res.body["id_number"], good.as_str());
        let wide: String = id_number("330402", "19800101", 222).chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
        let res = app.post("/v1/persons", &app.admin, with(person_body(0), |b| b["id_number"] = json!(wide))).await;
        assert_eq!(res.status, StatusCode::CREATED);
    }

    async fn phones_are_normalised_and_bad_ones_named(app: TestApp) {
        let res = app.post("/v1/persons", &app.admin, with(person_body(124), |b| b["phone"] = json!("+86 139-0573-8765"))).await;
        assert_eq!(res.body["phone"], "13905738765");
        for bad in ["12345", "0573-82345678", "23905738765"] {
            let res = app.post("/v1/persons", &app.admin, with(person_body(126), |b| b["phone"] = json!(bad))).await;
            assert_eq!(res.error_fields(), ["phone"], "{bad}");
        }
        let many = app.post("/v1/persons", &app.admin, json!({"name": "", "region_code": "330402", "groups": ["rich"], "x": 1})).await;
        let mut fields = many.error_fields();
        fields.sort();
        assert_eq!(fields, ["groups", "id_number", "name", "phone", "region_code", "x"]);
    }

    async fn id_numbers_and_phones_are_not_readable_in_the_database(app: TestApp) {
        let body = person_body(124);
        app.create_person(body.clone()).await;
        let id = body["id_number"].as_str().unwrap();
        let rows: Vec<(String, String, String, String, String)> =
            sqlx::query_as("SELECT id_hash, id_cipher, id_masked, phone_cipher, doc FROM persons")
                .fetch_all(&app.state.db.pool).await.unwrap();
        let (hash, cipher, masked, phone_cipher, doc) = &rows[0];
        for stored in [hash, cipher, masked, phone_cipher, doc] {
            assert!(!stored.contains(&id[6..14]), "birth digits of the ID number stored readable: {stored}");
            assert!(!stored.contains("13905738765") && !stored.contains("05738765"), "phone stored readable");
        }
        assert_eq!(masked, &format!("{}{}{}", &id[..1], "*".repeat(16), &id[17..]));
        let history: Vec<String> = sqlx::query_scalar("SELECT changes FROM person_history").fetch_all(&app.state.db.pool).await.unwrap();
        assert!(!history[0].contains("13905738765") && history[0].contains("139****8765"));
    }

    async fn full_values_only_for_admin_and_staff_of_the_region_and_every_such_read_is_audited(app: TestApp) {
        let pid = app.create_person(person_body(124)).await;
        let (_, nanhu) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let (_, haining) = app.org_with_key("海宁社区", "community", "330481", "staff").await;
        let (_, publisher) = app.publisher("某零工市场").await;
        let (_, agency) = app.org_with_key("嘉禾人力", "hr_agency", "330400", "agency").await;
        let audits_before = app.count("audit_log").await;
        let full = app.get(&format!("/v1/persons/{pid}"), &nanhu).await;
        assert_eq!(full.status, StatusCode::OK);
        assert_eq!(full.body["id_number"], person_body(124)["id_number"]);
        assert_eq!(full.body["phone"], "13905738765");
        for key in [&haining, &publisher, &agency] {
            let res = app.get(&format!("/v1/persons/{pid}"), key).await;
            assert_eq!(res.status, StatusCode::NOT_FOUND);
            assert!(!res.body.to_string().contains("张桂芳"));
        }
        assert_eq!(app.count("audit_log").await, audits_before + 1);
        // Lists are masked.
        let list = app.get("/v1/persons", &nanhu).await;
        let item = &list.body["items"][0];
        assert_eq!(item["phone"], "139****8765");
        assert!(item["id_number"].as_str().unwrap().contains("****************"));
        assert_eq!(app.count("audit_log").await, audits_before + 1, "masked lists are not audited");
        assert_eq!(app.get("/v1/persons", &haining).await.body["items"].as_array().unwrap().len(), 0);
        assert_eq!(app.get("/v1/persons", &publisher).await.status, StatusCode::FORBIDDEN);
        // The audit log says who read what, and only admin reads it.
        let audit = app.get(&format!("/v1/audit?person_id={pid}"), &app.admin).await;
        let reads: Vec<&Value> = audit.body["items"].as_array().unwrap().iter().filter(|e| e["action"] == "read").collect();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0]["role"], "staff");
        assert_eq!(app.get("/v1/audit", &nanhu).await.status, StatusCode::FORBIDDEN);
    }

    async fn every_change_is_kept_with_who_made_it(app: TestApp) {
        let pid = app.create_person(person_body(124)).await;
        let (org, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let res = app.patch(&format!("/v1/persons/{pid}"), &staff, json!({"phone": "13600001111", "skills": ["保洁"], "willingness": "later", "willingness_reason": "照顾家人"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!((res.body["phone"].as_str(), res.body["willingness"].as_str()), (Some("13600001111"), Some("later")));
        let h = app.get(&format!("/v1/persons/{pid}/history"), &staff).await;
        let items = h.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1]["version"], 2);
        assert_eq!(items[1]["actor_org_id"], org.as_str());
        let changes = &items[1]["changes"];
        assert_eq!(changes["phone"]["from"], "139****8765");
        assert_eq!(changes["phone"]["to"], "136****1111");
        assert_eq!(changes["willingness"]["to"], "later");
        assert!(changes.get("name").is_none(), "only what changed");
        // An empty change writes nothing.
        app.patch(&format!("/v1/persons/{pid}"), &staff, json!({"skills": ["保洁"]})).await;
        assert_eq!(app.get(&format!("/v1/persons/{pid}/history"), &staff).await.body["items"].as_array().unwrap().len(), 2);
        let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM events WHERE entity_id = $1 ORDER BY id").bind(&pid).fetch_all(&app.state.db.pool).await.unwrap();
        assert_eq!(kinds, ["person.created", "person.updated"]);
    }

    async fn a_patch_cannot_change_the_id_number_certification_or_leave_the_staff_region(app: TestApp) {
        let pid = app.create_person(person_body(124)).await;
        let (_, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let res = app.patch(&format!("/v1/persons/{pid}"), &staff, json!({"id_number": id_number("330402", "19700101", 111), "groups": ["hardship_certified"]})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut fields = res.error_fields();
        fields.sort();
        assert_eq!(fields, ["groups", "id_number"]);
        let away = app.patch(&format!("/v1/persons/{pid}"), &staff, json!({"region_code": "330411002"})).await;
        assert_eq!(away.status, StatusCode::FORBIDDEN);
        let bad = app.patch(&format!("/v1/persons/{pid}"), &staff, json!({"phone": "123"})).await;
        assert_eq!(bad.error_fields(), ["phone"]);
        assert_eq!(app.count("person_history").await, 1, "nothing changed");
    }

    async fn people_are_found_by_region_group_status_name_and_id_number(app: TestApp) {
        let a = app.create_person(person_body(124)).await;
        let b = app.create_person(json!({"id_number": id_number("330411", "19700101", 311), "name": "李建国", "phone": "13600000001",
            "region_code": "330411002", "groups": ["disabled"], "employment_status": "flexible"})).await;
        let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(&app.get("/v1/persons?region=330411", &app.admin).await.body), [b.as_str()]);
        assert_eq!(ids(&app.get("/v1/persons?group=low_income_family", &app.admin).await.body), [a.as_str()]);
        assert_eq!(ids(&app.get("/v1/persons?employment_status=flexible", &app.admin).await.body), [b.as_str()]);
        assert_eq!(ids(&app.get("/v1/persons?name=%E5%BB%BA%E5%9B%BD", &app.admin).await.body), [b.as_str()]); // 建国
        let by_id = app.get(&format!("/v1/persons?id_number={}", id_number("330402", "19680512", 124)), &app.admin).await;
        assert_eq!(ids(&by_id.body), [a.as_str()]);
        let page = app.get("/v1/persons?limit=1", &app.admin).await;
        let next = page.body["next_cursor"].as_str().unwrap();
        let rest = app.get(&format!("/v1/persons?limit=1&cursor={next}"), &app.admin).await;
        assert_eq!([ids(&page.body), ids(&rest.body)].concat(), [b, a]);
        let bad = app.get("/v1/persons?group=rich&id_number=123", &app.admin).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.error_fields().len(), 2);
    }

    async fn certification_moves_through_its_workflow(app: TestApp) {
        let pid = app.create_person(person_body(124)).await;
        let (_, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let path = format!("/v1/persons/{pid}/certification");
        let step = |body: Value| app.post(&path, &staff, body);
        // Grounds are checked against the record: she is in a low-income family, not disabled.
        let bad = step(json!({"action": "apply", "grounds": ["disabled", "astrology"]})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.error_fields(), ["grounds[0]", "grounds[1]"]);
        assert_eq!(step(json!({"action": "certify"})).await.status, StatusCode::CONFLICT, "not applied yet");
        let applied = step(json!({"action": "apply", "grounds": ["low_income_family", "older"]})).await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        assert_eq!(applied.body["certification"]["status"], "applied");
        assert_eq!(step(json!({"action": "reject"})).await.error_fields(), ["note"]);
        // Two people: whoever applied cannot certify (and nothing changes).
        let own = step(json!({"action": "certify"})).await;
        assert_eq!((own.status, own.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("self_approval")), "{}", own.body);
        assert_eq!(app.get(&path, &staff).await.body["status"], "applied");
        let (_, colleague) = app.org_with_key("南湖区就业管理处", "bureau", "330402", "staff").await;
        let certified = app.post(&path, &colleague, json!({"action": "certify"})).await;
        assert_eq!(certified.body["certification"]["status"], "certified", "{}", certified.body);
        assert!(certified.body["groups"].as_array().unwrap().contains(&json!("hardship_certified")));
        let until = certified.body["certification"]["valid_until"].as_str().unwrap().to_string();
        assert_eq!(&until[..4], &(chrono::Utc::now().format("%Y").to_string().parse::<i32>().unwrap() + 2).to_string());
        assert_eq!(step(json!({"action": "apply", "grounds": ["older"]})).await.status, StatusCode::CONFLICT);
        let revoked = step(json!({"action": "revoke", "note": "已就业"})).await;
        assert_eq!(revoked.body["certification"]["status"], "revoked");
        assert!(!revoked.body["groups"].as_array().unwrap().contains(&json!("hardship_certified")));
        let view = app.get(&format!("/v1/persons/{pid}/certification"), &staff).await;
        let steps: Vec<&str> = view.body["events"].as_array().unwrap().iter().map(|e| e["to_status"].as_str().unwrap()).collect();
        assert_eq!(steps, ["applied", "certified", "revoked"]);
        assert_eq!(view.body["events"][1]["grounds"], json!(["low_income_family", "older"]));
        assert!(view.body["events"][2]["actor_key_id"].is_string());
    }

    async fn a_young_man_does_not_qualify_as_older_and_the_employed_cannot_apply(app: TestApp) {
        let young = app.create_person(json!({"id_number": id_number("330402", "19800101", 111), "name": "王强", "phone": "13600000002", "region_code": "330402008"})).await;
        let res = app.post(&format!("/v1/persons/{young}/certification"), &app.admin, json!({"action": "apply", "grounds": ["older"]})).await;
        assert_eq!(res.error_fields(), ["grounds[0]"]);
        let working = app.create_person(with(person_body(124), |b| b["employment_status"] = json!("employed"))).await;
        let res = app.post(&format!("/v1/persons/{working}/certification"), &app.admin, json!({"action": "apply", "grounds": ["low_income_family"]})).await;
        assert_eq!(res.error_fields(), ["employment_status"]);
    }

    async fn certifications_made_elsewhere_are_recorded_and_lapse_by_themselves(app: TestApp) {
        let pid = app.create_person(with(person_body(124), |b| b["groups"] = json!(["hardship_certified", "low_income_family"]))).await;
        let p = app.get(&format!("/v1/persons/{pid}"), &app.admin).await;
        assert_eq!(p.body["certification"]["status"], "certified");
        // Within the warning period it is listed as expiring.
        let soon = (chrono::Utc::now() + chrono::Duration::days(10)).format("%Y-%m-%d").to_string();
        sqlx::query("UPDATE persons SET certified_until = $1").bind(&soon).execute(&app.state.db.pool).await.unwrap();
        let expiring = app.get("/v1/certifications/expiring", &app.admin).await;
        assert_eq!(expiring.body["items"][0]["id"], pid.as_str());
        assert_eq!(app.get("/v1/certifications/expiring?within_days=5", &app.admin).await.body["items"].as_array().unwrap().len(), 0);
        // Time passes: the day after the end, it has expired.
        sqlx::query("UPDATE persons SET certified_until = '2020-01-01'").execute(&app.state.db.pool).await.unwrap();
        assert_eq!(app.get(&format!("/v1/persons/{pid}"), &app.admin).await.body["certification"]["status"], "expired");
        let mut status = String::new();
        for _ in 0..50 {
            status = sqlx::query_scalar("SELECT certification_status FROM persons").fetch_one(&app.state.db.pool).await.unwrap();
            if status == "expired" { break; }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, "expired", "the sweeper wrote it");
        let p = app.get(&format!("/v1/persons/{pid}"), &app.admin).await;
        assert_eq!(p.body["groups"], json!(["low_income_family"]));
        let steps = app.get(&format!("/v1/persons/{pid}/certification"), &app.admin).await;
        let last = steps.body["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["to_status"].as_str(), last["effective_on"].as_str()), (Some("expired"), Some("2020-01-02")));
        // A lapsed certification is decided afresh, by two people.
        let path = format!("/v1/persons/{pid}/certification");
        let renewed = app.post(&path, &app.admin, json!({"action": "renew", "grounds": ["low_income_family"]})).await;
        assert_eq!((renewed.status, renewed.body["code"].as_str()), (StatusCode::CONFLICT, Some("expired_reapply")), "{}", renewed.body);
        let applied = app.post(&path, &app.admin, json!({"action": "apply", "grounds": ["low_income_family"]})).await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        let certified = app.post(&path, &app.reviewer, json!({"action": "certify"})).await;
        assert_eq!(certified.body["certification"]["status"], "certified", "{}", certified.body);
        // Renewing it then is for another person than the applicant too.
        let own = app.post(&path, &app.admin, json!({"action": "renew"})).await;
        assert_eq!((own.status, own.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("self_approval")));
        let renewed = app.post(&path, &app.reviewer, json!({"action": "renew"})).await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    }

    async fn each_person_has_one_plan_and_overdue_follow_ups_are_listed_by_region(app: TestApp) {
        let a = app.create_person(person_body(124)).await;
        let b = app.create_person(json!({"id_number": id_number("330411", "19700101", 311), "name": "李建国", "phone": "13600000001", "region_code": "330411002"})).await;
        let (_, nanhu) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let empty = app.get(&format!("/v1/persons/{a}/plan"), &nanhu).await;
        assert!(empty.body["guidance"].is_null() && empty.body["updated_at"].is_null());
        let plan = json!({"guidance": "先参加家政培训", "training_goal": "育婴员", "next_follow_up_on": "2026-01-05", "owner": "沈老师"});
        let put = app.send("PUT", &format!("/v1/persons/{a}/plan"), Some(&nanhu), Some(plan.clone())).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        assert_eq!(app.get(&format!("/v1/persons/{a}/plan"), &nanhu).await.body["training_goal"], "育婴员");
        app.send("PUT", &format!("/v1/persons/{b}/plan"), Some(&app.admin), Some(json!({"next_follow_up_on": "2026-02-01"}))).await;
        let bad = app.send("PUT", &format!("/v1/persons/{a}/plan"), Some(&nanhu), Some(json!({"next_follow_up_on": "2026-02-30", "mood": "ok"}))).await;
        assert_eq!(bad.error_fields().len(), 2);
        let all = app.get("/v1/plans/overdue", &app.admin).await;
        let order: Vec<&str> = all.body["items"].as_array().unwrap().iter().map(|i| i["person_id"].as_str().unwrap()).collect();
        assert_eq!(order, [a.as_str(), b.as_str()], "most overdue first");
        let mine = app.get("/v1/plans/overdue", &nanhu).await;
        assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
        assert!(mine.body["items"][0]["days_overdue"].as_i64().unwrap() > 300);
        assert_eq!(app.get(&format!("/v1/persons/{b}/plan"), &nanhu).await.status, StatusCode::NOT_FOUND);
        let h = app.get(&format!("/v1/persons/{a}/history"), &nanhu).await;
        assert_eq!(h.body["items"][1]["changes"]["plan.training_goal"]["to"], "育婴员");
    }
}
