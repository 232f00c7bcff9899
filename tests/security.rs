//! Regression tests for the security review (issue 11): each test names the
//! finding it guards and fails when that fix is removed.

use std::io::{Read, Write};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::push::{agency_with_webhook, follow_one_person, quick, SECRET};
use crate::receiver::{Mode, Receiver};

fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = "身份证号,姓名,手机号,区划代码,人员类别\n".to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

/// Every string anywhere in a JSON value.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                strings(x, out);
            }
        }
        _ => {}
    }
}

/// How many valid ID numbers agree with what an answer shows: the masked
/// number (its visible characters), an age and a sex. A mask that can be
/// undone by the other fields leaves one.
fn candidates_consistent_with(masked: &str, age: i64, sex: &str, today: chrono::NaiveDate) -> usize {
    let shown: Vec<char> = masked.chars().collect();
    assert_eq!(shown.len(), 18, "{masked}");
    let known = |i: usize| (shown[i] != '*').then_some(shown[i]);
    let mut count = 0;
    // The region of issue: the person's home county is known to the reader.
    for region in ["330402", "330411", "330421", "330424", "330481", "330482", "330483"] {
        if region.chars().enumerate().any(|(i, c)| known(i).is_some_and(|k| k != c)) {
            continue;
        }
        let mut day = today - chrono::Duration::days(366 * (age + 1));
        while day <= today {
            if jobmatch_core::idcard::age_on(day, today) == age {
                let birth = day.format("%Y%m%d").to_string();
                for seq in 0..1000u32 {
                    let male = (seq % 10) % 2 == 1;
                    if male != (sex == "male") {
                        continue;
                    }
                    let body = format!("{region}{birth}{seq:03}");
                    let full = format!("{body}{}", jobmatch_core::idcard::check_char(&body).unwrap());
                    if full.chars().enumerate().all(|(i, c)| known(i).is_none_or(|k| k == c)) {
                        count += 1;
                        if count > 10_000 {
                            return count;
                        }
                    }
                }
            }
            day += chrono::Duration::days(1);
        }
    }
    count
}

