//! The end-to-end suite: each test starts the application on port 0 with a
//! fresh store and drives it over HTTP. Tests declared with `both_backends!`
//! run on SQLite always and on PostgreSQL (a fresh database each) when
//! `JOBMATCH_TEST_POSTGRES_URL` is set. Set `TEST_LOG=1` to see the logs.

#[macro_use]
mod helpers;

mod agencies;
mod auth;
mod calendar;
mod clock;
mod console;
mod durability;
mod jobs;
mod jobs_input;
mod matching;
mod matching_quality;
mod matching_rules;
mod newcomer;
mod ops;
mod orgs;
mod persons;
mod persons_import;
mod policy_config;
mod push;
mod receiver;
mod rehearsal;
mod reports;
mod second_review;
mod security;
mod seeker;
mod subsidies;
mod welfare;
mod welfare_rules;
