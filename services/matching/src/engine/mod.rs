//! The search engine, with no HTTP in it: the `zh` analyzer, the two
//! tantivy indexes kept in step with the store through the outbox, the hard
//! rules, and the ranker whose scores carry reasons.

pub mod analyzer;
pub mod config;
pub mod facts;
pub mod index;
pub mod matcher;
pub mod rank;
pub mod rules;