both_backends! {
    // Finding 1: the department import takes over no one outside the
    // importer's region and tells nothing about them.
    async fn an_import_cannot_touch_or_probe_people_of_another_county(app: TestApp) {
        let nanhu_person = app.create_person(person_body(124)).await;
        let their_id = person_body(124)["id_number"].as_str().unwrap().to_string();
        let (_, xiuzhou) = app.org_with_key("秀洲区人社局", "bureau", "330411", "staff").await;
        let unknown = id_number("330411", "19700101", 311);
        let files = [
            vec![
                // Another county's person, moved to the importer's own street.
                format!("{their_id},改名,13600000009,330411002,残疾人"),
                // A number registered nowhere, without a region.
                format!("{unknown},新人,13600000008,,"),
            ],
            // Another county's person without a region.
            vec![format!("{their_id},改名,13600000009,,")],
        ];
        let mut messages = Vec::new();
        for dry in ["&dry_run=true", ""] {
            for rows in &files {
                let path = format!("/v1/persons/import?source=civil_affairs{dry}");
                let res = app.post_bytes(&path, &xiuzhou, "text/csv", csv(rows)).await;
                assert_eq!(res.status, StatusCode::OK, "{}", res.body);
                let invalid = res.body["invalid"].as_array().unwrap();
                assert_eq!(invalid.len(), rows.len(), "{}", res.body);
                assert!(invalid.iter().all(|i| i["code"] == "out_of_scope"), "{}", res.body);
                messages.extend(invalid.iter().map(|i| i["message"].clone()));
                let text = res.body.to_string();
                assert!(!text.contains("张桂芳") && !text.contains("330402") && !text.contains("****"), "{text}");
                assert_eq!((res.body["updated"].as_u64(), res.body["created"].as_u64()), (Some(0), Some(0)));
            }
        }
        // Registered elsewhere or nowhere: the same words, so nothing is told.
        messages.dedup();
        assert_eq!(messages.len(), 1, "{messages:?}");
        let person = app.get(&format!("/v1/persons/{nanhu_person}"), &app.admin).await.body;
        assert_eq!(person["name"], "张桂芳");
        assert_eq!(person["region_code"], "330402008");
        assert_eq!(person["phone"], "13905738765");
        assert_eq!(person["groups"], json!(["low_income_family"]));
        assert_eq!(app.get(&format!("/v1/persons/{nanhu_person}"), &xiuzhou).await.status, StatusCode::NOT_FOUND);
        // A second registration by staff elsewhere: 409 without the id.
        let dup = app.post("/v1/persons", &xiuzhou, with(person_body(124), |b| b["region_code"] = json!("330411002"))).await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        assert!(dup.body.get("existing_id").is_none(), "{}", dup.body);
        let dup = app.post("/v1/persons", &app.admin, person_body(124)).await;
        assert_eq!(dup.body["existing_id"], nanhu_person.as_str(), "the admin is told which record");
    }

    // Findings 2 and 3: what publishers see of candidates, and no answer to
    // anyone but admin and staff of the region rebuilds an ID number.
    async fn publishers_see_only_consenting_candidates_and_no_answer_rebuilds_an_id_number(app: TestApp) {
        let (_, market) = app.publisher("南湖零工市场").await;
        let job = app.create_job(&market, with(job_body(), |b| b["disability_friendly"] = json!(true))).await;
        let silent = app.create_person(with(person_body(124), |b| {
            b["groups"] = json!(["disabled", "low_income_family"]);
            b["address"] = json!("解放路 1 号");
            b["service_needs"] = json!(["allowance"]);
        })).await;
        let willing = app.create_person(with(person_body(126), |b| {
            b["groups"] = json!(["disabled", "zero_employment_family"]);
            b["address"] = json!("解放路 2 号");
            b["consent"]["recommend_to_employers"] = json!(true);
        })).await;
        app.wait_indexed().await;
        let admin_view = app.get(&format!("/v1/jobs/{job}/candidates"), &app.admin).await;
        assert_eq!(admin_view.body["items"].as_array().unwrap().len(), 2, "{}", admin_view.body);
        assert!(admin_view.body.to_string().contains("适合残障人士"));

        let seen = app.get(&format!("/v1/jobs/{job}/candidates"), &market).await;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        let items = seen.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "only who consented: {}", seen.body);
        let person = &items[0]["person"];
        assert_eq!(person["id"], willing.as_str());
        let mut keys: Vec<&str> = person.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["age_band", "certificates", "id", "name", "skills"]);
        assert_eq!(person["name"], "张*芳");
        assert_eq!(person["age_band"], "55-59");
        let text = seen.body.to_string();
        for secret in ["disabled", "zero_employment", "残障", "残疾", "解放路", "allowance", silent.as_str()] {
            assert!(!text.contains(secret), "{secret} shown to a publisher: {text}");
        }

        // Every answer that shows someone masked: agency, publisher, lists.
        let g = app.two_agencies().await;
        app.assign(&g.agreement_a, &willing).await;
        let (_, nanhu) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let mut answers = Vec::new();
        for (path, key) in [
            (format!("/v1/persons/{willing}"), &g.a),
            ("/v1/agency/people".to_string(), &g.a),
            (format!("/v1/jobs/{job}/candidates"), &g.a),
            (format!("/v1/jobs/{job}/candidates"), &market),
            (format!("/v1/jobs/{job}/candidates"), &nanhu),
            ("/v1/persons?limit=50".to_string(), &nanhu),
        ] {
            let r = app.get(&path, key).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            answers.push((path, r.body));
        }
        let full = app.get(&format!("/v1/persons/{willing}"), &app.admin).await.body;
        let number = full["id_number"].as_str().unwrap().to_string();
        let birth_digits = &number[6..14];
        let today = jobmatch_core::time::system_today();
        for (path, body) in &answers {
            let mut all = Vec::new();
            strings(body, &mut all);
            for s in &all {
                assert!(!s.contains(birth_digits) && !s.contains(full["birth_date"].as_str().unwrap()), "{path}: {s}");
            }
            assert!(!body.to_string().contains("birth_date"), "{path}: no birth date outside full views");
            let mut shown = Vec::new();
            find_people(body, &mut shown);
            for p in shown.iter().filter(|p| p["id"] == willing.as_str()) {
                if let Some(masked) = p["id_number"].as_str() {
                    let age = p["age"].as_i64().unwrap();
                    let n = candidates_consistent_with(masked, age, p["sex"].as_str().unwrap(), today);
                    assert!(n > 1000, "{path}: only {n} numbers fit {masked}, age {age}");
                }
            }
        }
    }

    // Finding 4: a sheet spanning A1:XFD1048576, or a zip bomb, is 422 and
    // the process lives on.
    async fn a_hostile_workbook_is_refused_without_harm(app: TestApp) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "身份证号").unwrap();
        sheet.write_string(0, 1, "姓名").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let far = book.save_to_buffer().unwrap();
        assert!(far.len() < 20_000, "a small file: {}", far.len());
        for dry in ["&dry_run=true", ""] {
            let path = format!("/v1/persons/import?source=civil_affairs{dry}");
            let r = app.post_bytes(&path, &app.admin, "application/octet-stream", far.clone()).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.is_problem());
            assert_eq!(r.body["errors"][0]["code"], "sheet_too_large", "{}", r.body);
            assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("256"), "the limit is named");
        }
        // 210 MB of zeros packed into a few hundred KB.
        let mut bomb = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut bomb);
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("xl/sharedStrings.xml", opts).unwrap();
            let block = vec![b'0'; 1 << 20];
            for _ in 0..210 {
                zip.write_all(&block).unwrap();
            }
            zip.finish().unwrap();
        }
        let bomb = bomb.into_inner();
        assert!(bomb.len() < 2 << 20, "{}", bomb.len());
        let r = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "application/octet-stream", bomb).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "xlsx_too_large");
        assert_eq!(app.count("persons").await, 0);
        assert_eq!(app.get("/readyz", &app.admin).await.status, StatusCode::OK, "still serving");
    }

    // Finding 7: an agency corrects only placements its own organisation
    // recorded; start dates must be plausible.
    async fn an_agency_cannot_supersede_a_placement_it_did_not_record(app: TestApp) {
        let g = app.two_agencies().await;
        let person = app.create_person(person_body(211)).await;
        app.assign(&g.agreement_a, &person).await;
        let staff = app.post("/v1/placements", &app.admin, json!({"person_id": person, "channel": "employer",
            "started_on": "2026-03-01", "employer_name": "某公司"})).await;
        assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.body);
        let staffs = staff.body["id"].as_str().unwrap();
        let before = app.count("placements").await;
        let r = app.post("/v1/placements", &g.a, json!({"person_id": person, "channel": "project",
            "started_on": "2026-03-01", "supersedes": staffs, "social_insurance_months": 6})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["supersedes"]);
        let far = (jobmatch_core::time::system_today() + chrono::Duration::days(40)).to_string();
        let r = app.post("/v1/placements", &g.a, json!({"person_id": person, "channel": "project", "started_on": far})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["started_on"]);
        // Born 1968-05-12: 16 on 1984-05-12.
        let r = app.post("/v1/placements", &g.a, json!({"person_id": person, "channel": "project", "started_on": "1984-05-11"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "before_working_age");
        assert_eq!(app.count("placements").await, before, "nothing stored");
        // Its own placement it may correct; a date soon ahead is fine.
        let soon = (jobmatch_core::time::system_today() + chrono::Duration::days(10)).to_string();
        let own = app.post("/v1/placements", &g.a, json!({"person_id": person, "channel": "project", "started_on": "2026-03-02"})).await;
        assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
        let fix = app.post("/v1/placements", &g.a, json!({"person_id": person, "channel": "project", "started_on": soon,
            "supersedes": own.body["id"]})).await;
        assert_eq!(fix.status, StatusCode::CREATED, "{}", fix.body);
    }

    // Finding 8: characters that are not ASCII where digits belong are 422.
    async fn a_multibyte_character_in_an_id_number_is_refused_not_a_crash(app: TestApp) {
        let bad = "3304021968051212中4";
        let r = app.post("/v1/persons", &app.admin, with(person_body(124), |b| b["id_number"] = json!(bad))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["id_number"]);
        let r = app.get(&format!("/v1/persons?id_number={}", "3304021968051212%E4%B8%AD4"), &app.admin).await;
        assert!(r.status.is_client_error() && r.is_problem(), "{} {}", r.status, r.body);
        let good = id_number("330402", "19700101", 311);
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv",
            csv(&[format!("{bad},坏,,330402008,"), format!("{good},好,,330402008,")])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body["created"], 1);
        assert_eq!(res.body["invalid"][0]["row"], 2);
    }

    // Finding 11: NUL in a query or path.
    async fn nul_characters_are_refused_before_any_query(app: TestApp) {
        for path in ["/v1/jobs?q=%E4%BF%9D%00%E6%B4%81", "/v1/persons?name=a%00b", "/v1/referrals?person_id=per%00"] {
            let r = app.get(path, &app.admin).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.body);
            assert!(r.is_problem());
            assert_eq!(r.body["errors"][0]["code"], "control_chars", "{path}");
        }
        for path in ["/v1/persons/per%00x", "/v1/jobs/job%00", "/v1/persons/per%00/matches"] {
            let r = app.get(path, &app.admin).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
        }
        let r = app.post("/v1/referrals", &app.admin, json!({"job_id": "job\u{0}", "person_id": "per\u{0}"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }

    // Finding 12: keys are managed by their own organisation or the bureau.
    async fn staff_never_manage_another_organisations_keys(app: TestApp) {
        let (a_org, a) = app.org_with_key("建设街道社区甲", "community", "330402", "staff").await;
        let (b_org, b) = app.org_with_key("建设街道社区乙", "community", "330402007", "staff").await;
        let listed = app.get(&format!("/v1/orgs/{b_org}/keys"), &a).await;
        assert_eq!(listed.status, StatusCode::NOT_FOUND, "{}", listed.body);
        let own = app.get(&format!("/v1/orgs/{b_org}/keys"), &b).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        // B's own staff key is not among what B manages (staff never hold a
        // second staff key); the bureau's admin sees it.
        assert_eq!(own.body["items"], serde_json::json!([]), "{}", own.body);
        let all = app.get(&format!("/v1/orgs/{b_org}/keys"), &app.admin).await;
        let key_id = all.body["items"][0]["id"].as_str().unwrap().to_string();
        let r = app.send("DELETE", &format!("/v1/orgs/{b_org}/keys/{key_id}"), Some(&a), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/v1/persons", &b).await.status, StatusCode::OK, "B's key still works");
        assert_eq!(app.get(&format!("/v1/orgs/{a_org}/keys"), &a).await.status, StatusCode::OK);
        assert_eq!(app.get(&format!("/v1/orgs/{b_org}/keys"), &app.admin).await.status, StatusCode::OK);
    }

    // Finding 13: invisible characters are dropped and every free text is checked.
    async fn invisible_characters_cannot_smuggle_wording_past_the_filter(app: TestApp) {
        let (_, market) = app.publisher("南湖零工市场").await;
        let before = app.job_rows().await;
        for (field, body) in [
            ("description", with(job_body(), |b| b["description"] = json!("招保洁，限\u{200b}男性"))),
            ("description", with(job_body(), |b| b["description"] = json!("招保洁，限\u{202e}男性"))),
            ("title", with(job_body(), |b| b["title"] = json!("保洁（限ｍ男性）".replace('ｍ', "\u{2060}")))),
            ("contact.name", with(job_body(), |b| b["contact"]["name"] = json!("王先生（限男性）"))),
            ("address", with(job_body(), |b| b["address"] = json!("解放路（乙肝勿扰）"))),
        ] {
            let r = app.post("/v1/jobs", &market, body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", r.body);
            assert!(r.error_fields().contains(&field.to_string()), "{field}: {}", r.body);
        }
        assert_eq!(app.job_rows().await, before, "nothing stored");
        let ok = app.create_job(&market, with(job_body(), |b| b["title"] = json!("小区\u{202e}保洁员\u{200b}"))).await;
        let job = app.get(&format!("/v1/jobs/{ok}"), &market).await;
        assert_eq!(job.body["title"], "小区保洁员", "stored as shown");
    }
}

/// Every object with an `id` that looks like a person (`per_…`).
fn find_people<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if m.get("id").and_then(Value::as_str).is_some_and(|id| id.starts_with("per")) {
                out.push(v);
            }
            m.values().for_each(|x| find_people(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| find_people(x, out)),
        _ => {}
    }
}

// Finding 5: a writer's transaction held open 30 s while later events
// commit loses nothing: matching and push both apply its events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_event_of_a_long_transaction_is_never_skipped() {
    let Some(app) = spawn_app_with(Backend::Postgres, quick).await else {
        eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
        return;
    };
    let (_, market) = app.publisher("南湖零工市场").await;
    let person = app.create_person(person_body(124)).await;
    let closing = app.create_job(&market, job_body()).await;
    let template = app.create_job(&market, with(job_body(), |b| b["title"] = json!("楼道保洁员"))).await;
    app.post(&format!("/v1/jobs/{template}/close"), &market, json!({"reason": "withdrawn"})).await;
    app.wait_indexed().await;

    // The slow writer: closes one job and opens another, then waits.
    let mut slow = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut slow).await.unwrap();
    sqlx::query("UPDATE jobs SET status = 'closed' WHERE id = $1").bind(&closing).execute(&mut slow).await.unwrap();
    let event =
        "INSERT INTO events (kind, entity_id, region_code, payload, created_at) VALUES ($1, $2, '330402007', '{}', $3)";
    let now = jobmatch_core::time::to_text(chrono::Utc::now());
    sqlx::query(event).bind("job.closed").bind(&closing).bind(&now).execute(&mut slow).await.unwrap();
    let held = "job_held_in_a_long_transaction";
    sqlx::query(
        "INSERT INTO jobs (id, publisher_org_id, status, title, source, category, employment_type, region_code,
            street_code, county_code, unit_code, headcount, valid_until, search_text, doc, created_at, updated_at)
         SELECT $1, publisher_org_id, 'open', title, source, category, employment_type, region_code, street_code,
            county_code, unit_code, headcount, valid_until, search_text, doc, created_at, updated_at
         FROM jobs WHERE id = $2",
    )
    .bind(held)
    .bind(&template)
    .execute(&mut slow)
    .await
    .unwrap();
    sqlx::query(event).bind("job.created").bind(held).bind(&now).execute(&mut slow).await.unwrap();

    // Meanwhile others commit later events, and matching keeps up with them.
    let later = app.create_job(&market, with(job_body(), |b| b["title"] = json!("电梯保洁员"))).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let matches = app.get(&format!("/v1/persons/{person}/matches"), &app.admin).await.body;
    let ids: Vec<&str> = matches["items"].as_array().unwrap().iter().filter_map(|m| m["job"]["id"].as_str()).collect();
    assert!(!ids.contains(&held), "not yet committed: not matched");
    sqlx::query("COMMIT").execute(&mut slow).await.unwrap();

    app.wait_indexed().await;
    let matches = app.get(&format!("/v1/persons/{person}/matches"), &app.admin).await.body;
    let ids: Vec<&str> = matches["items"].as_array().unwrap().iter().filter_map(|m| m["job"]["id"].as_str()).collect();
    assert!(ids.contains(&held), "the held job is matched once committed: {ids:?}");
    assert!(ids.contains(&later.as_str()), "{ids:?}");
    assert!(
        !ids.contains(&closing.as_str()),
        "the job closed in the long transaction is never matched as open: {ids:?}"
    );
    let pushed = app.notifications_until(held, |items| items.iter().any(|n| n["person_id"] == person.as_str())).await;
    assert!(pushed.iter().any(|n| n["channel"] == "inbox"), "{pushed:?}");
    app.notifications_until(&later, |items| items.iter().any(|n| n["person_id"] == person.as_str())).await;
}

