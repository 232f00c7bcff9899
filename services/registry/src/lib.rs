//! The person registry and what follows from it: people (四清, 一人一策,
//! certification, department imports), HR agencies (agreements, consented
//! assignments, referrals, the trail) and outcomes (placements, insurance
//! months, subsidies, allowances, the monthly 进度表). Every change that
//! matters to matching appends an outbox event in its transaction.
//!
//! Inside, the dependencies run one way: `agencies` → `outcomes` (a hired
//! referral records a placement) → `persons` (a placement marks the person
//! employed). Who may see a person is answered in `jobmatch_core::access`.

pub mod agencies;
pub mod outcomes;
pub mod persons;
pub mod subsidies;

use std::time::Duration;

use jobmatch_core::AppState;
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;

/// Every route of the registry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(persons::router())
        .merge(agencies::router())
        .merge(outcomes::router())
        .merge(subsidies::router())
}

/// Background work: end certifications past their end date. Stops when
/// `shutdown` turns true.
pub fn spawn_background(state: AppState, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.settings.expiry_sweep_secs);
        loop {
            match persons::certification::expire_lapsed(&state).await {
                Ok(0) => {}
                Ok(expired) => {
                    state.metrics.count("jobmatch_certifications_expired_total", "person", expired);
                    tracing::info!(expired, "certifications expired");
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
