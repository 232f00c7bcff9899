//! Direct subsidies over a year (2025), on both backends: evidence imported
//! from other departments as files, each month's payment list computed by
//! the rule engine, approved and paid, and every row and total asserted
//! month by month. The year holds a certification that lapses in June, an
//! employer that is a government body (never paid), a month with
//! unemployment insurance (no employer subsidy), a person who crossed the
//! within-5-years-of-retirement line before their first approval and one
//! who crossed it after, one who reaches retirement in April, a rule change
//! in July (a test policy file), a public-welfare post, a start-up loan, a
//! temporary living allowance and an agency's placement earning its service
//! subsidy. Then paying twice, reopening an approved
//! list, another county's staff, a reversal, bad evidence files, and the
//! 报送 of the 进度表 with a resubmission.
//!
//! The people and the public-welfare registration are made through the API;
//! the dates of certifications and of the post-subsidy period are then set
//! in the store to lie in 2025 (the API dates them today).

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::receiver::{Mode, Receiver};

const STREET: &str = "330402008";
const UNIT: &str = "330402";

/// The embedded policy with the rule change of July 2025: flexible work is
/// paid back 1/2 instead of 2/3, and the post subsidy rises to 2,200 yuan.
fn policy_with_july_change() -> String {
    let embedded = include_str!("../schemas/seed/policy.toml");
    let cut = embedded.find("[[subsidy.rule]]").expect("the embedded policy has subsidy rules");
    let mut text = embedded[..cut].to_string();
    text.push_str(
        r#"
[[subsidy.rule]]
rule = "flexible_si"
from = "2023-01"
until = "2025-06"
share = [2, 3]
years = 3
near_retirement_years = 5

[[subsidy.rule]]
rule = "flexible_si"
from = "2025-07"
share = [1, 2]
years = 3
near_retirement_years = 5

[[subsidy.rule]]
rule = "employer_si"
from = "2023-02"
years = 3
near_retirement_years = 5
excluded_employer_types = ["government", "state_funded", "public_welfare"]

[[subsidy.rule]]
rule = "welfare_post"
from = "2023-01"
until = "2025-06"
monthly_amount = 2000

[[subsidy.rule]]
rule = "welfare_post"
from = "2025-07"
monthly_amount = 2200

[[subsidy.rule]]
rule = "loan_interest"
from = "2023-01"
loan_cap = 300000
groups = ["low_income_family", "disabled", "zero_employment_family"]

[[subsidy.rule]]
rule = "living_allowance"
from = "2023-01"

[[subsidy.rule]]
rule = "agency_service"
from = "2023-01"
"#,
    );
    text
}

struct People {
    /// Flexible work; certification lapses 2025-06-15.
    lapses: (String, String),
    /// Flexible work; a man who retires 2025-04-10 (within 5 years at January).
    retires: (String, String),
    /// Flexible work; first approved in January, more than 5 years from
    /// retirement (2030-07-01) then: a 3-year period, also after July.
    crosses_after: (String, String),
    /// Hired by an enterprise; certified from August, after crossing the
    /// line (retires 2030-07-02): the period runs to retirement.
    crossed_before: (String, String),
    /// Hired by a government body: never subsidised.
    government: (String, String),
    /// In a public-welfare post from March.
    welfare: (String, String),
    /// A first start-up loan from February.
    founder: (String, String),
    /// A temporary living allowance, March to May; a low-income family's
    /// member (not certified) with a first start-up loan from November.
    allowance: (String, String),
}

impl TestApp {
    /// A person of 南湖区 (id, ID number), certified elsewhere when
    /// `certified_until` is given, from `certified_from`.
    async fn subsidy_resident(
        &self,
        name: &str,
        birth: &str,
        seq: u32,
        sex_digit: bool,
        groups: &[&str],
        push: bool,
    ) -> (String, String) {
        // The 17th digit gives the sex: odd for men.
        let seq = if sex_digit { seq * 2 + 1 } else { seq * 2 };
        let number = id_number(&STREET[..6], birth, seq);
        let id = self
            .create_person(json!({
                "id_number": number, "name": name, "phone": format!("1370573{seq:04}"),
                "region_code": STREET, "groups": groups, "skills": ["保洁"],
                "employment_status": "unemployed",
                "consent": {"push": push, "share_with_agencies": false}
            }))
            .await;
        (id, number)
    }

    async fn certify_between(&self, person: &str, from: &str, until: &str) {
        let pool = &self.state.db.pool;
        // A certification made through the workflow on `from` (not carried from before).
        sqlx::query(
            "UPDATE certification_events SET grounds = '[\"older\"]', valid_from = $2, effective_on = $2, valid_until = $3
             WHERE person_id = $1",
        )
        .bind(person)
        .bind(from)
        .bind(until)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query("UPDATE persons SET certified_until = $2 WHERE id = $1")
            .bind(person)
            .bind(until)
            .execute(pool)
            .await
            .unwrap();
    }

    async fn import_evidence(&self, kind: &str, csv: &str) -> Answer {
        self.post_bytes(&format!("/v1/evidence/import?kind={kind}"), &self.admin, "text/csv", csv.as_bytes().to_vec())
            .await
    }

    async fn payment_list(&self, month: &str, key: &str) -> Answer {
        self.post("/v1/payment-lists", key, json!({"unit_code": UNIT, "month": month})).await
    }
}

