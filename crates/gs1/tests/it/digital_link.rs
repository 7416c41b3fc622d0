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

#[test]
fn valid_digital_links() {
    // (input, canonical)
    let cases: &[(&str, &str)] = &[
        (
            "https://id.gs1.org/01/09506000134352",
            "https://id.gs1.org/01/09506000134352",
        ),
        (
            "http://example.com/01/9506000134352",
            "https://id.gs1.org/01/09506000134352",
        ),
        (
            "HTTPS://Example.COM/a/b/c/01/00000095012346",
            "https://id.gs1.org/01/00000095012346",
        ),
        (
            "https://id.gs1.org/01/95012346",
            "https://id.gs1.org/01/00000095012346",
        ),
        (
            "https://id.gs1.org/01/614141123452/22/2A/10/ABC/21/XYZ",
            "https://id.gs1.org/01/00614141123452/22/2A/10/ABC/21/XYZ",
        ),
        (
            "https://example.com/01/09506000134352/235/TPX1",
            "https://id.gs1.org/01/09506000134352/235/TPX1",
        ),
        (
            "https://example.com/01/09506000134352?3103=000195",
            "https://id.gs1.org/01/09506000134352?3103=000195",
        ),
        (
            "https://example.com/01/09506000134352/10/ABC?17=251231&15=250600&linkType=all#frag",
            "https://id.gs1.org/01/09506000134352/10/ABC?15=250600&17=251231",
        ),
        (
            "https://id.gs1.org/00/106141412345678908",
            "https://id.gs1.org/00/106141412345678908",
        ),
        (
            "https://id.gs1.org/414/9520123456788/254/32a%2Fb",
            "https://id.gs1.org/414/9520123456788/254/32a%2Fb",
        ),
        (
            "https://id.gs1.org/415/9520123456788/8020/INV-1",
            "https://id.gs1.org/415/9520123456788/8020/INV-1",
        ),
        (
            "https://id.gs1.org/417/9520123456788",
            "https://id.gs1.org/417/9520123456788",
        ),
        (
            "https://id.gs1.org/8004/9520614141234567",
            "https://id.gs1.org/8004/9520614141234567",
        ),
        (
            "https://id.gs1.org/8003/006141411234525678",
            "https://id.gs1.org/8003/006141411234525678",
        ),
        (
            "https://id.gs1.org/253/4012345987652ABCDefgh012345678",
            "https://id.gs1.org/253/4012345987652ABCDefgh012345678",
        ),
        (
            "https://id.gs1.org/255/401234567890104711",
            "https://id.gs1.org/255/401234567890104711",
        ),
        (
            "https://id.gs1.org/401/0614141ABC",
            "https://id.gs1.org/401/0614141ABC",
        ),
        (
            "https://id.gs1.org/402/06141411234567890",
            "https://id.gs1.org/402/06141411234567890",
        ),
        (
            "https://id.gs1.org/8006/040123451234560102/21/987",
            "https://id.gs1.org/8006/040123451234560102/21/987",
        ),
        (
            "https://id.gs1.org/8010/061414198765/8011/12345",
            "https://id.gs1.org/8010/061414198765/8011/12345",
        ),
        (
            "https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K",
            "https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K",
        ),
        (
            "https://id.gs1.org/8017/061414112345678902/8019/123",
            "https://id.gs1.org/8017/061414112345678902/8019/123",
        ),
        (
            "https://id.gs1.org/8018/061414112345678902",
            "https://id.gs1.org/8018/061414112345678902",
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/%21%22%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F_",
            "https://id.gs1.org/01/09506000134352/21/%21%22%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F_",
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/a!b'c(d)e*f+g,h:i;j",
            "https://id.gs1.org/01/09506000134352/21/a%21b%27c%28d%29e%2Af%2Bg%2Ch%3Ai%3Bj",
        ),
        // A path stem that itself looks like GS1 data.
        (
            "https://example.com/21/x/01/09506000134352/21/XYZ",
            "https://id.gs1.org/01/09506000134352/21/XYZ",
        ),
    ];
    for (input, canonical) in cases {
        let dl = DigitalLink::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(dl.canonical(), *canonical, "{input}");
        assert_eq!(
            DigitalLink::parse(canonical).unwrap().canonical(),
            *canonical
        );
        assert_eq!(
            gs1::parse_any(input).unwrap().digital_link().as_deref(),
            Some(*canonical)
        );
    }
}

