//! The matching service: a Chinese analyzer (jieba through tantivy's
//! tokenizer API), two tantivy indexes (open jobs; people who can be
//! matched) kept in step through the outbox, the hard rules of the contract
//! as filters, and a ranker whose scores carry reasons staff can read out.

pub mod analyzer;
pub mod config;
pub mod facts;
pub mod index;
pub mod matcher;
pub mod rank;
pub mod routes;
pub mod rules;

pub use matcher::Matcher;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The matching routes; they need an `Extension<Arc<Matcher>>` layer.
pub fn router() -> OpenApiRouter<AppState> {
    routes::router()
}
