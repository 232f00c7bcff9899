//! The store: one sqlx `AnyPool` over an embedded SQLite file or PostgreSQL.
//!
//! Every query in the services is written once, with `$1`-style parameters that
//! both backends accept. Timestamps are stored as fixed-width RFC 3339 UTC text
//! (`2026-11-25T09:00:00.000000Z`), which sorts and compares correctly as text
//! on both backends; dates as `YYYY-MM-DD`. Backend differences live here.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../schemas/migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../schemas/migrations/postgres");

/// Which database engine is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A cheap, clonable handle on the store.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Connect to `url`, creating an SQLite file and its folder when needed,
    /// and bring the schema up to date. Safe when several processes start at
    /// once against PostgreSQL: sqlx takes an advisory lock around migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        let pool = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create the data folder {}", parent.display()))?;
                }
                let url = if url.contains("mode=") {
                    url.to_string()
                } else if url.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                };
                let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
                // One connection: SQLite has one writer, and a single connection
                // avoids busy errors when a read transaction upgrades to a write.
                AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .with_context(|| format!("cannot open the SQLite store at {}", path.display()))?
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await
                    .context("cannot connect to PostgreSQL")?
            }
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.context("database migrations failed")?;
        Ok(Db { pool, backend })
    }

    /// Whether the store answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// The file path in an `sqlite:` URL.
pub fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.trim_start_matches("sqlite:");
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    Path::new(rest).to_path_buf()
}

/// Whether an sqlx error is a unique-constraint violation.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_path("sqlite://data/jobmatch.db"), PathBuf::from("data/jobmatch.db"));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db?mode=rwc"), PathBuf::from("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite:x.db"), PathBuf::from("x.db"));
    }
}
