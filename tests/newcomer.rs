//! What a partner, a newcomer and a clerk get (issue 12): an OpenAPI
//! document that tells the truth, errors partners can read, files with the
//! file's own line numbers, reports that refuse months to come.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[test]
fn the_document_names_codes_as_the_server_sends_them_and_every_error_as_a_problem() {
    let doc: Value = serde_json::from_str(&jobmatch_app::openapi_json()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["OrgKind"]["enum"], json!(["gig_market", "community", "employer", "hr_agency", "bureau"]));
    assert_eq!(schemas["CertificationStatus"]["enum"][1], "certified");
    for (name, schema) in schemas.as_object().unwrap() {
        for code in schema["enum"].as_array().into_iter().flatten() {
            let code = code.as_str().unwrap();
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}: {code}");
        }
    }
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"].as_object().unwrap();
                    // The job seeker's and the public pages answer their own
                    // errors as pages too; the plumbing's are problems everywhere.
                    let page = path.starts_with("/m/") || path.starts_with("/public/");
                    let expected: &[&str] = if page && content.contains_key("text/html") {
                        &["application/problem+json", "text/html"]
                    } else {
                        &["application/problem+json"]
                    };
                    assert_eq!(
                        content.keys().map(String::as_str).collect::<Vec<_>>(),
                        expected,
                        "{method} {path} {status}"
                    );
                }
            }
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(responses.contains_key("401"), "{method} {path} documents no 401");
            }
            if op["requestBody"]["content"].as_object().is_some_and(|c| c.contains_key("application/json")) {
                for s in ["400", "415", "422"] {
                    assert!(responses.contains_key(s), "{method} {path} documents no {s}");
                }
            }
        }
    }
    assert!(operations > 50);
}

#[test]
fn no_two_types_share_a_schema_name() {
    // utoipa keeps one of two schemas with the same name without a word:
    // each response would then be described by whichever won.
    let doc: Value = serde_json::from_str(&jobmatch_app::openapi_json()).unwrap();
    let contact = &doc["components"]["schemas"]["Contact"]["properties"];
    assert!(contact.get("phone").is_some(), "Contact is a job's contact");
    let record = &doc["components"]["schemas"]["ContactRecord"]["properties"];
    assert!(record.get("method").is_some(), "an agency's contact with a person is ContactRecord");
}

fn next_month() -> String {
    let today = jobmatch_core::time::system_today();
    (today + chrono::Months::new(1)).format("%Y-%m").to_string()
}

both_backends! {
    async fn an_admin_cannot_deactivate_its_own_organisation(app: TestApp) {
        let own = app.get("/v1/orgs?limit=200", &app.admin).await;
        let bureau = own.body["items"].as_array().unwrap().iter().find(|o| o["name"] == "市人社局").unwrap()["id"].as_str().unwrap().to_string();
        let r = app.patch(&format!("/v1/orgs/{bureau}"), &app.admin, json!({"active": false})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.body["code"], "own_org");
        assert_eq!(app.get("/v1/orgs", &app.admin).await.status, StatusCode::OK, "still signed in");
        // Another organisation may be deactivated; its keys stop at once.
        let (market, key) = app.publisher("南湖零工市场").await;
        let r = app.patch(&format!("/v1/orgs/{market}"), &app.admin, json!({"active": false})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(app.get("/v1/jobs", &key).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn a_month_to_come_is_refused_and_the_current_one_is_marked_incomplete(app: TestApp) {
        let r = app.get(&format!("/v1/reports/progress?month={}", next_month()), &app.admin).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.error_fields(), ["month"]);
        let this = jobmatch_core::time::system_today().format("%Y-%m").to_string();
        let r = app.get(&format!("/v1/reports/progress?month={this}"), &app.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["complete"], false);
        let r = app.get("/v1/reports/progress?month=2026-01", &app.admin).await;
        assert_eq!(r.body["complete"], true);
        let r = app.get(&format!("/v1/reports/progress/people?month={}&column=1", next_month()), &app.admin).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A value that cannot be a month: the answer says which parameter is wrong.
        let r = app.get("/v1/reports/progress?month=2026-13", &app.admin).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body["detail"].as_str().unwrap().contains("month"), "{}", r.body);
        assert!(!r.body["detail"].as_str().unwrap().contains("无法识别"), "{}", r.body);
    }

    async fn import_rows_are_the_files_lines_for_lf_crlf_and_cr_files(app: TestApp) {
        let good = |seq: u32| id_number("330402", "19700101", seq);
        for (n, end) in ["\n", "\r\n", "\r"].into_iter().enumerate() {
            let seq = 311 + 20 * n as u32;
            let lines = [
                "身份证号,姓名,手机号,区划代码,人员类别".to_string(),
                format!("{},李建国,13600000001,330402008,", good(seq)),
                format!("{},\"王{end}秀英\",13600000002,330402008,", good(seq + 2)),
                format!("{},坏号码,1360000,330402008,", good(seq + 4)),
                format!("{},张三,13600000004,330402008,富人", good(seq + 6)),
                String::new(),
            ];
            let text = lines.join(end);
            let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv", text.into_bytes()).await;
            assert_eq!(res.status, StatusCode::OK, "{end:?}: {}", res.body);
            let rows: Vec<u64> = res.body["invalid"].as_array().unwrap().iter().map(|i| i["row"].as_u64().unwrap()).collect();
            // The quoted name spans lines 3 and 4: the bad phone is on line 5.
            assert_eq!(rows, [5, 6], "{end:?}: {}", res.body);
            assert_eq!(res.body["created"], 2, "{end:?}");
        }
    }
}

/// The 进度表 as a clerk would print it: rendered by LibreOffice (headless)
/// to PDF, it is one landscape page; the page is kept as a PNG under
/// `target/report-render/` for review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_report_prints_on_one_landscape_page() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let month = (jobmatch_core::time::system_today() - chrono::Months::new(1)).format("%Y-%m").to_string();
    let res = app
        .client
        .get(format!("{}/v1/reports/progress?month={month}&region=330400&format=xlsx", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-render");
    std::fs::create_dir_all(&out).unwrap();
    let xlsx = out.join("progress.xlsx");
    std::fs::write(&xlsx, &bytes).unwrap();
    let profile = temp_dir();
    let _cleanup = Cleanup(profile.clone());
    let soffice = std::process::Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .arg(&xlsx)
        .output()
        .expect("LibreOffice (soffice) is needed: .ci/run installs libreoffice-calc-nogui");
    assert!(soffice.status.success(), "{}", String::from_utf8_lossy(&soffice.stderr));
    let pdf = out.join("progress.pdf");
    let info = std::process::Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let field = |name: &str| info.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_string();
    assert!(field("Pages:").ends_with(" 1"), "one page: {info}");
    // Landscape A4: 842 × 595 points.
    let size = field("Page size:");
    assert!(size.contains("841.") || size.contains("842"), "A4 landscape: {size}");
    let nums: Vec<f64> = size.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(nums.len() >= 2 && nums[0] > nums[1], "wider than tall: {size}");
    let png = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "110", "-singlefile"])
        .arg(&pdf)
        .arg(out.join("progress"))
        .status()
        .unwrap();
    assert!(png.success());
    assert!(out.join("progress.png").exists());
}
