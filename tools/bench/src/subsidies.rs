//! `jobmatch-bench subsidies`: a month's payment lists for every reporting
//! unit over many people and a year of evidence, through the real endpoints
//! (`POST /v1/payment-lists/all-units` once, then `POST /v1/payment-lists`
//! per unit), then one list's XLSX export.

use std::time::Instant;

use jobmatch_app::{Application, ServiceRole};
use jobmatch_core::config::Settings;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::report::bulk;

pub async fn run(people: usize, year: i32, database_url: Option<String>) -> anyhow::Result<()> {
    crate::store::refuse_a_real_store(database_url.as_deref()).await?;
    let dir = std::env::temp_dir().join(format!("jobmatch-bench-subsidies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = Settings::for_data_dir(&dir.join("data"), database_url)?;
    let state = jobmatch_core::AppState::open(settings.clone()).await?;
    crate::store::claim(&state).await?;
    let world = crate::matching::generate(&state, 0, people, 13);
    let t = Instant::now();
    crate::push::store_people(&state, &world.persons, |_| Ok(())).await?;
    println!("{people} people stored in {:.1} s", t.elapsed().as_secs_f64());

    // A year of evidence: 60% certified; of them 40% in flexible work and
    // 25% employed (one in ten by a government body) all year; unemployment
    // insurance, loans with a business, allowances for a few.
    let t = Instant::now();
    let mut rng = StdRng::seed_from_u64(13);
    let created = format!("{}-12-31T00:00:00.000000Z", year - 1);
    let (mut certs, mut si, mut ui, mut loans, mut biz, mut allowances) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (i, person) in world.persons.iter().enumerate() {
        let id = &person.id;
        if !rng.gen_bool(0.6) {
            continue;
        }
        certs.push(format!(
            "('{id}',NULL,'certified','[\"older\"]','{y}-06-01','{}-12-31',NULL,'k','o','{y}-06-01','{created}')",
            year + 1,
            y = year - 1
        ));
        let work: f64 = rng.gen();
        for m in 1..=12 {
            let month = format!("{year}-{m:02}");
            if work < 0.4 {
                si.push(format!("('sic_b{i:09}_{m}','{id}','{month}','flexible','',NULL,NULL,80000,30000,0,'evb_bench','{created}')"));
            } else if work < 0.65 {
                let (code, kind) = if i % 10 == 0 {
                    ("11330402002345678X", "government")
                } else {
                    ("91330402MA2B00001X", "enterprise")
                };
                si.push(format!(
                    "('sic_b{i:09}_{m}','{id}','{month}','employer','{code}','基准单位','{kind}',160000,70000,5000,'evb_bench','{created}')"
                ));
            }
        }
        if rng.gen_bool(0.02) {
            for m in 4..=6 {
                ui.push(format!("('uip_b{i:09}_{m}','{id}','{year}-{m:02}',180000,'evb_bench','{created}')"));
            }
        }
        if rng.gen_bool(0.01) {
            biz.push(format!("('biz_b{i:09}','{id}','{year}-01-10','92330402B{i:09}',NULL,'evb_bench','{created}')"));
            loans.push(format!(
                "('loan_b{i:09}','{id}','基准银行',10000000,34500,'{year}-01-15','{}-01-14','evb_bench','{created}')",
                year + 2
            ));
        }
        if rng.gen_bool(0.05) {
            allowances.push(format!(
                "('alw_b{i:09}','{id}','{year}-{:02}',{},1131,'k','{created}')",
                rng.gen_range(1..=12),
                rng.gen_range(1..=6)
            ));
        }
    }
    let pool = &state.db.pool;
    sqlx::query("INSERT INTO evidence_batches (id, kind, rows, actor_key_id, actor_org_id, created_at) VALUES ('evb_bench', 'social_insurance', 0, 'k', 'o', $1)")
        .bind(&created)
        .execute(pool)
        .await?;
    bulk(pool, "certification_events", "person_id, from_status, to_status, grounds, valid_from, valid_until, note, actor_key_id, actor_org_id, effective_on, created_at", &certs).await?;
    bulk(pool, "si_contributions", "id, person_id, month, kind, employer_code, employer_name, employer_type, pension_fen, medical_fen, unemployment_fen, batch_id, created_at", &si).await?;
    bulk(pool, "ui_payments", "id, person_id, month, amount_fen, batch_id, created_at", &ui).await?;
    bulk(
        pool,
        "business_registrations",
        "id, person_id, registered_on, licence_no, business_name, batch_id, created_at",
        &biz,
    )
    .await?;
    bulk(
        pool,
        "startup_loans",
        "id, person_id, bank, amount_fen, rate_ppm, starts_on, ends_on, batch_id, created_at",
        &loans,
    )
    .await?;
    bulk(
        pool,
        "allowances",
        "id, person_id, start_month, months, monthly_amount, actor_key_id, created_at",
        &allowances,
    )
    .await?;
    let backend = format!("{:?}", state.db.backend).to_lowercase();
    if backend == "postgres" {
        // A year of records in a running store has been vacuumed and
        // analysed; measure that, not autovacuum's catching up on a bulk load.
        sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    }
    println!(
        "a year of evidence: {} certifications, {} contributions, {} unemployment payments, {} loans, {} allowances stored in {:.1} s ({backend})",
        certs.len(),
        si.len(),
        ui.len(),
        loans.len(),
        allowances.len(),
        t.elapsed().as_secs_f64()
    );

    let mut settings = settings;
    settings.push.concurrency = 0;
    let app = Application::build(settings, ServiceRole::All).await?;
    let port = app.port();
    let state = app.state().clone();
    let key = jobmatch_app::cli::create_key(&state, "市人社局", "bureau", "admin", "330400").await?;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let units: Vec<String> = state
        .regions
        .children("330400")
        .filter(|r| matches!(r.level.as_str(), "county" | "zone"))
        .map(|r| r.code.clone())
        .collect();
    // The month's lists of every unit in one call (one reading of the
    // records), first proposed, then recomputed; then unit by unit.
    for what in ["proposed", "recomputed"] {
        let t = Instant::now();
        let r = client
            .post(format!("{base}/v1/payment-lists/all-units"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"month": format!("{year}-06")}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "all units answered {}", r.status());
        let body: serde_json::Value = r.json().await?;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        let rows: i64 = items.iter().filter_map(|i| i["rows"].as_i64()).sum();
        println!(
            "all units in one call ({what}): {year}-06 lists of {} units, {rows} rows: {:.2} s",
            items.len(),
            t.elapsed().as_secs_f64()
        );
    }
    for (round, what) in [(3, "recomputed unit by unit")] {
        let all = Instant::now();
        let (mut rows, mut slowest) = (0usize, 0f64);
        let mut list_id = String::new();
        for unit in &units {
            let t = Instant::now();
            let r = client
                .post(format!("{base}/v1/payment-lists"))
                .bearer_auth(&key)
                .json(&serde_json::json!({"unit_code": unit, "month": format!("{year}-06")}))
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "{unit} answered {}", r.status());
            let body: serde_json::Value = r.json().await?;
            rows += body["rows"].as_array().map(Vec::len).unwrap_or(0);
            slowest = slowest.max(t.elapsed().as_secs_f64() * 1000.0);
            if list_id.is_empty() {
                list_id = body["id"].as_str().unwrap_or_default().to_string();
            }
        }
        println!(
            "round {round}: {year}-06 lists of {} units {what}, {rows} rows: {:.2} s in all, slowest unit {:.0} ms",
            units.len(),
            all.elapsed().as_secs_f64(),
            slowest
        );
        if round == 3 {
            let t = Instant::now();
            let r =
                client.get(format!("{base}/v1/payment-lists/{list_id}?format=xlsx")).bearer_auth(&key).send().await?;
            anyhow::ensure!(r.status().is_success(), "export answered {}", r.status());
            let n = r.bytes().await?.len();
            println!("one unit's list as XLSX ({} KB): {:.0} ms", n / 1024, t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    if std::env::var_os("JOBMATCH_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
