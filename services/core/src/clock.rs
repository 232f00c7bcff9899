//! The service's clock. Every part that depends on the time — sweeps, quiet
//! hours, daily caps, 公示, registration, payment lists, 报送, link expiry —
//! reads it from here (`AppState::clock`), never from the system directly.
//!
//! Normally it is the system clock. Started with `JOBMATCH_SETTABLE_CLOCK=true`
//! (a rehearsal, 演练环境, or tests), the admin may move it forward with
//! `PUT /v1/ops/clock`: the clock then runs on from the time set. The shift
//! is kept in the store (`meta.clock_offset_ms`), so a restart does not
//! turn time back, and every replica on the store reads it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

const OFFSET_KEY: &str = "clock_offset_ms";
/// Set in `meta` the first time a store is opened with the settable clock:
/// from then on it is a rehearsal's store, never a live one.
const REHEARSAL_KEY: &str = "rehearsal";

#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    settable: bool,
    /// Milliseconds added to the system clock.
    offset_ms: AtomicI64,
}

/// Why a time was not set.
#[derive(Debug, PartialEq, Eq)]
pub enum NotSet {
    /// The service was started without `JOBMATCH_SETTABLE_CLOCK=true`.
    Fixed,
    /// The time asked is before the clock's now: a clock only moves forward.
    Backward(DateTime<Utc>),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that may be set, starting `offset_ms` ahead of the system's.
    pub fn settable(offset_ms: i64) -> Clock {
        Clock(Arc::new(Inner { settable: true, offset_ms: AtomicI64::new(offset_ms) }))
    }

    pub fn is_settable(&self) -> bool {
        self.0.settable
    }

    /// Now, by this clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.0.offset_ms.load(Ordering::Relaxed))
    }

    /// Now in the store's text form.
    pub fn now_text(&self) -> String {
        crate::time::to_text(self.now())
    }

    /// Today in Asia/Shanghai.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&crate::time::shanghai()).date_naive()
    }

    /// The offset that makes the clock read `to` (forward only), without
    /// moving it.
    fn offset_for(&self, to: DateTime<Utc>) -> Result<i64, NotSet> {
        if !self.0.settable {
            return Err(NotSet::Fixed);
        }
        let now = self.now();
        if to < now {
            return Err(NotSet::Backward(now));
        }
        // Rounded up to the millisecond: the clock reads `to` or later.
        let gap = to - Utc::now();
        Ok(gap.num_milliseconds() + i64::from(gap.subsec_nanos() % 1_000_000 > 0))
    }

    /// Move the clock to `to` (forward only); the new offset from the system clock.
    pub fn set(&self, to: DateTime<Utc>) -> Result<i64, NotSet> {
        let offset = self.offset_for(to)?;
        self.follow(offset);
        Ok(self.0.offset_ms.load(Ordering::Relaxed))
    }

    /// Take a shift another replica stored (never backward).
    fn follow(&self, offset_ms: i64) {
        self.0.offset_ms.fetch_max(offset_ms, Ordering::Relaxed);
    }

    /// The clock of a store: the system clock, or — when `settable` — the
    /// shift the store keeps. A store is either live or a rehearsal's, for
    /// good: the first start with the settable clock marks it a rehearsal's
    /// (refused on a store holding payment lists approved without it — a
    /// live store), and a rehearsal's store is refused without it (its
    /// records are dated by the rehearsal's clock and its lists are no one's
    /// money). Neither kind of service runs on the other kind of store.
    pub async fn open(pool: &sqlx::AnyPool, settable: bool) -> anyhow::Result<Clock> {
        let marked: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(REHEARSAL_KEY)
            .fetch_optional(pool)
            .await?;
        let drilled: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM payment_lists WHERE drill <> 0").fetch_one(pool).await?;
        if !settable {
            if marked.is_some() || drilled > 0 || stored_offset(pool).await? != 0 {
                anyhow::bail!(
                    "this store is a rehearsal's (演练环境: opened with JOBMATCH_SETTABLE_CLOCK=true): a live service \
                     does not run on it; start with JOBMATCH_SETTABLE_CLOCK=true, or on a live store"
                );
            }
            return Ok(Clock::system());
        }
        if marked.is_none() {
            let live: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM payment_lists WHERE state <> 'proposed' AND drill = 0")
                    .fetch_one(pool)
                    .await?;
            if live > 0 {
                anyhow::bail!(
                    "JOBMATCH_SETTABLE_CLOCK=true is for a rehearsal (演练环境) or tests, but this store holds {live} \
                     payment list(s) approved without it: start without the settable clock, or on a rehearsal store"
                );
            }
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(REHEARSAL_KEY)
                .bind(crate::time::to_text(Utc::now()))
                .execute(pool)
                .await?;
        }
        let clock = Clock::settable(0);
        clock.follow(stored_offset(pool).await?);
        Ok(clock)
    }

    /// Set the clock to `to` and keep the shift in the store: stored only
    /// when larger than what is stored (two replicas setting it at once
    /// never turn it back), and followed here once stored.
    pub async fn set_and_store(&self, pool: &sqlx::AnyPool, to: DateTime<Utc>) -> anyhow::Result<Result<(), NotSet>> {
        self.follow(stored_offset(pool).await?);
        let offset = match self.offset_for(to) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e)),
        };
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value
             WHERE CAST(meta.value AS BIGINT) < CAST(excluded.value AS BIGINT)",
        )
        .bind(OFFSET_KEY)
        .bind(offset.to_string())
        .execute(pool)
        .await?;
        self.follow(stored_offset(pool).await?);
        Ok(Ok(()))
    }

    /// Catch up with a shift another replica stored.
    pub async fn refresh(&self, pool: &sqlx::AnyPool) -> anyhow::Result<()> {
        if self.0.settable {
            self.follow(stored_offset(pool).await?);
        }
        Ok(())
    }
}

async fn stored_offset(pool: &sqlx::AnyPool) -> Result<i64, sqlx::Error> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(OFFSET_KEY).fetch_optional(pool).await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settable_clock_moves_forward_only_and_runs_on() {
        let c = Clock::settable(0);
        let ahead = Utc::now() + chrono::Duration::days(40);
        assert!(c.set(ahead).is_ok());
        assert!((c.now() - ahead).num_seconds().abs() < 2);
        assert!(matches!(c.set(ahead - chrono::Duration::days(1)), Err(NotSet::Backward(_))));
        assert!(c.now() >= ahead);
        assert_eq!(Clock::system().set(ahead), Err(NotSet::Fixed));
        assert!((Clock::system().now() - Utc::now()).num_seconds().abs() < 2);
    }
}