#[test]
fn invalid_digital_links_with_reasons() {
    // (input, reason fragment, field)
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "https://id.gs1.org/01/09506000134353",
            "check character",
            Some("01"),
        ),
        (
            "https://id.gs1.org/01/0950600013435",
            "check character",
            Some("01"),
        ),
        (
            "https://id.gs1.org/01/950600013435",
            "check character",
            Some("01"),
        ),
        ("https://id.gs1.org/01/09506000134", "length", Some("01")),
        (
            "https://id.gs1.org/01/09506000134352/21/XYZ/10/ABC",
            "out of order",
            Some("10"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/235/T/21/XYZ",
            "out of order",
            Some("21"),
        ),
        ("https://id.gs1.org/21/XYZ", "no GS1 primary key", None),
        (
            "https://id.gs1.org/01/09506000134352/",
            "empty path segment",
            None,
        ),
        (
            "https://id.gs1.org/",
            "does not end with a GS1 primary key",
            None,
        ),
        (
            "https://id.gs1.org",
            "does not end with a GS1 primary key",
            None,
        ),
        ("https://id.gs1.org/foo/bar", "not a GS1 primary key", None),
        (
            "ftp://id.gs1.org/01/09506000134352",
            "scheme must be http or https",
            Some("scheme"),
        ),
        ("id.gs1.org/01/09506000134352", "missing scheme", None),
        (
            "https:///01/09506000134352",
            "missing domain",
            Some("domain"),
        ),
        (
            "https://id gs1.org/01/09506000134352",
            "invalid character",
            Some("domain"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?10=ABC",
            "belongs in the path",
            Some("10"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?01=09506000134352",
            "belongs in the path",
            Some("01"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/17/201231",
            "data attributes belong in the query",
            Some("17"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?99999=1",
            "unknown Application Identifier",
            Some("99999"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?17",
            "no value",
            Some("17"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?17=201332",
            "month",
            Some("17"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?17=251231&17=251231",
            "more than once",
            Some("17"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/A B",
            "must be percent-encoded",
            Some("21"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/%ZZ",
            "malformed percent-escape",
            Some("21"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/%FF",
            "UTF-8",
            Some("21"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/%C3%A9",
            "invalid character",
            Some("21"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/",
            "empty",
            Some("21"),
        ),
        (
            "https://id.gs1.org/01/09506000134352/21/%20",
            "invalid character",
            Some("21"),
        ),
        (
            "https://id.gs1.org/00/106141412345678908/21/X",
            "not allowed",
            Some("21"),
        ),
        (
            "https://id.gs1.org/414/9520123456788/21/X",
            "not allowed",
            Some("21"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?02=09506000134352&37=1",
            "must not be used together",
            Some("01"),
        ),
        (
            "https://id.gs1.org/01/09506000134352?254=1",
            "requires one of (414)",
            Some("254"),
        ),
        (
            "https://id.gs1.org/8010/0614141abc",
            "GS1 character set 39",
            Some("8010"),
        ),
        (
            "https://id.gs1.org/8006/040123451234560302",
            "piece number",
            Some("8006"),
        ),
    ];
    for (input, reason, field) in cases {
        let err = DigitalLink::parse(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input}: {err}");
        assert_eq!(err.field(), *field, "{input}: {err}");
        assert!(gs1::parse_any(input).is_err());
    }
}

#[test]
fn from_pairs_orders_qualifiers() {
    let pairs = vec![
        ("21".to_owned(), "XYZ".to_owned()),
        ("17".to_owned(), "251231".to_owned()),
        ("10".to_owned(), "ABC".to_owned()),
        ("01".to_owned(), "09506000134352".to_owned()),
    ];
    let dl = DigitalLink::from_pairs(&pairs).unwrap();
    assert_eq!(
        dl.to_uri("https://ppe.example.org/r/"),
        "https://ppe.example.org/r/01/09506000134352/10/ABC/21/XYZ?17=251231"
    );
    assert_eq!(dl.attributes(), vec![("17", "251231")]);
    assert_eq!(dl.to_string(), dl.canonical());
    assert_eq!(dl.canonical().parse::<DigitalLink>().unwrap(), dl);
}

#[test]
fn serde_as_canonical_string() {
    let dl: DigitalLink =
        serde_json::from_str("\"https://ppe.example.org/01/9506000134352/21/X%2FY\"").unwrap();
    assert_eq!(
        serde_json::to_string(&dl).unwrap(),
        "\"https://id.gs1.org/01/09506000134352/21/X%2FY\""
    );
    assert!(serde_json::from_str::<DigitalLink>("\"https://ppe.example.org/01/1\"").is_err());
}

#[test]
fn convenience_alphas_of_digital_link_1_1_expand_to_numeric_ais() {
    let cases = [
        (
            "https://example.com/gtin/09506000134352/ser/ABC?linkType=all",
            Some("https://example.com/01/09506000134352/21/ABC?linkType=all"),
        ),
        (
            "https://id.example.org/sscc/106141412345678908",
            Some("https://id.example.org/00/106141412345678908"),
        ),
        ("https://example.com/01/09506000134352", None),
        ("not a uri", None),
    ];
    for (input, want) in cases {
        assert_eq!(
            gs1::dl::expand_convenience_alphas(input).as_deref(),
            want,
            "{input}"
        );
    }
    let expanded =
        gs1::dl::expand_convenience_alphas("https://example.com/gtin/09506000134352/ser/ABC")
            .unwrap();
    assert_eq!(
        gs1::DigitalLink::parse(&expanded).unwrap().canonical(),
        "https://id.gs1.org/01/09506000134352/21/ABC"
    );
}

#[test]
fn digital_link_shape_needs_a_primary_key_ai_and_a_value() {
    for yes in [
        "https://id.gs1.org/01/09506000134352",
        "http://example.com/stem/414/9520123456788",
        "https://example.com/8004/0614141ABC?x=1",
    ] {
        assert!(gs1::dl::looks_like_digital_link(yes), "{yes}");
    }
    for no in [
        "https://example.com/about",
        "https://example.com/21/ABC",
        "https://example.com/01/",
        "urn:epc:id:sgtin:0614141.812345.6789",
        "ftp://example.com/01/09506000134352",
    ] {
        assert!(!gs1::dl::looks_like_digital_link(no), "{no}");
    }
}
