//! Bodies of the gs1 fuzz targets: plain functions over bytes, so the
//! libFuzzer wrappers in `fuzz_targets/` and the stable corpus replay in
//! `crates/fuzzcheck` run exactly the same checks.
//!
//! Each function must never panic except on a broken invariant (an `assert!`).

use gs1::{DigitalLink, EpcUrn, element};

/// Bracketed and raw element strings: no panics; valid input round-trips.
pub fn element_string(data: &[u8]) {
    let Ok(data) = std::str::from_utf8(data) else {
        return;
    };
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
}

/// GS1 Digital Link URIs: no panics; valid input round-trips through any base.
pub fn digital_link(data: &[u8]) {
    let Ok(data) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(dl) = DigitalLink::parse(data) {
        let uri = dl.to_uri("https://ppe.example.org/stem");
        assert_eq!(DigitalLink::parse(&uri).ok(), Some(dl.clone()), "{uri}");
        let canonical = DigitalLink::parse(&dl.canonical()).ok();
        assert!(canonical.is_some());
        let _ = dl.element_string();
        for cpl in [6, 7, 12] {
            let _ = gs1::digital_link_to_urn(data, cpl);
        }
    }
}

/// EPC URNs: no panics; valid URNs round-trip, also through Digital Link.
pub fn epc_urn(data: &[u8]) {
    let Ok(data) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(urn) = EpcUrn::parse(data) {
        let text = urn.to_urn();
        assert_eq!(EpcUrn::parse(&text).ok(), Some(urn.clone()), "{text}");
        if let (Ok(dl), Some(cpl)) = (gs1::urn_to_digital_link(&text), urn.company_prefix_len()) {
            assert_eq!(gs1::digital_link_to_urn(&dl, cpl).ok(), Some(text), "{dl}");
        }
    }
}

/// `parse_any`: no panics on any input; every output form of valid data parses again.
pub fn parse_any(data: &[u8]) {
    let Ok(data) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = gs1::parse_any(data);
    if let Err(e) = &parsed {
        // Reasons are one human-readable line, whatever the input.
        assert!(!e.to_string().contains('\n'), "{e}");
    }
    if let Ok(d) = parsed {
        let es = d.element_string();
        if !es.is_empty() {
            assert!(gs1::parse_any(&es).is_ok(), "{es}");
        }
        if let Some(dl) = d.digital_link() {
            assert!(gs1::parse_any(&dl).is_ok(), "{dl}");
        }
        let _ = d.epc_urn(Some(7));
        let _ = d.raw();
    }
}
