//! The transactional outbox: every change that matters to search or push
//! appends an `events` row in the same transaction as the change. Matching
//! replicas tail it by id; nothing reads a service's tables behind its back.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::time::now_text;

/// Append one event inside the caller's transaction.
pub async fn append(
    conn: &mut AnyConnection,
    kind: &str,
    entity_id: &str,
    region_code: &str,
    payload: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO events (kind, entity_id, region_code, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(kind)
        .bind(entity_id)
        .bind(region_code)
        .bind(payload.to_string())
        .bind(now_text())
        .execute(conn)
        .await?;
    Ok(())
}

/// One outbox row.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub entity_id: String,
    pub region_code: String,
    pub payload: String,
    pub created_at: String,
}

/// Events after `after`, oldest first.
pub async fn read_after(pool: &sqlx::AnyPool, after: i64, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, kind, entity_id, region_code, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, entity_id, region_code, payload, created_at)| Event {
            id,
            kind,
            entity_id,
            region_code,
            payload,
            created_at,
        })
        .collect())
}

/// How far a reader of `batch` (read after `from`) may move its cursor, and
/// whether it stopped at a gap. On PostgreSQL an id can commit after a later
/// one, so a reader moves over contiguous ids only; a gap older than five
/// seconds is a rolled-back id and is passed.
pub fn contiguous_end(from: i64, batch: &[Event], now: chrono::DateTime<chrono::Utc>) -> (i64, bool) {
    let mut cursor = from;
    for e in batch {
        let old = crate::time::from_text(&e.created_at).is_some_and(|t| now - t > chrono::Duration::seconds(5));
        if e.id == cursor + 1 || old {
            cursor = e.id;
        } else {
            return (cursor, true);
        }
    }
    (cursor, false)
}
