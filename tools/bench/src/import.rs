//! `jobmatch-bench import-persons`: a generated department list of people
//! imported through the API, twice.

use std::time::Instant;

use jobmatch_core::config::Settings;
use jobmatch_core::idcard::check_char;

use jobmatch_app::{Application, ServiceRole};

use crate::store::{claim, refuse_a_real_store};

/// Streets of Jiaxing used for generated people (南湖、秀洲、嘉善、海宁、桐乡).
const STREETS: [&str; 10] = [
    "330402007",
    "330402008",
    "330402011",
    "330411002",
    "330411101",
    "330421001",
    "330481001",
    "330481002",
    "330483001",
    "330402009",
];
const SURNAMES: [&str; 12] = ["王", "李", "张", "陈", "沈", "朱", "徐", "周", "吴", "钱", "孙", "顾"];
const GIVEN: [&str; 12] = ["秀英", "建国", "桂芳", "美华", "国强", "海燕", "志明", "丽娟", "伟", "芳", "明", "红梅"];
const GROUPS: [&str; 4] = ["低保", "低边", "残疾人", "零就业家庭"];

/// A department list of `rows` people as CSV, like the civil affairs bureau sends.
pub fn generate_person_csv(rows: usize) -> String {
    let mut out = String::with_capacity(rows * 70);
    out.push_str("身份证号,姓名,手机号,区划代码,人员类别\n");
    for i in 0..rows {
        let county = ["330402", "330411", "330421", "330481", "330483"][i % 5];
        let year = 1966 + (i / 997) % 40;
        let day = 1 + (i / 7) % 28;
        let month = 1 + (i / 31) % 12;
        let body = format!("{county}{year:04}{month:02}{day:02}{:03}", i % 1000);
        let id = format!("{body}{}", check_char(&body).unwrap_or('0'));
        let name = format!("{}{}", SURNAMES[i % 12], GIVEN[(i / 12) % 12]);
        let phone = format!("13{:09}", i);
        out.push_str(&format!("{id},{name},{phone},{},{}\n", STREETS[i % STREETS.len()], GROUPS[i % 4]));
    }
    out
}

/// Import `rows` generated people through `POST /v1/persons/import` and print
/// the time it took.
pub async fn import_persons(rows: usize, database_url: Option<String>) -> anyhow::Result<()> {
    refuse_a_real_store(database_url.as_deref()).await?;
    let dir = std::env::temp_dir().join(format!("jobmatch-bench-{}", uuid_like()));
    let settings = Settings::for_data_dir(&dir.join("data"), database_url)?;
    let backend = if settings.database_url.expose().starts_with("sqlite") { "sqlite" } else { "postgres" };
    let app = Application::build(settings, ServiceRole::Posting).await?;
    let port = app.port();
    let state = app.state().clone();
    claim(&state).await?;
    let key = jobmatch_app::cli::create_key(&state, "市人社局", "bureau", "admin", "330400").await?;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let csv = generate_person_csv(rows);
    // Two passes: the first creates everyone, the second matches every row
    // to an existing person (the monthly re-import).
    let client = reqwest::Client::new();
    for pass in ["new", "again"] {
        let started = Instant::now();
        let res = client
            .post(format!("http://127.0.0.1:{port}/v1/persons/import?source=civil_affairs"))
            .bearer_auth(&key)
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "import {pass:>5}: {rows} rows ({:.1} MB) on {backend}: {secs:.2} s, {:.0} rows/s, status {status}, created {}, updated {}, unchanged {}, invalid {}",
            csv.len() as f64 / 1e6,
            rows as f64 / secs,
            body["created"],
            body["updated"],
            body["unchanged"],
            body["invalid"].as_array().map(|a| a.len()).unwrap_or(0),
        );
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak resident memory of the whole process (server and generator): {}",
                line.trim_start_matches("VmHWM:").trim()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_lists_hold_valid_distinct_id_numbers() {
        let csv = generate_person_csv(3000);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mut seen = std::collections::HashSet::new();
        for line in csv.lines().skip(1) {
            let id = line.split(',').next().unwrap();
            assert!(jobmatch_core::idcard::parse(id, today).is_ok(), "{id}");
            assert!(seen.insert(id.to_string()), "{id} repeated");
        }
    }
}
