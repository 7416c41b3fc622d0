//! Hand-written table of invalid documents: each must be rejected naming event and field.

use serde_json::{Value, json};

fn base_event() -> Value {
    json!({
        "type": "ObjectEvent",
        "eventID": "urn:uuid:7d4b8a4e-0000-4000-8000-000000000001",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1001", "https://id.gs1.org/01/04012345111118/21/1002"],
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"}
    })
}

fn doc_with(events: Vec<Value>) -> String {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.org/ns/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"eventList": events}
    })
    .to_string()
}

fn set(ev: &mut Value, path: &str, v: Value) {
    let mut cur = ev;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    let last = parts[parts.len() - 1];
    if v.is_null() {
        cur.as_object_mut().unwrap().remove(last);
    } else {
        cur[last] = v;
    }
}

#[test]
fn base_document_is_valid() {
    epcis::parse_and_validate(&doc_with(vec![base_event()])).unwrap();
}

#[test]
fn invalid_cases_name_event_and_field() {
    // (field to change, new value or null to remove, expected substring of the error)
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "eventTime",
            Value::Null,
            "event 1 (urn:uuid:7d4b8a4e-0000-4000-8000-000000000001): eventTime: required",
        ),
        (
            "eventTime",
            json!("2024-05-01 10:00"),
            "eventTime: \"2024-05-01 10:00\" is not an RFC 3339",
        ),
        ("eventTime", json!("2024-05-01T10:00:00"), "eventTime:"),
        (
            "eventTimeZoneOffset",
            json!("+2:00"),
            "eventTimeZoneOffset:",
        ),
        (
            "eventTimeZoneOffset",
            json!("+15:00"),
            "eventTimeZoneOffset:",
        ),
        (
            "eventTimeZoneOffset",
            Value::Null,
            "eventTimeZoneOffset: required",
        ),
        ("action", Value::Null, "action: required for ObjectEvent"),
        (
            "action",
            json!("UPDATE"),
            "action: must be ADD, OBSERVE or DELETE",
        ),
        ("type", json!("FooEvent"), "type: unknown event type"),
        (
            "epcList",
            json!([
                "urn:epc:id:sgtin:4012345.011111.1001",
                "https://id.gs1.org/01/04012345111119/21/1002"
            ]),
            "epcList[1]:",
        ),
        (
            "epcList",
            json!(["not a uri"]),
            "epcList[0]: \"not a uri\" is not an absolute URI",
        ),
        (
            "epcList",
            json!([
                "urn:epc:id:sgtin:4012345.011111.1",
                "urn:epc:id:sgtin:4012345.011111.1"
            ]),
            "epcList[1]: duplicate",
        ),
        (
            "epcList",
            json!("urn:epc:id:sgtin:4012345.011111.1001"),
            "epcList: must be an array",
        ),
        (
            "epcList",
            json!(["urn:epc:id:sgtin:4012345.0111.1001"]),
            "epcList[0]:",
        ),
        (
            "bizStep",
            json!("making_coffee"),
            "bizStep: \"making_coffee\" is not a CBV 2.0 value",
        ),
        (
            "bizStep",
            json!("urn:epcglobal:cbv:bizstep:shipping"),
            "bizStep: \"urn:epcglobal:cbv:bizstep:shipping\": standard vocabulary values must be written as bare strings",
        ),
        ("disposition", json!("broken"), "disposition:"),
        ("readPoint", json!({}), "readPoint.id: required"),
        (
            "readPoint",
            json!({"id": "urn:epc:id:sgln:4012345.0005.0"}),
            "readPoint.id:",
        ),
        ("ilmd", json!({"ex:lot": "1"}), ""),
        ("unknownField", json!(1), "unknownField: unknown field"),
        (
            "zz:field",
            json!(1),
            "zz:field: namespace prefix is not declared",
        ),
        (
            "quantityList",
            json!([{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 2, "uom": "kilogram"}]),
            "quantityList[0].uom:",
        ),
        (
            "quantityList",
            json!([{"quantity": 2}]),
            "quantityList[0].epcClass: required",
        ),
        (
            "bizTransactionList",
            json!([{"type": "purchase_order", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}]),
            "bizTransactionList[0].type:",
        ),
        (
            "sourceList",
            json!([{"type": "owner", "source": "urn:epc:id:pgln:4012345.00000"}]),
            "sourceList[0].type:",
        ),
        (
            "sourceList",
            json!([{"source": "urn:epc:id:pgln:4012345.00000"}]),
            "sourceList[0].type: required",
        ),
        (
            "persistentDisposition",
            json!({"set": ["nonsense"]}),
            "persistentDisposition.set[0]:",
        ),
        (
            "persistentDisposition",
            json!({}),
            "persistentDisposition: needs set or unset",
        ),
        (
            "errorDeclaration",
            json!({"reason": "incorrect_data"}),
            "errorDeclaration.declarationTime: required",
        ),
        (
            "errorDeclaration",
            json!({"declarationTime": "2024-05-02T00:00:00Z", "reason": "oops"}),
            "errorDeclaration.reason:",
        ),
        (
            "sensorElementList",
            json!([{"sensorMetadata": {"time": "x"}, "sensorReport": [{"type": "Temperature", "value": 1}]}]),
            "sensorElementList[0].sensorMetadata.time:",
        ),
        (
            "sensorElementList",
            json!([{"sensorReport": [{"type": "Hotness", "value": 1}]}]),
            "sensorElementList[0].sensorReport[0].type:",
        ),
        (
            "sensorElementList",
            json!([{"sensorReport": [{"type": "Temperature", "hexBinaryValue": "xyz"}]}]),
            "sensorElementList[0].sensorReport[0].hexBinaryValue:",
        ),
        (
            "sensorElementList",
            json!([{"sensorReport": [{"type": "Temperature", "component": "w"}]}]),
            "sensorElementList[0].sensorReport[0].component:",
        ),
        (
            "sensorElementList",
            json!([{"sensorMetadata": {}}]),
            "sensorElementList[0].sensorReport: required",
        ),
        (
            "parentID",
            json!("urn:epc:id:sscc:4012345.0000000001"),
            "parentID: not allowed in ObjectEvent",
        ),
        (
            "inputEPCList",
            json!([]),
            "inputEPCList: not allowed in ObjectEvent",
        ),
        ("recordTime", json!("yesterday"), "recordTime:"),
        (
            "certificationInfo",
            json!(["no uri"]),
            "certificationInfo[0]:",
        ),
    ];
    for (field, value, expected) in cases {
        let mut ev = base_event();
        if field == "ilmd" {
            // ilmd with a non-ADD action
            set(&mut ev, "action", json!("OBSERVE"));
        }
        set(&mut ev, field, value.clone());
        // put the bad event second so the index is 1
        let text = doc_with(vec![base_event(), ev]);
        let err = match epcis::parse_and_validate(&text) {
            Ok(_) => panic!("{field} = {value} was accepted"),
            Err(e) => e.to_string(),
        };
        let expected = if expected.is_empty() {
            "ilmd: ilmd is only allowed when action is ADD"
        } else {
            expected
        };
        assert!(
            err.contains(expected),
            "{field} = {value}: error {err:?} does not contain {expected:?}"
        );
        assert!(err.contains("event 1"), "{field}: {err}");
    }
}

