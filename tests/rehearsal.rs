//! A year of records on the rehearsal clock (issue 30), on both backends:
//! nothing is dated by writing the store. The service starts with
//! `JOBMATCH_SETTABLE_CLOCK=true`; the test moves the clock forward as a
//! bureau lives the year — a public-welfare 公示 waited out on the bureau's
//! calendar and the person registered, then twelve months of evidence
//! imported when each month has passed, each month's payment list proposed
//! by the unit and approved by a second person, a living allowance with its
//! taper after a placement, and the 报送 reminder and deadline — and every
//! row is computed here by hand.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::subsidies::{rows_of, yuan};

const STREET: &str = "330402008";
const UNIT: &str = "330402";

impl TestApp {
    /// Move the rehearsal clock to 09:00 (Beijing time) on `day`.
    async fn clock_to(&self, day: NaiveDate) {
        let r = self
            .send("PUT", "/v1/ops/clock", Some(&self.admin), Some(json!({"now": format!("{day}T09:00:00+08:00")})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(self.state.today(), day);
    }
}

fn first_of_next(month: NaiveDate) -> NaiveDate {
    jobmatch_core::time::add_months(month, 1)
}

fn month_text(m: NaiveDate) -> String {
    m.format("%Y-%m").to_string()
}

async fn a_year_on_the_rehearsal_clock(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.settable_clock = true).await else { return };
    let start = app.state.today();
    // The first month of the year of lists: this one; the last, eleven later.
    let first = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap();

    // The people: a flexible worker and an employee (both certified), a
    // public-welfare candidate (certified), a low-income family's member.
    let flexible = app.seeker("林晓燕", "19800501", 2, true).await;
    let flexible_id = id_number("330402", "19800501", 2);
    let employee = app.seeker("赵志强", "19800502", 3, true).await;
    let employee_id = id_number("330402", "19800502", 3);
    let welfare = app.seeker("周建明", "19800503", 5, true).await;
    let welfare_id = id_number("330402", "19800503", 5);
    let allowance = app
        .create_person(json!({
            "id_number": id_number("330402", "19780606", 8), "name": "郑丽华", "phone": "13705730008",
            "region_code": STREET, "groups": ["low_income_family"], "skills": ["保洁"],
            "employment_status": "unemployed", "consent": {"push": false, "share_with_agencies": false}
        }))
        .await;

    // Public-welfare recruitment: the 公示 from today, its five working days
    // on the bureau's calendar, waited out on the clock; then 就业登记.
    app.calendar_reaching(40).await;
    let position = app.position(&app.admin, 1).await;
    let (announcement, _) = app.announce(&app.admin, &position, 1, None).await;
    let application = app.apply(&app.admin, &announcement, &welfare).await;
    app.ok(&format!("/v1/welfare/applications/{application}/select"), &app.admin, json!({}), StatusCode::OK).await;
    let publicity = app
        .ok(
            &format!("/v1/welfare/announcements/{announcement}/publicity"),
            &app.admin,
            json!({"starts_on": start.to_string(), "how_to_object": "请致电南湖区人社局 0573-82012345"}),
            StatusCode::CREATED,
        )
        .await;
    let pid = publicity["id"].as_str().unwrap().to_string();
    let ends = NaiveDate::parse_from_str(publicity["ends_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let register = format!("/v1/welfare/publicities/{pid}/register");
    let early = app.post(&register, &app.admin, json!({})).await;
    assert_eq!((early.status, early.body["code"].as_str()), (StatusCode::CONFLICT, Some("period_not_over")));
    app.clock_to(ends.succ_opt().unwrap()).await;
    let done = app.ok(&register, &app.admin, json!({}), StatusCode::OK).await;
    let placed = &done["registered"][0];
    assert_eq!(placed["person_id"], welfare.as_str());
    let started = NaiveDate::parse_from_str(placed["started_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert!(started > ends, "the post begins after the 公示");

    // The unit's two people: one proposes, a second approves.
    let (unit_org, unit_staff) = app.org_with_key("南湖区人社局", "bureau", UNIT, "staff").await;
    let checker = app.post(&format!("/v1/orgs/{unit_org}/keys"), &app.reviewer, json!({"role": "staff"})).await;
    assert_eq!(checker.status, StatusCode::CREATED, "{}", checker.body);
    let checker = checker.body["key"].as_str().unwrap().to_string();

    // Month by month, in fen, computed by hand: flexible work 1,100 yuan paid
    // → 2/3 = 733.33; the employer's 2,350.00; the post 2,000 + the unit's
    // 500 of insurance; the allowance 1,131.00 from the second month for
    // four months, its person placed in the third: 1,131.00, 1,131.00, then
    // half — 565.50 — for the two months left.
    // (rule, person, fen, the embedded policy's rule version)
    let mut expected: BTreeMap<String, Vec<(&str, &str, i64, &str)>> = BTreeMap::new();
    for i in 0..12u32 {
        let m = month_text(first.checked_add_months(chrono::Months::new(i)).unwrap());
        let e = expected.entry(m).or_default();
        e.push(("flexible_si", flexible.as_str(), 73333, "flexible_si@2023-01"));
        e.push(("employer_si", employee.as_str(), 235000, "employer_si@2023-02"));
        e.push(("welfare_post", welfare.as_str(), 250000, "welfare_post@2023-01"));
        match i {
            1 | 2 => e.push(("living_allowance", allowance.as_str(), 113100, "living_allowance@2023-01")),
            3 | 4 => e.push(("living_allowance", allowance.as_str(), 56550, "living_allowance@2023-01")),
            _ => {}
        }
    }
    for (i, (month, want)) in expected.iter().enumerate() {
        let m = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
        if i == 1 {
            // The allowance, granted in its first month.
            let r = app
                .post("/v1/allowances", &app.admin, json!({"person_id": allowance, "start_month": month, "months": 4}))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            // 报送: reminded from the 20th, submitted on the 22nd, on time.
            app.clock_to(m.with_day(19).unwrap()).await;
            let board =
                app.get(&format!("/v1/reports/progress/submissions?month={month}&region={UNIT}"), &unit_staff).await;
            let ours =
                |b: &Value| b["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == UNIT).unwrap().clone();
            assert_eq!(ours(&board.body)["reminder"], false, "{}", board.body);
            app.clock_to(m.with_day(20).unwrap()).await;
            let board =
                app.get(&format!("/v1/reports/progress/submissions?month={month}&region={UNIT}"), &unit_staff).await;
            assert_eq!(
                (ours(&board.body)["reminder"].as_bool(), ours(&board.body)["state"].as_str()),
                (Some(true), Some("not_started"))
            );
            app.clock_to(m.with_day(22).unwrap()).await;
            let r = app
                .post("/v1/reports/progress/submissions", &unit_staff, json!({"unit_code": UNIT, "month": month}))
                .await;
            assert_eq!((r.status, r.body["late"].as_bool()), (StatusCode::CREATED, Some(false)), "{}", r.body);
        }
        if i == 2 {
            // The allowance's person finds flexible work on the 10th; the
            // month's 报送 is missed: late after the 25th.
            let day = m.with_day(10).unwrap();
            app.clock_to(day).await;
            let r = app
                .post(
                    "/v1/placements",
                    &app.admin,
                    json!({"person_id": allowance, "channel": "flexible", "started_on": day.to_string()}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            app.clock_to(m.with_day(26).unwrap()).await;
            let board =
                app.get(&format!("/v1/reports/progress/submissions?month={month}&region={UNIT}"), &unit_staff).await;
            let ours = board.body["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == UNIT).unwrap().clone();
            assert_eq!(ours["state"], "late", "{}", board.body);
        }
        // The month is over: its evidence comes in, then its list.
        let next = first_of_next(m);
        app.clock_to(next).await;
        let mut csv =
            String::from("身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n");
        csv.push_str(&format!("{flexible_id},{month},灵活就业,,,,800,300,0\n"));
        csv.push_str(&format!(
            "{employee_id},{month},单位职工,91330402MA2B00001X,嘉兴禾丰食品有限公司,企业,1600,700,50\n"
        ));
        csv.push_str(&format!(
            "{welfare_id},{month},单位职工,11330402MB1234567Y,南湖区解放街道办事处,公益性岗位,400,100,0\n"
        ));
        let r =
            app.post_bytes("/v1/evidence/import?kind=social_insurance", &app.admin, "text/csv", csv.into_bytes()).await;
        assert_eq!((r.status, r.body["stored"].as_i64()), (StatusCode::OK, Some(3)), "{month}: {}", r.body);
        // Next month's evidence cannot come in yet: it has not happened.
        let early = format!(
            "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n{flexible_id},{},灵活就业,,,,800,300,0\n",
            month_text(first_of_next(next))
        );
        let r = app
            .post_bytes("/v1/evidence/import?kind=social_insurance", &app.admin, "text/csv", early.into_bytes())
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{month}: {}", r.body);

        let list = app.post("/v1/payment-lists", &unit_staff, json!({"unit_code": UNIT, "month": month})).await;
        assert_eq!(list.status, StatusCode::CREATED, "{month}: {}", list.body);
        let mut want: Vec<(String, String, String, String)> = want
            .iter()
            .map(|(rule, who, fen, version)| (rule.to_string(), who.to_string(), yuan(*fen), version.to_string()))
            .collect();
        want.sort();
        assert_eq!(rows_of(&list.body), want, "{month}");
        let total: i64 = expected[month].iter().map(|w| w.2).sum();
        assert_eq!(list.body["total"], yuan(total), "{month}");
        let id = list.body["id"].as_str().unwrap().to_string();
        let own = app.post(&format!("/v1/payment-lists/{id}/approve"), &unit_staff, json!({})).await;
        assert_eq!(own.body["code"], "self_approval", "{month}");
        let approved = app.post(&format!("/v1/payment-lists/{id}/approve"), &checker, json!({})).await;
        assert_eq!((approved.status, approved.body["state"].as_str()), (StatusCode::OK, Some("approved")), "{month}");
        // Approved on the rehearsal's day.
        let at = approved.body["approved_at"].as_str().unwrap();
        assert_eq!(jobmatch_core::time::local_day(at), Some(next), "{month}: {at}");
    }
    // Rehearsal lists are marked as such in the store.
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_lists WHERE drill = 0")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_on_the_rehearsal_clock_on_sqlite() {
    a_year_on_the_rehearsal_clock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_on_the_rehearsal_clock_on_postgres() {
    a_year_on_the_rehearsal_clock(Backend::Postgres).await;
}
