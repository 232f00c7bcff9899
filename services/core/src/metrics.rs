//! Prometheus metrics: requests by route and status, and a latency histogram
//! by route. Services may register gauges that are read at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// The process's request metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    counters: Mutex<BTreeMap<(String, String), u64>>,
    labeled: Mutex<BTreeMap<(String, String), u64>>,
    gauges: Mutex<BTreeMap<(String, String), f64>>,
    histograms: Mutex<BTreeMap<String, Histogram>>,
}

/// `a="x",b="y"` from label pairs (values are codes, never personal data).
fn labels(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(",")
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self.requests.lock().expect("metrics lock").entry((method.into(), route.into(), status)).or_default() += 1;
        self.latency.lock().expect("metrics lock").entry(route.to_string()).or_default().observe(seconds);
    }

    /// Add to a named counter with one label, e.g. `jobmatch_jobs_expired_total`.
    pub fn count(&self, name: &str, label: &str, by: u64) {
        *self.counters.lock().expect("metrics lock").entry((name.into(), label.into())).or_default() += by;
    }

    /// Add to a counter with labels, e.g. deliveries by channel and outcome.
    pub fn count_with(&self, name: &str, pairs: &[(&str, &str)], by: u64) {
        *self.labeled.lock().expect("metrics lock").entry((name.into(), labels(pairs))).or_default() += by;
    }

    /// Set a gauge with labels, e.g. queue depth by state.
    pub fn gauge(&self, name: &str, pairs: &[(&str, &str)], value: f64) {
        self.gauges.lock().expect("metrics lock").insert((name.into(), labels(pairs)), value);
    }

    /// Observe seconds in a named histogram (buckets 1 ms … 10 s).
    pub fn observe_seconds(&self, name: &str, seconds: f64) {
        self.histograms.lock().expect("metrics lock").entry(name.to_string()).or_default().observe(seconds);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP jobmatch_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE jobmatch_http_requests_total counter\n");
        for ((m, r, s), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "jobmatch_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {n}");
        }
        out.push_str("# HELP jobmatch_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE jobmatch_http_request_duration_seconds histogram\n");
        for (r, h) in self.latency.lock().expect("metrics lock").iter() {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "jobmatch_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ =
                writeln!(out, "jobmatch_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "jobmatch_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", h.sum);
            let _ = writeln!(out, "jobmatch_http_request_duration_seconds_count{{route=\"{r}\"}} {}", h.count);
        }
        let counters = self.counters.lock().expect("metrics lock");
        let mut last = "";
        for ((name, label), n) in counters.iter() {
            if name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{{kind=\"{label}\"}} {n}");
        }
        let mut last = String::new();
        for ((name, label), n) in self.labeled.lock().expect("metrics lock").iter() {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last.clone_from(name);
            }
            let _ = writeln!(out, "{name}{{{label}}} {n}");
        }
        let mut last = String::new();
        for ((name, label), v) in self.gauges.lock().expect("metrics lock").iter() {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} gauge");
                last.clone_from(name);
            }
            let _ = writeln!(out, "{name}{{{label}}} {v}");
        }
        for (name, h) in self.histograms.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "# TYPE {name} histogram");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{name}_sum {}", h.sum);
            let _ = writeln!(out, "{name}_count {}", h.count);
        }
        out
    }
}

/// Middleware recording every request against its route template (never the
/// raw path, which could hold ids).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    state.metrics.observe(&method, &route, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_requests_and_fills_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/v1/jobs", 200, 0.003);
        m.observe("GET", "/v1/jobs", 200, 0.2);
        m.observe("POST", "/v1/jobs", 422, 0.01);
        let t = m.render();
        assert!(t.contains("jobmatch_http_requests_total{method=\"GET\",route=\"/v1/jobs\",status=\"200\"} 2"), "{t}");
        assert!(t.contains("route=\"/v1/jobs\",le=\"0.005\"} 1"));
        assert!(t.contains("route=\"/v1/jobs\",le=\"+Inf\"} 3"));
    }
}
