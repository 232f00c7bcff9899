//! Keys, roles and region scope: 401, 403 and 404 exactly as the contract says.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::job_body;

both_backends! {
    async fn requests_without_a_valid_key_are_401(app: TestApp) {
        let none = app.send("POST", "/v1/jobs", None, Some(job_body())).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED);
        assert!(none.is_problem());
        let bad = app.send("GET", "/v1/jobs", Some("jm_not-a-real-key"), None).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        let res = app.client.get(format!("{}/v1/jobs", app.base)).header("authorization", "Basic abc").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.job_rows().await, 0);
    }

    async fn keys_are_stored_only_as_hashes(app: TestApp) {
        let (_, key) = app.publisher("南湖零工市场").await;
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key_hash, key_prefix FROM api_keys")
            .fetch_all(&app.state.db.pool).await.unwrap();
        assert_eq!(rows.len(), 3, "the two admin keys and the publisher's");
        for (hash, prefix) in &rows {
            assert!(!hash.contains(&key[3..]) && hash.len() == 64);
            assert_eq!(prefix.len(), 8);
        }
        assert!(rows.iter().any(|(h, _)| *h == jobmatch_core::auth::hash_key(&key)));
    }

    async fn a_revoked_key_stops_working_at_once(app: TestApp) {
        let (org, key) = app.publisher("南湖零工市场").await;
        assert_eq!(app.get("/v1/jobs", &key).await.status, StatusCode::OK);
        let keys = app.get(&format!("/v1/orgs/{org}/keys"), &app.admin).await;
        let key_id = keys.body["items"][0]["id"].as_str().unwrap().to_string();
        assert!(!keys.body.to_string().contains(&key[3..]), "listing never shows the key");
        let del = app.send("DELETE", &format!("/v1/orgs/{org}/keys/{key_id}"), Some(&app.admin), None).await;
        assert_eq!(del.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get("/v1/jobs", &key).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn a_deactivated_organisations_keys_stop_working_at_once(app: TestApp) {
        let (org, key) = app.publisher("南湖零工市场").await;
        app.create_job(&key, job_body()).await;
        let off = app.patch(&format!("/v1/orgs/{org}"), &app.admin, json!({"active": false})).await;
        assert_eq!(off.status, StatusCode::OK);
        assert_eq!(off.body["active"], false);
        let res = app.post("/v1/jobs", &key, job_body()).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.job_rows().await, 1);
        app.patch(&format!("/v1/orgs/{org}"), &app.admin, json!({"active": true})).await;
        assert_eq!(app.get("/v1/jobs", &key).await.status, StatusCode::OK);
    }

    async fn roles_outside_their_rights_get_403(app: TestApp) {
        let (_, publisher) = app.publisher("南湖零工市场").await;
        let res = app.post("/v1/orgs", &publisher, json!({"name": "某公司", "kind": "employer", "region_code": "330402"})).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let (_, agency) = app.org_with_key("嘉禾人力", "hr_agency", "330400", "agency").await;
        assert_eq!(app.post("/v1/jobs", &agency, job_body()).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.job_rows().await, 0);
    }

    async fn staff_act_within_their_region_only(app: TestApp) {
        let (_, nanhu) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let (_, xiuzhou) = app.org_with_key("秀洲区人社局", "bureau", "330411", "staff").await;
        // Staff of 南湖区 may register a gig market on one of its streets, not in 秀洲区.
        let ok = app.post("/v1/orgs", &nanhu, json!({"name": "建设街道零工驿站", "kind": "gig_market", "region_code": "330402007"})).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        let far = app.post("/v1/orgs", &nanhu, json!({"name": "王店零工驿站", "kind": "gig_market", "region_code": "330411101"})).await;
        assert_eq!(far.status, StatusCode::FORBIDDEN);
        // A job on a 南湖区 street: its staff may change it, 秀洲区 staff see it (open) but may not.
        let id = app.create_job(&nanhu, job_body()).await;
        assert_eq!(app.patch(&format!("/v1/jobs/{id}"), &nanhu, json!({"headcount": 3})).await.status, StatusCode::OK);
        let other = app.patch(&format!("/v1/jobs/{id}"), &xiuzhou, json!({"headcount": 9})).await;
        assert_eq!(other.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get(&format!("/v1/jobs/{id}"), &xiuzhou).await.body["headcount"], 3);
        // Staff may not post outside their region.
        let res = app.post("/v1/jobs", &xiuzhou, job_body()).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }

    async fn a_zone_staff_key_acts_on_the_streets_the_zone_reports_for(app: TestApp) {
        let (_, zone) = app.org_with_key("经开区人社局", "bureau", "330400-ETDZ", "staff").await;
        // 城南街道 (330402012) is filed under 南湖区 but run by the development zone.
        let in_zone = crate::helpers::with(job_body(), |b| b["region_code"] = json!("330402012"));
        assert_eq!(app.post("/v1/jobs", &zone, in_zone).await.status, StatusCode::CREATED);
        assert_eq!(app.post("/v1/jobs", &zone, job_body()).await.status, StatusCode::FORBIDDEN);
    }

    async fn a_key_must_fit_its_organisation(app: TestApp) {
        let org = app.post("/v1/orgs", &app.admin, json!({"name": "南湖零工市场", "kind": "gig_market", "region_code": "330402"})).await;
        let id = org.body["id"].as_str().unwrap();
        let admin_for_market = app.post(&format!("/v1/orgs/{id}/keys"), &app.admin, json!({"role": "admin"})).await;
        assert_eq!(admin_for_market.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(admin_for_market.error_fields(), ["role"]);
        let outside = app.post(&format!("/v1/orgs/{id}/keys"), &app.admin, json!({"role": "publisher", "region_code": "330411"})).await;
        assert_eq!(outside.error_fields(), ["region_code"]);
        let street = app.post(&format!("/v1/orgs/{id}/keys"), &app.admin, json!({"role": "publisher", "region_code": "330402007"})).await;
        assert_eq!(street.status, StatusCode::CREATED);
        assert_eq!(street.body["region_code"], "330402007");
    }
}
