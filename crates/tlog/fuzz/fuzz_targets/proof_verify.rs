#![no_main]
//! Proof verification with arbitrary sizes, indexes, hashes and proofs:
//! never panics, and never accepts a proof for an out-of-range index.
//! The body is `tlog_fuzz::proof_verify` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tlog_fuzz::proof_verify(data));
