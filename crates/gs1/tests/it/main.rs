//! Every integration test of the `gs1` crate, in one binary: one link instead of
//! one per file (ARCHITECTURE.md, "Where the tests are"). Each module was a
//! `tests/*.rs` file.

// Test code: a failed unwrap is a failed test (the helper modules too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ai_table;
mod digital_link;
mod element;
mod epc;
mod keys;
mod proptests;
