//! Every integration test of the `store` crate, in one binary: one link instead of
//! one per file (ARCHITECTURE.md, "Where the tests are"). Each module was a
//! `tests/*.rs` file.

// Test code: a failed unwrap is a failed test (the helper modules too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bulk_log;
mod common;
mod concurrent_writes;
mod draws;
mod ledger;
mod mailbox;
mod portal;
mod suite;
mod users;
mod verify_read;
