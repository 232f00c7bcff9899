//! Public-welfare records that more than the welfare service writes: the
//! welfare log, and applications (staff record them; 我感兴趣 on the job
//! seeker's page of a recruitment is the person's own application).

use sqlx::AnyConnection;

use crate::clock::Clock;

/// Record a change in the welfare log (in the caller's transaction).
/// `actor`: the key (or source) and organisation that acted.
pub async fn log(
    conn: &mut AnyConnection,
    clock: &Clock,
    (key_id, org_id): (&str, &str),
    entity: &str,
    id: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO welfare_log (entity, entity_id, action, detail, key_id, org_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entity)
    .bind(id)
    .bind(action)
    .bind(detail.to_string())
    .bind(key_id)
    .bind(org_id)
    .bind(clock.now_text())
    .execute(conn)
    .await?;
    Ok(())
}

/// A new application (state `applied`), unless the person has applied to
/// the announcement already: the new id, or `None`.
pub async fn insert_application(
    conn: &mut AnyConnection,
    clock: &Clock,
    announcement_id: &str,
    person_id: &str,
    applied_on: &str,
    retirement_kind: &str,
    actor_key_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let id = crate::ids::new_id("wap");
    let made = sqlx::query(
        "INSERT INTO welfare_applications (id, announcement_id, person_id, state, applied_on, retirement_kind,
             actor_key_id, created_at, updated_at)
         VALUES ($1, $2, $3, 'applied', $4, $5, $6, $7, $7)
         ON CONFLICT (announcement_id, person_id) DO NOTHING",
    )
    .bind(&id)
    .bind(announcement_id)
    .bind(person_id)
    .bind(applied_on)
    .bind(retirement_kind)
    .bind(actor_key_id)
    .bind(clock.now_text())
    .execute(conn)
    .await?
    .rows_affected()
        > 0;
    Ok(made.then_some(id))
}

/// Record the person's application to the published announcement whose job
/// is `job_id`, when there is one and they have not applied yet. `true`
/// when an application was made. Selection still checks every rule.
pub async fn apply_from_page(
    conn: &mut AnyConnection,
    clock: &Clock,
    job_id: &str,
    person_id: &str,
    retirement_kind: &str,
) -> anyhow::Result<bool> {
    let announcement: Option<(String, String)> =
        sqlx::query_as("SELECT id, doc FROM welfare_announcements WHERE job_id = $1 AND state = 'published'")
            .bind(job_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((announcement, doc)) = announcement else { return Ok(false) };
    let apply_by =
        serde_json::from_str::<serde_json::Value>(&doc).ok().and_then(|d| d["apply_by"].as_str().map(String::from));
    if !open_for_applications(apply_by.as_deref(), clock.today()) {
        return Ok(false);
    }
    let source = "seeker_page";
    let made =
        insert_application(conn, clock, &announcement, person_id, &clock.today().to_string(), retirement_kind, source)
            .await?;
    if let Some(id) = &made {
        let detail = serde_json::json!({"announcement_id": announcement, "source": source});
        log(conn, clock, (source, ""), "application", id, "applied", detail).await?;
    }
    Ok(made.is_some())
}

/// Whether an announcement with 报名截止日期 `apply_by` (YYYY-MM-DD) takes an
/// application made on `on`: up to and including that day.
pub fn open_for_applications(apply_by: Option<&str>, on: chrono::NaiveDate) -> bool {
    let by = apply_by.and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    by.is_none_or(|by| on <= by)
}
