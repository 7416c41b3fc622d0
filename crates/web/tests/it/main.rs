//! Every integration test of the `web` crate, in one binary: one link instead of
//! one per file (ARCHITECTURE.md, "Where the tests are"). Each module was a
//! `tests/*.rs` file.

// Test code: a failed unwrap is a failed test (the helper modules too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod authz_matrix;
mod console;
mod console_crypto;
mod draws;
mod epcis;
mod epcis_perf;
mod golden_eyes;
mod hardening;
mod ledger;
mod log;
mod log_crosscheck;
mod portal;
mod unshipped_region;
mod verify_registry;
