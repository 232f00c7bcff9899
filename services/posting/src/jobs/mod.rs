//! Jobs: publishing, reading, changing, closing, listing and bulk import.

pub mod routes;
pub mod store;
pub mod validate;

pub use routes::router;
