//! The push service: tells fitting people (in-app inbox, SMS) and partner
//! agencies (signed webhooks) about new openings, once per recipient, job
//! and channel, never at night and never more than the daily cap.
//!
//! - [`planner`] reads job events from the outbox and queues notifications;
//! - [`worker`] claims due rows with a lease and delivers them through [`channels`];
//! - [`routes`] serves the inbox, the delivery states and agency webhooks.

pub mod channels;
pub mod egress;
pub mod matching_client;
pub mod message;
pub mod planner;
pub mod quiet_hours;
pub mod routes;
pub mod signature;
pub mod worker;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobmatch_core::state::CandidateSource;
use jobmatch_core::AppState;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use routes::router;

/// The recipients source for a push process without matching in it.
pub fn http_source(state: &AppState) -> anyhow::Result<Arc<dyn CandidateSource>> {
    let push_settings = &state.settings.push;
    let (Some(base), Some(key)) = (&push_settings.matching_url, &push_settings.matching_key) else {
        anyhow::bail!(
            "the push service without the matching service in the same process needs JOBMATCH_MATCHING_URL \
             and JOBMATCH_MATCHING_KEY (an admin key)"
        );
    };
    let client = reqwest::Client::builder().timeout(push_settings.http_timeout).build()?;
    Ok(Arc::new(matching_client::HttpCandidates { client, base: base.clone(), key: key.expose().to_string() }))
}

/// Run the planner and the delivery worker until `stop`; deliveries in
/// flight then finish (each is bounded by the HTTP timeout).
pub fn spawn(
    state: AppState,
    source: Arc<dyn CandidateSource>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<()>> {
    let worker = worker::Worker::new(state.clone())?;
    let planner = planner::Planner { state: state.clone(), source };
    let poll = state.settings.push.poll;
    Ok(tokio::spawn(async move {
        let mut tasks = JoinSet::new();
        let mut last_depth = Instant::now() - Duration::from_secs(60);
        loop {
            let mut busy = false;
            match planner.run_once().await {
                Ok(n) => busy |= n >= 500,
                Err(e) => tracing::warn!(error = %e, "push planning failed; retrying"),
            }
            match worker.tick(&mut tasks).await {
                Ok(n) => busy |= n > 0,
                Err(e) => tracing::warn!(error = %e, "push claim failed; retrying"),
            }
            while tasks.try_join_next().is_some() {}
            if last_depth.elapsed() > Duration::from_secs(2) {
                if let Err(e) = worker.refresh_depth().await {
                    tracing::warn!(error = %e, "push queue depth not read");
                }
                last_depth = Instant::now();
            }
            let wait = if busy { Duration::from_millis(5) } else { poll };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
        }
        while tasks.join_next().await.is_some() {}
        tracing::info!("push worker stopped");
    }))
}
