//! The job seeker's side of a push: the page every SMS links to
//! (`/m/{token}`, [`pages`]), the answers given there and what they set
//! going ([`answers`]), and what staff see of them ([`leads`]: `GET
//! /v1/leads`, a lead turned into a referral, per-job response counts).
//! The token itself is issued and resolved by `jobmatch_core::links`.

pub mod answers;
pub mod leads;
pub mod pages;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The seeker's pages and the staff API about answers.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pages::stylesheet))
        .routes(routes!(pages::link_page))
        .routes(routes!(pages::job_page))
        .routes(routes!(pages::answer))
        .routes(routes!(pages::stop_page, pages::stop))
        .routes(routes!(leads::list_leads))
        .routes(routes!(leads::refer_lead))
        .routes(routes!(leads::close_lead))
        .routes(routes!(leads::job_responses))
}
