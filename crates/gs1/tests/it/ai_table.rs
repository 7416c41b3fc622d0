//! The AI table: every AI the platform relies on, with a valid and an invalid value.

use gs1::ai;

/// (AI, valid value, invalid value, reason fragment of the invalid one).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "00",
        "106141412345678908",
        "106141412345678909",
        "check character",
    ),
    ("01", "09506000134352", "0950600013435", "length must be 14"),
    (
        "02",
        "09506000134352",
        "0950600013435A",
        "invalid character",
    ),
    ("10", "ABC-123/x", "ABC 123", "invalid character"),
    ("11", "251231", "251232", "day does not exist"),
    ("12", "250200", "251301", "month"),
    ("13", "240229", "230229", "day does not exist"),
    ("15", "250100", "25010", "length must be 6"),
    ("16", "250131", "250431", "day does not exist"),
    ("17", "251200", "2512311", "length must be 6"),
    (
        "21",
        "12345678901234567890",
        "123456789012345678901",
        "length must be 1 to 20",
    ),
    ("22", "2A", "", "empty"),
    (
        "235",
        "TPX-012345678901234567890123",
        "TPX-0123456789012345678901234",
        "length must be 1 to 28",
    ),
    ("240", "ADDITIONAL", "é", "invalid character"),
    ("241", "CUST-PART", "a\u{1d}b", "invalid character"),
    ("250", "SEC-SERIAL", "~", "invalid character"),
    ("251", "REF", "", "empty"),
    ("253", "4012345987652", "4012345987653", "check character"),
    (
        "253",
        "4012345987652ABCDefgh012345678",
        "4012345987652ABCDefgh0123456789",
        "length must be 13 to 30",
    ),
    ("254", "32a/b", "32a b", "invalid character"),
    (
        "255",
        "401234567890104711",
        "40123456789010471A",
        "invalid character",
    ),
    ("30", "12345678", "123456789", "length must be 1 to 8"),
    ("37", "1", "A", "invalid character"),
    ("400", "PO-7", "", "empty"),
    ("401", "0614141xyz47/11", "0614141 xyz", "invalid character"),
    (
        "402",
        "06141411234567890",
        "06141411234567891",
        "check character",
    ),
    ("403", "ROUTE", "", "empty"),
    ("410", "0614141000036", "0614141000037", "check character"),
    ("411", "0614141000036", "061414100003", "length must be 13"),
    ("412", "0614141000036", "0614141000035", "check character"),
    ("413", "0614141000036", "0614141000034", "check character"),
    ("414", "0614141123452", "0614141123453", "check character"),
    ("415", "0614141000036", "0614141000033", "check character"),
    ("416", "0614141000036", "0614141000032", "check character"),
    ("417", "0614141000036", "0614141000031", "check character"),
    ("422", "156", "15", "length must be 3"),
    ("7003", "2512312359", "2512312460", "hour"),
    ("7240", "PROTOCOL-1", "", "empty"),
    (
        "8003",
        "006141411234525678",
        "006141411234535678",
        "check character",
    ),
    ("8004", "06141415678", "0614141567 8", "invalid character"),
    (
        "8006",
        "040123451234560102",
        "040123451234560002",
        "piece number",
    ),
    (
        "8010",
        "06141415PQ7/Z43",
        "06141415pq7",
        "GS1 character set 39",
    ),
    ("8011", "12345", "0123", "must not start with 0"),
    (
        "8013",
        "1987654Ad4X4bL5ttr2310c2K",
        "1987654Ad4X4bL5ttr2310c2J",
        "check character",
    ),
    (
        "8017",
        "061414112345678902",
        "061414112345678903",
        "check character",
    ),
    (
        "8018",
        "061414112345678902",
        "06141411234567890",
        "length must be 18",
    ),
    (
        "8019",
        "1234567890",
        "12345678901",
        "length must be 1 to 10",
    ),
    ("8020", "INV-1", "", "empty"),
    (
        "8200",
        "https://ppe.example.org/product/123",
        "https://ppe.example.org/#frag",
        "invalid character",
    ),
    ("3103", "000195", "00019", "length must be 6"),
    ("99", "internal", "", "empty"),
];

