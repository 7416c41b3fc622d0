//! Query parameter parsing and the in-memory evaluator.

use epcis::query::{Cmp, ExtScope, ExtTest, OrderBy, OrderDirection, Query, matches, sort_events};

fn events() -> Vec<epcis::Event> {
    let doc = serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.org/ns/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"eventList": [
            {"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
             "eventTime": "2024-05-01T10:00:00+02:00", "eventTimeZoneOffset": "+02:00",
             "recordTime": "2024-05-01T08:00:05Z",
             "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"], "action": "ADD",
             "bizStep": "commissioning", "disposition": "active",
             "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.7"},
             "bizLocation": {"id": "urn:epc:id:sgln:4012345.00005.0"},
             "ilmd": {"ex:lot": "L1", "ex:expiry": "2026-01-01"},
             "ex:weight": 12.5,
             "ex:meta": {"ex:inner": "deep"}},
            {"type": "AggregationEvent", "eventTime": "2024-05-02T10:00:00Z", "eventTimeZoneOffset": "+00:00",
             "parentID": "urn:epc:id:sscc:4012345.0000000001",
             "childEPCs": ["https://id.gs1.org/01/04012345111118/21/1001"],
             "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 5, "uom": "KGM"}],
             "action": "ADD", "bizStep": "packing",
             "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO1"}],
             "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
             "errorDeclaration": {"declarationTime": "2024-05-03T00:00:00Z", "reason": "incorrect_data",
                                  "correctiveEventIDs": ["urn:uuid:00000000-0000-4000-8000-000000000009"]}},
            {"type": "ObjectEvent", "eventTime": "2024-05-03T10:00:00Z", "eventTimeZoneOffset": "+00:00",
             "epcList": [], "action": "OBSERVE", "bizStep": "inspecting",
             "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"},
             "persistentDisposition": {"set": ["needs_replacement"]},
             "sensorElementList": [{"sensorMetadata": {"time": "2024-05-03T09:59:00Z", "deviceID": "urn:epc:id:giai:4000001.111"},
               "sensorReport": [{"type": "Temperature", "value": 31.5, "uom": "CEL"},
                                {"type": "RelativeHumidity", "value": 80, "uom": "P1", "percRank": 50}]}]}
        ]}
    });
    epcis::parse_and_validate(&doc.to_string()).unwrap().events
}

