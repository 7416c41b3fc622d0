#![no_main]
//! GS1 Digital Link URIs: no panics; valid input round-trips through any base.
//! The body is `gs1_fuzz::digital_link` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gs1_fuzz::digital_link(data));
