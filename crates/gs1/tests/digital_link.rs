//! GS1 Digital Link URIs.

use gs1::{DigitalLink, Gtin, Lot, Serial};

#[test]
fn sgtin_to_uri_and_back() {
    let gtin = Gtin::parse("09506000134352").unwrap();
    let lot = Lot::parse("ABC").unwrap();
    let serial = Serial::parse("XYZ").unwrap();
    let dl = DigitalLink::sgtin(&gtin, Some(&lot), &serial);
    assert_eq!(
        dl.canonical(),
        "https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ"
    );
    assert_eq!(
        dl.to_uri("https://ppe.example.org"),
        "https://ppe.example.org/01/09506000134352/10/ABC/21/XYZ"
    );
    assert_eq!(
        dl.to_uri("https://ppe.example.org/"),
        "https://ppe.example.org/01/09506000134352/10/ABC/21/XYZ"
    );
    let back = DigitalLink::parse(&dl.to_uri("https://ppe.example.org/r")).unwrap();
    assert_eq!(back, dl);
    assert_eq!(back.gtin().unwrap(), gtin);
    assert_eq!(back.lot().unwrap(), lot);
    assert_eq!(back.serial().unwrap(), serial);
    assert_eq!(back.element_string(), "(01)09506000134352(10)ABC(21)XYZ");
    let no_lot = DigitalLink::sgtin(&gtin, None, &serial);
    assert_eq!(
        no_lot.canonical(),
        "https://id.gs1.org/01/09506000134352/21/XYZ"
    );
}

#[test]
fn digital_link_standard_examples() {
    let dl = DigitalLink::parse("https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ").unwrap();
    assert_eq!(dl.primary_key(), ("01", "09506000134352"));
    assert_eq!(dl.qualifiers(), vec![("10", "ABC"), ("21", "XYZ")]);
    // Path stem and shorter GTIN forms.
    let dl = DigitalLink::parse(
        "https://example.com/foo/01/9506000134352/21/XYZ?17=201231&linkType=gs1:pip",
    )
    .unwrap();
    assert_eq!(dl.primary_key(), ("01", "09506000134352"));
    assert_eq!(dl.attributes(), vec![("17", "201231")]);
    assert_eq!(
        dl.canonical(),
        "https://id.gs1.org/01/09506000134352/21/XYZ?17=201231"
    );
    // Percent-encoded serial.
    let dl = DigitalLink::parse("https://id.gs1.org/01/09506000134352/21/A%2FB%25C").unwrap();
    assert_eq!(dl.get("21"), Some("A/B%C"));
    assert_eq!(
        dl.canonical(),
        "https://id.gs1.org/01/09506000134352/21/A%2FB%25C"
    );
}
