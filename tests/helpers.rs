//! `spawn_app()` and a client with a method per call the tests make.

use std::path::PathBuf;
use std::time::Duration;

use jobmatch_app::{Application, ServiceRole};
use jobmatch_core::config::{LogFormat, Settings};
use jobmatch_core::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declare tests that run once per backend: `mod name { sqlite, postgres }`.
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.expect("sqlite app")).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    match $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        Some(app) => run(app).await,
                        None => eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set"),
                    }
                }
            }
        )*
    };
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    /// A second admin key of the bureau: the other person who approves or
    /// certifies what `admin` proposed or applied for (two people).
    pub reviewer: String,
    pub state: AppState,
    pub matcher: std::sync::Arc<jobmatch_matching::Matcher>,
    pub data_dir: PathBuf,
    pub database_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// Remove the test's folder when the app is dropped (not after `shutdown`,
    /// whose caller restarts on it).
    cleanup: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.cleanup {
            if let Some(root) = self.data_dir.parent().filter(|p| p.starts_with(std::env::temp_dir())) {
                let _ = std::fs::remove_dir_all(root);
            }
        }
    }
}

/// Removes a test's folder when dropped.
pub struct Cleanup(pub PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh temporary folder.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jobmatch-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        jobmatch_core::telemetry::init(LogFormat::Text);
    }
}

/// A database URL for this test: a new SQLite file, or a new PostgreSQL
/// database (None when PostgreSQL is not configured).
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}", dir.join("jobmatch.db").display())),
        Backend::Postgres => {
            let admin_url = std::env::var("JOBMATCH_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
            let mut conn =
                sqlx::PgConnection::connect(&admin_url).await.expect("connect to JOBMATCH_TEST_POSTGRES_URL");
            drop_stale_databases(&mut conn).await;
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let name = format!("jm_test_{secs}_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
            Some(format!("{base}/{name}"))
        }
    }
}

/// Test databases older than two hours are left-overs of earlier runs.
async fn drop_stale_databases(conn: &mut sqlx::PgConnection) {
    let names: Vec<(String,)> = sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'jm_test_%'")
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for (name,) in names {
        let secs: u64 =
            name.trim_start_matches("jm_test_").split('_').next().and_then(|s| s.parse().ok()).unwrap_or(now);
        if now.saturating_sub(secs) > 7200 {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut *conn).await;
        }
    }
}

/// Start the whole application on port 0 with a fresh store and an admin key.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    init_logs();
    let dir = temp_dir();
    let Some(database_url) = fresh_database(backend, &dir).await else {
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    };
    start_app(&dir.join("data"), &database_url, tweak).await
}

/// Start the application on an existing data folder and store (a restart).
pub async fn start_app(
    data_dir: &std::path::Path,
    database_url: &str,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let mut settings = Settings::for_data_dir(data_dir, Some(database_url.to_string())).expect("settings");
    settings.expiry_sweep_secs = 1;
    // Tests' webhook receivers listen on loopback; the SSRF tests clear this.
    settings.push.webhook_allow_hosts = vec!["127.0.0.1".into()];
    // Many tests check 401s on purpose; the throttle test lowers this.
    settings.auth_failures_per_minute = 100_000;
    tweak(&mut settings);
    let app = Application::build(settings, ServiceRole::All).await.expect("application builds");
    let port = app.port();
    let state = app.state().clone();
    let matcher = app.matcher().expect("all roles run");
    let admin =
        jobmatch_app::cli::create_key(&state, "市人社局", "bureau", "admin", "330400").await.expect("admin key");
    let reviewer =
        jobmatch_app::cli::create_key(&state, "市人社局", "bureau", "admin", "330400").await.expect("second admin key");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Some(TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
        admin,
        reviewer,
        state,
        matcher,
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.to_string(),
        stop: Some(stop),
        server: Some(server),
        cleanup: true,
    })
}

/// An answer: status, body as JSON (Null when empty or not JSON), content type.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
}

