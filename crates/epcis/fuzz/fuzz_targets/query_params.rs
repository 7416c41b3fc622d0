#![no_main]
//! `GET /events` query strings: parse, then evaluate against a fixed event.
//! The body is `epcis_fuzz::query_params` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| epcis_fuzz::query_params(data));
