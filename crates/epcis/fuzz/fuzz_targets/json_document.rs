#![no_main]
//! JSON-LD document / single event: parse, validate, hash, serialise, query-match.
//! The body is `epcis_fuzz::json_document` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| epcis_fuzz::json_document(data));
