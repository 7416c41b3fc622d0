#![no_main]
//! Fuzz target `signature_line`: see `signed_note_fuzz::signature_line` (src/lib.rs), also
//! replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| signed_note_fuzz::signature_line(data));
