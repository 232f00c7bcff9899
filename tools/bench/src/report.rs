//! `jobmatch-bench report`: the monthly progress report over many people and
//! a year of records, through the real HTTP endpoint.

use std::time::Instant;

use jobmatch_core::config::Settings;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use jobmatch_app::{Application, ServiceRole};

/// Insert `rows` (already SQL literals) into `table` 500 at a time.
async fn bulk(pool: &sqlx::AnyPool, table: &str, columns: &str, rows: &[String]) -> anyhow::Result<()> {
    for chunk in rows.chunks(500) {
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", chunk.join(","));
        sqlx::query(&sql).execute(pool).await?;
    }
    Ok(())
}

pub async fn run(people: usize, year: i32, database_url: Option<String>) -> anyhow::Result<()> {
    crate::store::refuse_a_real_store(database_url.as_deref()).await?;
    let dir = std::env::temp_dir().join(format!("jobmatch-bench-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = Settings::for_data_dir(&dir.join("data"), database_url)?;
    let app = Application::build(settings, ServiceRole::Posting).await?;
    let port = app.port();
    let state = app.state().clone();
    crate::store::claim(&state).await?;
    let backend = format!("{:?}", state.db.backend).to_lowercase();
    let key = jobmatch_app::cli::create_key(&state, "市人社局", "bureau", "admin", "330400").await?;
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let mut rng = StdRng::seed_from_u64(11);
    let streets: Vec<String> = jobmatch_core::regions::parse_csv(jobmatch_core::regions::SEED_CSV)
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .filter(|r| r.level == "street")
        .map(|r| r.code)
        .collect();
    let t = Instant::now();
    let day = |rng: &mut StdRng| format!("{year}-{:02}-{:02}", rng.gen_range(1..=12), rng.gen_range(1..=28));
    let created = format!("{}-12-31T00:00:00.000000Z", year - 1);
    let (mut persons, mut certs, mut placements, mut allowances, mut history) =
        (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..people {
        let id = format!("per_b{i:09}");
        let street = &streets[rng.gen_range(0..streets.len())];
        let p = state.regions.placement(street);
        let q = |o: &Option<String>| o.as_ref().map(|s| format!("'{s}'")).unwrap_or_else(|| "NULL".into());
        persons.push(format!(
            "('{id}','{id}','x','330402********0000','测试','{street}',{},{},{},'1970-01-01','female','unemployed','now','[]','{{}}','{{}}',1,'{created}','{created}')",
            q(&p.street_code), q(&p.county_code), q(&p.unit_code)
        ));
        if rng.gen_bool(0.6) {
            let on = day(&mut rng);
            certs.push(format!("('{id}',NULL,'applied','[\"older\"]',NULL,NULL,NULL,'k','o','{on}','{created}')"));
            certs.push(format!(
                "('{id}','applied','certified','[\"older\"]','{on}','{}-12-31',NULL,'k','o','{on}','{created}')",
                year + 1
            ));
        }
        for n in 0..[0, 0, 1, 1, 2][rng.gen_range(0..5)] {
            let channel = ["flexible", "employer", "self_employed", "public_welfare", "project"][rng.gen_range(0..5)];
            let started = day(&mut rng);
            let ended = if rng.gen_bool(0.2) { format!("'{year}-12-31'") } else { "NULL".into() };
            placements.push(format!(
                "('plc_b{i:09}_{n}','{id}','{channel}','{started}',{ended},'{street}',{},{},{},'k','{created}')",
                q(&p.unit_code),
                q(&p.street_code),
                q(&p.county_code)
            ));
        }
        if rng.gen_bool(0.05) {
            allowances.push(format!(
                "('alw_b{i:09}','{id}','{year}-{:02}',{},1131,'k','{created}')",
                rng.gen_range(1..=12),
                rng.gen_range(1..=6)
            ));
        }
        if rng.gen_bool(0.01) {
            let to = &streets[rng.gen_range(0..streets.len())];
            history.push(format!(
                "('{id}',2,'staff',NULL,NULL,'{{\"region_code\":{{\"from\":\"{street}\",\"to\":\"{to}\"}}}}','{}-{:02}-15T00:00:00.000000Z')",
                year,
                rng.gen_range(1..=12)
            ));
        }
    }
    let pool = &state.db.pool;
    bulk(pool, "persons", "id, id_hash, id_cipher, id_masked, name, region_code, street_code, county_code, unit_code, birth_date, sex, employment_status, willingness, groups, doc, field_sources, version, created_at, updated_at", &persons).await?;
    bulk(pool, "certification_events", "person_id, from_status, to_status, grounds, valid_from, valid_until, note, actor_key_id, actor_org_id, effective_on, created_at", &certs).await?;
    bulk(pool, "placements", "id, person_id, channel, started_on, ended_on, region_code, unit_code, street_code, county_code, actor_key_id, created_at", &placements).await?;
    bulk(
        pool,
        "allowances",
        "id, person_id, start_month, months, monthly_amount, actor_key_id, created_at",
        &allowances,
    )
    .await?;
    bulk(
        pool,
        "person_history",
        "person_id, version, source, actor_key_id, actor_org_id, changes, created_at",
        &history,
    )
    .await?;
    if backend == "postgres" {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    println!(
        "{people} people, {} certification events, {} placements, {} allowances, {} moves stored in {:.1} s ({backend})",
        certs.len(),
        placements.len(),
        allowances.len(),
        history.len(),
        t.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for format in ["json", "xlsx"] {
        let mut times = Vec::new();
        for m in 1..=12 {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/v1/reports/progress?month={year}-{m:02}&region=330400&format={format}"))
                .bearer_auth(&key)
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "report answered {}", r.status());
            let _ = r.bytes().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("report {format}, 12 months of {year}: median {:.0} ms, slowest {:.0} ms", times[6], times[11]);
    }
    let t = Instant::now();
    let r = client
        .get(format!("{base}/v1/reports/progress/year?year={year}&region=330400"))
        .bearer_auth(&key)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "year view answered {}", r.status());
    let _ = r.bytes().await?;
    println!("year view {year}: {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    console_pages(&state, &base, year).await?;
    if std::env::var_os("JOBMATCH_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("kept {}", dir.display());
    }
    Ok(())
}

/// The console's report-heavy pages over the same records, signed in as
/// the bureau's admin: 20 loads each, the median and the 95th percentile
/// of the whole answer as a browser would wait for it.
async fn console_pages(state: &jobmatch_core::AppState, base: &str, year: i32) -> anyhow::Result<()> {
    let password =
        jobmatch_app::cli::create_account(state, "市人社局", "bureau", "admin", "330400", "bench.admin", "基准")
            .await?;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let form = client.get(format!("{base}/console/sign-in")).send().await?;
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("jm_sign_in=").and_then(|v| v.split(';').next()).map(str::to_string))
        .ok_or_else(|| anyhow::anyhow!("no sign-in cookie"))?;
    let signed = client
        .post(format!("{base}/console/sign-in"))
        .header("cookie", format!("jm_sign_in={cookie}"))
        .form(&[("token", cookie.as_str()), ("login", "bench.admin"), ("password", password.as_str())])
        .send()
        .await?;
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("jm_session=").and_then(|v| v.split(';').next()).map(str::to_string))
        .ok_or_else(|| anyhow::anyhow!("sign-in answered {}", signed.status()))?;
    for (name, path) in [
        ("home", "/console/".to_string()),
        ("report", format!("/console/reports/progress?month={year}-06&region=330400")),
        ("year charts", format!("/console/reports/year?year={year}&region=330400")),
        ("jobs", "/console/jobs".to_string()),
    ] {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let r =
                client.get(format!("{base}{path}")).header("cookie", format!("jm_session={session}")).send().await?;
            anyhow::ensure!(r.status().is_success(), "{path} answered {}", r.status());
            let _ = r.bytes().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("console {name}: median {:.0} ms, p95 {:.0} ms", times[10], times[18]);
    }
    Ok(())
}
