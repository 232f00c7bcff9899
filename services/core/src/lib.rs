//! Shared foundations of the jobmatch services: configuration, the store,
//! errors, authentication and who may see a person (`access`), regions, the
//! index-config vocabulary, request plumbing, metrics, the outbox, and the
//! read models through which one concern reads another's tables
//! (`records`). No service logic lives here.

pub mod access;
pub mod accounts;
pub mod auth;
pub mod calendar;
pub mod client;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod files;
pub mod http;
pub mod idcard;
pub mod ids;
pub mod links;
pub mod memo;
pub mod metrics;
pub mod plain;
pub mod policy;
pub mod ratelimit;
pub mod records;
pub mod regions;
pub mod sheet;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod validate;
pub mod vocab;

pub use auth::{Principal, Role};
pub use error::{ApiError, ApiResult};
pub use state::AppState;
