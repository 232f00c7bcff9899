//! The matching service. For now it follows the outbox so that a matching
//! replica knows how far it has read; the tantivy indexes, the analyzer and
//! the match endpoints arrive with the matching issue and plug into the same
//! router and background task.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jobmatch_core::AppState;
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;

/// How far this replica has read the outbox.
#[derive(Clone, Default)]
pub struct OutboxCursor(Arc<AtomicI64>);

impl OutboxCursor {
    pub fn last_applied(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }
}

/// The matching routes (none yet).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// Tail the outbox by id until `shutdown` turns true.
pub fn spawn_background(
    state: AppState,
    cursor: OutboxCursor,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match jobmatch_core::events::read_after(&state.db.pool, cursor.last_applied(), 500).await {
                Ok(batch) => {
                    if let Some(last) = batch.last() {
                        cursor.0.store(last.id, Ordering::Release);
                        state.metrics.count("jobmatch_matching_events_read_total", "event", batch.len() as u64);
                        if batch.len() == 500 {
                            continue;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the outbox failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = shutdown.changed() => break,
            }
        }
    })
}
