//! EPC URNs: GS1 EPC Tag Data Standard examples (pure identity ↔ GS1 element string).

use gs1::epc::{self, EpcUrn};
use gs1::{digital_link_to_urn, urn_to_digital_link};

/// (URN, element string, company prefix length): TDS 2.x examples.
const TDS_EXAMPLES: &[(&str, &str, usize)] = &[
    (
        "urn:epc:id:sgtin:0614141.112345.400",
        "(01)10614141123459(21)400",
        7,
    ),
    (
        "urn:epc:id:sgtin:0614141.812345.6789",
        "(01)80614141123458(21)6789",
        7,
    ),
    (
        "urn:epc:id:sgtin:0614141.712345.32a%2Fb",
        "(01)70614141123451(21)32a/b",
        7,
    ),
    (
        "urn:epc:id:sscc:0614141.1234567890",
        "(00)106141412345678908",
        7,
    ),
    (
        "urn:epc:id:sgln:0614141.12345.5678",
        "(414)0614141123452(254)5678",
        7,
    ),
    (
        "urn:epc:id:sgln:0614141.12345.32a%2Fb",
        "(414)0614141123452(254)32a/b",
        7,
    ),
    ("urn:epc:id:sgln:0614141.12345.0", "(414)0614141123452", 7),
    (
        "urn:epc:id:grai:0614141.12345.5678",
        "(8003)006141411234525678",
        7,
    ),
    (
        "urn:epc:id:grai:0614141.12345.32a%2Fb",
        "(8003)0061414112345232a/b",
        7,
    ),
    ("urn:epc:id:giai:0614141.5678", "(8004)06141415678", 7),
    ("urn:epc:id:giai:0614141.32a%2Fb", "(8004)061414132a/b", 7),
    (
        "urn:epc:id:gsrn:0614141.1234567890",
        "(8018)061414112345678902",
        7,
    ),
    (
        "urn:epc:id:gsrnp:0614141.1234567890",
        "(8017)061414112345678902",
        7,
    ),
    (
        "urn:epc:id:gdti:0614141.12345.5678",
        "(253)06141411234525678",
        7,
    ),
    (
        "urn:epc:id:gdti:4012345.98765.ABCDefgh012345678",
        "(253)4012345987652ABCDefgh012345678",
        7,
    ),
    (
        "urn:epc:class:lgtin:4012345.012345.998877",
        "(01)04012345123456(10)998877",
        7,
    ),
    (
        "urn:epc:idpat:sgtin:4012345.012345.*",
        "(01)04012345123456",
        7,
    ),
    (
        "urn:epc:id:cpi:0614141.98765.12345",
        "(8010)061414198765(8011)12345",
        7,
    ),
    (
        "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345",
        "(8010)06141415PQ7/Z43(8011)12345",
        7,
    ),
    (
        "urn:epc:id:sgcn:4012345.67890.04711",
        "(255)401234567890104711",
        7,
    ),
    (
        "urn:epc:id:itip:4012345.012345.01.02.987",
        "(8006)040123451234560102(21)987",
        7,
    ),
    (
        "urn:epc:id:itip:4012345.012345.01.02.mw133",
        "(8006)040123451234560102(21)mw133",
        7,
    ),
];

/// Further schemes, derived by hand from the TDS URN grammar (not TDS worked examples).
const DERIVED_EXAMPLES: &[(&str, &str, usize)] = &[
    (
        "urn:epc:id:ginc:0614141.xyz47%2F11",
        "(401)0614141xyz47/11",
        7,
    ),
    (
        "urn:epc:id:gsin:0614141.123456789",
        "(402)06141411234567890",
        7,
    ),
    ("urn:epc:id:pgln:0614141.12345", "(417)0614141123452", 7),
    (
        "urn:epc:id:upui:0614141.812345.A%26B%3C1",
        "(01)80614141123458(235)A&B<1",
        7,
    ),
    ("urn:epc:id:sgln:061414112345..0", "(414)0614141123452", 12),
    (
        "urn:epc:id:grai:061414112345..X",
        "(8003)00614141123452X",
        12,
    ),
];

