#![no_main]
//! EPCIS 2.0 XML: parse, validate, hash.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = epcis::parse_xml_document(s) {
        let _ = epcis::validate_document(&doc);
        for ev in &doc.events {
            let _ = epcis::event_hash(ev);
        }
    }
});
