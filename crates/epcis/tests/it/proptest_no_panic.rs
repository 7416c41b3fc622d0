//! Parsing arbitrary input never panics (JSON-LD, XML, query strings).

use proptest::prelude::*;

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        "[ -~]{0,12}".prop_map(serde_json::Value::String),
        prop_oneof![
            Just("ObjectEvent"),
            Just("AggregationEvent"),
            Just("TransformationEvent"),
            Just("ADD"),
            Just("OBSERVE"),
            Just("urn:epc:id:sgtin:4012345.011111.1"),
            Just("https://id.gs1.org/01/04012345111118/21/1"),
            Just("2024-01-01T00:00:00Z"),
            Just("+01:00"),
            Just("shipping"),
            Just("urn:epc:idpat:sgtin:4012345.011111.*"),
            Just("ex:field"),
            Just("urn:epc:id:pgln:4012345.00000"),
        ]
        .prop_map(|s| serde_json::Value::String(s.to_string())),
    ];
    let keys = prop_oneof![
        Just("type"),
        Just("eventTime"),
        Just("eventTimeZoneOffset"),
        Just("epcList"),
        Just("action"),
        Just("bizStep"),
        Just("readPoint"),
        Just("id"),
        Just("quantityList"),
        Just("epcClass"),
        Just("quantity"),
        Just("sensorElementList"),
        Just("sensorReport"),
        Just("sensorMetadata"),
        Just("value"),
        Just("ilmd"),
        Just("ex:f"),
        Just("errorDeclaration"),
        Just("declarationTime"),
        Just("bizTransactionList"),
        Just("sourceList"),
        Just("persistentDisposition"),
        Just("set"),
        Just("childEPCs"),
        Just("parentID"),
        Just("certificationInfo"),
        Just("@context"),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(str::to_string), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = epcis::parse_and_validate(&s);
        let _ = epcis::parse_event(&s);
        let _ = epcis::parse_and_validate_xml(&s);
        let _ = epcis::Query::parse_query_string(&s);
    }

    #[test]
    fn arbitrary_json_events_never_panic(ev in arb_json()) {
        let doc = serde_json::json!({
            "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.org/"}],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {"eventList": [ev.clone()]}
        });
        if let Ok(d) = epcis::parse_document(&doc.to_string()) {
            let _ = epcis::validate_document(&d);
            for e in &d.events {
                let _ = epcis::event_hash(e);
                let _ = epcis::event_to_jsonld(e);
                let q = epcis::Query::parse_query_string("MATCH_anyEPC=urn:epc:idpat:sgtin:4012345.011111.*&GT_ex:f=1&EQ_type=Temperature").unwrap();
                let _ = epcis::matches(&q, e);
            }
        }
        let _ = epcis::parse_event(&ev.to_string());
    }

    #[test]
    fn arbitrary_xml_like_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" creationDate=\"2024-01-01T00:00:00Z\">"),
        Just("<EPCISBody>"), Just("<EventList>"), Just("<ObjectEvent>"), Just("</ObjectEvent>"),
        Just("<eventTime>2024-01-01T00:00:00Z</eventTime>"), Just("<epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc></epcList>"),
        Just("<action>ADD</action>"), Just("<ex:f xmlns:ex=\"https://e/\">1</ex:f>"), Just("</EventList>"),
        Just("</EPCISBody>"), Just("</epcis:EPCISDocument>"), Just("&amp;"), Just("&#x41;"), Just("<![CDATA[x]]>"),
        Just("<sensorElementList><sensorElement><sensorReport type=\"gs1:MT-Temperature\" value=\"x\"/></sensorElement></sensorElementList>"),
    ], 0..24)) {
        let s: String = parts.concat();
        let _ = epcis::parse_and_validate_xml(&s);
    }

    #[test]
    fn arbitrary_query_pairs_never_panic(pairs in prop::collection::vec((
        prop_oneof![Just("eventType"), Just("GE_eventTime"), Just("EQ_bizStep"), Just("MATCH_epc"),
                    Just("GT_quantity"), Just("orderBy"), Just("eventCountLimit"), Just("EQ_ex:f"),
                    Just("GT_value_Temperature"), Just("EQ_bizTransaction_po"), Just("EXISTS_ILMD_ex:f"),
                    Just("perPage"), Just("X")],
        "\\PC{0,20}"), 0..6)) {
        let _ = epcis::Query::from_pairs(pairs);
    }
}
