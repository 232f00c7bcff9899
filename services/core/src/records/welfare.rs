//! What the job seeker's page needs of public-welfare recruitment: 我感兴趣
//! on the job of a published announcement is an application to it (the
//! person applies themselves; staff then select).

use sqlx::AnyConnection;

use crate::time::{now_text, today};

/// Record the person's application to the published announcement whose job
/// is `job_id`, when there is one and they have not applied yet. `true`
/// when an application was made. Selection still checks every rule.
pub async fn apply_from_page(
    conn: &mut AnyConnection,
    job_id: &str,
    person_id: &str,
    retirement_kind: &str,
) -> anyhow::Result<bool> {
    let announcement: Option<String> =
        sqlx::query_scalar("SELECT id FROM welfare_announcements WHERE job_id = $1 AND state = 'published'")
            .bind(job_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(announcement) = announcement else { return Ok(false) };
    let now = now_text();
    let id = crate::ids::new_id("wap");
    let made = sqlx::query(
        "INSERT INTO welfare_applications (id, announcement_id, person_id, state, applied_on, retirement_kind,
             actor_key_id, created_at, updated_at)
         VALUES ($1, $2, $3, 'applied', $4, $5, 'seeker_page', $6, $6)
         ON CONFLICT (announcement_id, person_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&announcement)
    .bind(person_id)
    .bind(today().to_string())
    .bind(retirement_kind)
    .bind(&now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if made {
        sqlx::query(
            "INSERT INTO welfare_log (entity, entity_id, action, detail, key_id, org_id, created_at)
             VALUES ('application', $1, 'applied', $2, 'seeker_page', '', $3)",
        )
        .bind(&id)
        .bind(serde_json::json!({"announcement_id": announcement, "source": "seeker_page"}).to_string())
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(made)
}