#[test]
fn per_type_rules() {
    let agg = json!({"type": "AggregationEvent", "eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1"]});
    let err = epcis::parse_and_validate(&doc_with(vec![agg]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("event 0: parentID: required when action is ADD or DELETE"),
        "{err}"
    );

    let tr = json!({"type": "TransformationEvent", "eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"]});
    let err = epcis::parse_and_validate(&doc_with(vec![tr]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("action: not allowed in TransformationEvent"),
        "{err}"
    );

    let tx = json!({"type": "TransactionEvent", "eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "epcList": []});
    let err = epcis::parse_and_validate(&doc_with(vec![tx]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bizTransactionList: required"), "{err}");

    let assoc = json!({"type": "AssociationEvent", "eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE", "childEPCs": ["urn:epc:id:giai:4000001.1"]});
    let err = epcis::parse_and_validate(&doc_with(vec![assoc]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("parentID: required"), "{err}");
}

#[test]
fn document_level_errors() {
    let bad_ctx = json!({"@context": "https://example.com/ctx.jsonld", "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z", "epcisBody": {"eventList": []}}).to_string();
    let err = epcis::parse_and_validate(&bad_ctx).unwrap_err().to_string();
    assert!(err.contains("document: @context"), "{err}");
    assert!(matches!(
        epcis::parse_and_validate("{"),
        Err(epcis::EpcisError::Json(_))
    ));
    assert!(epcis::parse_and_validate("[]").is_err());
    let no_list = json!({"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", "type": "EPCISDocument",
        "schemaVersion": "2.0", "creationDate": "2024-05-01T10:00:00Z", "epcisBody": {}}).to_string();
    let err = epcis::parse_and_validate(&no_list).unwrap_err().to_string();
    assert!(err.contains("epcisBody.eventList: required"), "{err}");
}

#[test]
fn check_digit_error_names_event_id_and_field() {
    let mut ev = base_event();
    ev["epcList"] = json!(["https://id.gs1.org/01/04012345111119/21/1002"]);
    let err = epcis::parse_and_validate(&doc_with(vec![
        base_event(),
        base_event(),
        base_event(),
        ev,
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("event 3 (urn:uuid:7d4b8a4e-0000-4000-8000-000000000001): epcList[0]: "),
        "{err}"
    );
    assert!(err.contains("check"), "{err}");
    eprintln!("{err}");
}
