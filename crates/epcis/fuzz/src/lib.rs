//! Bodies of the epcis fuzz targets: plain functions over bytes, so the
//! libFuzzer wrappers in `fuzz_targets/` and the stable corpus replay in
//! `crates/fuzzcheck` run exactly the same checks.

/// A fixed query evaluated against every event that parses.
const QUERY: &str = "MATCH_anyEPC=urn:epc:idpat:sgtin:4012345.011111.*&EQ_bizStep=shipping";

/// A fixed event that every query that parses is evaluated against.
const EVENT: &str = r#"{"type":"ObjectEvent","eventTime":"2024-05-01T10:00:00Z","eventTimeZoneOffset":"+00:00",
    "epcList":["urn:epc:id:sgtin:4012345.011111.1"],"action":"ADD","bizStep":"shipping",
    "readPoint":{"id":"urn:epc:id:sgln:4012345.00005.0"},
    "sensorElementList":[{"sensorReport":[{"type":"Temperature","value":21.5}]}]}"#;

/// JSON-LD document / single event: parse, validate, hash, serialise, query-match.
pub fn json_document(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = epcis::parse_document(s) {
        let _ = epcis::validate_document(&doc);
        let q = epcis::Query::parse_query_string(QUERY).expect("static query");
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
}

/// EPCIS 2.0 XML: parse, validate, hash.
pub fn xml_document(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = epcis::parse_xml_document(s) {
        let _ = epcis::validate_document(&doc);
        for ev in &doc.events {
            let _ = epcis::event_hash(ev);
        }
    }
}

/// `GET /events` query strings: parse, then evaluate against a fixed event.
pub fn query_params(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = epcis::Query::parse_query_string(s) {
        let ev = epcis::parse_event(EVENT).expect("static event");
        let _ = epcis::matches(&q, &ev);
    }
}
