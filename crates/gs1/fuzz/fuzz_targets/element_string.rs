#![no_main]
//! Bracketed and raw element strings: no panics; valid input round-trips.
//! The body is `gs1_fuzz::element_string` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gs1_fuzz::element_string(data));
