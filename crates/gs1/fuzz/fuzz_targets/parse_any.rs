#![no_main]
//! parse_any: no panics on any input; every output form of valid data parses again.
//! The body is `gs1_fuzz::parse_any` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gs1_fuzz::parse_any(data));
