//! Opaque ids: a type prefix and a UUIDv7, so ids sort by creation time.

/// A new id such as `job_0193b3c1e0f47c2a8d1e5f6a7b8c9d0e`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// Whether `s` could be an id of this kind (cheap check before a lookup).
pub fn looks_like(prefix: &str, s: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('_'))
        .is_some_and(|r| r.len() == 32 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation() {
        let a = new_id("job");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("job");
        assert!(a < b);
        assert!(looks_like("job", &a));
        assert!(!looks_like("org", &a));
        assert!(!looks_like("job", "job_1 OR 1=1"));
    }
}
