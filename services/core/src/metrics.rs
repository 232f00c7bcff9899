//! Prometheus metrics through the `metrics` facade and its Prometheus
//! exporter (the exposition format, HELP and TYPE lines are the exporter's,
//! not ours), plus the process's own metrics (CPU, memory, open files,
//! start time) from `metrics-process`. Each `AppState` has its own
//! recorder, so several applications in one process (the tests) keep
//! separate figures. Label values are codes and route templates, never
//! personal data.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Label, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::state::AppState;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Every family the services record, with its help text.
const COUNTERS: &[(&str, &str)] = &[
    ("jobmatch_http_requests_total", "HTTP requests by method, route template and status."),
    ("jobmatch_matching_events_applied_total", "Outbox events applied to the matching indexes."),
    ("jobmatch_jobs_expired_total", "Jobs marked expired by the sweeper."),
    ("jobmatch_certifications_expired_total", "Hardship certifications that lapsed."),
    ("jobmatch_push_queued_total", "Notifications queued by the push planner."),
    ("jobmatch_push_deliveries_total", "Delivery attempts by channel and outcome."),
];
const HISTOGRAMS: &[(&str, &str)] = &[
    ("jobmatch_http_request_duration_seconds", "HTTP request latency by route template."),
    ("jobmatch_push_open_to_queued_seconds", "From a job opening to its notifications being queued."),
    ("jobmatch_push_open_to_sent_seconds", "From a job opening to a notification being sent."),
];
const GAUGES: &[(&str, &str)] = &[("jobmatch_push_queue_depth", "Notifications in the queue by state.")];

/// The process's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    process: metrics_process::Collector,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let recorder =
            PrometheusBuilder::new().set_buckets(&BUCKETS).expect("the buckets are not empty").build_recorder();
        let handle = recorder.handle();
        let process = metrics_process::Collector::new("process_");
        let m = Metrics { recorder, handle, process };
        m.with(|| {
            for (name, help) in COUNTERS {
                describe_counter!(*name, *help);
            }
            for (name, help) in HISTOGRAMS {
                describe_histogram!(*name, Unit::Seconds, *help);
            }
            for (name, help) in GAUGES {
                describe_gauge!(*name, *help);
            }
            m.process.describe();
        });
        m
    }
}

fn labels(pairs: &[(&str, &str)]) -> Vec<Label> {
    pairs.iter().map(|(k, v)| Label::new(k.to_string(), v.to_string())).collect()
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder, f)
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.with(|| {
            counter!("jobmatch_http_requests_total", "method" => method.to_string(), "route" => route.to_string(),
                "status" => status.to_string())
            .increment(1);
            histogram!("jobmatch_http_request_duration_seconds", "route" => route.to_string()).record(seconds);
        });
    }

    /// Add to a named counter with one label, e.g. `jobmatch_jobs_expired_total`.
    pub fn count(&self, name: &str, label: &str, by: u64) {
        self.with(|| counter!(name.to_string(), "kind" => label.to_string()).increment(by));
    }

    /// Add to a counter with labels, e.g. deliveries by channel and outcome.
    pub fn count_with(&self, name: &str, pairs: &[(&str, &str)], by: u64) {
        self.with(|| counter!(name.to_string(), labels(pairs)).increment(by));
    }

    /// Set a gauge with labels, e.g. queue depth by state.
    pub fn gauge(&self, name: &str, pairs: &[(&str, &str)], value: f64) {
        self.with(|| gauge!(name.to_string(), labels(pairs)).set(value));
    }

    /// Observe seconds in a named histogram (buckets 1 ms … 10 s).
    pub fn observe_seconds(&self, name: &str, seconds: f64) {
        self.with(|| histogram!(name.to_string()).record(seconds));
    }

    /// The Prometheus text exposition, with the process metrics read now.
    pub fn render(&self) -> String {
        self.with(|| self.process.collect());
        self.handle.render()
    }
}

/// Middleware recording every request against its route template (never the
/// raw path, which could hold ids), in the metrics and in the request span.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    // The request span (opened before routing) learns its route here.
    tracing::Span::current().record("route", route.as_str());
    let res = next.run(req).await;
    state.metrics.observe(&method, &route, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_requests_fills_buckets_and_explains_every_family() {
        let m = Metrics::default();
        m.observe("GET", "/v1/jobs", 200, 0.003);
        m.observe("GET", "/v1/jobs", 200, 0.2);
        m.observe("POST", "/v1/jobs", 422, 0.01);
        m.count_with("jobmatch_push_queued_total", &[], 4);
        m.count_with("jobmatch_push_deliveries_total", &[("channel", "sms"), ("outcome", "sent")], 1);
        m.observe_seconds("jobmatch_push_open_to_sent_seconds", 0.5);
        m.gauge("jobmatch_push_queue_depth", &[("state", "held")], 2.0);
        let t = m.render();
        assert!(t.contains("jobmatch_http_requests_total{method=\"GET\",route=\"/v1/jobs\",status=\"200\"} 2"), "{t}");
        assert!(t.contains("route=\"/v1/jobs\",le=\"0.005\"} 1"), "{t}");
        assert!(t.contains("route=\"/v1/jobs\",le=\"+Inf\"} 3"), "{t}");
        assert!(t.contains("\njobmatch_push_queued_total 4"), "no empty braces: {t}");
        assert!(!t.contains("{}"), "{t}");
        for line in t.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).unwrap();
            assert!(t.contains(&format!("# HELP {name} ")), "{name} has no HELP: {t}");
        }
        assert!(t.contains("process_resident_memory_bytes"), "process metrics: {t}");
    }
}
