//! The posting service: organisations and their API keys, the region tree,
//! and jobs published by gig markets, communities, employers and
//! public-welfare programmes. Every job change appends an outbox event in
//! its transaction.

pub mod accounts;
pub mod calendar_api;
pub mod jobs;
pub mod orgs;
pub mod regions_api;

use std::time::Duration;

use jobmatch_core::AppState;
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;

/// Every route of the posting service.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(orgs::router())
        .merge(accounts::router())
        .merge(regions_api::router())
        .merge(calendar_api::router())
        .merge(jobs::router())
}

/// Background work: close jobs past `valid_until`. Stops when `shutdown`
/// turns true.
pub fn spawn_background(state: AppState, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.settings.expiry_sweep_secs);
        loop {
            match jobs::store::expire_due(&state).await {
                Ok(0) => {}
                Ok(expired) => {
                    state.metrics.count("jobmatch_jobs_expired_total", "job", expired);
                    tracing::info!(expired, "jobs expired");
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "expiry sweep failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => break,
            }
        }
    })
}
