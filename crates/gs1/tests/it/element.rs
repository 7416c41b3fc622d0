//! Element strings (bracketed and raw) and parse_any.

use gs1::element::{self, GS};
use gs1::{Gs1Error, parse_any};

#[test]
fn bracketed_and_raw_forms() {
    let d = parse_any("(01)09506000134352(10)ABC(21)XYZ").unwrap();
    assert_eq!(d.element_string(), "(01)09506000134352(10)ABC(21)XYZ");
    assert_eq!(d.raw(), format!("010950600013435210ABC{GS}21XYZ"));
    assert_eq!(
        d.digital_link().unwrap(),
        "https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ"
    );
    for sym in ["]d2", "]Q3", "]C1", "]e0", ""] {
        let scanned = format!("{sym}010950600013435210ABC{GS}21XYZ");
        let d2 = parse_any(&scanned).unwrap();
        assert_eq!(d2.element_string(), d.element_string(), "{sym}");
    }
    // Leading FNC1 as GS; predefined-length AIs first without separators.
    let d3 = parse_any(&format!("{GS}01095060001343521725123110ABC{GS}21XYZ")).unwrap();
    assert_eq!(
        d3.element_string(),
        "(01)09506000134352(10)ABC(21)XYZ(17)251231"
    );
    // Separator after a predefined-length AI is tolerated.
    assert!(parse_any(&format!("]d20109506000134352{GS}10ABC")).is_ok());
    // Qualifiers are put into Digital Link order.
    let d4 = parse_any("(21)XYZ(17)251231(01)09506000134352(10)ABC").unwrap();
    assert_eq!(
        d4.element_string(),
        "(01)09506000134352(10)ABC(21)XYZ(17)251231"
    );
    assert_eq!(
        d4.digital_link().unwrap(),
        "https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ?17=251231"
    );
}

#[test]
fn escaped_parenthesis_in_bracketed_values() {
    let d = parse_any("(01)09506000134352(21)A\\(B)").unwrap();
    assert_eq!(d.get("21"), Some("A(B)"));
    assert_eq!(d.element_string(), "(01)09506000134352(21)A\\(B)");
    assert_eq!(
        d.digital_link().unwrap(),
        "https://id.gs1.org/01/09506000134352/21/A%28B%29"
    );
}

#[test]
fn valid_element_strings() {
    for es in [
        "(00)106141412345678908",
        "(01)09506000134352(17)201200",
        "(01)09506000134352(17)200229",
        "(01)09506000134352(11)991231(13)000101(15)240531(16)240600",
        "(02)09506000134352(37)12(00)106141412345678908",
        "(01)09506000134352(22)2A(10)L(21)S",
        "(01)09506000134352(235)TPX1",
        "(01)09506000134352(240)X(241)Y(250)Z(21)1(251)R",
        "(253)4012345987652ABCDefgh012345678",
        "(414)0614141123452(254)5678",
        "(255)401234567890104711",
        "(01)09506000134352(30)12",
        "(00)106141412345678908(403)ROUTE-1(400)PO-7",
        "(401)0614141ABC",
        "(402)06141411234567890",
        "(410)0614141000036(411)0614141000036(412)0614141000036(413)0614141000036",
        "(415)0614141000036(8020)INV-1",
        "(416)0614141000036",
        "(417)0614141000036",
        "(01)09506000134352(422)156",
        "(01)09506000134352(7003)2512311559",
        "(01)09506000134352(7240)PROT1",
        "(8003)006141411234525678",
        "(8004)06141415678",
        "(8006)040123451234560102(21)987",
        "(8010)061414198765(8011)12345",
        "(8013)1987654Ad4X4bL5ttr2310c2K",
        "(8017)061414112345678902(8019)123",
        "(8018)061414112345678902",
        "(01)09506000134352(8200)https://ppe.example.org/x",
        "(01)09506000134352(3103)000195",
        "(01)09506000134352(90)internal(91)x",
    ] {
        let d = parse_any(es).unwrap_or_else(|e| panic!("{es}: {e}"));
        // Round trip through the bracketed and raw forms.
        let again = parse_any(&d.element_string()).unwrap();
        assert_eq!(again, d, "{es}");
        let raw = parse_any(&format!("]d2{}", d.raw())).unwrap();
        assert_eq!(raw.element_string(), d.element_string(), "{es}");
        // And through Digital Link when there is a primary key.
        if let Some(dl) = d.digital_link() {
            let back = parse_any(&dl).unwrap();
            let mut a: Vec<_> = back.ais().collect();
            let mut b: Vec<_> = d.ais().collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{es} via {dl}");
        }
    }
}

