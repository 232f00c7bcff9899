//! `jobmatch-bench report`: the monthly progress report over many people and
//! a year of records, through the real HTTP endpoint.

use std::time::Instant;

use jobmatch_core::config::Settings;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use jobmatch_app::{Application, ServiceRole};

/// Insert `rows` (already SQL literals) into `table` 500 at a time.
pub async fn bulk(pool: &sqlx::AnyPool, table: &str, columns: &str, rows: &[String]) -> anyhow::Result<()> {
    for chunk in rows.chunks(500) {
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", chunk.join(","));
        sqlx::query(&sql).execute(pool).await?;
    }
    Ok(())
}

pub async fn run(people: usize, jobs: usize, year: i32, database_url: Option<String>) -> anyhow::Result<()> {
    crate::store::refuse_a_real_store(database_url.as_deref()).await?;
    let dir = std::env::temp_dir().join(format!("jobmatch-bench-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = Settings::for_data_dir(&dir.join("data"), database_url)?;
    // The records first (people as the registry stores them, jobs through
    // the posting store), then the service starts on them and builds its
    // indexes from the store, as after a restore.
    let state = jobmatch_core::AppState::open(settings.clone()).await?;
    crate::store::claim(&state).await?;
    let world = crate::matching::generate(&state, jobs, people, 11);
    let t = Instant::now();
    crate::push::store_people(&state, &world.persons, |_| Ok(())).await?;
    jobmatch_app::cli::create_key(&state, "基准零工市场", "gig_market", "publisher", "330400").await?;
    let publisher: String =
        sqlx::query_scalar("SELECT id FROM orgs WHERE name = '基准零工市场'").fetch_one(&state.db.pool).await?;
    for job in &world.jobs {
        jobmatch_posting::jobs::store::insert(&state, &publisher, &job.input).await?;
    }
    println!("{people} people and {jobs} jobs stored in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut settings = settings;
    // Pushes are not measured here: the generated people would be told of
    // every job the service has not seen yet.
    settings.push.concurrency = 0;
    let app = Application::build(settings, ServiceRole::All).await?;
    println!("service started, indexes built from the store in {:.1} s", t.elapsed().as_secs_f64());
    let port = app.port();
    let state = app.state().clone();
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
    let (mut certs, mut placements, mut allowances, mut history) = (vec![], vec![], vec![], vec![]);
    for (i, person) in world.persons.iter().enumerate() {
        let id = person.id.clone();
        let street = &person.profile.region_code;
        let p = state.regions.placement(street);
        let q = |o: &Option<String>| o.as_ref().map(|s| format!("'{s}'")).unwrap_or_else(|| "NULL".into());
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
        "a year of records for them: {} certification events, {} placements, {} allowances, {} moves stored in {:.1} s ({backend})",
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

/// The console's pages over the same records, signed in as the bureau's
/// admin: 20 loads each, the median and the 95th percentile of the whole
/// answer as a browser would wait for it, and the first load apart (the
/// reports are computed then and kept while the records are unchanged).
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
    let pool = &state.db.pool;
    let job: String = sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'open' ORDER BY id LIMIT 1 OFFSET 500")
        .fetch_one(pool)
        .await?;
    let (person, name): (String, String) =
        sqlx::query_as("SELECT id, name FROM persons ORDER BY id LIMIT 1 OFFSET 500").fetch_one(pool).await?;
    let cookie = format!("jm_session={session}");
    let home = client.get(format!("{base}/console/")).header("cookie", &cookie).send().await?.text().await?;
    let csrf = home
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("no form token on the home page"))?
        .to_string();
    // (name, path, the form posted there if any)
    type Form<'a> = Option<Vec<(&'a str, String)>>;
    let pages: Vec<(&str, String, Form)> = vec![
        ("home", "/console/".into(), None),
        ("jobs", "/console/jobs".into(), None),
        ("jobs search 保洁", format!("/console/jobs?q={}", "%E4%BF%9D%E6%B4%81"), None),
        ("job with candidates", format!("/console/jobs/{job}"), None),
        ("job edit", format!("/console/jobs/{job}/edit"), None),
        ("persons find by name", "/console/persons".into(), Some(vec![("csrf", csrf.clone()), ("name", name)])),
        ("person", format!("/console/persons/{person}"), None),
        ("person plan", format!("/console/persons/{person}/plan"), None),
        ("referrals", "/console/referrals".into(), None),
        ("report", format!("/console/reports/progress?month={year}-06&region=330400"), None),
        ("year charts", format!("/console/reports/year?year={year}&region=330400"), None),
        ("notifications", "/console/notifications".into(), None),
        ("jobs import", "/console/jobs/import".into(), None),
    ];
    for (name, path, form) in pages {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let req = match &form {
                Some(f) => client.post(format!("{base}{path}")).form(f),
                None => client.get(format!("{base}{path}")),
            };
            let r = req.header("cookie", &cookie).send().await?;
            anyhow::ensure!(r.status().is_success(), "{path} answered {}", r.status());
            let _ = r.bytes().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let first = times[0];
        times.sort_by(f64::total_cmp);
        println!("console {name}: median {:.0} ms, p95 {:.0} ms, first load {first:.0} ms", times[10], times[18]);
    }
    Ok(())
}
