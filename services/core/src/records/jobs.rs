//! Jobs as stored, and as answered.

use crate::domain::{CloseReason, Job, JobInput, JobStatus};

/// A stored job with what visibility checks need.
#[derive(Clone, Debug)]
pub struct StoredJob {
    pub job: Job,
    pub publisher_org_id: String,
}

pub const COLUMNS: &str =
    "id, publisher_org_id, status, close_reason, doc, created_at, updated_at, valid_until, certified_only";

/// A `jobs` row as read with [`COLUMNS`].
#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    publisher_org_id: String,
    status: String,
    close_reason: Option<String>,
    doc: String,
    created_at: String,
    updated_at: String,
    valid_until: Option<String>,
    certified_only: i64,
}

/// The status a reader sees: an open job past `valid_until` is expired even
/// before the sweeper has written it.
pub fn effective_status(status: &str, valid_until: Option<&str>, now: &str) -> JobStatus {
    match JobStatus::parse(status) {
        Some(JobStatus::Open) if valid_until.is_some_and(|v| v <= now) => JobStatus::Expired,
        Some(s) => s,
        None => JobStatus::Closed,
    }
}

pub fn from_row(row: Row, now: &str) -> anyhow::Result<StoredJob> {
    let Row { id, publisher_org_id, status, close_reason, doc, created_at, updated_at, valid_until, certified_only } =
        row;
    let input: JobInput =
        serde_json::from_str(&doc).map_err(|e| anyhow::anyhow!("job {id} has a bad document: {e}"))?;
    Ok(StoredJob {
        job: Job {
            id,
            input,
            status: effective_status(&status, valid_until.as_deref(), now),
            close_reason: close_reason.as_deref().and_then(CloseReason::parse),
            publisher_org_id: publisher_org_id.clone(),
            certified_only: certified_only != 0,
            created_at,
            updated_at,
        },
        publisher_org_id,
    })
}

/// Read one job (whether it has expired: by the service's clock).
pub async fn get(state: &crate::AppState, id: &str) -> Result<Option<StoredJob>, anyhow::Error> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    row.map(|r| from_row(r, &state.now_text())).transpose()
}

/// Up to `limit` open jobs in id order after `after`: the pages of an index
/// rebuild.
pub async fn open_page_after(state: &crate::AppState, after: &str, limit: i64) -> anyhow::Result<Vec<StoredJob>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE status = 'open' AND id > $1 ORDER BY id LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(&state.db.pool)
            .await?;
    let now = state.now_text();
    rows.into_iter().map(|row| from_row(row, &now)).collect()
}

/// How many people were placed in `job_id` (placements naming the job).
pub async fn placed_count<'e>(ex: impl sqlx::Executor<'e, Database = sqlx::Any>, job_id: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(DISTINCT person_id) FROM placements WHERE job_id = $1")
        .bind(job_id)
        .fetch_one(ex)
        .await?)
}