impl Answer {
    /// The `field` of every entry of a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    pub fn is_problem(&self) -> bool {
        self.content_type.starts_with("application/problem+json")
    }
}

impl TestApp {
    /// Stop the server gracefully and wait for it (its indexes are committed).
    pub async fn shutdown(mut self) -> (PathBuf, String) {
        self.cleanup = false;
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        (self.data_dir.clone(), self.database_url.clone())
    }

    /// Wait until matching has applied every outbox event written so far.
    pub async fn wait_indexed(&self) {
        for _ in 0..200 {
            if self.matcher.caught_up().await.unwrap() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("matching did not catch up with the outbox (at {})", self.matcher.applied());
    }

    /// Send a request; the answer must be one the OpenAPI document
    /// describes (status, content type, body schema): see [`conforms`].
    pub async fn send(&self, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.client.request(method.parse().unwrap(), format!("{}{}", self.base, path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer = Self::answer(req.send().await.expect("request sent")).await;
        conforms(method, path, &answer);
        answer
    }

    pub async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status();
        let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let bytes = res.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body, content_type }
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        self.send("GET", path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.send("POST", path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.send("PATCH", path, Some(key), Some(body)).await
    }

    /// A new organisation with a key of `role` (region defaults to the org's).
    pub async fn org_with_key(&self, name: &str, kind: &str, region: &str, role: &str) -> (String, String) {
        let org = self.post("/v1/orgs", &self.admin, json!({"name": name, "kind": kind, "region_code": region})).await;
        assert_eq!(org.status, StatusCode::CREATED, "{}", org.body);
        let id = org.body["id"].as_str().unwrap().to_string();
        let key = self.post(&format!("/v1/orgs/{id}/keys"), &self.admin, json!({"role": role})).await;
        assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
        (id, key.body["key"].as_str().unwrap().to_string())
    }

    /// A gig market in 南湖区 with a publisher key.
    pub async fn publisher(&self, name: &str) -> (String, String) {
        self.org_with_key(name, "gig_market", "330402", "publisher").await
    }

    /// Create a job, asserting 201; returns its id.
    pub async fn create_job(&self, key: &str, body: Value) -> String {
        let res = self.post("/v1/jobs", key, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body["id"].as_str().unwrap().to_string()
    }

    /// How many jobs the store holds, whatever their status.
    pub async fn job_rows(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs").fetch_one(&self.state.db.pool).await.unwrap()
    }

    /// How many outbox events the store holds.
    pub async fn event_rows(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM events").fetch_one(&self.state.db.pool).await.unwrap()
    }
}

/// A valid job body (the contract's example).
pub fn job_body() -> Value {
    json!({
        "title": "小区保洁员",
        "description": "负责小区楼道、电梯和公共区域的日常清洁，每天上午8点到11点。",
        "source": "gig_market",
        "category": "cleaning",
        "employment_type": "part_time",
        "pay": {"min": 20, "max": 25, "unit": "hour"},
        "region_code": "330402007",
        "headcount": 2,
        "requirements": {"age_min": 18, "age_max": 60, "physical": "medium"},
        "contact": {"name": "王女士", "phone": "13805731234"}
    })
}

/// `body` with `f` applied.
pub fn with(mut body: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut body);
    body
}

/// A valid resident ID number with this region, birth date and sequence
/// (odd sequence: male, even: female).
pub fn id_number(region: &str, birth: &str, seq: u32) -> String {
    let body = format!("{region}{birth}{seq:03}");
    format!("{body}{}", jobmatch_core::idcard::check_char(&body).unwrap())
}

/// A valid person body (58-year-old woman in 解放街道, 南湖区).
pub fn person_body(seq: u32) -> Value {
    json!({
        "id_number": id_number("330402", "19680512", seq),
        "name": "张桂芳",
        "phone": "13905738765",
        "region_code": "330402008",
        "groups": ["low_income_family"],
        "skills": ["打扫卫生", "做饭"],
        "preferred_categories": ["cleaning"],
        "availability": ["part_time", "gig"],
        "physical_limit": "medium",
        "consent": {"push": true, "share_with_agencies": true}
    })
}

impl TestApp {
    /// Create a person as admin, asserting 201; returns the id.
    pub async fn create_person(&self, body: Value) -> String {
        let res = self.post("/v1/persons", &self.admin, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body["id"].as_str().unwrap().to_string()
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// Post raw bytes (an import file).
    pub async fn post_bytes(&self, path: &str, key: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let res = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        Self::answer(res).await
    }
}

/// The committed OpenAPI document, read once.
fn document() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("schemas/openapi.json")).expect("valid JSON")
    })
}

/// The document's path template for a request path (`/v1/jobs/job_1/close`
/// → `/v1/jobs/{id}/close`), the one with the most literal segments.
fn template_of(path: &str) -> Option<String> {
    let wanted: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
    let mut best: Option<(usize, String)> = None;
    for template in document()["paths"].as_object()?.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != wanted.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&wanted).all(|(t, w)| {
            if t.starts_with('{') {
                !w.is_empty()
            } else {
                literal += 1;
                t == w
            }
        });
        if fits && best.as_ref().is_none_or(|(n, _)| literal > *n) {
            best = Some((literal, template.clone()));
        }
    }
    best.map(|(_, t)| t)
}

