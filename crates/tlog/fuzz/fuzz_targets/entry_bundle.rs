//! Entry bundle parsing: never panics; what parses re-encodes byte-exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::{encode_entry_bundle, parse_entry_bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = parse_entry_bundle(data) {
        let again = encode_entry_bundle(&entries).expect("re-encode");
        assert_eq!(again, data);
    }
});
