//! Organisations and the region tree.

use reqwest::StatusCode;
use serde_json::json;

both_backends! {
    async fn an_organisation_is_created_and_read_back_with_exactly_the_contract_fields(app: TestApp) {
        let res = app.post("/v1/orgs", &app.admin, json!({"name": "南湖零工市场", "kind": "gig_market", "region_code": "330402"})).await;
        assert_eq!(res.status, StatusCode::CREATED);
        let mut keys: Vec<&String> = res.body.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["active", "id", "kind", "name", "region_code"]);
        let id = res.body["id"].as_str().unwrap();
        let got = app.get(&format!("/v1/orgs/{id}"), &app.admin).await;
        assert_eq!(got.body, res.body);
        let list = app.get("/v1/orgs?limit=200", &app.admin).await;
        assert!(list.body["items"].as_array().unwrap().iter().any(|o| o["id"] == id));
    }

    async fn a_second_organisation_with_the_same_name_is_409_with_the_existing_id(app: TestApp) {
        let first = app.post("/v1/orgs", &app.admin, json!({"name": "南湖零工市场", "kind": "gig_market", "region_code": "330402"})).await;
        let again = app.post("/v1/orgs", &app.admin, json!({"name": "南湖零工市场", "kind": "employer", "region_code": "330411"})).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["existing_id"], first.body["id"]);
    }

    async fn bad_organisations_name_every_field(app: TestApp) {
        let res = app.post("/v1/orgs", &app.admin, json!({"name": "x", "kind": "church", "region_code": "999999", "boss": 1})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut fields = res.error_fields();
        fields.sort();
        assert_eq!(fields, ["boss", "kind", "name", "region_code"]);
    }

    async fn another_organisation_is_404_to_a_publisher(app: TestApp) {
        let (mine, key) = app.publisher("南湖零工市场").await;
        let (theirs, _) = app.publisher("秀洲零工市场").await;
        assert_eq!(app.get(&format!("/v1/orgs/{mine}"), &key).await.status, StatusCode::OK);
        assert_eq!(app.get(&format!("/v1/orgs/{theirs}"), &key).await.status, StatusCode::NOT_FOUND);
    }

    async fn the_region_tree_holds_counties_zones_and_streets(app: TestApp) {
        let res = app.get("/v1/regions", &app.admin).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.body["code"], "330400");
        let counties = res.body["children"].as_array().unwrap();
        assert_eq!(counties.len(), 9, "seven counties and two zones");
        let nanhu = counties.iter().find(|c| c["code"] == "330402").unwrap();
        let chengnan = nanhu["children"].as_array().unwrap().iter().find(|s| s["code"] == "330402012").unwrap();
        assert_eq!(chengnan["reporting_unit"], "330400-ETDZ");
        assert!(res.body.to_string().contains("330402007"));
    }
}
