//! Bodies of the signed-note fuzz targets: plain functions over bytes, so the
//! libFuzzer wrappers in `fuzz_targets/` and the stable corpus replay in
//! `crates/fuzzcheck` run exactly the same checks.

use signed_note::{Cosigner, Note, Signature, Signer, Verifier};

/// The Go `golang.org/x/mod/sumdb/note` test key (a fixed, public test vector).
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

/// Notes: parsing never panics; whatever parses re-encodes byte-exactly;
/// verifying arbitrary notes never panics and never accepts a forged
/// signature; a note we sign ourselves always opens.
pub fn note(data: &[u8]) {
    let Ok(n) = Note::parse(data) else { return };
    let again = n.to_bytes().expect("parsed note has signatures");
    assert_eq!(again, data, "re-encoding differs");
    let peter: Verifier = PETER_VKEY.parse().expect("valid key");
    let signer = Signer::from_seed("fuzz.example/log", &[7; 32]).expect("valid name");
    let cosigner = Cosigner::from_seed("fuzz.example/witness", &[9; 32]).expect("valid name");
    let ours = [signer.verifier(), cosigner.verifier()];
    // Nobody but us holds these seeds: an arbitrary note never verifies
    // with our keys (the fuzzer cannot forge Ed25519).
    assert!(
        n.verify(&ours).is_err(),
        "fuzzed note verified with our keys"
    );
    let _ = n.verify(&[peter]);
    let _ = Note::open(data, &ours);
    // Sign and cosign the parsed text: the result must open and re-parse.
    let mut mine = Note::new(n.text()).expect("parsed text is valid");
    mine.sign(&signer).expect("sign");
    mine.cosign(&cosigner, 1_700_000_000).expect("cosign");
    let bytes = mine.to_bytes().expect("has signatures");
    let (opened, verified) = Note::open(&bytes, &ours).expect("own signature verifies");
    assert_eq!(opened.text(), n.text());
    assert_eq!(verified.len(), 2);
}

/// Verifier and signer key strings: parsing never panics; whatever parses
/// re-encodes to a string that parses to the same key.
pub fn keys(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = s.parse::<Verifier>() {
        let text = v.to_key_string();
        assert!(text.eq_ignore_ascii_case(s), "{text} vs {s}");
        let back: Verifier = text.parse().expect("own encoding parses");
        assert_eq!(back.to_key_string(), text);
        assert_eq!(back.key_id(), v.key_id());
    }
    if let Ok(k) = s.parse::<Signer>() {
        let text = k.to_secret_key_string();
        assert!(
            text.eq_ignore_ascii_case(s),
            "signer key re-encoding differs"
        );
        let back: Signer = text.parse().expect("own encoding parses");
        assert_eq!(back.key_id(), k.key_id());
        assert_eq!(
            back.verifier().to_key_string(),
            k.verifier().to_key_string()
        );
    }
    if let Ok(k) = s.parse::<Cosigner>() {
        let text = k.to_secret_key_string();
        assert!(
            text.eq_ignore_ascii_case(s),
            "cosigner key re-encoding differs"
        );
        let back: Cosigner = text.parse().expect("own encoding parses");
        assert_eq!(back.key_id(), k.key_id());
    }
}

/// Signature lines: parsing never panics; whatever parses re-encodes
/// byte-exactly, and a cosignature's timestamp is the first 8 bytes.
pub fn signature_line(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let line = s.strip_suffix('\n').unwrap_or(s);
    if let Ok(sig) = Signature::parse_line(line) {
        assert_eq!(sig.to_line(), format!("{line}\n"));
        let again = Signature::new(sig.name(), sig.key_id(), sig.signature_bytes())
            .expect("parsed parts are valid");
        assert_eq!(again, sig);
        if let Some(t) = sig.cosignature_timestamp() {
            let b = sig.signature_bytes();
            let mut first = [0u8; 8];
            first.copy_from_slice(&b[..8]);
            assert_eq!(t, u64::from_be_bytes(first));
        }
    }
}
