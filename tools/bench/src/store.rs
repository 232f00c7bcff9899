//! The store a benchmark writes into. Benchmarks write, and `push` empties
//! the notification queue, so they run only on a database that holds
//! nothing but their own tables: a new one, or one an earlier benchmark made
//! (marked in `meta`), with no table of anyone else in it.

use jobmatch_core::AppState;

/// The `meta` key that marks a store made by a benchmark.
const MARK: &str = "benchmark_store";

/// Tables that tell a store holds someone's data, checked first so the
/// refusal names what would be lost.
const DATA_TABLES: [&str; 5] = ["persons", "jobs", "notifications", "placements", "orgs"];

/// Refuse a database that holds anything but a benchmark's own tables.
/// `None` (a temporary SQLite store) and a SQLite file that does not exist
/// yet are fine.
pub async fn refuse_a_real_store(database_url: Option<&str>) -> anyhow::Result<()> {
    let Some(url) = database_url else { return Ok(()) };
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    if sqlite && !jobmatch_core::db::sqlite_path(url).exists() {
        return Ok(());
    }
    let shown = url.split('@').next_back().unwrap_or("the store").to_string();
    let pool = sqlx::AnyPool::connect(url).await?;
    let verdict = judge(&pool, sqlite, &shown).await;
    pool.close().await;
    verdict
}

async fn judge(pool: &sqlx::AnyPool, sqlite: bool, shown: &str) -> anyhow::Result<()> {
    let list = if sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    } else {
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema()"
    };
    let tables: Vec<String> = sqlx::query_scalar(list).fetch_all(pool).await?;
    // The SQL comparison's tables are the benchmark's own.
    let theirs: Vec<&String> = tables.iter().filter(|t| !t.starts_with("bench_")).collect();
    if theirs.is_empty() {
        return Ok(());
    }
    let marked = tables.iter().any(|t| t == "meta")
        && sqlx::query_scalar::<_, String>("SELECT key FROM meta WHERE key = $1")
            .bind(MARK)
            .fetch_optional(pool)
            .await?
            .is_some();
    if marked {
        return Ok(());
    }
    for table in DATA_TABLES.iter().filter(|t| theirs.iter().any(|name| name == *t)) {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(pool).await?;
        if rows > 0 {
            anyhow::bail!(
                "refusing to benchmark against {shown}: its table {table} holds data; give an empty database"
            );
        }
    }
    let names: Vec<&str> = theirs.iter().take(5).map(|t| t.as_str()).collect();
    anyhow::bail!(
        "refusing to benchmark against {shown}: it holds tables no benchmark made ({}); give an empty database",
        names.join(", ")
    )
}

/// Mark the store just opened as a benchmark's, so a later run may reuse it.
pub async fn claim(state: &AppState) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(MARK)
        .bind(jobmatch_core::time::to_text(chrono::Utc::now()))
        .execute(&state.db.pool)
        .await?;
    Ok(())
}
