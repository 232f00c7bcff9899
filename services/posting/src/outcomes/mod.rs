//! Outcomes: placements in the six channels (with agencies' social-insurance
//! reports and the service subsidies they earn), temporary living
//! allowances, and the monthly progress report computed from them.

pub mod allowances;
pub mod placements;
pub mod report;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(placements::router()).merge(allowances::router()).merge(report::router())
}
