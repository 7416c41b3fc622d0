#![no_main]
//! Fuzz target `keys`: see `signed_note_fuzz::keys` (src/lib.rs), also
//! replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| signed_note_fuzz::keys(data));
