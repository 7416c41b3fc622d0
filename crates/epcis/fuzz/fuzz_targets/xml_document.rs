#![no_main]
//! EPCIS 2.0 XML: parse, validate, hash.
//! The body is `epcis_fuzz::xml_document` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| epcis_fuzz::xml_document(data));
