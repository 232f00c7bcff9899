//! `jobmatch-bench push`: with many people indexed, the time from a job's
//! creation to all its notifications queued, and webhook deliveries per
//! second to a receiver on loopback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobmatch_core::config::Settings;
use jobmatch_core::AppState;
use jobmatch_matching::engine::matcher::{Matcher, MatcherCandidates};
use jobmatch_push::planner::Planner;
use jobmatch_registry::persons::store::{insert_row, NewRow};

use crate::matching::{generate, percentile};

/// Store generated people the way the registry does (one row each, with
/// their profile), 2000 to a transaction; `each` sees every stored chunk.
pub async fn store_people(
    state: &AppState,
    people: &[jobmatch_core::domain::Person],
    mut each: impl FnMut(&[jobmatch_core::domain::Person]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let phone = state.vault.encrypt("13900000000");
    let now = jobmatch_core::time::to_text(chrono::Utc::now());
    for chunk in people.chunks(2000) {
        let mut tx = state.db.pool.begin().await?;
        for p in chunk {
            let row = NewRow {
                id: &p.id,
                id_hash: p.id.clone(),
                id_cipher: state.vault.encrypt(&p.id_number),
                id_masked: p.id_number.clone(),
                phone_hash: Some(p.id.clone()),
                phone_cipher: Some(phone.clone()),
                phone_masked: Some("139****0000".into()),
                birth_date: p.birth_date.clone().unwrap_or_default(),
                sex: "female",
                profile: &p.profile,
                certified_until: None,
                field_sources: "{}".into(),
                now: &now,
            };
            insert_row(&mut tx, state, &row).await?;
        }
        tx.commit().await?;
        each(chunk)?;
    }
    Ok(())
}

async fn insert_people(
    state: &AppState,
    matcher: &Matcher,
    people: Vec<jobmatch_core::domain::Person>,
) -> anyhow::Result<()> {
    store_people(state, &people, |chunk| chunk.iter().try_for_each(|p| matcher.index_person(p.clone()))).await?;
    matcher.commit_now()?;
    Ok(())
}

pub async fn run(people: usize, jobs: usize, webhooks: usize, database_url: Option<String>) -> anyhow::Result<()> {
    crate::store::refuse_a_real_store(database_url.as_deref()).await?;
    let work = std::env::temp_dir().join(format!("jobmatch-bench-push-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let mut settings = Settings::for_data_dir(&work.join("data"), database_url)?;
    settings.push.quiet_hours = None;
    settings.push.poll = Duration::from_millis(5);
    // The receiver is on loopback, which the egress guard refuses unless allowed.
    settings.push.webhook_allow_hosts = vec!["127.0.0.1".into()];
    let state = AppState::open(settings).await?;
    crate::store::claim(&state).await?;
    let backend = format!("{:?}", state.db.backend).to_lowercase();
    let config = Arc::new(jobmatch_matching::engine::config::MatchConfig::load(None)?);
    let matcher = Matcher::open(state.clone(), config).await?;
    let world = generate(&state, jobs, people, 7);
    let t = Instant::now();
    insert_people(&state, &matcher, world.persons).await?;
    println!("{people} people stored and indexed in {:.1} s ({backend})", t.elapsed().as_secs_f64());
    jobmatch_app::cli::create_key(&state, "压测零工市场", "gig_market", "publisher", "330400").await?;
    let org: String =
        sqlx::query_scalar("SELECT id FROM orgs WHERE name = '压测零工市场'").fetch_one(&state.db.pool).await?;

    // 1. Job created → every notification queued (the planner's work after
    // the outbox row is read; the outbox poll, 200 ms by default, comes on top).
    let planner = Planner { state: state.clone(), source: Arc::new(MatcherCandidates(Arc::downgrade(&matcher))) };
    matcher.catch_up().await?;
    while planner.run_once().await? > 0 {}
    let mut times = Vec::with_capacity(jobs);
    let mut rows = 0i64;
    for job in &world.jobs {
        let t = Instant::now();
        let created = jobmatch_posting::jobs::store::insert(&state, &org, &job.input).await?;
        // Matching applies the job's event first (as the running service
        // does): the planner plans only what matching has caught up with.
        matcher.catch_up().await?;
        while planner.run_once().await? > 0 {}
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        rows += sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM notifications WHERE job_id = $1")
            .bind(&created.id)
            .fetch_one(&state.db.pool)
            .await?;
    }
    let (p50, p99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
    println!(
        "job created → all notifications queued: p50 {p50:.1} ms, p99 {p99:.1} ms, max {:.1} ms over {jobs} jobs \
         ({:.0} rows per job: inbox and SMS for up to {} people)",
        times.last().copied().unwrap_or(0.0),
        rows as f64 / jobs.max(1) as f64,
        state.settings.push.max_per_job
    );

    // 2. Webhook deliveries to a receiver on loopback.
    sqlx::query("DELETE FROM notification_attempts").execute(&state.db.pool).await?;
    sqlx::query("DELETE FROM notifications").execute(&state.db.pool).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let receiver = axum::Router::new().fallback(axum::routing::post(|| async { "ok" }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    jobmatch_app::cli::create_key(&state, "压测人力资源公司", "hr_agency", "agency", "330400").await?;
    let agency: String =
        sqlx::query_scalar("SELECT id FROM orgs WHERE name = '压测人力资源公司'").fetch_one(&state.db.pool).await?;
    let now = jobmatch_core::time::to_text(chrono::Utc::now());
    sqlx::query(
        "INSERT INTO webhooks (id, agency_org_id, url, secret_cipher, active, created_at, updated_at)
         VALUES ('whk_bench', $1, $2, $3, 1, $4, $4)",
    )
    .bind(&agency)
    .bind(&url)
    .bind(state.vault.encrypt("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    .bind(&now)
    .execute(&state.db.pool)
    .await?;
    // The person named in every delivery is assigned to the agency: a
    // delivery goes out only while its people are still shared with it.
    let person: String =
        sqlx::query_scalar("SELECT id FROM persons ORDER BY id LIMIT 1").fetch_one(&state.db.pool).await?;
    sqlx::query(
        "INSERT INTO agreements (id, agency_org_id, region_code, starts_on, ends_on, people_target, subsidy_amount,
             insurance_months, created_by_key, created_at, updated_at)
         VALUES ('agr_bench', $1, '330400', '2026-01-01', '2030-12-31', 10, 300, 3, 'bench', $2, $2)",
    )
    .bind(&agency)
    .bind(&now)
    .execute(&state.db.pool)
    .await?;
    sqlx::query(
        "INSERT INTO assignments (id, agreement_id, agency_org_id, person_id, assigned_at, assigned_by_key)
         VALUES ('asg_bench', 'agr_bench', $1, $2, $3, 'bench')",
    )
    .bind(&agency)
    .bind(&person)
    .bind(&now)
    .execute(&state.db.pool)
    .await?;
    let job: String =
        sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'open' LIMIT 1").fetch_one(&state.db.pool).await?;
    let body = serde_json::json!({"type": "job.matched", "data": {"job_id": job, "people": [{"person_id": person, "name": "张*芳", "score": 0.8}]}}).to_string();
    let mut tx = state.db.pool.begin().await?;
    for i in 0..webhooks {
        // One row per (agency, job, channel) in real use; distinct recipients here.
        sqlx::query(
            "INSERT INTO notifications (id, job_id, recipient_id, agency_org_id, channel, status, score, region_code,
                 title, body, due_at, job_opened_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'webhook', 'pending', 0.5, '330400', 't', $5, $6, $6, $6, $6)",
        )
        .bind(jobmatch_core::ids::new_id("ntf"))
        .bind(&job)
        .bind(format!("{agency}#{i}"))
        .bind(&agency)
        .bind(&body)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let task = jobmatch_push::spawn(state.clone(), Arc::new(MatcherCandidates(Arc::downgrade(&matcher))), stop_rx)?;
    loop {
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'sent'")
            .fetch_one(&state.db.pool)
            .await?;
        if sent as usize >= webhooks || t.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let _ = task.await;
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'sent'")
        .fetch_one(&state.db.pool)
        .await?;
    if (sent as usize) < webhooks {
        let why: Option<String> =
            sqlx::query_scalar("SELECT last_error FROM notifications WHERE status <> 'sent' LIMIT 1")
                .fetch_optional(&state.db.pool)
                .await?
                .flatten();
        anyhow::bail!("only {sent} of {webhooks} webhooks were delivered in {secs:.0} s: {}", why.unwrap_or_default());
    }
    println!(
        "webhook deliveries: {webhooks} signed POSTs to a loopback receiver in {secs:.2} s = {:.0}/s (concurrency {})",
        webhooks as f64 / secs,
        state.settings.push.concurrency
    );
    drop(matcher);
    state.db.pool.close().await;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