/// Rows as (rule, person, amount, rule version), sorted.
pub(crate) fn rows_of(list: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<(String, String, String, String)> = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["person_id"].as_str().unwrap().to_string(),
                r["amount"].as_str().unwrap().to_string(),
                r["rule_version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn fen(yuan: &str) -> i64 {
    let (w, f) = yuan.split_once('.').unwrap();
    w.parse::<i64>().unwrap() * 100
        + if w.starts_with('-') { -f.parse::<i64>().unwrap() } else { f.parse::<i64>().unwrap() }
}

pub(crate) fn yuan(fen: i64) -> String {
    format!("{}{}.{:02}", if fen < 0 { "-" } else { "" }, fen.abs() / 100, fen.abs() % 100)
}

async fn a_year_of_subsidies(backend: Backend) {
    let dir = temp_dir();
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, policy_with_july_change()).unwrap();
    let sms = Receiver::start(Mode::Ok).await;
    let url = sms.url.clone();
    let Some(app) = spawn_app_with(backend, |s| {
        s.policy_file = Some(policy.clone());
        crate::push::quick(s);
        s.push.sms = Some(jobmatch_core::config::SmsGateway { url, key: None, template: "T1".into() });
    })
    .await
    else {
        return;
    };

    let p = People {
        lapses: app.subsidy_resident("林晓燕", "19800501", 1, false, &["hardship_certified"], true).await,
        retires: app.subsidy_resident("王建国", "19650310", 2, true, &["hardship_certified"], false).await,
        crosses_after: app.subsidy_resident("赵志强", "19690501", 3, true, &["hardship_certified"], true).await,
        crossed_before: app.subsidy_resident("钱国华", "19690502", 4, true, &["hardship_certified"], false).await,
        government: app.subsidy_resident("孙立新", "19750101", 5, true, &["hardship_certified"], true).await,
        welfare: app.subsidy_resident("周建明", "19750808", 6, true, &[], true).await,
        founder: app.subsidy_resident("吴建平", "19850303", 7, true, &["hardship_certified"], true).await,
        allowance: app.subsidy_resident("郑丽华", "19780606", 8, false, &["low_income_family"], true).await,
    };
    app.certify_between(&p.lapses.0, "2024-01-01", "2025-06-15").await;
    app.certify_between(&p.retires.0, "2024-01-01", "2026-12-31").await;
    app.certify_between(&p.crosses_after.0, "2024-01-01", "2026-12-31").await;
    app.certify_between(&p.crossed_before.0, "2025-08-01", "2027-07-31").await;
    app.certify_between(&p.government.0, "2024-01-01", "2026-12-31").await;
    app.certify_between(&p.founder.0, "2024-01-01", "2026-12-31").await;

    // The public-welfare post: through the API, then dated from March 2025.
    let position = app.position(&app.admin, 1).await;
    let (announcement, _) = app.announce(&app.admin, &position, 1, None).await;
    app.certify_welfare_applicant(&p.welfare.0).await;
    let application = app.apply(&app.admin, &announcement, &p.welfare.0).await;
    app.ok(&format!("/v1/welfare/applications/{application}/select"), &app.admin, json!({}), StatusCode::OK).await;
    let publicity =
        app.publicity_as_of(&app.admin, &announcement, "2025-02-10", "请致电南湖区人社局 0573-82012345").await;
    app.ok(
        &format!("/v1/welfare/publicities/{}/register", publicity["id"].as_str().unwrap()),
        &app.admin,
        json!({}),
        StatusCode::OK,
    )
    .await;
    sqlx::query("UPDATE welfare_registrations SET subsidy_start = '2025-03-01', subsidy_end = '2028-02-29' WHERE person_id = $1")
        .bind(&p.welfare.0)
        .execute(&app.state.db.pool)
        .await
        .unwrap();

    // The allowance, March to May.
    let r = app
        .post("/v1/allowances", &app.admin, json!({"person_id": p.allowance.0, "start_month": "2025-03", "months": 3}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Evidence, as the departments send it.
    let mut si = String::from(
        "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,单位联系电话,养老保险,医疗保险,失业保险\n",
    );
    for m in 1..=12 {
        let month = format!("2025-{m:02}");
        for who in [&p.lapses, &p.retires, &p.crosses_after] {
            si.push_str(&format!("{},{month},灵活就业,,,,,800,300,0\n", who.1));
        }
        si.push_str(&format!(
            "{},{month},单位职工,91330402MA2B00001X,嘉兴禾丰食品有限公司,企业,0573-82345678,1600,700,50\n",
            p.crossed_before.1
        ));
        si.push_str(&format!("{},{month},单位职工,11330402002345678X,南湖区某局,机关,,1600,700,50\n", p.government.1));
        if m >= 3 {
            si.push_str(&format!(
                "{},{month},单位职工,11330402MB1234567Y,南湖区解放街道办事处,公益性岗位,,400,100,0\n",
                p.welfare.1
            ));
        }
    }
    let r = app.import_evidence("social_insurance", &si).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["rows"].as_i64(), r.body["stored"].as_i64()), (Some(70), Some(70)), "{}", r.body);
    assert_eq!(r.body["employer_contacts"], 1, "{}", r.body);
    // The same file again: all unchanged, nothing new.
    let again = app.import_evidence("social_insurance", &si).await;
    assert_eq!(
        (again.body["stored"].as_i64(), again.body["unchanged"].as_i64()),
        (Some(0), Some(70)),
        "{}",
        again.body
    );
    let r = app
        .import_evidence(
            "unemployment_insurance",
            &format!("身份证号,月份,金额\n{},2025-10,1800\n", p.crossed_before.1),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);
    let r = app
        .import_evidence(
            "business_registration",
            &format!(
                "身份证号,登记日期,营业执照号,名称\n{},2025-02-10,92330402MA2C00001K,南湖区建平便利店\n",
                p.founder.1
            ),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);
    let r = app
        .import_evidence(
            "startup_loan",
            &format!("身份证号,贷款银行,贷款金额,年利率,放款日期,到期日期\n{},嘉兴银行南湖支行,100000,3.45%,2025-02-15,2027-02-14\n", p.founder.1),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);

    // A founder in a low-income family, not certified: the seed's
    // 困难群体 qualify for the loan interest too (from November).
    let r = app
        .import_evidence(
            "business_registration",
            &format!(
                "身份证号,登记日期,营业执照号,名称\n{},2025-10-20,92330402MA2C00002L,郑丽华家政服务部\n",
                p.allowance.1
            ),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);
    let r = app
        .import_evidence(
            "startup_loan",
            &format!("身份证号,贷款银行,贷款金额,年利率,放款日期,到期日期\n{},嘉兴银行南湖支行,50000,3.45%,2025-11-01,2027-10-31\n", p.allowance.1),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);

    // An agency's placement from 2 June. The agency says at once that three
    // months are insured (its word is never the ground of a payment); the
    // insurance records show employee contributions for May (before the
    // placement: not counted), July, August and September: the service
    // subsidy falls due in September (500 yuan), the third month.
    let g = app.two_agencies().await;
    let placed = app
        .create_person(json!({
            "id_number": id_number(&STREET[..6], "19720909", 41), "name": "冯秀英", "phone": "13705739999",
            "region_code": STREET, "groups": ["low_income_family"], "skills": ["保洁"],
            "employment_status": "unemployed",
            "consent": {"push": false, "share_with_agencies": true}
        }))
        .await;
    app.assign(&g.agreement_a, &placed).await;
    let r = app
        .post(
            "/v1/placements",
            &g.a,
            json!({"person_id": placed, "channel": "project", "started_on": "2025-06-02", "contract_signed_on": "2025-06-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let placement = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/v1/placements/{placement}/insurance"), &g.a, json!({"months": 3, "reported_on": "2025-06-03"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let placed_number = id_number(&STREET[..6], "19720909", 41);
    let mut insured =
        String::from("身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n");
    for month in ["2025-05", "2025-07", "2025-08", "2025-09"] {
        insured.push_str(&format!(
            "{placed_number},{month},单位职工,91330402MA2B00002Y,嘉兴禾丰物业有限公司,企业,1600,700,50\n"
        ));
    }
    let r = app.import_evidence("social_insurance", &insured).await;
    assert_eq!(r.body["stored"], 4, "{}", r.body);
    let due = app.get("/v1/subsidies?month=2025-09", &app.admin).await;
    assert_eq!(due.body["items"][0]["people"][0]["person_id"], placed.as_str(), "{}", due.body);
    assert_eq!(due.body["items"][0]["people"][0]["qualified_on"], "2025-09-01", "{}", due.body);
    for month in ["2025-06", "2025-08", "2025-10"] {
        let none = app.get(&format!("/v1/subsidies?month={month}"), &app.admin).await;
        assert_eq!(none.body["items"], json!([]), "{month}: {}", none.body);
    }

    // Month by month: what each list must hold, in fen.
    let (id, two_thirds, half) = (|who: &(String, String)| who.0.clone(), 73333, 55000);
    let mut expected: BTreeMap<u32, Vec<(&str, String, i64, &str)>> = BTreeMap::new();
    for m in 1..=12u32 {
        let e = expected.entry(m).or_default();
        let flexible_version = if m <= 6 { "flexible_si@2023-01" } else { "flexible_si@2025-07" };
        let flexible = if m <= 6 { two_thirds } else { half };
        if m <= 6 {
            e.push(("flexible_si", id(&p.lapses), flexible, flexible_version));
        }
        if m <= 4 {
            e.push(("flexible_si", id(&p.retires), flexible, flexible_version));
        }
        e.push(("flexible_si", id(&p.crosses_after), flexible, flexible_version));
        if m >= 8 && m != 10 {
            e.push(("employer_si", id(&p.crossed_before), 235000, "employer_si@2023-02"));
        }
        if m >= 3 {
            let (post, version) =
                if m <= 6 { (200000, "welfare_post@2023-01") } else { (220000, "welfare_post@2025-07") };
            e.push(("welfare_post", id(&p.welfare), post + 50000, version));
        }
        if m >= 2 {
            // Lent on 15 February: 14 of February's 28 days.
            let interest = if m == 2 { 14375 } else { 28750 };
            e.push(("loan_interest", id(&p.founder), interest, "loan_interest@2023-01"));
        }
        if (3..=5).contains(&m) {
            e.push(("living_allowance", id(&p.allowance), 113100, "living_allowance@2023-01"));
        }
        if m >= 11 {
            e.push(("loan_interest", id(&p.allowance), 14375, "loan_interest@2023-01"));
        }
        if m == 9 {
            e.push(("agency_service", placed.clone(), 50000, "agency_service@2023-01"));
        }
    }
    let staff_elsewhere = app.org_with_key("秀洲区人社局", "bureau", "330411", "staff").await.1;
    let (unit_org, unit_staff) = app.org_with_key("南湖区人社局", "bureau", UNIT, "staff").await;
    // The unit's second person, who checks and approves what the first proposed.
    // (Issued by the second admin: a key the first issued would count as
    // the first admin's, who proposes the whole city's lists from July.)
    let checker = app.post(&format!("/v1/orgs/{unit_org}/keys"), &app.reviewer, json!({"role": "staff"})).await;
    assert_eq!(checker.status, StatusCode::CREATED, "{}", checker.body);
    let checker = checker.body["key"].as_str().unwrap().to_string();
    let mut january_list = String::new();
    for (m, want) in &expected {
        let month = format!("2025-{m:02}");
        let mut want: Vec<(String, String, String, String)> = want
            .iter()
            .map(|(rule, person, fen, v)| (rule.to_string(), person.clone(), yuan(*fen), v.to_string()))
            .collect();
        want.sort();
        // From July every unit's list is first proposed at once (the whole
        // city read once); the unit's own proposal then recomputes the same.
        let mut created = StatusCode::CREATED;
        if *m >= 7 {
            let all = app.post("/v1/payment-lists/all-units", &app.admin, json!({"month": month})).await;
            assert_eq!(all.status, StatusCode::OK, "{}", all.body);
            let items = all.body["items"].as_array().unwrap();
            assert_eq!(items.len(), 9, "{}", all.body);
            let ours = items.iter().find(|i| i["unit_code"] == UNIT).unwrap();
            let total: i64 = want.iter().map(|w| fen(&w.2)).sum();
            assert_eq!(
                (ours["rows"].as_u64(), ours["total"].as_str()),
                (Some(want.len() as u64), Some(yuan(total).as_str()))
            );
            assert!(items
                .iter()
                .filter(|i| i["unit_code"] != UNIT)
                .all(|i| i["rows"] == 0 && i["state"] == "proposed"));
            // A unit's staff: its own unit only.
            let mine = app.post("/v1/payment-lists/all-units", &unit_staff, json!({"month": month})).await;
            let units: Vec<&str> =
                mine.body["items"].as_array().unwrap().iter().map(|i| i["unit_code"].as_str().unwrap()).collect();
            assert_eq!(units, [UNIT], "{}", mine.body);
            created = StatusCode::OK;
        }
        let r = app.payment_list(&month, &unit_staff).await;
        assert_eq!(r.status, created, "{month}: {}", r.body);
        assert_eq!(rows_of(&r.body), want, "{month}");
        let total: i64 = want.iter().map(|w| fen(&w.2)).sum();
        assert_eq!(r.body["total"], yuan(total), "{month}");
        for t in r.body["totals"].as_array().unwrap() {
            let rule = t["rule"].as_str().unwrap();
            let sum: i64 = want.iter().filter(|w| w.0 == rule).map(|w| fen(&w.2)).sum();
            assert_eq!(t["amount"], yuan(sum), "{month} {rule}");
        }
        // Proposing again while proposed recomputes the same rows.
        let again = app.payment_list(&month, &unit_staff).await;
        assert_eq!((again.status, rows_of(&again.body)), (StatusCode::OK, rows_of(&r.body)), "{month}");
        let list_id = r.body["id"].as_str().unwrap().to_string();
        // Another county's staff may not approve it (nor see it).
        let other = app.post(&format!("/v1/payment-lists/{list_id}/approve"), &staff_elsewhere, json!({})).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{month}");
        // Two people: whoever proposed or recomputed it may not approve it
        // (admin neither, when it proposed the whole city); it stays proposed.
        let proposers: Vec<&String> = if *m >= 7 { vec![&unit_staff, &app.admin] } else { vec![&unit_staff] };
        for who in proposers {
            let own = app.post(&format!("/v1/payment-lists/{list_id}/approve"), who, json!({})).await;
            assert_eq!(
                (own.status, own.body["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("self_approval")),
                "{month}"
            );
        }
        let seen = app.get(&format!("/v1/payment-lists/{list_id}"), &checker).await;
        assert_eq!((seen.body["state"].as_str(), seen.body["may_approve"].as_bool()), (Some("proposed"), Some(true)));
        let mine = app.get(&format!("/v1/payment-lists/{list_id}"), &unit_staff).await;
        assert_eq!(mine.body["may_approve"], false, "{month}");
        let approved = app.post(&format!("/v1/payment-lists/{list_id}/approve"), &checker, json!({})).await;
        assert_eq!(
            (approved.status, approved.body["state"].as_str()),
            (StatusCode::OK, Some("approved")),
            "{}",
            approved.body
        );
        assert!(approved.body["approved_at"].is_string() && approved.body["approved_by"].is_string());
        assert_eq!(approved.body["approved_by_name"], "南湖区人社局（接口）", "the approving key's organisation");
        if *m == 1 {
            january_list = list_id;
        }
    }

    // Policy notices: one per rule, payee, person and period over the
    // twelve approvals, by SMS, to those who consented (and to the
    // employer's contact); nobody named in them.
    let mut notices = Vec::new();
    for _ in 0..200 {
        let r = app.get("/v1/policy-notices?limit=200", &app.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        notices = r.body["items"].as_array().unwrap().clone();
        if notices.iter().all(|n| n["status"] == "sent" || n["status"] == "dead") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut told: Vec<(String, String, String, String)> = notices
        .iter()
        .map(|n| {
            let reason = n["last_error"].as_str().unwrap_or("").split(':').next().unwrap().to_string();
            (
                n["rule"].as_str().unwrap().into(),
                n["person_id"].as_str().unwrap().into(),
                n["status"].as_str().unwrap().into(),
                reason,
            )
        })
        .collect();
    told.sort();
    let mut want_told: Vec<(String, String, String, String)> = [
        ("employer_si", &p.crossed_before, "sent", ""),
        ("flexible_si", &p.lapses, "sent", ""),
        ("flexible_si", &p.retires, "dead", "no_consent"),
        ("flexible_si", &p.crosses_after, "sent", ""),
        ("living_allowance", &p.allowance, "sent", ""),
        ("loan_interest", &p.founder, "sent", ""),
        ("loan_interest", &p.allowance, "sent", ""),
    ]
    .iter()
    .map(|(r, who, st, why)| (r.to_string(), who.0.clone(), st.to_string(), why.to_string()))
    .collect();
    want_told.sort();
    assert_eq!(told, want_told, "{notices:?}");
    let texts: Vec<Value> = sms.hits().iter().map(|h| serde_json::from_str(&h.body).unwrap()).collect();
    assert_eq!(texts.len(), 6, "{texts:?}");
    let text_to = |phone: &str| -> String {
        let hit = texts.iter().find(|t| t["phone"] == phone).unwrap_or_else(|| panic!("nothing to {phone}: {texts:?}"));
        hit["text"].as_str().unwrap().to_string()
    };
    for phone in ["13705730002", "13705730007"] {
        assert!(text_to(phone).contains("灵活就业社保补贴条件，2025年1月补贴733.33元"), "{}", text_to(phone));
    }
    let employer = text_to("0573-82345678");
    assert!(
        employer.starts_with("嘉兴禾丰食品有限公司：") && employer.contains("2025年8月补贴2350.00元"),
        "{employer}"
    );
    assert!(!employer.contains("钱国华") && !employer.contains(&p.crossed_before.1), "{employer}");
    assert!(text_to("13705730015").contains("2025年2月贴息143.75元"), "{}", text_to("13705730015"));
    assert!(text_to("13705730016").contains("2025年3月发放1131.00元"), "{}", text_to("13705730016"));
    assert!(
        texts
            .iter()
            .any(|t| t["phone"] == "13705730016" && t["text"].as_str().unwrap().contains("2025年11月贴息143.75元")),
        "the low-income founder is told of the loan interest: {texts:?}"
    );
    for t in &texts {
        assert!(t["text"].as_str().unwrap().contains("南湖区就业服务窗口"), "{t}");
    }
    // Another county's staff see none of them.
    let r = app.get("/v1/policy-notices", &staff_elsewhere).await;
    assert_eq!((r.status, r.body["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{}", r.body);

    // The periods: judged at the first approval (January for 赵志强: 3
    // years; August for 钱国华, already within 5 years: to retirement).
    let dec = app.get(&format!("/v1/payment-lists?month=2025-12&unit_code={UNIT}"), &unit_staff).await;
    let dec_id = dec.body["items"][0]["id"].as_str().unwrap().to_string();
    let dec = app.get(&format!("/v1/payment-lists/{dec_id}"), &unit_staff).await;
    let basis = |person: &str| {
        dec.body["rows"].as_array().unwrap().iter().find(|r| r["person_id"] == person).unwrap()["basis"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        basis(&p.crosses_after.0).contains("补贴期 2025-01 起至 2027-12-31 止（补贴期按年限计）"),
        "{}",
        basis(&p.crosses_after.0)
    );
    assert!(
        basis(&p.crossed_before.0)
            .contains("补贴期 2025-08 起至 2030-07-01 止（距法定退休年龄不足规定年限，补贴至退休）"),
        "{}",
        basis(&p.crossed_before.0)
    );
    // The unit's staff see full ID numbers and names; the employer is the payee.
    let row = dec.body["rows"].as_array().unwrap().iter().find(|r| r["rule"] == "employer_si").unwrap().clone();
    assert_eq!(
        (row["id_number"].as_str(), row["person_name"].as_str()),
        (Some(p.crossed_before.1.as_str()), Some("钱国华"))
    );
    assert_eq!(
        (row["payee_kind"].as_str(), row["payee_name"].as_str()),
        (Some("employer"), Some("嘉兴禾丰食品有限公司"))
    );
    assert_eq!(app.get(&format!("/v1/payment-lists/{dec_id}"), &staff_elsewhere).await.status, StatusCode::NOT_FOUND);

    // An approved list is not recomputed.
    let r = app.payment_list("2025-01", &unit_staff).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("list_closed")));

    // The finance office's export: Chinese headers, numbers with two decimals, totals.
    let xlsx = app
        .client
        .get(format!("{}/v1/payment-lists/{january_list}?format=xlsx", app.base))
        .bearer_auth(&unit_staff)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    {
        use calamine::{DataType, Reader};
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("the list opens");
        let sheet = book.worksheet_range("发放名单").expect("the sheet");
        let rows: Vec<Vec<calamine::Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows[0][0].to_string(), "南湖区2025年1月就业补贴直补发放名单（已审核）");
        assert_eq!(rows[1][1].to_string(), "补贴项目");
        assert_eq!(rows[1][7].to_string(), "金额（元）");
        let amounts: Vec<f64> = rows[2..5].iter().map(|r| r[7].as_f64().expect("a number")).collect();
        assert_eq!(amounts, [733.33, 733.33, 733.33]);
        let last =
            rows.iter().rfind(|r| r.first().is_some_and(|c| c.to_string().starts_with("合计"))).expect("a total row");
        assert_eq!(last[0].to_string(), "合计（3 笔）");
        assert_eq!(last[7], calamine::Data::Float(2199.99));
        // Who approved by name, when in Beijing time; lines to sign.
        let text: Vec<String> = rows.iter().filter_map(|r| r.first().map(|c| c.to_string())).collect();
        let approval = text.iter().find(|t| t.starts_with("审核人：")).expect("the approval line");
        assert!(approval.starts_with("审核人：南湖区人社局（接口）    审核时间：20"), "{approval}");
        assert!(approval.ends_with("（北京时间）"), "{approval}");
        assert!(text.iter().any(|t| t == "经办人（签字）："), "{text:?}");
    }
    if backend == Backend::Sqlite {
        the_list_in_a_browser(&app, &unit_org, &january_list).await;
    }

    // Paying: the confirmation names each row; paying one twice is refused.
    let jan = app.get(&format!("/v1/payment-lists/{january_list}"), &unit_staff).await;
    let mut confirmation = String::from("编号,金额,支付日期,凭证号\n");
    for r in jan.body["rows"].as_array().unwrap() {
        // A voucher number that a spreadsheet would run as a formula.
        confirmation.push_str(&format!(
            "{},{},2025-02-20,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"PZ-2025-01\"\")\"\n",
            r["id"].as_str().unwrap(),
            r["amount"].as_str().unwrap(),
        ));
    }
    let pay = |body: String| {
        let app = &app;
        let key = unit_staff.clone();
        let list = january_list.clone();
        async move {
            app.post_bytes(&format!("/v1/payment-lists/{list}/payments"), &key, "text/csv", body.into_bytes()).await
        }
    };
    let wrong = confirmation.replacen("733.33", "733.34", 1);
    let r = pay(wrong).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.error_fields(), ["rows[2].amount"]);
    let r = pay(confirmation.clone()).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("paid")), "{}", r.body);
    let r = pay(confirmation.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["errors"].as_array().unwrap().iter().all(|e| e["code"] == "already_paid"), "{}", r.body);
    // The files for the finance office: in the CSV no cell begins as a
    // formula (the voucher is written '=…, as text); the XLSX keeps it as
    // a typed text cell, exactly as entered.
    let formula = "=HYPERLINK(\"http://evil.example/\",\"PZ-2025-01\")";
    let file = |format: &'static str| {
        let app = &app;
        let (key, list) = (unit_staff.clone(), january_list.clone());
        async move {
            let res = app
                .client
                .get(format!("{}/v1/payment-lists/{list}?format={format}", app.base))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.bytes().await.unwrap().to_vec()
        }
    };
    let csv_bytes = file("csv").await;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&csv_bytes[3..]);
    let cells: Vec<String> =
        reader.records().flat_map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>()).collect();
    assert_eq!(cells.iter().filter(|c| *c == &format!("'{formula}")).count(), 3, "{cells:?}");
    let risky: Vec<&String> = cells
        .iter()
        .filter(|c| c.starts_with(['=', '+', '@', '\t', '\r']) || (c.starts_with('-') && c.parse::<f64>().is_err()))
        .collect();
    assert!(risky.is_empty(), "cells a spreadsheet would run: {risky:?}");
    {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(file("xlsx").await)).expect("the list opens");
        let sheet = book.worksheet_range("发放名单").expect("the sheet");
        let vouchers: Vec<&calamine::Data> =
            sheet.rows().flat_map(|r| r.iter()).filter(|c| c.to_string().contains("HYPERLINK")).collect();
        assert_eq!(vouchers.len(), 3);
        assert!(vouchers.iter().all(|c| **c == calamine::Data::String(formula.to_string())), "{vouchers:?}");
        let formulas = book.worksheet_formula("发放名单").expect("the sheet's formulas");
        assert!(formulas.used_cells().all(|(_, _, f)| !f.contains("HYPERLINK")), "no cell is a formula");
    }

    // A reversal is a new row; the paid row stays, marked reversed.
    let first = jan.body["rows"][0]["id"].as_str().unwrap().to_string();
    let r =
        app.post(&format!("/v1/payment-rows/{first}/reverse"), &unit_staff, json!({"reason": "重复参保，追回"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = r.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().find(|x| x["id"] == first.as_str()).unwrap()["state"], "reversed");
    let reversal = rows.iter().find(|x| x["reverses"] == first.as_str()).unwrap();
    assert_eq!((reversal["amount"].as_str(), reversal["state"].as_str()), (Some("-733.33"), Some("reversal")));
    assert_eq!(r.body["total"], "1466.66");
    let twice = app.post(&format!("/v1/payment-rows/{first}/reverse"), &unit_staff, json!({"reason": "再次"})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // Evidence arriving late (补发): the founder's flexible-work contributions
    // for January and May, imported after those lists were approved, are
    // listed in the next list under their own months and rule versions; the
    // January payment reversed above is not listed again.
    let late = format!(
        "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n\
         {f},2025-01,灵活就业,,,,800,300,0\n{f},2025-05,灵活就业,,,,800,300,0\n",
        f = p.founder.1
    );
    let r = app.import_evidence("social_insurance", &late).await;
    assert_eq!(r.body["stored"], 2, "{}", r.body);
    // The agency's placement corrected (it began in August), and October's
    // contribution arriving late: the corrected chain now meets the
    // requirement in October — but the agreement paid for this person in
    // September, and pays once.
    let r = app
        .post(
            "/v1/placements",
            &g.a,
            json!({"person_id": placed, "channel": "project", "started_on": "2025-08-01", "contract_signed_on": "2025-07-30",
                   "supersedes": placement}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .import_evidence(
            "social_insurance",
            &format!(
                "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n\
                 {placed_number},2025-10,单位职工,91330402MA2B00002Y,嘉兴禾丰物业有限公司,企业,1600,700,50\n"
            ),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);
    let due = app.get("/v1/subsidies?month=2025-10", &app.admin).await;
    assert_eq!(
        due.body["items"][0]["people"][0]["person_id"],
        placed.as_str(),
        "the correction qualifies: {}",
        due.body
    );
    // A fact arriving late too: an allowance granted now for November,
    // whose list was approved — paid in the next list as 补发, once.
    let r = app
        .post("/v1/allowances", &app.admin, json!({"person_id": p.allowance.0, "start_month": "2025-11", "months": 1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let next = app.payment_list("2026-01", &unit_staff).await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.body);
    let founder = id(&p.founder);
    let mut want = vec![
        ("flexible_si".to_string(), founder.clone(), "733.33".to_string(), "flexible_si@2023-01".to_string()),
        ("flexible_si".to_string(), founder.clone(), "733.33".to_string(), "flexible_si@2023-01".to_string()),
        ("loan_interest".to_string(), founder.clone(), "287.50".to_string(), "loan_interest@2023-01".to_string()),
        ("loan_interest".to_string(), id(&p.allowance), "143.75".to_string(), "loan_interest@2023-01".to_string()),
        (
            "living_allowance".to_string(),
            id(&p.allowance),
            "1131.00".to_string(),
            "living_allowance@2023-01".to_string(),
        ),
        ("welfare_post".to_string(), id(&p.welfare), "2200.00".to_string(), "welfare_post@2025-07".to_string()),
    ];
    want.sort();
    assert_eq!(rows_of(&next.body), want, "{}", next.body);
    let mut late_months: Vec<(String, bool)> = next.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "flexible_si")
        .map(|r| (r["period_month"].as_str().unwrap().to_string(), r["basis"].as_str().unwrap().starts_with("补发 ")))
        .collect();
    late_months.sort();
    assert_eq!(late_months, [("2025-01".to_string(), true), ("2025-05".to_string(), true)]);
    // Recomputed while proposed after March's contribution arrives too: the
    // rows on the list stay (the same ids), March's is added.
    let r = app
        .import_evidence(
            "social_insurance",
            &format!(
                "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n{},2025-03,灵活就业,,,,800,300,0\n",
                p.founder.1
            ),
        )
        .await;
    assert_eq!(r.body["stored"], 1, "{}", r.body);
    let again = app.payment_list("2026-01", &unit_staff).await;
    want.push(("flexible_si".to_string(), founder.clone(), "733.33".to_string(), "flexible_si@2023-01".to_string()));
    want.sort();
    assert_eq!((again.status, rows_of(&again.body)), (StatusCode::OK, want), "{}", again.body);
    let ids = |list: &Value| -> std::collections::BTreeSet<String> {
        list["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    assert!(ids(&again.body).is_superset(&ids(&next.body)), "kept rows keep their ids");
    assert_eq!(ids(&again.body).len(), 7);
    let late_allowance: Vec<(&str, &str)> = again.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "living_allowance")
        .map(|r| (r["period_month"].as_str().unwrap(), r["basis"].as_str().unwrap()))
        .collect();
    assert_eq!(late_allowance.len(), 1, "{late_allowance:?}");
    assert_eq!(late_allowance[0].0, "2025-11");
    assert!(late_allowance[0].1.starts_with("补发 2025-11"), "{late_allowance:?}");

    // Bad evidence: every bad cell named, nothing stored.
    let before = app.count("si_contributions").await;
    let bad = format!(
        "身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n\
         {},2025-05,灵活就业,,,,800,300,0\n\
         {},2025-06,灵活就业,,,,-800,300,0\n\
         {},2099-01,灵活就业,,,,800,300,0\n\
         {},2025-07,灵活就业,,,,900,300,0\n",
        id_number("330402", "19700101", 901),
        p.lapses.1,
        p.lapses.1,
        p.lapses.1,
    );
    let r = app.import_evidence("social_insurance", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.error_fields(), ["rows[3].pension", "rows[4].month", "rows[2].id_number", "rows[5].id_number"]);
    assert_eq!(app.count("si_contributions").await, before);
    let overlapping = format!(
        "身份证号,贷款银行,贷款金额,年利率,放款日期,到期日期\n{},嘉兴农商银行,50000,3.2,2026-01-10,2027-01-09\n",
        p.founder.1
    );
    let r = app.import_evidence("startup_loan", &overlapping).await;
    assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["rows[2].starts_on".to_string()]));
    assert_eq!(app.count("startup_loans").await, 2);

    // 报送: March submitted (late: it is past 2025-03-25), then corrected.
    let r =
        app.post("/v1/reports/progress/submissions", &unit_staff, json!({"unit_code": UNIT, "month": "2025-03"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!((r.body["sequence"].as_i64(), r.body["late"].as_bool()), (Some(1), Some(true)));
    let helped = r.body["figures"]["helped_total"].as_i64().unwrap();
    let board = app.get("/v1/reports/progress/submissions?month=2025-03", &app.admin).await;
    let units = board.body["units"].as_array().unwrap();
    assert_eq!(units.len(), 9);
    for u in units {
        let want = if u["unit_code"] == UNIT { "submitted_late" } else { "late" };
        assert_eq!(u["state"], want, "{u}");
    }
    assert_eq!(board.body["deadline"], "2025-03-25");
    // A placement in March found later: the correction shows the difference.
    let r = app
        .post(
            "/v1/placements",
            &app.admin,
            json!({"person_id": p.allowance.0, "channel": "flexible", "started_on": "2025-03-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r =
        app.post("/v1/reports/progress/submissions", &unit_staff, json!({"unit_code": UNIT, "month": "2025-03"})).await;
    assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["note".to_string()]));
    let r = app
        .post(
            "/v1/reports/progress/submissions",
            &unit_staff,
            json!({"unit_code": UNIT, "month": "2025-03", "note": "补录3月灵活就业1人"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["sequence"], 2);
    let changes = r.body["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["figure"] == "helped_total" && c["from"] == helped && c["to"] == helped + 1),
        "{changes:?}"
    );
    let r = app
        .post(
            "/v1/reports/progress/submissions",
            &unit_staff,
            json!({"unit_code": UNIT, "month": "2025-03", "note": "再报一次"}),
        )
        .await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("nothing_changed")));
    let r = app
        .post("/v1/reports/progress/submissions", &staff_elsewhere, json!({"unit_code": UNIT, "month": "2025-03"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // This month: reminded from the 20th, late after the 25th.
    let today = jobmatch_core::time::system_today();
    let this = today.format("%Y-%m").to_string();
    let board = app.get(&format!("/v1/reports/progress/submissions?month={this}"), &app.admin).await;
    use chrono::Datelike;
    let want = if today.day() > 25 { "late" } else { "not_started" };
    for u in board.body["units"].as_array().unwrap() {
        assert_eq!((u["state"].as_str(), u["reminder"].as_bool()), (Some(want), Some(today.day() >= 20)), "{u}");
    }
}

/// January's approved list on its console page in a real browser, as a
/// staff account of the unit sees it: every row with the full ID number,
/// the total, who approved; no axe-core violation and no sideways
/// scrolling at 1280, 360 and 320 px; the XLSX downloads.
async fn the_list_in_a_browser(app: &TestApp, unit_org: &str, list_id: &str) {
    let password = app.account(&app.admin, unit_org, "nanhu.zhibu", "staff", Some(UNIT)).await;
    let input = json!({
        "base": app.base, "login": "nanhu.zhibu", "password": password, "list_id": list_id,
        "out_dir": "target/console-pages",
    });
    let Some(out) = run_browser_script("payments.mjs", &input) else { return };
    crate::console::assert_checked_pages(&out);
    assert_eq!(out["axe"].as_object().unwrap().len(), 3, "1280, 360 and 320 px");
    let steps = &out["steps"];
    assert_eq!(steps["heading"], "南湖区 2025-01 直补发放名单");
    let status = steps["status"].as_str().unwrap();
    assert!(status.starts_with("状态：已审核 · 审核："), "{status}");
    assert!(status.ends_with("（南湖区人社局（接口））"), "the approver by name: {status}");
    let rows = steps["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for r in rows {
        assert_eq!(
            (r[0].as_str(), r[4].as_str(), r[5].as_str()),
            (Some("灵活就业社保补贴"), Some("2025-01"), Some("733.33"))
        );
        let id_number = r[3].as_str().unwrap();
        assert!(id_number.len() == 18 && !id_number.contains('*'), "the unit's staff see the full number: {id_number}");
    }
    assert_eq!(steps["total"], "2199.99");
    assert_eq!(steps["xlsx_name"], format!("payments-2025-01-{UNIT}.xlsx"));
    assert!(steps["xlsx_bytes"].as_u64().unwrap() > 1000, "{steps}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_subsidies_month_by_month_on_sqlite() {
    a_year_of_subsidies(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_subsidies_month_by_month_on_postgres() {
    a_year_of_subsidies(Backend::Postgres).await
}

impl TestApp {
    /// Certify through the workflow (public-welfare posts need it at selection).
    async fn certify_welfare_applicant(&self, person: &str) {
        let path = format!("/v1/persons/{person}/certification");
        let r = self.post(&path, &self.admin, json!({"action": "apply", "grounds": ["long_term_unemployed"]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = self.post(&path, &self.reviewer, json!({"action": "certify"})).await;
        assert_eq!(r.body["certification"]["status"], "certified", "{}", r.body);
    }
}
