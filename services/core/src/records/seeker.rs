//! What a job seeker was told and what they answered: the push service's
//! sent notices read by the seeker's pages, and the seeker's answers read by
//! the push service (a job a person called 不合适 is never sent to them again).

use std::collections::HashSet;

use sqlx::{Any, Executor};

/// Whether `job_id` was sent to `person_id` (inbox or SMS) since `since`:
/// the one rule for what a job seeker's link may open.
pub async fn was_pushed<'e>(
    ex: impl Executor<'e, Database = Any>,
    person_id: &str,
    job_id: &str,
    since: &str,
) -> anyhow::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM notifications WHERE person_id = $1 AND job_id = $2 AND channel IN ('inbox', 'sms')
           AND status = 'sent' AND sent_at >= $3 LIMIT 1",
    )
    .bind(person_id)
    .bind(job_id)
    .bind(since)
    .fetch_optional(ex)
    .await?;
    Ok(found.is_some())
}

/// The jobs sent to `person_id` since `since`, most recent first (at most 50).
pub async fn pushed_jobs<'e>(
    ex: impl Executor<'e, Database = Any>,
    person_id: &str,
    since: &str,
) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT job_id FROM notifications WHERE person_id = $1 AND channel IN ('inbox', 'sms')
           AND status = 'sent' AND sent_at >= $2
         GROUP BY job_id ORDER BY MAX(sent_at) DESC, job_id LIMIT 50",
    )
    .bind(person_id)
    .bind(since)
    .fetch_all(ex)
    .await?)
}

/// Whether the person answered 不合适 to the job.
pub async fn declined<'e>(
    ex: impl Executor<'e, Database = Any>,
    person_id: &str,
    job_id: &str,
) -> anyhow::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM seeker_answers WHERE person_id = $1 AND job_id = $2 AND answer = 'not_fitting'",
    )
    .bind(person_id)
    .bind(job_id)
    .fetch_optional(ex)
    .await?;
    Ok(found.is_some())
}

/// The people who answered 不合适 to `job_id`.
pub async fn declined_by<'e>(ex: impl Executor<'e, Database = Any>, job_id: &str) -> anyhow::Result<HashSet<String>> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT person_id FROM seeker_answers WHERE job_id = $1 AND answer = 'not_fitting'")
            .bind(job_id)
            .fetch_all(ex)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The jobs `person_id` answered 不合适 to.
pub async fn declined_jobs<'e>(
    ex: impl Executor<'e, Database = Any>,
    person_id: &str,
) -> anyhow::Result<HashSet<String>> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT job_id FROM seeker_answers WHERE person_id = $1 AND answer = 'not_fitting'")
            .bind(person_id)
            .fetch_all(ex)
            .await?;
    Ok(rows.into_iter().collect())
}
