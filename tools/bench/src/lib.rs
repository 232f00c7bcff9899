//! Benchmarks and the matching evaluation, beside the service: each runs
//! the real application in this process on a store of its own (a temporary
//! SQLite folder unless `--database-url` names an empty database) and
//! drives it over loopback HTTP or through its engine. See BENCHMARKS.md.

pub mod bm25;
pub mod eval;
pub mod import;
pub mod matching;
pub mod pg;
pub mod push;
pub mod report;
pub mod store;
pub mod subsidies;