// Finding 6: webhook targets are checked when registered and at every delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_never_reach_internal_addresses() {
    let hook = Receiver::start(Mode::Ok).await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        quick(s);
        s.push.webhook_allow_hosts.clear();
    })
    .await
    .unwrap();
    let (org, key) = app.org_with_key("回调人力资源公司", "hr_agency", "330400", "agency").await;
    let port = hook.url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/hook").to_string();
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::1]:22/".to_string(),
        "http://user:pw@127.0.0.1:5432/".to_string(),
        hook.url.clone(),
        format!("http://localhost:{port}/hook"),
        "http://[::ffff:127.0.0.1]/".to_string(),
        "http://10.0.0.8/hook".to_string(),
    ] {
        let r = app.post("/v1/webhooks", &key, json!({"url": url, "secret": SECRET})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.body);
        assert_eq!(r.error_fields(), ["url"], "{url}");
    }
    assert_eq!(app.count("webhooks").await, 0);

    // An endpoint that was public when registered and is internal now (a
    // name re-pointed, here written straight into the store).
    sqlx::query(
        "INSERT INTO webhooks (id, agency_org_id, url, secret_cipher, active, created_at, updated_at)
         VALUES ('whk_rebound', $1, $2, $3, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(&org)
    .bind(&hook.url)
    .bind(app.state.vault.encrypt(SECRET))
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    follow_one_person(&app, &org, 301).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("回调零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    let items = app
        .notifications_until(&job, |i| i.iter().any(|n| n["channel"] == "webhook" && n["attempts"].as_i64() >= Some(1)))
        .await;
    assert!(hook.hits().is_empty(), "nothing reached the loopback listener");
    let seen = app.get(&format!("/v1/notifications?job_id={job}"), &key).await.body;
    let error = seen["items"][0]["last_error"].as_str().unwrap_or_default().to_string();
    assert!(error.starts_with("delivery_failed"), "a coarse reason for the agency: {error} ({items:?})");
    assert!(!error.contains("connect") && !error.contains("127.0.0.1"), "{error}");
}

// Finding 14: consent withdrawn after queueing stops a webhook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_webhook_is_not_sent_after_consent_is_withdrawn() {
    let hook = Receiver::start(Mode::Status(500)).await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        quick(s);
        s.push.retry_schedule = vec![Duration::from_secs(2), Duration::from_secs(2)];
    })
    .await
    .unwrap();
    let (_, _, person) = agency_with_webhook(&app, "回调人力资源公司", &hook.url, 301).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("回调零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    app.notifications_until(&job, |i| i.iter().any(|n| n["channel"] == "webhook" && n["attempts"] == 1)).await;
    hook.set(Mode::Ok);
    let r = app
        .patch(&format!("/v1/persons/{person}"), &app.admin, json!({"consent": {"share_with_agencies": false}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items =
        app.notifications_until(&job, |i| i.iter().any(|n| n["channel"] == "webhook" && n["status"] == "dead")).await;
    let n = items.iter().find(|n| n["channel"] == "webhook").unwrap();
    assert!(n["last_error"].as_str().unwrap().starts_with("consent_withdrawn"), "{n}");
    assert_eq!(hook.hits().len(), 1, "only the attempt made before the withdrawal");
}

// Finding 9: files at rest are private; spools do not outlive a crash; the
// person index keeps no names, addresses or reasons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_at_rest_is_private_and_spools_do_not_survive() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let person = app
        .create_person(with(person_body(124), |b| {
            b["address"] = json!("解放路 1 号");
            b["willingness"] = json!("now");
        }))
        .await;
    let good = id_number("330402", "19700101", 311);
    let res = app
        .post_bytes(
            "/v1/persons/import?source=civil_affairs",
            &app.admin,
            "text/csv",
            csv(&[format!("{good},李建国,13600000001,330402008,")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    app.wait_indexed().await;
    let spool = app.data_dir.join("tmp");
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0, "the spool is removed");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&app.data_dir), 0o700);
    assert_eq!(mode(&spool), 0o700);
    assert_eq!(mode(&app.data_dir.join("data.key")), 0o600);
    let store = jobmatch_core::db::sqlite_path(&app.database_url);
    for suffix in ["", "-wal"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", store.display()));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }

    // What the index holds of a person.
    let (_, market) = app.publisher("南湖零工市场").await;
    let job = app.create_job(&market, job_body()).await;
    app.wait_indexed().await;
    let stored = jobmatch_core::records::jobs::get(&app.state, &job).await.unwrap().unwrap();
    let (facts, _) = app.matcher.job_facts(stored.job);
    let only = jobmatch_matching::engine::matcher::Only {
        home_scope: None,
        ids: None,
        push_consent: false,
        recommend_consent: false,
    };
    let found = app.matcher.candidates_for(&facts, &only, 10).unwrap();
    let indexed = found.iter().find(|m| m.facts.person.id == person).expect("indexed");
    let kept = serde_json::to_string(&indexed.facts).unwrap();
    for secret in ["张桂芳", "解放路", "13905738765", "139****8765"] {
        assert!(!kept.contains(secret), "{secret} kept in the index: {kept}");
    }

    // A spool left by a crash is swept at the next start.
    let (data_dir, url) = app.shutdown().await;
    let left = data_dir.join("tmp").join("import_crashed.upload");
    std::fs::write(&left, "身份证号,姓名\n").unwrap();
    let app = start_app(&data_dir, &url, |_| {}).await.unwrap();
    assert!(!left.exists(), "swept at start");
    drop(app);
}

// Finding 10: slow or idle connections are closed, connections are
// bounded, and failed authentication is throttled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_idle_and_guessing_clients_are_cut_off() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.auth_failures_per_minute = 5;
        s.max_connections = 3;
    })
    .await
    .unwrap();
    let addr = app.base.trim_start_matches("http://").to_string();
    // Headers that never finish, and a connection that says nothing.
    let closed_within = |mut stream: std::net::TcpStream| {
        let started = std::time::Instant::now();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    };
    let slow = std::thread::spawn({
        let addr = addr.clone();
        move || {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
            closed_within(s)
        }
    });
    let idle = std::thread::spawn({
        let addr = addr.clone();
        move || closed_within(std::net::TcpStream::connect(&addr).unwrap())
    });
    // Two connections held open, plus one served: a fourth waits.
    let third = std::net::TcpStream::connect(&addr).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let quick_client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    assert!(quick_client.get(format!("{}/healthz", app.base)).send().await.is_err(), "over the connection limit");
    drop(third);
    for (name, handle) in [("slowloris", slow), ("idle", idle)] {
        let took = tokio::task::spawn_blocking(move || handle.join().unwrap()).await.unwrap();
        assert!(took < Duration::from_secs(20), "{name} connection stayed {took:?}");
    }
    assert_eq!(quick_client.get(format!("{}/healthz", app.base)).send().await.unwrap().status(), StatusCode::OK);

    // Guessing keys: five failures, then 429 for a while.
    for i in 0..5 {
        let r = app.get("/v1/jobs", &format!("jm_guess{i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app.get("/v1/jobs", "jm_guess_more").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.is_problem() && r.body["retry_after_seconds"].as_u64().is_some());
}