#[test]
fn every_required_ai_validates() {
    for (code, valid, invalid, reason) in CASES {
        let def = ai::lookup(code).unwrap_or_else(|| panic!("({code}) missing from the table"));
        assert!(!def.title.is_empty());
        ai::validate_value(code, valid).unwrap_or_else(|e| panic!("({code}) {valid}: {e}"));
        let err = ai::validate_value(code, invalid).unwrap_err();
        assert!(
            err.to_string().contains(reason),
            "({code}) {invalid:?}: {err}"
        );
        assert_eq!(err.field(), Some(*code), "({code}) {invalid:?}: {err}");
    }
}

#[test]
fn titles_and_roles() {
    assert_eq!(gs1::ai::title("01"), Some("GTIN"));
    assert_eq!(gs1::ai::title("21"), Some("SERIAL"));
    assert_eq!(gs1::ai::title("3103"), Some("NET WEIGHT (kg)"));
    assert_eq!(gs1::ai::title("3106"), None);
    assert_eq!(gs1::ai::title("5"), None);
    for key in [
        "00", "01", "253", "255", "401", "402", "414", "415", "417", "8003", "8004", "8006",
        "8010", "8013", "8017", "8018",
    ] {
        assert!(ai::lookup(key).unwrap().is_dl_primary_key(), "{key}");
    }
    for not_key in ["02", "10", "21", "22", "254", "410", "8020"] {
        assert!(
            !ai::lookup(not_key).unwrap().is_dl_primary_key(),
            "{not_key}"
        );
    }
    // Predefined-length AIs (no FNC1 needed) per GS1 General Specifications Figure 7.8.5-2.
    for p in [
        "00", "01", "02", "11", "17", "20", "3103", "3302", "410", "417",
    ] {
        assert!(ai::lookup(p).unwrap().predefined, "{p}");
    }
    for v in [
        "10", "21", "22", "253", "402", "422", "7003", "8003", "8006", "8018",
    ] {
        assert!(!ai::lookup(v).unwrap().predefined, "{v}");
    }
}

#[test]
fn associations() {
    let ok: &[&[&str]] = &[
        &["01", "21"],
        &["8006", "21"],
        &["01", "10", "17"],
        &["00", "02", "37"],
        &["414", "254"],
        &["415", "8020"],
        &["8010", "8011"],
        &["8017", "8019"],
        &["01", "3103", "3202"],
        &["01", "3102"],
    ];
    for set in ok {
        ai::check_associations(set.iter().copied()).unwrap_or_else(|e| panic!("{set:?}: {e}"));
    }
    let bad: &[(&[&str], &str)] = &[
        (&["21"], "requires"),
        (&["02", "21", "37"], "requires"),
        (&["01", "02", "37"], "must not be used together"),
        (&["01", "37"], "must not be used together"),
        (&["01", "255"], "must not be used together"),
        (&["01", "21", "235"], "must not be used together"),
        (&["8017", "8018"], "must not be used together"),
        (&["01", "3103", "3102"], "must not be used together"),
        (&["8006", "37", "00"], "must not be used together"),
        (&["01", "422", "426"], "must not be used together"),
        (&["254"], "requires"),
        (&["8011"], "requires"),
        (&["8019"], "requires"),
        (&["8020"], "requires"),
        (&["12"], "requires"),
        (&["00", "250", "01"], "requires"),
        (&["7240"], "requires"),
        (&["8200"], "requires"),
    ];
    for (set, reason) in bad {
        let e = ai::check_associations(set.iter().copied()).unwrap_err();
        assert!(e.to_string().contains(reason), "{set:?}: {e}");
    }
}

#[test]
fn country_codes() {
    for (code, value) in [
        ("422", "156"),
        ("424", "276"),
        ("426", "840"),
        ("423", "156276840"),
        ("425", "004"),
        ("421", "156100001"),
        ("7030", "999ABC"),
        ("7039", "156X"),
        ("4307", "CN"),
    ] {
        ai::validate_value(code, value).unwrap_or_else(|e| panic!("({code}) {value}: {e}"));
    }
    for (code, value, reason) in [
        ("422", "999", "not an ISO 3166-1"),
        ("422", "000", "not an ISO 3166-1"),
        ("423", "1562", "ISO 3166-1"),
        ("423", "156999", "ISO 3166-1"),
        ("421", "998100001", "not an ISO 3166-1"),
        ("7030", "998ABC", "not an ISO 3166-1"),
        ("4307", "XX", "alpha-2"),
        ("4307", "cn", "alpha-2"),
    ] {
        let e = ai::validate_value(code, value).unwrap_err();
        assert!(e.to_string().contains(reason), "({code}) {value}: {e}");
    }
    assert_eq!(ai::title("7035"), Some("PROCESSOR # s"));
}
