//! Operational endpoints, request ids, the committed OpenAPI document.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::job_body;

fn committed_openapi_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.json")
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(committed_openapi_path()).unwrap_or_default();
    let generated = jobmatch_app::openapi_json();
    assert!(
        committed == generated,
        "schemas/openapi.json is out of date: run `cargo run -q -p jobmatch -- openapi > schemas/openapi.json`"
    );
}

#[test]
fn the_openapi_document_has_every_foundation_path_of_the_contract() {
    let doc: Value = serde_json::from_str(&jobmatch_app::openapi_json()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/orgs", "post"),
        ("/v1/orgs/{id}/keys", "post"),
        ("/v1/regions", "get"),
        ("/v1/jobs", "post"),
        ("/v1/jobs", "get"),
        ("/v1/jobs/{id}", "get"),
        ("/v1/jobs/{id}", "patch"),
        ("/v1/jobs/{id}/close", "post"),
        ("/v1/jobs/import", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
    }
    let job = &doc["components"]["schemas"]["JobInput"]["properties"];
    for field in [
        "title",
        "description",
        "source",
        "category",
        "employment_type",
        "pay",
        "region_code",
        "address",
        "location",
        "headcount",
        "requirements",
        "disability_friendly",
        "valid_until",
        "contact",
    ] {
        assert!(!job[field].is_null(), "JobInput.{field} missing");
    }
}

both_backends! {
    async fn health_readiness_and_metrics_answer(app: TestApp) {
        let h = app.send("GET", "/healthz", None, None).await;
        assert_eq!((h.status, h.body["status"].as_str()), (StatusCode::OK, Some("ok")));
        let r = app.send("GET", "/readyz", None, None).await;
        assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("ready")));
        let (_, key) = app.publisher("南湖零工市场").await;
        app.create_job(&key, job_body()).await;
        app.post("/v1/jobs", &key, serde_json::json!({})).await;
        let m = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
        assert_eq!(m.status(), StatusCode::OK);
        let text = m.text().await.unwrap();
        assert!(text.contains(r#"jobmatch_http_requests_total{method="POST",route="/v1/jobs",status="201"} 1"#), "{text}");
        assert!(text.contains(r#"jobmatch_http_requests_total{method="POST",route="/v1/jobs",status="422"} 1"#));
        assert!(text.contains(r#"jobmatch_http_request_duration_seconds_count{route="/v1/jobs"} 2"#));
        assert!(!text.contains("job_0"), "ids never become labels");
    }

    async fn the_served_openapi_document_is_the_committed_one(app: TestApp) {
        let served = app.send("GET", "/openapi.json", None, None).await;
        assert_eq!(served.status, StatusCode::OK);
        let committed: Value = serde_json::from_str(&std::fs::read_to_string(committed_openapi_path()).unwrap()).unwrap();
        assert_eq!(served.body, committed);
    }

    async fn every_answer_carries_a_request_id_and_keeps_a_given_one(app: TestApp) {
        let res = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
        let id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
        assert_eq!(id.len(), 36);
        let res = app.client.get(format!("{}/healthz", app.base)).header("x-request-id", "abc-123").send().await.unwrap();
        assert_eq!(res.headers().get("x-request-id").unwrap(), "abc-123");
    }

    async fn unknown_paths_are_404_problems(app: TestApp) {
        let res = app.get("/v1/nothing-here", &app.admin).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(res.is_problem());
        let res = app.get("/v1/jobs/job_0000", &app.admin).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(res.body["code"], "not_found");
    }
}

both_backends! {
    // A benchmark given the URL of a store that holds data refuses to run
    // (`bench push` empties the notification queue).
    async fn benchmarks_refuse_a_store_that_holds_data(app: TestApp) {
        let dir = crate::helpers::temp_dir();
        let _cleanup = crate::helpers::Cleanup(dir.clone());
        let fresh = format!("sqlite://{}", dir.join("new.db").display());
        assert!(jobmatch_bench::store::refuse_a_real_store(Some(&fresh)).await.is_ok(), "a new store is fine");
        // The app's store holds an organisation and its key already.
        let err = jobmatch_bench::store::refuse_a_real_store(Some(&app.database_url)).await.unwrap_err();
        assert!(err.to_string().contains("orgs"), "{err}");
        app.create_person(crate::helpers::person_body(124)).await;
        let err = jobmatch_bench::store::refuse_a_real_store(Some(&app.database_url)).await.unwrap_err();
        assert!(err.to_string().contains("holds data"), "{err}");
        assert_eq!(app.count("persons").await, 1, "nothing touched");
    }
}
