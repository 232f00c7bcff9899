//! The transactional outbox: every change that matters to search or push
//! appends an `events` row in the same transaction as the change. Matching
//! replicas and push planners tail it by [`Position`].
//!
//! No event may ever appear behind a reader's position. On SQLite one writer
//! holds the database at a time, so ids commit in id order. On PostgreSQL ids
//! come from a sequence and can commit out of order (a batch that stays open
//! while later ids commit), so each event records the id of the transaction
//! that wrote it (`xid`, a column default) and readers order by `(xid, id)`
//! and read only below a *horizon*: an xid below which every transaction of
//! this database had finished before the read began (see [`horizon`]). A
//! transaction still open, or not yet begun, writes at or above the horizon,
//! so it lands ahead of every position a reader has reached. The cost: while
//! a writing transaction stays open, readers wait for it; they never skip it.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::db::{Backend, Db};

/// Append one event inside the caller's transaction.
pub async fn append(
    conn: &mut AnyConnection,
    kind: &str,
    entity_id: &str,
    region_code: &str,
    payload: &Value,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO events (kind, entity_id, region_code, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(kind)
        .bind(entity_id)
        .bind(region_code)
        .bind(payload.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// A place in the outbox: the writing transaction, then the event id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub xid: i64,
    pub id: i64,
}

impl Position {
    /// `xid:id`; a bare number is a position written before transactions
    /// were recorded (all such events carry xid 0).
    pub fn parse(text: &str) -> Option<Position> {
        match text.split_once(':') {
            Some((xid, id)) => Some(Position { xid: xid.parse().ok()?, id: id.parse().ok()? }),
            None => Some(Position { xid: 0, id: text.parse().ok()? }),
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.xid, self.id)
    }
}

/// One outbox row.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub xid: i64,
    pub kind: String,
    pub entity_id: String,
    pub region_code: String,
    pub payload: String,
    pub created_at: String,
}

impl Event {
    pub fn position(&self) -> Position {
        Position { xid: self.xid, id: self.id }
    }
}

/// The lowest transaction id that may still write events in this database:
/// every transaction below it had finished (committed or rolled back) when
/// this returned, so a statement begun afterwards sees all they wrote.
/// `None` on SQLite, where nothing is ever in flight behind a reader.
///
/// It is the snapshot's `xmax` (the next id to be assigned when the
/// statement began), lowered to the oldest transaction id still held by a
/// session of this database (`pg_locks` shows every transaction's lock on its
/// own id to any role). `pg_locks` gives 32-bit ids; they are widened with
/// the epoch of `xmax`, which no running transaction can be 2³¹ behind.
pub async fn horizon(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    if db.backend == Backend::Sqlite {
        return Ok(None);
    }
    let (xmax, running): (String, String) = sqlx::query_as(
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text,
                COALESCE((SELECT string_agg(l.transactionid::text, ',')
                          FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                          WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
                            AND a.datname = current_database() AND l.pid <> pg_backend_pid()), '')",
    )
    .fetch_one(&db.pool)
    .await?;
    let xmax: u64 = xmax.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let oldest = running.split(',').filter_map(|x| x.parse::<u32>().ok()).map(|x| widen(xmax, x)).min();
    Ok(Some(oldest.unwrap_or(xmax).min(xmax) as i64))
}

/// A 32-bit transaction id as the 64-bit one at or below `xmax` it stands for.
fn widen(xmax: u64, xid: u32) -> u64 {
    let behind = (xmax as u32).wrapping_sub(xid) as u64;
    xmax.saturating_sub(behind)
}

/// Events after `after` that no open transaction can still precede, oldest
/// position first.
pub async fn read_after(db: &Db, after: Position, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
    // The horizon is read in its own statement, before the events: every
    // transaction below it finished before this statement's snapshot.
    let below = horizon(db).await?.unwrap_or(i64::MAX);
    let rows: Vec<(i64, i64, String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, xid, kind, entity_id, region_code, payload, created_at FROM events
         WHERE (xid > $1 OR (xid = $1 AND id > $2)) AND xid < $3
         ORDER BY xid, id LIMIT $4",
    )
    .bind(after.xid)
    .bind(after.id)
    .bind(below)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, xid, kind, entity_id, region_code, payload, created_at)| Event {
            id,
            xid,
            kind,
            entity_id,
            region_code,
            payload,
            created_at,
        })
        .collect())
}

/// Where a reader that is about to load every record from the store starts
/// following the outbox: each event before it is already in what it loads,
/// each event after it is applied again (applying twice is harmless).
pub async fn start_position(db: &Db) -> Result<Position, sqlx::Error> {
    match horizon(db).await? {
        // Transactions below the horizon are visible to the loads that follow.
        Some(below) => Ok(Position { xid: below, id: 0 }),
        None => {
            let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events").fetch_one(&db.pool).await?;
            Ok(Position { xid: 0, id })
        }
    }
}

/// How many events lie after `after` (committed, whatever the horizon).
pub async fn count_after(db: &Db, after: Position) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE xid > $1 OR (xid = $1 AND id > $2)")
        .bind(after.xid)
        .bind(after.id)
        .fetch_one(&db.pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_read_old_cursors() {
        let p = Position { xid: 812, id: 44 };
        assert_eq!(Position::parse(&p.to_string()), Some(p));
        assert_eq!(Position::parse("17"), Some(Position { xid: 0, id: 17 }));
        assert_eq!(Position::parse("x:1"), None);
        assert!(Position { xid: 1, id: 1 } > Position { xid: 0, id: 900 });
    }

    #[test]
    fn short_transaction_ids_widen_to_the_epoch_of_xmax() {
        let epoch = 3u64 << 32;
        assert_eq!(widen(epoch + 100, 90), epoch + 90);
        assert_eq!(widen(epoch + 100, 100), epoch + 100);
        // Just before a wrap of the low 32 bits.
        assert_eq!(widen(epoch + 5, u32::MAX - 2), epoch - 3);
    }
}
