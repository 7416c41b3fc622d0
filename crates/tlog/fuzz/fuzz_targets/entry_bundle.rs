#![no_main]
//! Entry bundle parsing: never panics; what parses re-encodes byte-exactly.
//! The body is `tlog_fuzz::entry_bundle` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tlog_fuzz::entry_bundle(data));
