//! Direct subsidies (直补快办): evidence from other departments, the rule
//! engine that computes each month's payments from the records, the payment
//! lists per unit and month, the policy notices their approval sends, and the monthly submission (报送) of the 进度表.

pub mod engine;
pub mod evidence;
pub mod lists;
pub mod money;
pub mod notices;
pub mod submissions;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(evidence::router())
        .merge(lists::router())
        .merge(notices::router())
        .merge(submissions::router())
}
