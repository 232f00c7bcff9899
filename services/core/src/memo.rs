//! Results kept in process while the records they were computed from are
//! unchanged: each is stored with the version of those records (a counter
//! in the store that every write to them moves on, in the same
//! transaction), and is used only while the store still holds that version.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// At most this many results are kept; when full, all are dropped.
const CAPACITY: usize = 64;

/// A kept result and the version of the records it was computed from.
type Kept = (i64, Arc<dyn Any + Send + Sync>);

#[derive(Default)]
pub struct Memo {
    entries: Mutex<HashMap<String, Kept>>,
}

impl Memo {
    /// The result kept under `key` for `version`, if any.
    pub fn get<T: Send + Sync + 'static>(&self, key: &str, version: i64) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (v, value) = entries.get(key)?;
        if *v != version {
            return None;
        }
        value.clone().downcast::<T>().ok()
    }

    /// Keep `value` under `key` for `version`.
    pub fn put<T: Send + Sync + 'static>(&self, key: &str, version: i64, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_string(), (version, value));
    }
}

/// Move the report's records on to a new version: call in the transaction
/// of every write to placements, certification steps, allowances or people.
pub async fn records_changed(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE report_version SET version = version + 1 WHERE id = 1").execute(conn).await?;
    Ok(())
}

/// The report's records' version now.
pub async fn records_version(pool: &sqlx::AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM report_version WHERE id = 1").fetch_one(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_holds_only_for_its_version_and_type() {
        let memo = Memo::default();
        memo.put("m", 3, Arc::new(vec![1, 2]));
        assert_eq!(memo.get::<Vec<i32>>("m", 3).as_deref(), Some(&vec![1, 2]));
        assert!(memo.get::<Vec<i32>>("m", 4).is_none(), "a newer version of the records");
        assert!(memo.get::<String>("m", 3).is_none(), "another type");
        for i in 0..CAPACITY {
            memo.put(&format!("k{i}"), 1, Arc::new(i));
        }
        assert!(memo.get::<Vec<i32>>("m", 3).is_none(), "dropped when full");
    }
}
