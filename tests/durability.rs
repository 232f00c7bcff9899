//! The real binary: killed with SIGKILL it keeps every job it answered 201
//! for; SIGTERM stops it cleanly; bad settings stop the start with a message.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use serde_json::{json, Value};

use crate::helpers::{fresh_database, job_body, person_body, temp_dir, Backend, Cleanup};
use crate::receiver::{Mode, Receiver};

const BIN: &str = env!("CARGO_BIN_EXE_jobmatch");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn command(dir: &Path, db: &str, port: u16) -> Command {
    let mut c = Command::new(BIN);
    c.env("JOBMATCH_DATA_DIR", dir.join("data"))
        .env("JOBMATCH_DATABASE_URL", db)
        .env("JOBMATCH_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("JOBMATCH_CONFIG")
        .env_remove("RUST_LOG")
        .current_dir(dir);
    c
}

async fn start(dir: &Path, db: &str, port: u16) -> Child {
    start_with(dir, db, port, &[]).await
}

async fn start_with(dir: &Path, db: &str, port: u16, envs: &[(&str, &str)]) -> Child {
    start_role(dir, db, port, envs, &[]).await
}

async fn start_role(dir: &Path, db: &str, port: u16, envs: &[(&str, &str)], args: &[&str]) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    let log = std::fs::File::create(dir.join(format!("server-{}.log", uuid::Uuid::new_v4().simple()))).unwrap();
    let mut c = command(dir, db, port);
    c.envs(envs.iter().copied());
    let mut child = c.arg("serve").args(args).stdout(Stdio::null()).stderr(log).spawn().unwrap();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                return child;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not become ready");
}

