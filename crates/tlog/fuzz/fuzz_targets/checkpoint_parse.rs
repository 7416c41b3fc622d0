//! Checkpoint parsing: never panics; only the canonical encoding parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::Checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(cp) = Checkpoint::parse(s)
    {
        assert_eq!(cp.to_text(), s, "non-canonical checkpoint accepted");
    }
    let _ = Checkpoint::open(data, "example.com/log", &[]);
});
