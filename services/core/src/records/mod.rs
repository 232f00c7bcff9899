//! Read models shared by the services: how a stored person and a stored job
//! are decoded and answered.

pub mod agency;
pub mod jobs;
pub mod persons;
