#![no_main]
//! Bracketed and raw element strings: no panics; valid input round-trips.

use gs1::element;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(pairs) = element::parse_bracketed(data) {
        let again = element::to_bracketed(pairs.iter().map(|(a, v)| (a.as_str(), v.as_str())));
        assert_eq!(element::parse_bracketed(&again).ok(), Some(pairs.clone()));
        let raw = element::to_raw(pairs.iter().map(|(a, v)| (a.as_str(), v.as_str())));
        assert_eq!(element::parse_raw(&raw).ok(), Some(pairs));
    }
    if let Ok(pairs) = element::parse_raw(data) {
        let raw = element::to_raw(pairs.iter().map(|(a, v)| (a.as_str(), v.as_str())));
        assert_eq!(element::parse_raw(&raw).ok(), Some(pairs));
    }
});
