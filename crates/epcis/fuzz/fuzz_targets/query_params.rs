#![no_main]
//! `GET /events` query strings: parse, then evaluate against a fixed event.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(q) = epcis::Query::parse_query_string(s) {
        let ev = epcis::parse_event(
            r#"{"type":"ObjectEvent","eventTime":"2024-05-01T10:00:00Z","eventTimeZoneOffset":"+00:00",
                "epcList":["urn:epc:id:sgtin:4012345.011111.1"],"action":"ADD","bizStep":"shipping",
                "readPoint":{"id":"urn:epc:id:sgln:4012345.00005.0"},
                "sensorElementList":[{"sensorReport":[{"type":"Temperature","value":21.5}]}]}"#,
        )
        .expect("static event");
        let _ = epcis::matches(&q, &ev);
    }
});
