#![no_main]
//! JSON-LD document / single event: parse, validate, hash, serialise, query-match.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = epcis::parse_document(s) {
        let _ = epcis::validate_document(&doc);
        let q = epcis::Query::parse_query_string("MATCH_anyEPC=urn:epc:idpat:sgtin:4012345.011111.*&EQ_bizStep=shipping")
            .expect("static query");
        for ev in &doc.events {
            let _ = epcis::event_hash(ev);
            let _ = epcis::matches(&q, ev);
        }
        let _ = epcis::document_to_value(&doc);
    }
    if let Ok(ev) = epcis::parse_event(s) {
        let _ = epcis::validate_event(&ev, 0);
        let _ = epcis::event_hash(&ev);
    }
});
