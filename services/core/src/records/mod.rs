//! Read models shared by the services, and the only place one concern reads
//! another's tables: how a stored person and a stored job are decoded and
//! answered, which people an agency may see, and what the push service
//! needs to reach a person.

pub mod agency;
pub mod jobs;
pub mod persons;
pub mod seeker;
pub mod welfare;
