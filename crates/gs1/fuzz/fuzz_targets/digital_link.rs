#![no_main]
//! GS1 Digital Link URIs: no panics; valid input round-trips through any base.

use gs1::DigitalLink;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
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
});
