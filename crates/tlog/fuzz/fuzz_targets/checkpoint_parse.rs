#![no_main]
//! Checkpoint parsing: never panics; only the canonical encoding parses.
//! The body is `tlog_fuzz::checkpoint_parse` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tlog_fuzz::checkpoint_parse(data));
