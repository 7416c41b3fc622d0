#![no_main]
//! EPC URNs: no panics; valid URNs round-trip, also through Digital Link.

use gs1::EpcUrn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(urn) = EpcUrn::parse(data) {
        let text = urn.to_urn();
        assert_eq!(EpcUrn::parse(&text).ok(), Some(urn.clone()), "{text}");
        if let (Ok(dl), Some(cpl)) = (gs1::urn_to_digital_link(&text), urn.company_prefix_len()) {
            assert_eq!(gs1::digital_link_to_urn(&dl, cpl).ok(), Some(text), "{dl}");
        }
    }
});
