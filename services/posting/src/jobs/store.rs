//! Jobs in the store. Each change writes the job row and appends its outbox
//! event in one transaction.

use jobmatch_core::db::Backend;
use jobmatch_core::domain::{CloseReason, Job, JobInput, JobStatus};
use jobmatch_core::events;
use jobmatch_core::ids::new_id;
use jobmatch_core::AppState;
use serde_json::json;
use sqlx::AnyConnection;

pub use jobmatch_core::records::jobs::{effective_status, from_row, get, Row, StoredJob, COLUMNS};

/// The words a plain-text search looks in (not the JSON keys of `doc`).
fn search_text(input: &JobInput) -> String {
    let mut parts = vec![input.title.as_str(), input.description.as_str()];
    parts.extend(input.requirements.skills.iter().map(String::as_str));
    if let Some(a) = &input.address {
        parts.push(a);
    }
    parts.join("\n")
}

/// Bind the job's own columns, in this order: title, source, category,
/// employment_type, region_code, street_code, county_code, unit_code,
/// headcount, valid_until, search_text, doc.
fn bind_job_columns<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    input: &'q JobInput,
    place: &'q jobmatch_core::regions::Placement,
    doc: String,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&input.title)
        .bind(input.source.as_str())
        .bind(&input.category)
        .bind(input.employment_type.as_str())
        .bind(&input.region_code)
        .bind(&place.street_code)
        .bind(&place.county_code)
        .bind(&place.unit_code)
        .bind(input.headcount)
        .bind(&input.valid_until)
        .bind(search_text(input))
        .bind(doc)
}

fn event_payload(job_id: &str, input: &JobInput, status: JobStatus) -> serde_json::Value {
    json!({"job_id": job_id, "status": status.as_str(), "category": input.category, "headcount": input.headcount})
}

/// Insert a new open job and its `job.created` event.
pub async fn insert(state: &AppState, org_id: &str, input: &JobInput) -> Result<Job, sqlx::Error> {
    let mut tx = state.db.pool.begin().await?;
    let job = insert_in(&mut tx, state, org_id, input, false).await?;
    tx.commit().await?;
    Ok(job)
}

/// Insert a new open job and its `job.created` event in the caller's
/// transaction; `certified_only` keeps it to certified 就业困难人员.
pub async fn insert_in(
    tx: &mut AnyConnection,
    state: &AppState,
    org_id: &str,
    input: &JobInput,
    certified_only: bool,
) -> Result<Job, sqlx::Error> {
    let id = new_id("job");
    let now = state.now_text();
    let place = state.regions.placement(&input.region_code);
    let doc = serde_json::to_string(input).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let insert = sqlx::query(
        "INSERT INTO jobs (id, publisher_org_id, status, title, source, category, employment_type, region_code,
            street_code, county_code, unit_code, headcount, valid_until, search_text, doc, created_at, updated_at,
            certified_only)
         VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)",
    )
    .bind(&id)
    .bind(org_id);
    bind_job_columns(insert, input, &place, doc).bind(&now).bind(i64::from(certified_only)).execute(&mut *tx).await?;
    events::append(&mut *tx, "job.created", &id, &input.region_code, &event_payload(&id, input, JobStatus::Open), &now)
        .await?;
    Ok(Job {
        id,
        input: input.clone(),
        status: JobStatus::Open,
        close_reason: None,
        publisher_org_id: org_id.to_string(),
        certified_only,
        created_at: now.clone(),
        updated_at: now,
    })
}

/// Lock a job row for the rest of the transaction (PostgreSQL; SQLite has one writer).
async fn lock(conn: &mut AnyConnection, backend: Backend, id: &str) -> Result<Option<Row>, sqlx::Error> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1{lock}")).bind(id).fetch_optional(conn).await
}

/// Lock an open job for the rest of the transaction, or say why not.
async fn lock_open(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
    now: &str,
) -> anyhow::Result<Result<StoredJob, Change>> {
    let Some(row) = lock(conn, backend, id).await? else { return Ok(Err(Change::NotFound)) };
    let current = from_row(row, now)?;
    if current.job.status != JobStatus::Open {
        return Ok(Err(Change::NotOpen(current.job.status)));
    }
    Ok(Ok(current))
}

/// The outcome of a state change.
pub enum Change {
    Done(Box<Job>),
    NotFound,
    /// The job is not open (closed or expired): nothing was changed.
    NotOpen(JobStatus),
}

/// Replace an open job's document.
pub async fn update(state: &AppState, id: &str, input: &JobInput) -> anyhow::Result<Change> {
    let mut tx = state.db.pool.begin().await?;
    let now = state.now_text();
    let current = match lock_open(&mut tx, state.db.backend, id, &now).await? {
        Ok(current) => current,
        Err(refused) => return Ok(refused),
    };
    let place = state.regions.placement(&input.region_code);
    let update = sqlx::query(
        "UPDATE jobs SET title = $1, source = $2, category = $3, employment_type = $4, region_code = $5, street_code = $6,
            county_code = $7, unit_code = $8, headcount = $9, valid_until = $10, search_text = $11, doc = $12, updated_at = $13
         WHERE id = $14",
    );
    bind_job_columns(update, input, &place, serde_json::to_string(input)?)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut payload = event_payload(id, input, JobStatus::Open);
    payload["previous_headcount"] = json!(current.job.input.headcount);
    events::append(&mut tx, "job.updated", id, &input.region_code, &payload, &now).await?;
    tx.commit().await?;
    Ok(Change::Done(Box::new(Job { input: input.clone(), updated_at: now, ..current.job })))
}

/// Close an open job.
pub async fn close(state: &AppState, id: &str, reason: CloseReason) -> anyhow::Result<Change> {
    let mut tx = state.db.pool.begin().await?;
    let now = state.now_text();
    let current = match lock_open(&mut tx, state.db.backend, id, &now).await? {
        Ok(current) => current,
        Err(refused) => return Ok(refused),
    };
    sqlx::query("UPDATE jobs SET status = 'closed', close_reason = $1, updated_at = $2 WHERE id = $3")
        .bind(reason.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut payload = event_payload(id, &current.job.input, JobStatus::Closed);
    payload["reason"] = json!(reason.as_str());
    events::append(&mut tx, "job.closed", id, &current.job.input.region_code, &payload, &now).await?;
    tx.commit().await?;
    Ok(Change::Done(Box::new(Job {
        status: JobStatus::Closed,
        close_reason: Some(reason),
        updated_at: now,
        ..current.job
    })))
}

/// Mark open jobs past `valid_until` as expired, each with its event.
/// Returns how many were expired.
pub async fn expire_due(state: &AppState) -> anyhow::Result<u64> {
    let now = state.now_text();
    let due: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, region_code, doc FROM jobs WHERE status = 'open' AND valid_until IS NOT NULL AND valid_until <= $1
         ORDER BY valid_until LIMIT 500",
    )
    .bind(&now)
    .fetch_all(&state.db.pool)
    .await?;
    let mut n = 0;
    for (id, region, doc) in due {
        let mut tx = state.db.pool.begin().await?;
        let done = sqlx::query("UPDATE jobs SET status = 'expired', updated_at = $1 WHERE id = $2 AND status = 'open'")
            .bind(&now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            let input: JobInput = serde_json::from_str(&doc)?;
            events::append(&mut tx, "job.expired", &id, &region, &event_payload(&id, &input, JobStatus::Expired), &now)
                .await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}
