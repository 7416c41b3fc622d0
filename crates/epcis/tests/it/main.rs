//! Every integration test of the `epcis` crate, in one binary: one link instead of
//! one per file (ARCHITECTURE.md, "Where the tests are"). Each module was a
//! `tests/*.rs` file.

// Test code: a failed unwrap is a failed test (the helper modules too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod hash_properties;
mod identifier_normalisation;
mod invalid;
mod proptest_no_panic;
mod query;
mod ref_vectors;
#[path = "../support/examples.rs"]
mod support;
mod xml;
