//! Signed-note parsing: never panics; whatever parses re-encodes byte-exactly;
//! verification of arbitrary notes never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signed_note::{Note, Verifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = Note::parse(data) {
        let again = n.to_bytes().expect("parsed note has signatures");
        assert_eq!(again, data, "re-encoding differs");
        let v: Verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            .parse()
            .expect("valid key");
        let _ = n.verify(&[v]);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = s.parse::<Verifier>();
        let _ = s.parse::<signed_note::Signer>();
    }
});
