#![no_main]
//! Hashes from arbitrary tile data, and a TileHashReader fed arbitrary
//! tiles: never panics, and never returns hashes for a root that does not
//! match (the only tiles that can match are the real ones).
//! The body is `tlog_fuzz::tile_hashes` (src/lib.rs), also replayed on stable by crates/fuzzcheck.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tlog_fuzz::tile_hashes(data));
