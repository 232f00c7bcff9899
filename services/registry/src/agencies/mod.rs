//! HR agency partnership (channel 5): agreements, consented assignments,
//! referrals with their moves, contacts, and the follow-up trail. Agencies
//! are outside the bureau: every person they reach goes through
//! [`jobmatch_core::access::person_for`].

pub mod agreements;
pub mod assignments;
pub mod referrals;
pub mod trail;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(agreements::router())
        .merge(assignments::router())
        .merge(referrals::router())
        .merge(trail::router())
}