fn select(qs: &str) -> Vec<usize> {
    let q = Query::parse_query_string(qs).unwrap();
    events()
        .iter()
        .enumerate()
        .filter(|(_, e)| matches(&q, e))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn parses_typed_parameters() {
    let q = Query::parse_query_string(
        "eventType=ObjectEvent|AggregationEvent&GE_eventTime=2024-05-01T00:00:00%2B02:00&LT_eventTime=2024-06-01T00:00:00+02:00&EQ_action=ADD&GT_quantity=3&orderBy=eventTime&orderDirection=ASC&eventCountLimit=5&perPage=10&EQ_bizTransaction_po=urn:x:1&EQ_ILMD_ex:lot=L1|L2&GT_ex:weight=3&EXISTS_INNER_ex:inner&GT_value_Temperature=30",
    )
    .unwrap();
    assert_eq!(q.event_types.as_ref().unwrap().len(), 2);
    assert!(q.ge_event_time.is_some() && q.lt_event_time.is_some());
    assert_eq!(q.quantity, vec![(Cmp::Gt, 3.0)]);
    assert_eq!(q.order_by, Some(OrderBy::EventTime));
    assert_eq!(q.order_direction, OrderDirection::Asc);
    assert_eq!(q.event_count_limit, Some(5));
    assert_eq!(
        q.eq_biz_transaction,
        vec![("po".to_string(), vec!["urn:x:1".to_string()])]
    );
    assert_eq!(q.extensions.len(), 3);
    assert_eq!(q.extensions[0].scope, ExtScope::Ilmd);
    assert_eq!(q.extensions[2].test, ExtTest::Exists);
    assert_eq!(q.sensor.values.len(), 1);
}

#[test]
fn rejects_unknown_and_malformed() {
    for (qs, name) in [
        ("foo=bar", "foo"),
        ("eventType=CarEvent", "eventType"),
        ("GE_eventTime=yesterday", "GE_eventTime"),
        ("EQ_action=UPDATE", "EQ_action"),
        ("EQ_bizStep=making_tea", "EQ_bizStep"),
        ("GT_quantity=lots", "GT_quantity"),
        ("eventCountLimit=5", "eventCountLimit"),
        (
            "orderBy=eventTime&eventCountLimit=5&maxEventCount=3",
            "eventCountLimit",
        ),
        ("orderDirection=UP", "orderDirection"),
        ("perPage=0", "perPage"),
        ("perPage=-1", "perPage"),
        ("MATCH_epc=not%20a%20uri", "MATCH_epc"),
        ("EQ_action=ADD&EQ_action=OBSERVE", "EQ_action"),
        ("EQ_bizStep=a||b", "EQ_bizStep"),
        ("GT_ex:weight=heavy", "GT_ex:weight"),
        ("EQ_booleanValue=yes", "EQ_booleanValue"),
        ("MATCH_epc=%zz", "MATCH_epc"),
    ] {
        match Query::parse_query_string(qs) {
            Err(epcis::EpcisError::Query { name: n, .. }) => assert_eq!(n, name, "{qs}"),
            other => panic!("{qs}: {other:?}"),
        }
    }
}

#[test]
fn evaluates_filters() {
    assert_eq!(select(""), vec![0, 1, 2]);
    assert_eq!(select("eventType=AggregationEvent"), vec![1]);
    assert_eq!(select("GE_eventTime=2024-05-02T00:00:00Z"), vec![1, 2]);
    assert_eq!(select("LT_eventTime=2024-05-01T09:30:00%2B01:00"), vec![0]);
    assert_eq!(select("GE_recordTime=2024-05-01T00:00:00Z"), vec![0]);
    assert_eq!(select("EQ_action=ADD"), vec![0, 1]);
    assert_eq!(select("EQ_bizStep=packing|inspecting"), vec![1, 2]);
    assert_eq!(
        select("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-commissioning"),
        vec![0]
    );
    assert_eq!(select("EQ_disposition=active"), vec![0]);
    assert_eq!(
        select("EQ_persistentDisposition_set=needs_replacement"),
        vec![2]
    );
    assert_eq!(
        select("EQ_readPoint=urn:epc:id:sgln:4012345.00005.0"),
        vec![2]
    );
    assert_eq!(
        select("WD_readPoint=https://id.gs1.org/414/4012345000054"),
        vec![0, 2]
    );
    assert_eq!(
        select("EQ_bizLocation=https://id.gs1.org/414/4012345000054"),
        vec![0]
    );
    // identifiers compared after normalisation (URN vs Digital Link)
    assert_eq!(
        select("MATCH_epc=https://id.gs1.org/01/04012345111118/21/1001"),
        vec![0, 1]
    );
    assert_eq!(
        select("MATCH_epc=urn:epc:idpat:sgtin:4012345.011111.*"),
        vec![0, 1]
    );
    assert_eq!(
        select("MATCH_parentID=urn:epc:id:sscc:4012345.0000000001"),
        vec![1]
    );
    assert_eq!(
        select("MATCH_anyEPC=urn:epc:id:sscc:4012345.0000000001"),
        vec![1]
    );
    assert_eq!(
        select("MATCH_epcClass=urn:epc:idpat:sgtin:4012345.011111.*"),
        vec![1]
    );
    assert_eq!(
        select("MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.011111.L1"),
        vec![1]
    );
    assert_eq!(select("EQ_quantity=5"), vec![1]);
    assert_eq!(select("GT_quantity=5"), Vec::<usize>::new());
    assert_eq!(select("GE_quantity=5&LE_quantity=5"), vec![1]);
    assert_eq!(
        select("EQ_eventID=urn:uuid:00000000-0000-4000-8000-000000000001"),
        vec![0]
    );
    assert_eq!(select("EXISTS_errorDeclaration="), vec![1]);
    assert_eq!(select("EQ_errorReason=incorrect_data"), vec![1]);
    assert_eq!(
        select("EQ_correctiveEventID=urn:uuid:00000000-0000-4000-8000-000000000009"),
        vec![1]
    );
    assert_eq!(
        select("GE_errorDeclarationTime=2024-05-03T00:00:00Z"),
        vec![1]
    );
    assert_eq!(
        select("EQ_bizTransaction_po=urn:epcglobal:cbv:bt:4012345000009:PO1"),
        vec![1]
    );
    assert_eq!(
        select("EQ_bizTransaction_inv=urn:epcglobal:cbv:bt:4012345000009:PO1"),
        Vec::<usize>::new()
    );
    assert_eq!(
        select("EQ_source_owning_party=https://id.gs1.org/417/4012345000009"),
        vec![1]
    );
    assert_eq!(select("EXISTS_sensorElementList"), vec![2]);
    assert_eq!(select("EQ_type=Temperature"), vec![2]);
    assert_eq!(select("GT_value_Temperature=30"), vec![2]);
    assert_eq!(select("GT_value_Temperature=32"), Vec::<usize>::new());
    assert_eq!(
        select("LT_value_RelativeHumidity=90&GE_percRank=50"),
        vec![2]
    );
    assert_eq!(select("EQ_deviceID=urn:epc:id:giai:4000001.111"), vec![2]);
    assert_eq!(
        select("GE_time=2024-05-03T09:00:00Z&LT_time=2024-05-03T10:00:00Z"),
        vec![2]
    );
    assert_eq!(select("EQ_ILMD_ex:lot=L1"), vec![0]);
    assert_eq!(select("GT_ex:weight=12"), vec![0]);
    assert_eq!(select("LT_ex:weight=12"), Vec::<usize>::new());
    assert_eq!(select("EXISTS_ex:weight"), vec![0]);
    assert_eq!(select("EQ_INNER_ex:inner=deep"), vec![0]);
    assert_eq!(
        select("GE_ILMD_ex:expiry=2025-12-31T00:00:00Z"),
        Vec::<usize>::new()
    );
}

#[test]
fn orders_events() {
    let mut evs = events();
    let q = Query::parse_query_string("orderBy=eventTime&orderDirection=DESC").unwrap();
    sort_events(&mut evs, &q);
    let times: Vec<_> = evs.iter().map(|e| e.event_time_utc().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
}
