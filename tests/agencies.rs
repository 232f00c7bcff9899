//! HR agencies: consent-bound assignments, the authorisation matrix between
//! two agencies and a publisher, referrals, placements, subsidies, the trail.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

pub struct Agencies {
    pub a_org: String,
    pub a: String,
    pub b_org: String,
    pub b: String,
    pub agreement_a: String,
    pub agreement_b: String,
}

impl TestApp {
    /// Two agencies with an agreement each (500 yuan after 3 months).
    pub async fn two_agencies(&self) -> Agencies {
        let (a_org, a) = self.org_with_key("甲人力资源公司", "hr_agency", "330400", "agency").await;
        let (b_org, b) = self.org_with_key("乙人力资源公司", "hr_agency", "330400", "agency").await;
        let mut ids = Vec::new();
        for org in [&a_org, &b_org] {
            let r = self
                .post(
                    "/v1/agreements",
                    &self.admin,
                    json!({"agency_org_id": org, "starts_on": "2026-01-01", "ends_on": "2030-12-31",
                           "people_target": 20, "subsidy": {"amount": 500}}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!(r.body["subsidy"]["insurance_months"], 3, "the policy default");
            ids.push(r.body["id"].as_str().unwrap().to_string());
        }
        Agencies { a_org, a, b_org, b, agreement_a: ids[0].clone(), agreement_b: ids[1].clone() }
    }

    pub async fn assign(&self, agreement: &str, person: &str) -> Value {
        let r = self
            .post(&format!("/v1/agreements/{agreement}/assignments"), &self.admin, json!({"person_id": person}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }
}

both_backends! {
    async fn assignment_needs_consent_and_withdrawal_ends_access_at_once(app: TestApp) {
        let g = app.two_agencies().await;
        let refuses = app.create_person(with(person_body(201), |b| b["consent"]["share_with_agencies"] = json!(false))).await;
        let r = app.post(&format!("/v1/agreements/{}/assignments", g.agreement_a), &app.admin, json!({"person_id": refuses})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["person_id"]);
        assert_eq!(app.count("assignments").await, 0, "nothing stored from a refused request");

        let person = app.create_person(person_body(203)).await;
        app.assign(&g.agreement_a, &person).await;
        // One agency at a time.
        let r = app.post(&format!("/v1/agreements/{}/assignments", g.agreement_b), &app.admin, json!({"person_id": person})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        // The consent is on record: recipient and purpose.
        let (recipient, purpose): (String, String) =
            sqlx::query_as("SELECT recipient_org_id, purpose FROM consent_records WHERE person_id = $1")
                .bind(&person).fetch_one(&app.state.db.pool).await.unwrap();
        assert_eq!(recipient, g.a_org);
        assert!(purpose.contains("就业"));

        // The agency sees its person masked, without disability or allowance details.
        let r = app.get(&format!("/v1/persons/{person}"), &g.a).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["id_number"].as_str().unwrap().contains('*'));
        assert!(r.body["phone"].as_str().unwrap().contains('*'));
        assert_eq!(r.body["groups"], json!([]), "low-income status is not the agency's business");
        let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE person_id = $1 AND action = 'agency_read'")
            .bind(&person).fetch_one(&app.state.db.pool).await.unwrap();
        assert_eq!(audited, 1);

        // The person withdraws consent: the agency loses the person at once.
        let r = app.patch(&format!("/v1/persons/{person}"), &app.admin, json!({"consent": {"share_with_agencies": false}})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for path in [format!("/v1/persons/{person}"), format!("/v1/persons/{person}/matches"), format!("/v1/persons/{person}/trail")] {
            assert_eq!(app.get(&path, &g.a).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        let (ended, reason): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT ended_at, end_reason FROM assignments WHERE person_id = $1")
                .bind(&person).fetch_one(&app.state.db.pool).await.unwrap();
        assert!(ended.is_some());
        assert_eq!(reason.as_deref(), Some("consent_withdrawn"));
        let withdrawn: Option<String> = sqlx::query_scalar("SELECT withdrawn_at FROM consent_records WHERE person_id = $1")
            .bind(&person).fetch_one(&app.state.db.pool).await.unwrap();
        assert!(withdrawn.is_some());
    }

    async fn agency_b_learns_nothing_of_agency_a(app: TestApp) {
        let g = app.two_agencies().await;
        let pa = app.create_person(person_body(211)).await;
        let pb = app.create_person(person_body(213)).await;
        let pn = app.create_person(person_body(215)).await;
        app.assign(&g.agreement_a, &pa).await;
        app.assign(&g.agreement_b, &pb).await;
        let (_, publisher) = app.publisher("授权零工市场").await;
        let job = app.create_job(&publisher, job_body()).await;
        app.wait_indexed().await;

        // A's own work: a referral, a contact, a placement.
        let r = app.post("/v1/referrals", &g.a, json!({"job_id": job, "person_id": pa, "note": "电话沟通后推荐"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let referral = r.body["id"].as_str().unwrap().to_string();
        let r = app.post(&format!("/v1/persons/{pa}/contacts"), &g.a, json!({"method": "phone", "note": "了解求职意向"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = app.post("/v1/placements", &g.a, json!({"person_id": pa, "channel": "project", "started_on": "2026-11-02",
            "employer_name": "嘉兴某物业公司", "contract_signed_on": "2026-11-02"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let placement = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["agreement_id"], g.agreement_a.as_str());

        // What A sees of its own.
        assert_eq!(app.get(&format!("/v1/persons/{pa}/matches"), &g.a).await.status, StatusCode::OK);
        let c = app.get(&format!("/v1/jobs/{job}/candidates?limit=50"), &g.a).await;
        assert_eq!(c.status, StatusCode::OK, "{}", c.body);
        let ids: Vec<&str> = c.body["items"].as_array().unwrap().iter().map(|i| i["person"]["id"].as_str().unwrap()).collect();
        assert!(ids.iter().all(|id| *id == pa), "only A's own people: {ids:?}");

        // B asks for every one of A's things: 404, the same answer as for an id that does not exist.
        let missing = app.get("/v1/persons/per_00000000000000000000000000000000", &g.b).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let gets = [
            format!("/v1/persons/{pa}"),
            format!("/v1/persons/{pa}/matches"),
            format!("/v1/persons/{pa}/trail"),
            format!("/v1/persons/{pn}"),
            format!("/v1/referrals/{referral}"),
            format!("/v1/agreements/{}", g.agreement_a),
            format!("/v1/agreements/{}/assignments", g.agreement_a),
        ];
        for path in &gets {
            let r = app.get(path, &g.b).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "B GET {path}: {}", r.body);
            assert_eq!(r.body["title"], missing.body["title"], "{path}");
            assert_eq!(r.body["detail"], missing.body["detail"], "{path}");
        }
        let posts = [
            (format!("/v1/persons/{pa}/contacts"), json!({"method": "phone", "note": "x"})),
            ("/v1/referrals".to_string(), json!({"job_id": job, "person_id": pa})),
            (format!("/v1/referrals/{referral}/status"), json!({"status": "contacted"})),
            (format!("/v1/placements/{placement}/insurance"), json!({"months": 3})),
            (format!("/v1/placements/{placement}/end"), json!({"ended_on": "2026-11-10"})),
            ("/v1/placements".to_string(), json!({"person_id": pa, "channel": "project", "started_on": "2026-11-02"})),
        ];
        for (path, body) in &posts {
            let r = app.post(path, &g.b, body.clone()).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "B POST {path}: {}", r.body);
        }
        // B's lists hold none of A's.
        let c = app.get(&format!("/v1/jobs/{job}/candidates?limit=50"), &g.b).await;
        assert_eq!(c.status, StatusCode::OK);
        assert!(!c.body.to_string().contains(&pa) && !c.body.to_string().contains(&pn), "{}", c.body);
        for path in ["/v1/referrals", "/v1/placements", "/v1/agency/people", "/v1/agreements", "/v1/notifications",
                     "/v1/subsidies?month=2026-11"] {
            let r = app.get(path, &g.b).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            let text = r.body.to_string();
            assert!(!text.contains(&pa) && !text.contains(&referral) && !text.contains(&placement)
                && !text.contains(&g.agreement_a), "B's {path} shows A's: {text}");
        }
        let people = app.get("/v1/agency/people", &g.b).await;
        assert_eq!(people.body["items"].as_array().unwrap().len(), 1);
        let agreements = app.get("/v1/agreements", &g.b).await;
        assert_eq!(agreements.body["items"][0]["agency_org_id"], g.b_org.as_str());
        assert_eq!(people.body["items"][0]["person"]["id"], pb.as_str());

        // A publisher reads no person and acts on no referral.
        assert_eq!(app.get(&format!("/v1/persons/{pa}"), &publisher).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/v1/persons/{pa}/matches"), &publisher).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.post("/v1/referrals", &publisher, json!({"job_id": job, "person_id": pa})).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/v1/agreements", &publisher).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/v1/placements", &publisher).await.status, StatusCode::FORBIDDEN);
        // An agency cannot sign agreements or assign people.
        let r = app.post("/v1/agreements", &g.a, json!({"agency_org_id": g.a_org, "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "people_target": 1, "subsidy": {"amount": 99999}})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.post(&format!("/v1/agreements/{}/assignments", g.agreement_a), &g.a, json!({"person_id": pn})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // A deactivated agency's key stops at once.
        let r = app.patch(&format!("/v1/orgs/{}", g.a_org), &app.admin, json!({"active": false})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(app.get(&format!("/v1/persons/{pa}"), &g.a).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn a_referral_moves_step_by_step_to_a_placement_and_a_computed_subsidy(app: TestApp) {
        let g = app.two_agencies().await;
        let body = person_body(221);
        let number = body["id_number"].as_str().unwrap().to_string();
        let person = app.create_person(body).await;
        app.assign(&g.agreement_a, &person).await;
        let (_, publisher) = app.publisher("推荐零工市场").await;
        let job = app.create_job(&publisher, job_body()).await;
        let r = app.post("/v1/referrals", &g.a, json!({"job_id": job, "person_id": person})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["status"], "referred");
        let id = r.body["id"].as_str().unwrap().to_string();
        let again = app.post("/v1/referrals", &g.a, json!({"job_id": job, "person_id": person})).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "one open referral per person and job");
        let path = format!("/v1/referrals/{id}/status");
        // Skipping steps or going back is refused.
        let r = app.post(&path, &g.a, json!({"status": "hired"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = app.post(&path, &g.a, json!({"status": "bogus"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_fields(), ["status"]);
        for step in ["contacted", "interviewed"] {
            let r = app.post(&path, &g.a, json!({"status": step, "note": format!("{step} 备注")})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(r.body["status"], step);
        }
        let r = app.post(&path, &g.a, json!({"status": "hired", "placement": {"started_on": "2026-09-01",
            "contract_signed_on": "2026-08-31"}})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let history: Vec<&str> = r.body["history"].as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
        assert_eq!(history, ["referred", "contacted", "interviewed", "hired"]);
        assert!(r.body["history"].as_array().unwrap().iter().all(|h| h["actor_org_id"] == g.a_org.as_str()));
        let placement = r.body["placement_id"].as_str().expect("hired records a placement").to_string();
        let r = app.post(&path, &g.a, json!({"status": "withdrawn"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "hired is final");

        // The placement: channel project, under A's agreement; the person is employed now.
        let p = app.get(&format!("/v1/placements?person_id={person}"), &g.a).await;
        let pl = &p.body["items"][0];
        assert_eq!(pl["id"], placement.as_str());
        assert_eq!(pl["channel"], "project");
        assert_eq!(pl["agreement_id"], g.agreement_a.as_str());
        assert_eq!(pl["employer_name"], "推荐零工市场", "the job's publisher by default");
        let me = app.get(&format!("/v1/persons/{person}"), &app.admin).await;
        assert_eq!(me.body["employment_status"], "employed");

        // The agency reports insured months as they accrue: its progress,
        // never the ground of the subsidy.
        for m in 1..=3 {
            let r = app.post(&format!("/v1/placements/{placement}/insurance"), &g.a, json!({"months": m})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(r.body["social_insurance_months"], m);
        }
        let month = jobmatch_core::time::system_today().format("%Y-%m").to_string();
        for m in [month.as_str(), "2026-09", "2026-10", "2026-11"] {
            let s = app.get(&format!("/v1/subsidies?month={m}"), &app.admin).await;
            assert_eq!((s.status, &s.body["items"]), (StatusCode::OK, &json!([])), "{m}: on the agency's word alone");
        }
        // The insurance records: August (before the placement) does not
        // count; September, October, November do: due in November.
        let mut csv = String::from("身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n");
        for m in ["2026-08", "2026-09", "2026-10", "2026-11"] {
            csv.push_str(&format!("{number},{m},单位职工,91330402MA2B00003Z,推荐零工市场,企业,1600,700,50\n"));
        }
        let r = app
            .post_bytes("/v1/evidence/import?kind=social_insurance", &app.admin, "text/csv", csv.into_bytes())
            .await;
        assert_eq!((r.status, r.body["stored"].as_i64()), (StatusCode::OK, Some(4)), "{}", r.body);
        for (m, due) in [("2026-09", false), ("2026-10", false), ("2026-11", true), ("2026-12", false)] {
            let s = app.get(&format!("/v1/subsidies?month={m}"), &app.admin).await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.body);
            let items = s.body["items"].as_array().unwrap();
            if due {
                assert_eq!(items.len(), 1, "{}", s.body);
                assert_eq!(items[0]["agency_org_id"], g.a_org.as_str());
                assert_eq!(items[0]["amount_due"], 500);
                assert_eq!(items[0]["people"][0]["person_id"], person.as_str());
                assert_eq!(items[0]["people"][0]["qualified_on"], "2026-11-01");
            } else {
                assert!(items.is_empty(), "{m} is not the month it fell due: {}", s.body);
            }
        }
        // No labour contract on record: no subsidy, whatever the insurance.
        let other = person_body(222);
        let other_number = other["id_number"].as_str().unwrap().to_string();
        let other = app.create_person(other).await;
        app.assign(&g.agreement_a, &other).await;
        let r = app
            .post("/v1/placements", &g.a, json!({"person_id": other, "channel": "project", "started_on": "2026-09-01",
                "employer_name": "推荐零工市场"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut csv = String::from("身份证号,月份,参保类型,统一社会信用代码,单位名称,单位性质,养老保险,医疗保险,失业保险\n");
        for m in ["2026-09", "2026-10", "2026-11"] {
            csv.push_str(&format!("{other_number},{m},单位职工,91330402MA2B00003Z,推荐零工市场,企业,1600,700,50\n"));
        }
        let r = app
            .post_bytes("/v1/evidence/import?kind=social_insurance", &app.admin, "text/csv", csv.into_bytes())
            .await;
        assert_eq!(r.body["stored"], 3, "{}", r.body);
        let s = app.get("/v1/subsidies?month=2026-11", &app.admin).await;
        let people: Vec<&str> = s.body["items"][0]["people"].as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap()).collect();
        assert_eq!(people, [person.as_str()], "no contract, no subsidy: {}", s.body);
        // An agreement may not ask fewer insured months than the policy.
        let r = app
            .post("/v1/agreements", &app.admin, json!({"agency_org_id": g.a_org, "starts_on": "2026-01-01",
                "ends_on": "2026-12-31", "people_target": 5, "subsidy": {"amount": 500, "insurance_months": 2}}))
            .await;
        assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["subsidy.insurance_months".to_string()]));
        let r = app.post(&format!("/v1/placements/{placement}/insurance"), &g.a, json!({"months": 2})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "months never go down");
        let other = app.get("/v1/subsidies?month=2020-01", &app.admin).await;
        assert!(other.body["items"].as_array().unwrap().is_empty());
        let bad = app.get("/v1/subsidies?month=2026-13", &app.admin).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        // The trail: assignment, referral steps, placement, insurance — in order.
        let r = app.post(&format!("/v1/persons/{person}/contacts"), &g.a, json!({"method": "visit", "note": "上门回访"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let t = app.get(&format!("/v1/persons/{person}/trail"), &g.a).await;
        assert_eq!(t.status, StatusCode::OK, "{}", t.body);
        let kinds: Vec<&str> = t.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds[0], "assigned");
        for k in ["referral", "placement", "insurance", "contact"] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        let at: Vec<&str> = t.body["items"].as_array().unwrap().iter().map(|e| e["at"].as_str().unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "in time order: {at:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_list_endpoints_are_rate_limited_per_key() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.agency_rate_limit_per_minute = 3).await.unwrap();
    let g = app.two_agencies().await;
    for _ in 0..3 {
        assert_eq!(app.get("/v1/agency/people", &g.a).await.status, StatusCode::OK);
    }
    let r = app.get("/v1/referrals", &g.a).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.body["code"], "rate_limited");
    assert!(r.is_problem());
    // Another key has its own budget; staff and admin are not limited.
    assert_eq!(app.get("/v1/agency/people", &g.b).await.status, StatusCode::OK);
    for _ in 0..5 {
        assert_eq!(app.get("/v1/referrals", &app.admin).await.status, StatusCode::OK);
    }
}
