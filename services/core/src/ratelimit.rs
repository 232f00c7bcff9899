//! A per-key request budget for list endpoints (a fixed one-minute window,
//! kept per process: with several replicas each enforces its own share).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::error::{ApiError, Problem};

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Under the lock: the current minute's window of `key` (a new one
    /// when the last has passed), with old windows pruned now and then.
    fn with_window<T>(&self, key: &str, f: impl FnOnce(Instant, &mut (Instant, u32)) -> T) -> T {
        let now = Instant::now();
        let mut w = self.windows.lock().expect("rate limit lock");
        if w.len() > 10_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = w.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        f(now, entry)
    }

    /// Seconds until `key` may go on, when it has used `per_minute` in the
    /// current minute (nothing is counted).
    pub fn exhausted(&self, key: &str, per_minute: u32) -> Option<u64> {
        // Read only: asking must not open a window for every key seen.
        let now = Instant::now();
        let w = self.windows.lock().expect("rate limit lock");
        let (start, used) = w.get(key)?;
        let age = now.duration_since(*start);
        (age < Duration::from_secs(60) && *used >= per_minute).then(|| 60 - age.as_secs().min(59))
    }

    /// Take one of `key`'s `per_minute` in its current minute, before the
    /// attempt it pays for is checked: under one lock, so that a burst of
    /// concurrent attempts gets exactly the budget. The seconds to wait
    /// when none is left (nothing is taken then).
    pub fn take(&self, key: &str, per_minute: u32) -> Result<(), u64> {
        self.with_window(key, |now, (start, used)| {
            if *used >= per_minute {
                return Err(60 - now.duration_since(*start).as_secs().min(59));
            }
            *used += 1;
            Ok(())
        })
    }

    /// Give back what [`RateLimiter::take`] took for an attempt that
    /// succeeded (the budget is for failures).
    pub fn refund(&self, key: &str) {
        self.with_window(key, |_, (_, used)| *used = used.saturating_sub(1));
    }

    /// Count one event of `key` in its current minute.
    pub fn count(&self, key: &str) {
        self.with_window(key, |_, (_, used)| *used += 1);
    }

    /// Count one request of `key_id`; 429 when it has used `per_minute` in
    /// the current minute.
    pub fn check(&self, key_id: &str, per_minute: u32) -> Result<(), ApiError> {
        match self.take(key_id, per_minute) {
            Ok(()) => Ok(()),
            Err(wait) => Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "请求过于频繁",
                format!("每个密钥每分钟最多 {per_minute} 次列表请求，请 {wait} 秒后再试"),
            )
            .with("retry_after_seconds", wait)
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_gets_its_budget_then_429() {
        let r = super::RateLimiter::default();
        for _ in 0..3 {
            r.check("k1", 3).unwrap();
        }
        assert!(r.check("k1", 3).is_err());
        r.check("k2", 3).unwrap();
    }

    #[test]
    fn a_concurrent_burst_takes_exactly_the_budget() {
        let r = std::sync::Arc::new(super::RateLimiter::default());
        let taken: usize = (0..60)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || r.take("ip:9", 20).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(taken, 20);
        r.refund("ip:9");
        assert!(r.take("ip:9", 20).is_ok(), "a refunded attempt is free again");
        assert!(r.take("ip:9", 20).is_err());
    }

    #[test]
    fn counted_failures_exhaust_a_budget() {
        let r = super::RateLimiter::default();
        assert_eq!(r.exhausted("ip:1", 2), None);
        r.count("ip:1");
        assert_eq!(r.exhausted("ip:1", 2), None);
        r.count("ip:1");
        assert!(r.exhausted("ip:1", 2).is_some_and(|w| (1..=60).contains(&w)));
        assert_eq!(r.exhausted("ip:2", 2), None);
    }
}
