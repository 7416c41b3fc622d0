#![no_main]
//! Fuzz target `canonical_json`: see `draw_fuzz::canonical_json` (src/lib.rs), also replayed on
//! stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| draw_fuzz::canonical_json(data));
