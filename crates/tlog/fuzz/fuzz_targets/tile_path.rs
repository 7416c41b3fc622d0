//! Tile and entry bundle path parsing: never panics; only canonical paths parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::{TilePath, parse_path};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(p) = parse_path(s)
    {
        let back = match p {
            TilePath::Tile(t) => t.path(),
            TilePath::Bundle(b) => b.path(),
        };
        assert_eq!(back, s, "non-canonical path accepted");
    }
});