/// A gig market in 南湖区 registered on the server at `base`, and a
/// publisher key for it.
async fn publisher_key(client: &reqwest::Client, base: &str, admin: &str, name: &str) -> String {
    let org: Value = client
        .post(format!("{base}/v1/orgs"))
        .bearer_auth(admin)
        .json(&json!({"name": name, "kind": "gig_market", "region_code": "330402"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key: Value = client
        .post(format!("{base}/v1/orgs/{}/keys", org["id"].as_str().unwrap()))
        .bearer_auth(admin)
        .json(&json!({"role": "publisher"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    key["key"].as_str().unwrap().to_string()
}

fn keys_create(dir: &Path, db: &str, args: &[&str]) -> String {
    let out = command(dir, db, free_port()).args(["keys", "create"]).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout.lines().last().unwrap().to_string()
}

async fn killed_server_keeps_every_acknowledged_job(backend: Backend) {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let Some(db) = fresh_database(backend, &dir).await else {
        eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
        return;
    };
    let port = free_port();
    let mut server = start(&dir, &db, port).await;
    let key = keys_create(
        &dir,
        &db,
        &["--org", "南湖零工市场", "--kind", "gig_market", "--role", "publisher", "--region", "330402"],
    );
    assert!(key.starts_with("jm_"), "the key is alone on the last line: {key}");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    // Many posts in flight; the server is killed while they are being answered.
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i * 5)).await;
            let mut body = job_body();
            body["title"] = serde_json::json!(format!("保洁员{i}号"));
            let res = client.post(format!("{base}/v1/jobs")).bearer_auth(&key).json(&body).send().await.ok()?;
            if res.status() != StatusCode::CREATED {
                return None;
            }
            let v: serde_json::Value = res.json().await.ok()?;
            Some(v["id"].as_str()?.to_string())
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Some(id) = t.await.unwrap() {
            acknowledged.push(id);
        }
    }
    assert!(!acknowledged.is_empty(), "some jobs were answered before the kill");
    let mut server = start(&dir, &db, port).await;
    for id in &acknowledged {
        let res = client.get(format!("{base}/v1/jobs/{id}")).bearer_auth(&key).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "job {id} answered 201 was lost");
    }
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_every_job_it_answered_201_for_on_sqlite() {
    killed_server_keeps_every_acknowledged_job(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_every_job_it_answered_201_for_on_postgres() {
    killed_server_keeps_every_acknowledged_job(Backend::Postgres).await;
}

/// Push: the server is killed while SMS deliveries hang at the gateway; after
/// a restart every queued notification is delivered at least once and each
/// inbox shows the job once.
async fn killed_push_delivers_everything_after_restart(backend: Backend) {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let Some(db) = fresh_database(backend, &dir).await else {
        eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
        return;
    };
    let gateway = Receiver::start(Mode::Hang).await;
    let envs = [
        ("JOBMATCH_SMS_GATEWAY_URL", gateway.url.as_str()),
        ("JOBMATCH_PUSH_QUIET_HOURS", "off"),
        ("JOBMATCH_PUSH_LEASE_SECS", "2"),
        ("JOBMATCH_PUSH_HTTP_TIMEOUT_SECS", "60"),
        ("JOBMATCH_PUSH_POLL_MS", "50"),
    ];
    let port = free_port();
    let mut server = start_with(&dir, &db, port, &envs).await;
    let admin =
        keys_create(&dir, &db, &["--org", "市人社局", "--kind", "bureau", "--role", "admin", "--region", "330400"]);
    let publisher = keys_create(
        &dir,
        &db,
        &["--org", "南湖零工市场", "--kind", "gig_market", "--role", "publisher", "--region", "330402"],
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut people = Vec::new();
    for i in 0..6u32 {
        let mut body = person_body(401 + 2 * i);
        body["phone"] = json!(format!("1390573{:04}", 100 + i));
        let r = client.post(format!("{base}/v1/persons")).bearer_auth(&admin).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        people.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = client.post(format!("{base}/v1/jobs")).bearer_auth(&publisher).json(&job_body()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let job = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    // Wait until SMS deliveries hang in flight, then kill.
    for _ in 0..200 {
        if gateway.hits().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(gateway.hits().len() >= 2, "deliveries were in flight before the kill");
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    gateway.set(Mode::Ok);
    let mut server = start_with(&dir, &db, port, &envs).await;
    let mut items = Vec::new();
    for _ in 0..300 {
        let r = client
            .get(format!("{base}/v1/notifications?job_id={job}&limit=200"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        items = r.json::<Value>().await.unwrap()["items"].as_array().cloned().unwrap_or_default();
        if items.len() == 12 && items.iter().all(|n| n["status"] == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(items.len(), 12, "inbox and SMS for each of six people: {items:?}");
    assert!(items.iter().all(|n| n["status"] == "sent"), "{items:?}");
    let phones: std::collections::HashSet<String> = gateway
        .hits()
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).unwrap()["phone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(phones.len(), 6, "every SMS reached the gateway at least once");
    for p in &people {
        let r = client.get(format!("{base}/v1/persons/{p}/inbox")).bearer_auth(&admin).send().await.unwrap();
        let inbox = r.json::<Value>().await.unwrap();
        let jobs: Vec<&Value> =
            inbox["items"].as_array().unwrap().iter().filter(|m| m["job_id"] == job.as_str()).collect();
        assert_eq!(jobs.len(), 1, "the inbox shows the job once: {inbox}");
    }
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_push_service_delivers_every_queued_notice_after_restart_on_sqlite() {
    killed_push_delivers_everything_after_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_push_service_delivers_every_queued_notice_after_restart_on_postgres() {
    killed_push_delivers_everything_after_restart(Backend::Postgres).await;
}

/// The k8s shape: posting, matching and push as three processes on one
/// store; push asks matching over HTTP for the fitting people.
async fn three_roles_as_three_processes(backend: Backend) {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let Some(db) = fresh_database(backend, &dir).await else {
        eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
        return;
    };
    let key = "22".repeat(32);
    let common =
        [("JOBMATCH_DATA_KEY", key.as_str()), ("JOBMATCH_PUSH_QUIET_HOURS", "off"), ("JOBMATCH_PUSH_POLL_MS", "50")];
    let (posting_port, matching_port, push_port) = (free_port(), free_port(), free_port());
    let mut posting = start_role(&dir.join("posting"), &db, posting_port, &common, &["--role", "posting"]).await;
    let admin = {
        let out = command(&dir.join("posting"), &db, free_port())
            .env("JOBMATCH_DATA_KEY", &key)
            .args(["keys", "create", "--org", "市人社局", "--kind", "bureau", "--role", "admin", "--region", "330400"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_string()
    };
    let mut matching = start_role(&dir.join("matching"), &db, matching_port, &common, &["--role", "matching"]).await;
    let matching_url = format!("http://127.0.0.1:{matching_port}");
    let mut envs = common.to_vec();
    envs.push(("JOBMATCH_MATCHING_URL", &matching_url));
    envs.push(("JOBMATCH_MATCHING_KEY", &admin));
    let mut push = start_role(&dir.join("push"), &db, push_port, &envs, &["--role", "push"]).await;
    let client = reqwest::Client::new();
    let posting_base = format!("http://127.0.0.1:{posting_port}");
    let r = client
        .post(format!("{posting_base}/v1/persons"))
        .bearer_auth(&admin)
        .json(&person_body(901))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let person = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let publisher = publisher_key(&client, &posting_base, &admin, "三进程零工市场").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r =
        client.post(format!("{posting_base}/v1/jobs")).bearer_auth(&publisher).json(&job_body()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let job = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let mut items = Vec::new();
    // Three processes on two shared cores, beside the rest of the suite: up to 20 s.
    for _ in 0..400 {
        let r = client
            .get(format!("http://127.0.0.1:{push_port}/v1/notifications?job_id={job}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        items = r.json::<Value>().await.unwrap()["items"].as_array().cloned().unwrap_or_default();
        if items.iter().any(|n| n["person_id"] == person.as_str() && n["channel"] == "inbox" && n["status"] == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        items.iter().any(|n| n["person_id"] == person.as_str() && n["channel"] == "inbox" && n["status"] == "sent"),
        "push found the person through matching's API: {items:?}"
    );
    // Each process serves its own routes only.
    let r = client.get(format!("http://127.0.0.1:{push_port}/v1/jobs")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for child in [&mut posting, &mut matching, &mut push] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_matching_and_push_run_as_three_processes_on_sqlite() {
    three_roles_as_three_processes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_matching_and_push_run_as_three_processes_on_postgres() {
    three_roles_as_three_processes(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let db = format!("sqlite://{}", dir.join("data/jobmatch.db").display());
    let port = free_port();
    let server = start(&dir, &db, port).await;
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
}

#[test]
fn the_default_store_is_an_sqlite_file_created_in_the_data_folder() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let out = Command::new(BIN)
        .args(["keys", "create", "--org", "市人社局", "--kind", "bureau", "--role", "admin", "--region", "330400"])
        .env_remove("JOBMATCH_DATABASE_URL")
        .env_remove("JOBMATCH_DATA_DIR")
        .env_remove("JOBMATCH_CONFIG")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("data/jobmatch.db").exists());
}

#[test]
fn bad_settings_stop_the_start_naming_the_setting() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let out = Command::new(BIN).arg("serve").env("JOBMATCH_LISTEN", "localhost").current_dir(&dir).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`listen`"));
    std::fs::write(dir.join("jobmatch.toml"), "listen = \"127.0.0.1:0\"\nmax_body_bytes = \"lots\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["--config", "jobmatch.toml", "serve"])
        .env_remove("JOBMATCH_LISTEN")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`max_body_bytes`"));
}

#[test]
fn a_bad_index_config_file_stops_the_start_naming_file_and_line() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let cfg = dir.join("index-config");
    std::fs::create_dir_all(&cfg).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-config");
    for f in ["categories.toml", "certificates.toml", "forbidden-terms.toml"] {
        std::fs::copy(root.join(f), cfg.join(f)).unwrap();
    }
    std::fs::write(cfg.join("certificates.toml"), "version = 1\n\n[[certificate]]\ncode = \"x\"\nname = 7\n").unwrap();
    let out = Command::new(BIN)
        .arg("serve")
        .env("JOBMATCH_INDEX_CONFIG_DIR", &cfg)
        .env("JOBMATCH_LISTEN", "127.0.0.1:0")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("index-config/certificates.toml:5"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_id_number_or_phone_ever_reaches_a_log_line() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let db = format!("sqlite://{}", dir.join("data/jobmatch.db").display());
    let port = free_port();
    let log_path = dir.join("debug.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = command(&dir, &db, port)
        .arg("serve")
        .env("RUST_LOG", "debug")
        .env("JOBMATCH_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key =
        keys_create(&dir, &db, &["--org", "市人社局", "--kind", "bureau", "--role", "admin", "--region", "330400"]);
    let person = crate::helpers::person_body(124);
    let id_number = person["id_number"].as_str().unwrap().to_string();
    let res = client.post(format!("{base}/v1/persons")).bearer_auth(&key).json(&person).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let pid = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    client.get(format!("{base}/v1/persons/{pid}")).bearer_auth(&key).send().await.unwrap();
    client.get(format!("{base}/v1/persons?id_number={id_number}")).bearer_auth(&key).send().await.unwrap();
    client
        .patch(format!("{base}/v1/persons/{pid}"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"phone": "13600001111"}))
        .send()
        .await
        .unwrap();
    // Bad input echoes nothing of the value either.
    client
        .post(format!("{base}/v1/persons"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"id_number": "330402196805121240", "phone": "13712345678"}))
        .send()
        .await
        .unwrap();
    let csv = format!("身份证号,姓名,手机号,区划代码\n{id_number},张桂芳,13955556666,330402008\n");
    let res = client
        .post(format!("{base}/v1/persons/import?source=civil_affairs"))
        .bearer_auth(&key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let pid_term = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid_term]).status().unwrap().success());
    server.wait().unwrap();
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("person registered"), "the log was written at debug level");
    for secret in [
        id_number.as_str(),
        &id_number[6..14],
        "13905738765",
        "13600001111",
        "13712345678",
        "13955556666",
        "330402196805121240",
        key.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} appears in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_processes_starting_at_once_migrate_one_postgres_safely() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let Some(db) = fresh_database(Backend::Postgres, &dir).await else {
        eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
        return;
    };
    // Three real processes race to migrate the same empty database.
    let children: Vec<_> = (0..3)
        .map(|i| {
            command(&dir, &db, free_port())
                .args([
                    "keys",
                    "create",
                    "--org",
                    &format!("并发机构{i}"),
                    "--kind",
                    "bureau",
                    "--role",
                    "admin",
                    "--region",
                    "330400",
                ])
                .env("JOBMATCH_DATA_KEY", "11".repeat(32))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let store = jobmatch_core::db::Db::connect(&db).await.unwrap();
    let migrations: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&store.pool).await.unwrap();
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs").fetch_one(&store.pool).await.unwrap();
    let files =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/migrations/postgres")).unwrap().count();
    assert_eq!((migrations, orgs), (files as i64, 3), "every migration once, every org once");
}

/// Without RUST_LOG the log holds the service's own lines; libraries (the
/// index's merges and commits) speak only when something is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_logs_hold_the_services_own_lines() {
    let dir = temp_dir();
    let _cleanup = Cleanup(dir.clone());
    let db = format!("sqlite://{}", dir.join("data/jobmatch.db").display());
    let admin =
        keys_create(&dir, &db, &["--org", "市人社局", "--kind", "bureau", "--role", "admin", "--region", "330400"]);
    let port = free_port();
    let server = start_with(&dir, &db, port, &[("JOBMATCH_LOG_FORMAT", "json")]).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let publisher = publisher_key(&client, &base, &admin, "南湖零工市场").await;
    for _ in 0..5 {
        let r = client.post(format!("{base}/v1/jobs")).bearer_auth(&publisher).json(&job_body()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(server.wait_with_output().unwrap().status.success());
    let mut lines = 0;
    let mut routed = false;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().starts_with("server-") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
            let (level, target) = (v["level"].as_str().unwrap_or(""), v["target"].as_str().unwrap_or(""));
            assert!(target.starts_with("jobmatch") || matches!(level, "WARN" | "ERROR"), "{line}");
            assert!(!line.contains("/v1/orgs/org_"), "no raw paths with ids: {line}");
            routed |= v["span"]["route"] == "/v1/orgs/{id}/keys";
            lines += 1;
        }
    }
    assert!(lines >= 3, "the service's own lines are there: {lines}");
    assert!(routed, "a line logged inside a request names its route template");
}