#[test]
fn invalid_element_strings_with_reasons() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("(21)XYZ", "requires one of (01), (8006)", Some("21")),
        ("(10)ABC", "requires one of", Some("10")),
        (
            "(01)09506000134352(02)09506000134352(37)1",
            "must not be used together",
            Some("01"),
        ),
        ("(02)09506000134352", "requires one of (37)", Some("02")),
        ("(254)1", "requires one of (414)", Some("254")),
        (
            "(01)09506000134352(21)A(235)B",
            "must not be used together",
            Some("21"),
        ),
        (
            "(8017)061414112345678902(8018)061414112345678902",
            "must not be used together",
            Some("8017"),
        ),
        ("(01)09506000134353", "check character", Some("01")),
        ("(01)0950600013435", "length must be 14", Some("01")),
        (
            "(01)09506000134352(17)201300",
            "month must be 01-12",
            Some("17"),
        ),
        (
            "(01)09506000134352(17)210229",
            "day does not exist",
            Some("17"),
        ),
        ("(01)09506000134352(17)2012", "length must be 6", Some("17")),
        ("(01)09506000134352(7003)2512310060", "minute", Some("7003")),
        (
            "(01)09506000134352(7003)2512002359",
            "day 00 is not allowed",
            Some("7003"),
        ),
        ("(01)09506000134352(21)", "empty", Some("21")),
        (
            "(01)09506000134352(21)A B",
            "invalid character ' '",
            Some("21"),
        ),
        (
            "(01)09506000134352(21)123456789012345678901",
            "length must be 1 to 20",
            Some("21"),
        ),
        ("(01)09506000134352(10)A(10)B", "more than once", Some("10")),
        ("(23)1", "unknown Application Identifier (23)", Some("23")),
        (
            "(8013)1987654Ad4X4bL5ttr2310cXK",
            "check character",
            Some("8013"),
        ),
        ("(8006)040123451234560302", "piece number", Some("8006")),
        ("(8010)0614141abc", "GS1 character set 39", Some("8010")),
        (
            "(8010)061414198765(8011)012",
            "must not start with 0",
            Some("8011"),
        ),
        (
            "(8003)106141411234525678",
            "must start with the digit 0",
            Some("8003"),
        ),
        ("(01)09506000134352(7240)", "empty", Some("7240")),
        ("(1)2", "not an Application Identifier", None),
        ("(01", "unterminated", None),
    ];
    for (input, reason, field) in cases {
        let err = parse_any(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input}: {err}");
        assert_eq!(err.field(), *field, "{input}: {err}");
    }
}

#[test]
fn invalid_raw_strings() {
    let cases: &[(&str, &str)] = &[
        ("]d1010950600013435210ABC", "does not announce GS1"),
        ("]d2", "empty"),
        ("01095060001343", "length must be 14"),
        (
            "0109506000134352\u{1d}\u{1d}10A",
            "expected an Application Identifier",
        ),
        ("0109506000134352239", "unknown Application Identifier"),
    ];
    for (input, reason) in cases {
        let err = element::parse_raw(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input:?}: {err}");
    }
    // Fixed-length but not predefined AIs need FNC1: (8006) then (21).
    let ok = element::parse_raw(&format!("8006040123451234560102{GS}21987")).unwrap();
    assert_eq!(ok.len(), 2);
    assert!(matches!(
        element::parse_raw("800604012345123456010221987").unwrap_err(),
        Gs1Error::Length { .. }
    ));
}

#[test]
fn gs1_data_json() {
    let d = parse_any("urn:epc:id:sgtin:0614141.112345.400").unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "element_string": "(01)10614141123459(21)400",
            "digital_link": "https://id.gs1.org/01/10614141123459/21/400",
            "epc_urn": "urn:epc:id:sgtin:0614141.112345.400",
            "ais": [
                {"ai": "01", "title": "GTIN", "value": "10614141123459"},
                {"ai": "21", "title": "SERIAL", "value": "400"}
            ]
        })
    );
    let d = parse_any("https://ppe.example.org/01/80614141123458/21/400").unwrap();
    assert_eq!(d.epc_urn(None), None);
    assert_eq!(
        d.epc_urn(Some(7)).as_deref(),
        Some("urn:epc:id:sgtin:0614141.812345.400")
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["epc_urn"], serde_json::Value::Null);
    // No primary key: no Digital Link.
    let d = parse_any("(400)PO-7").unwrap();
    assert_eq!(d.digital_link(), None);
    assert_eq!(d.primary_key(), None);
    assert!(parse_any("  ").is_err());
    assert!(parse_any("hello").is_err());
}

#[test]
fn scan_data_and_dl_epc() {
    let d = parse_any("(01)09506000134352(17)251231(10)ABC(21)XYZ").unwrap();
    let scan = d.scan_data("]Q3");
    assert_eq!(
        scan,
        format!("]Q3010950600013435210ABC{GS}21XYZ{GS}17251231")
    );
    assert_eq!(parse_any(&scan).unwrap(), d);
    let dl = d.to_digital_link().unwrap();
    assert_eq!(
        dl.epc_urn(7).unwrap(),
        "urn:epc:id:sgtin:9506000.013435.XYZ"
    );
    assert_eq!(d.kind(), gs1::InputKind::ElementString);
    assert_eq!(parse_any(&scan).unwrap().kind(), gs1::InputKind::Raw);
    // Trailing newline from a keyboard-wedge scanner.
    assert!(parse_any(&format!("{scan}\r\n")).is_ok());
}
