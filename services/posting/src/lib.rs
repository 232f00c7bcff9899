//! The posting service: organisations and keys, the region tree, and jobs
//! published by gig markets, communities, employers and public-welfare
//! programmes. Every job change appends an outbox event in its transaction.

pub mod agencies;
pub mod jobs;
pub mod orgs;
pub mod outcomes;
pub mod persons;
pub mod regions_api;

use std::time::Duration;

use jobmatch_core::AppState;
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;

/// Every route of the posting service.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(orgs::router())
        .merge(regions_api::router())
        .merge(jobs::router())
        .merge(persons::router())
        .merge(agencies::router())
        .merge(outcomes::router())
}

/// Background work: expire jobs past `valid_until` and certifications past their end. Stops when `shutdown` turns true.
pub fn spawn_background(state: AppState, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.settings.expiry_sweep_secs);
        loop {
            match jobs::store::expire_due(&state.db).await {
                Ok(0) => {}
                Ok(n) => {
                    state.metrics.count("jobmatch_jobs_expired_total", "job", n);
                    tracing::info!(expired = n, "jobs expired");
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "expiry sweep failed"),
            }
            match persons::certification::expire_lapsed(&state).await {
                Ok(0) => {}
                Ok(n) => {
                    state.metrics.count("jobmatch_certifications_expired_total", "person", n);
                    tracing::info!(expired = n, "certifications expired");
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "certification sweep failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => break,
            }
        }
    })
}
