//! XML-specific behaviour: query documents, EPCIS 1.x-style extension wrappers, entities,
//! JSON twin equality, malformed input.

const QUERY_DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" xmlns:ex="https://example.org/ns/"
    schemaVersion="2.0" creationDate="2024-05-01T10:00:00Z">
  <EPCISBody>
    <epcisq:QueryResults>
      <queryName>SimpleEventQuery</queryName>
      <subscriptionID>sub-1</subscriptionID>
      <resultsBody>
        <EventList>
          <ObjectEvent>
            <eventTime>2024-05-01T10:00:00.000+02:00</eventTime>
            <recordTime>2024-05-01T08:00:01Z</recordTime>
            <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
            <epcList><epc>urn:epc:id:sgtin:4012345.011111.1001</epc></epcList>
            <action>ADD</action>
            <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
            <disposition>https://ref.gs1.org/cbv/Disp-active</disposition>
            <readPoint><id>urn:epc:id:sgln:4012345.00005.0</id></readPoint>
            <extension>
              <quantityList>
                <quantityElement><epcClass>urn:epc:class:lgtin:4012345.011111.L1</epcClass><quantity>2.50</quantity><uom>KGM</uom></quantityElement>
              </quantityList>
              <ilmd><ex:lot>L&amp;1</ex:lot></ilmd>
            </extension>
            <ex:note>caf&#xE9; &lt;ok&gt;</ex:note>
          </ObjectEvent>
          <extension>
            <TransformationEvent>
              <eventTime>2024-05-02T10:00:00Z</eventTime>
              <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
              <inputEPCList><epc>urn:epc:id:sgtin:4012345.011111.1001</epc></inputEPCList>
              <outputEPCList><epc>urn:epc:id:sgtin:4012345.011111.2001</epc></outputEPCList>
            </TransformationEvent>
          </extension>
        </EventList>
      </resultsBody>
    </epcisq:QueryResults>
  </EPCISBody>
</epcisq:EPCISQueryDocument>"#;

#[test]
fn query_document_with_1x_extension_wrappers() {
    let doc = epcis::parse_and_validate_xml(QUERY_DOC).unwrap();
    assert_eq!(
        doc.kind,
        epcis::DocumentKind::Query {
            subscription_id: Some("sub-1".into()),
            query_name: Some("SimpleEventQuery".into())
        }
    );
    assert_eq!(doc.events.len(), 2);
    let ev = &doc.events[0];
    assert_eq!(ev.biz_step.as_deref(), Some("commissioning"));
    assert_eq!(ev.disposition.as_deref(), Some("active"));
    assert_eq!(ev.quantity_list.as_ref().unwrap()[0].quantity, Some(2.5));
    let ilmd = ev.ilmd.as_ref().unwrap();
    assert_eq!(ilmd[0].key, "ex:lot");
    assert_eq!(ilmd[0].value, serde_json::json!("L&1"));
    assert_eq!(
        ev.extensions[0].namespace.as_deref(),
        Some("https://example.org/ns/")
    );
    assert_eq!(ev.extensions[0].value, serde_json::json!("café <ok>"));
    assert_eq!(
        doc.events[1].event_type,
        epcis::EventType::TransformationEvent
    );
}

#[test]
fn xml_and_json_twins_hash_equal() {
    let xml = epcis::parse_and_validate_xml(QUERY_DOC).unwrap();
    // the JSON-LD rendering of the XML document parses back to the same hashes
    let json = epcis::document_to_value(&xml).to_string();
    let back = epcis::parse_and_validate(&json).unwrap();
    for (a, b) in xml.events.iter().zip(&back.events) {
        assert_eq!(epcis::event_hash(a), epcis::event_hash(b));
    }
}

#[test]
fn malformed_xml_is_rejected() {
    for bad in [
        "",
        "<epcis:EPCISDocument>",
        "<a><b></a>",
        "<x:EPCISDocument xmlns:x=\"urn:epcglobal:epcis:xsd:2\"><EPCISBody><EventList><ObjectEvent><y:foo/></ObjectEvent></EventList></EPCISBody></x:EPCISDocument>",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><x/>",
        "<Foo/>",
        "<EPCISDocument schemaVersion=\"2.0\"/>",
        "<EPCISDocument>&bogus;</EPCISDocument>",
    ] {
        assert!(
            epcis::parse_and_validate_xml(bad).is_err(),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn invalid_xml_event_names_event_and_field() {
    let xml = QUERY_DOC.replace("<action>ADD</action>", "<action>MAYBE</action>");
    let err = epcis::parse_and_validate_xml(&xml).unwrap_err().to_string();
    assert!(
        err.contains("event 0: action: must be ADD, OBSERVE or DELETE"),
        "{err}"
    );
}
