#![no_main]
//! Tile and entry bundle path parsing: never panics; only canonical paths parse.
//! The body is `tlog_fuzz::tile_path` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tlog_fuzz::tile_path(data));