#[test]
fn tds_examples_both_directions() {
    for (urn, es, cpl) in TDS_EXAMPLES.iter().chain(DERIVED_EXAMPLES) {
        assert_eq!(epc::urn_to_element_string(urn).unwrap(), *es, "{urn}");
        assert_eq!(epc::element_string_to_urn(es, *cpl).unwrap(), *urn, "{es}");
        let parsed = EpcUrn::parse(urn).unwrap();
        assert_eq!(parsed.to_urn(), *urn);
        assert_eq!(parsed.company_prefix_len(), Some(*cpl));
        // Through Digital Link and back.
        let dl = urn_to_digital_link(urn).unwrap();
        assert!(dl.starts_with("https://id.gs1.org/"), "{dl}");
        assert_eq!(digital_link_to_urn(&dl, *cpl).unwrap(), *urn, "{dl}");
    }
}

#[test]
fn urn_to_dl_examples() {
    assert_eq!(
        urn_to_digital_link("urn:epc:id:sgtin:0614141.112345.400").unwrap(),
        "https://id.gs1.org/01/10614141123459/21/400"
    );
    assert_eq!(
        urn_to_digital_link("urn:epc:id:sgtin:0614141.712345.32a%2Fb").unwrap(),
        "https://id.gs1.org/01/70614141123451/21/32a%2Fb"
    );
    assert_eq!(
        urn_to_digital_link("urn:epc:id:sscc:0614141.1234567890").unwrap(),
        "https://id.gs1.org/00/106141412345678908"
    );
    assert_eq!(
        urn_to_digital_link("urn:epc:id:sgln:0614141.12345.5678").unwrap(),
        "https://id.gs1.org/414/0614141123452/254/5678"
    );
    assert_eq!(
        urn_to_digital_link("urn:epc:class:lgtin:4012345.012345.998877").unwrap(),
        "https://id.gs1.org/01/04012345123456/10/998877"
    );
    // A Digital Link with lot and serial maps to an SGTIN (the lot is not part of it).
    assert_eq!(
        digital_link_to_urn(
            "https://example.com/x/01/80614141123458/10/L1/21/400?17=251231",
            7
        )
        .unwrap(),
        "urn:epc:id:sgtin:0614141.812345.400"
    );
    assert_eq!(
        digital_link_to_urn("https://id.gs1.org/01/80614141123458/21/400", 12).unwrap(),
        "urn:epc:id:sgtin:061414112345.8.400"
    );
    assert_eq!(
        digital_link_to_urn("https://id.gs1.org/01/80614141123458/21/400", 6).unwrap(),
        "urn:epc:id:sgtin:061414.8112345.400"
    );
}

#[test]
fn urn_serial_escaping() {
    let dl = "https://id.gs1.org/01/80614141123458/21/%22%25%26%2F%3C%3E%3F!'()*%2B%2C-.%3A%3B%3D_";
    let urn = digital_link_to_urn(dl, 7).unwrap();
    assert_eq!(
        urn,
        "urn:epc:id:sgtin:0614141.812345.%22%25%26%2F%3C%3E%3F!'()*+,-.:;=_"
    );
    // Canonical Digital Link percent-encodes everything but RFC 3986 unreserved characters.
    assert_eq!(
        urn_to_digital_link(&urn).unwrap(),
        "https://id.gs1.org/01/80614141123458/21/%22%25%26%2F%3C%3E%3F%21%27%28%29%2A%2B%2C-.%3A%3B%3D_"
    );
    assert_eq!(
        gs1::DigitalLink::parse(&urn_to_digital_link(&urn).unwrap()).unwrap(),
        gs1::DigitalLink::parse(dl).unwrap()
    );
    assert_eq!(epc::escape("a/b&c"), "a%2Fb%26c");
    // Dots are allowed in the last component.
    assert_eq!(
        urn_to_digital_link("urn:epc:id:sgtin:0614141.812345.1.2.3").unwrap(),
        "https://id.gs1.org/01/80614141123458/21/1.2.3"
    );
}

