#![no_main]
//! Signed-note parsing: never panics; whatever parses re-encodes byte-exactly;
//! verification of arbitrary notes never panics.
//! The body is `tlog_fuzz::note_parse` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tlog_fuzz::note_parse(data));
