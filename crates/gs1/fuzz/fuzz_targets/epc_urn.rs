#![no_main]
//! EPC URNs: no panics; valid URNs round-trip, also through Digital Link.
//! The body is `gs1_fuzz::epc_urn` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gs1_fuzz::epc_urn(data));
