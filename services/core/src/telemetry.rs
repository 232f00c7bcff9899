//! Logging: `RUST_LOG` filters (default [`DEFAULT_FILTER`]), text or JSON lines. Request
//! spans carry the request id and the matched route; bodies, keys, ID numbers
//! and phones are never logged.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Without `RUST_LOG`: the service's own lines at info, libraries (tantivy's
/// merges and commits, sqlx, hyper) at warn.
pub const DEFAULT_FILTER: &str =
    "warn,jobmatch=info,jobmatch_app=info,jobmatch_core=info,jobmatch_posting=info,jobmatch_matching=info,jobmatch_push=info";

/// Install the global subscriber once; later calls do nothing.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