#[test]
fn invalid_urns_with_reasons() {
    let cases: &[(&str, &str)] = &[
        ("urn:epc:id:sgtin:0614141.112345", "3 dot-separated"),
        ("urn:epc:id:sscc:0614141", "2 dot-separated"),
        ("urn:epc:id:sgtin:0614141.11234.400", "13 digits"),
        (
            "urn:epc:id:sgtin:06141.1123456.400",
            "company prefix length",
        ),
        ("urn:epc:id:sgtin:0614141.112345.", "empty"),
        ("urn:epc:id:sgtin:0614141.112345.a/b", "percent-encoded"),
        (
            "urn:epc:id:sgtin:0614141.112345.a%2",
            "malformed percent-escape",
        ),
        (
            "urn:epc:id:sgtin:0614141.112345.123456789012345678901",
            "length",
        ),
        ("urn:epc:id:sgtin:0614141.11234x.400", "digits"),
        ("urn:epc:id:foo:0614141.1", "unsupported"),
        ("urn:epc:id:sscc:0614141.123456789", "17 digits"),
        ("urn:epc:idpat:sgtin:0614141.*.*", "patterns"),
        ("urn:epc:id:sgtin:0614141.112345.a%20b", "invalid character"),
    ];
    for (urn, reason) in cases {
        let err = EpcUrn::parse(urn).unwrap_err();
        assert!(err.to_string().contains(reason), "{urn}: {err}");
    }
    // A GRAI without serial has no EPC URN; company prefix length must fit.
    let e = digital_link_to_urn("https://id.gs1.org/8003/00614141123452", 7).unwrap_err();
    assert!(e.to_string().contains("serial"), "{e}");
    assert!(digital_link_to_urn("https://id.gs1.org/01/80614141123458/21/400", 13).is_err());
    assert!(digital_link_to_urn("https://id.gs1.org/01/80614141123458/21/400", 5).is_err());
    assert!(digital_link_to_urn("https://id.gs1.org/401/0614141", 7).is_err());
    assert!(digital_link_to_urn("https://id.gs1.org/8010/061414198765", 7).is_err());
    assert!(digital_link_to_urn("https://id.gs1.org/255/4012345678901", 7).is_err());
    assert!(digital_link_to_urn("https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K", 7).is_err());
}

#[test]
fn wildcard_pattern() {
    let p = EpcUrn::parse("urn:epc:idpat:sgtin:*.*.*").unwrap();
    assert_eq!(p.to_urn(), "urn:epc:idpat:sgtin:*.*.*");
    assert!(p.to_digital_link().is_err());
    assert_eq!(
        digital_link_to_urn("https://id.gs1.org/01/04012345123456", 7).unwrap(),
        "urn:epc:idpat:sgtin:4012345.012345.*"
    );
    // Upper-case scheme is accepted, lower-case emitted.
    assert_eq!(
        EpcUrn::parse("URN:EPC:ID:SGTIN:0614141.112345.400")
            .unwrap()
            .to_urn(),
        "urn:epc:id:sgtin:0614141.112345.400"
    );
}

#[test]
fn class_patterns_map_to_the_class_level_digital_link() {
    let cases = [
        (
            "urn:epc:idpat:sgtin:0614141.812345.*",
            Ok("https://id.gs1.org/01/80614141123458"),
        ),
        (
            "urn:epc:idpat:grai:0614141.12345.*",
            Ok("https://id.gs1.org/8003/00614141123452"),
        ),
        (
            "urn:epc:idpat:gdti:0614141.12345.*",
            Ok("https://id.gs1.org/253/0614141123452"),
        ),
        ("urn:epc:idpat:sgtin:0614141.*.*", Err::<&str, ()>(())),
        ("urn:epc:idpat:sscc:0614141.*", Err(())),
        ("urn:epc:id:sgtin:0614141.812345.6789", Err(())),
    ];
    for (urn, want) in cases {
        let got = gs1::epc::pattern_to_class_digital_link(urn).map_err(|_| ());
        assert_eq!(got.as_deref().map_err(|_| ()), want, "{urn}");
    }
}
