//! The matching service: [`engine`] (a Chinese analyzer — jieba through
//! tantivy's tokenizer API —, two tantivy indexes of open jobs and of people
//! who can be matched, kept in step through the outbox, the hard rules of
//! the contract as filters, and a ranker whose scores carry reasons staff
//! can read out), with no HTTP in it, and [`http`], its routes.

pub mod engine;
pub mod http;

pub use engine::matcher::Matcher;
