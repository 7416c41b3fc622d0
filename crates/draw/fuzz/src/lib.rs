//! Bodies of the draw fuzz targets: plain functions over bytes, so the
//! libFuzzer wrappers in `fuzz_targets/` and the stable corpus replay in
//! `crates/fuzzcheck` run exactly the same checks.

use draw::{PublishedDraw, Verification, canonical, time};
use serde_json::Value;

/// A published draw (the file `ppetrace draw verify` and `draw_verify.py`
/// read): parsing and verification never panic; a draw that verifies has a
/// commitment that verifies; canonical JSON of the parts is stable.
pub fn published_draw(data: &[u8]) {
    let Ok(p) = serde_json::from_slice::<PublishedDraw>(data) else {
        return;
    };
    let _ = p.plan.validate();
    let _ = p.plan.window();
    let _ = p.plan.phase("2026-12-02T00:00:00Z");
    let _ = p.snapshot.validate();
    if let Ok(text) = p.plan.canonical_json() {
        let back: draw::DrawPlan = serde_json::from_str(&text).expect("canonical plan parses");
        assert_eq!(back, p.plan);
    }
    if let Ok(Verification::Match) = draw::verify(&p.plan, &p.snapshot, &p.seed_inputs, &p.result) {
        let c = p
            .result
            .commitment()
            .expect("a verified result has a commitment");
        assert_eq!(draw::verify_commitment(&p.result, &c), Ok(true));
    }
}

/// Canonical JSON of any JSON value: never panics; the output parses back to
/// the same value and is a fixed point. RFC 3339 parsing of the same text
/// never panics.
pub fn canonical_json(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = time::parse_rfc3339(s.trim());
    }
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(text) = canonical::canonical_value(&v) {
        let back: Value = serde_json::from_str(&text).expect("canonical JSON parses");
        assert_eq!(back, v);
        assert_eq!(
            canonical::canonical_value(&back).as_deref(),
            Ok(text.as_str())
        );
    }
}
