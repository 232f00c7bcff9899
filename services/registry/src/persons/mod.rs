//! The person registry (四清, 动态管理, 一人一策): people with their ID number
//! and phone protected, change history, certification, plans, department
//! imports. Every change appends an outbox event for matching.

pub mod certification;
pub mod import;
pub mod plans;
pub mod routes;
pub mod store;
pub mod validate;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(routes::router())
        .merge(certification::router())
        .merge(plans::router())
        .merge(import::router())
}
