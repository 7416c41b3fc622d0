//! Every integration test of the `ppetrace` crate, in one binary: one link instead of
//! one per file (ARCHITECTURE.md, "Where the tests are"). Each module was a
//! `tests/*.rs` file.

// Test code: a failed unwrap is a failed test (the helper modules too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backup;
mod bench_smoke;
mod browser;
mod cli;
mod crash;
mod draws;
mod ledger;
mod log_audit;
mod log_crash;
mod secrets;
mod serverproc;
