#![no_main]
//! Fuzz target `published_draw`: see `draw_fuzz::published_draw` (src/lib.rs), also replayed on
//! stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| draw_fuzz::published_draw(data));
