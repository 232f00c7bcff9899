//! The push service: notifications to people (inbox, SMS) and agencies
//! (webhooks). The queue table, channels and workers arrive with the push
//! issue; the role exists so that deployments can already run it alone.

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The push routes (none yet).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