/// Every answer the tests get through [`TestApp::send`] is checked against
/// the committed OpenAPI document: its status is documented for the
/// operation, its content type is one documented for that status, and a
/// JSON body validates against the documented schema. So the document a
/// partner generates a client from cannot drift from what the server sends.
pub fn conforms(method: &str, path: &str, answer: &Answer) {
    let Some(template) = template_of(path) else { return };
    let method = method.to_ascii_lowercase();
    let Some(op) = document()["paths"][&template].get(&method) else { return };
    let status = answer.status.as_u16().to_string();
    let Some(response) = op["responses"].get(&status) else {
        panic!("{method} {template} answered {status}, which the OpenAPI document does not list: {}", answer.body);
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else { return };
    let ctype = answer.content_type.split(';').next().unwrap_or("").trim().to_string();
    let Some(media) = content.get(&ctype) else {
        panic!(
            "{method} {template} {status} answered {ctype}; the document says {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    if answer.body.is_null() || !ctype.contains("json") {
        return;
    }
    let Some(schema) = media.get("schema") else { return };
    let mut root = serde_json::json!({"components": document()["components"].clone()});
    if let (Value::Object(r), Value::Object(s)) = (&mut root, schema) {
        r.extend(s.clone());
    }
    let validator = jsonschema::validator_for(&root).expect("a valid schema");
    let errors: Vec<String> =
        validator.iter_errors(&answer.body).take(5).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status}: the answer does not match the document: {errors:?}\n{}",
        answer.body
    );
}

/// Run a script of tests/browser/ (Debian's Chromium through playwright-core)
/// with `input` as its one argument, from the project root; its last line
/// of output is JSON. `None` when Chromium or the node modules are missing,
/// which fails the test when `JOBMATCH_BROWSER_TESTS=required` (as
/// `.ci/run` sets).
pub fn run_browser_script(script: &str, input: &Value) -> Option<Value> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ready = root.join("tests/browser/node_modules/playwright-core").exists()
        && std::path::Path::new(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())).exists();
    if !ready {
        let required = std::env::var("JOBMATCH_BROWSER_TESTS").is_ok_and(|v| v == "required");
        assert!(!required, "the browser test needs /usr/bin/chromium and `npm ci --prefix tests/browser`");
        eprintln!("skipped the browser part: no Chromium or no tests/browser/node_modules (see .ci/run)");
        return None;
    }
    let run = std::process::Command::new("node")
        .current_dir(&root)
        .arg(root.join("tests/browser").join(script))
        .arg(input.to_string())
        .output()
        .expect("node runs");
    assert!(run.status.success(), "the browser script failed: {}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    Some(serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("the script prints JSON"))
}
