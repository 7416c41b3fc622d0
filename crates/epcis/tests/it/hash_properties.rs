//! Properties of the CBV 2.0 event hash that the dedup logic relies on.

use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1001", "urn:epc:id:sgtin:4012345.011111.1002"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"},
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO1"}],
        "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 21.5, "uom": "CEL", "bizRules": "https://example.org/rules/1"}]}],
        "ex:note": "n1"
    })
}

fn hash(v: &Value) -> String {
    let mut v = v.clone();
    v["@context"] = json!(["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.org/ns/"}]);
    let ev = epcis::parse_and_validate_event(&v.to_string()).unwrap();
    epcis::event_hash(&ev)
}

#[test]
fn excluded_fields_do_not_change_the_hash() {
    let h = hash(&base());
    let mut v = base();
    v["recordTime"] = json!("2024-05-02T00:00:00Z");
    v["eventID"] = json!("urn:uuid:11111111-1111-4111-8111-111111111111");
    v["certificationInfo"] = json!("https://example.org/cert/1");
    v["errorDeclaration"] =
        json!({"declarationTime": "2024-05-03T00:00:00Z", "reason": "incorrect_data"});
    assert_eq!(hash(&v), h);
}

#[test]
fn equivalent_spellings_hash_equal() {
    let h = hash(&base());
    let mut v = base();
    // list order, DL instead of URN, full CBV URIs instead of bare words, other time zone
    v["epcList"] = json!([
        "https://id.gs1.org/01/04012345111118/21/1002",
        "urn:epc:id:sgtin:4012345.011111.1001"
    ]);
    v["bizStep"] = json!("https://ref.gs1.org/cbv/BizStep-shipping");
    v["disposition"] = json!("https://ref.gs1.org/cbv/Disp-in_transit");
    v["readPoint"] = json!({"id": "https://id.gs1.org/414/4012345000054"});
    v["eventTime"] = json!("2024-05-01T08:00:00Z");
    v["sensorElementList"][0]["sensorReport"][0]["value"] = json!(21.50);
    assert_eq!(hash(&v), h);
}

#[test]
fn every_relevant_change_changes_the_hash() {
    let h = hash(&base());
    let changes: Vec<(&str, Value)> = vec![
        ("eventTime", json!("2024-05-01T10:00:00.001+02:00")),
        ("eventTimeZoneOffset", json!("+01:00")),
        ("epcList", json!(["urn:epc:id:sgtin:4012345.011111.1001"])),
        ("action", json!("ADD")),
        ("bizStep", json!("receiving")),
        ("disposition", json!("in_progress")),
        (
            "readPoint",
            json!({"id": "urn:epc:id:sgln:4012345.00005.1"}),
        ),
        (
            "bizTransactionList",
            json!([{"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO1"}]),
        ),
        (
            "sensorElementList",
            json!([{"sensorReport": [{"type": "Temperature", "value": 21.6, "uom": "CEL", "bizRules": "https://example.org/rules/1"}]}]),
        ),
        (
            "sensorElementList",
            json!([{"sensorReport": [{"type": "Temperature", "value": 21.5, "uom": "CEL", "bizRules": "https://example.org/rules/2"}]}]),
        ),
        ("ex:note", json!("n2")),
        ("ex:other", json!("x")),
    ];
    for (field, value) in changes {
        let mut v = base();
        v[field] = value.clone();
        assert_ne!(hash(&v), h, "changing {field} to {value} kept the hash");
    }
}

#[test]
fn prehash_shape() {
    let mut v = base();
    v["@context"] = json!(["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.org/ns/"}]);
    let ev = epcis::parse_event(&v.to_string()).unwrap();
    assert_eq!(
        epcis::prehash(&ev),
        "eventType=ObjectEventeventTime=2024-05-01T08:00:00.000ZeventTimeZoneOffset=+02:00\
epcListepc=https://id.gs1.org/01/04012345111118/21/1001epc=https://id.gs1.org/01/04012345111118/21/1002\
action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transit\
readPointid=https://id.gs1.org/414/4012345000054\
bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction=urn:epcglobal:cbv:bt:4012345000009:PO1\
sensorElementsensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=21.5uom=CEL\
sensorElementListsensorElementsensorReportbizRules=https://example.org/rules/1\
{https://example.org/ns/}note=n1"
    );
}
