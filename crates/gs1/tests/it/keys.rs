//! Keys, check digits and newtypes.

use gs1::{
    Gln, Gs1Error, Gtin, Lot, Serial, Sscc, Uscc, check_digit, has_valid_check_digit, is_cset82,
};

#[test]
fn check_digit_examples_from_gs1_general_specifications() {
    // GS1 General Specifications §7.9.1 worked example (GTIN-13 629104150021 -> 3).
    assert_eq!(check_digit("629104150021").unwrap(), 3);
    // GS1 Digital Link standard example GTIN 09506000134352.
    assert_eq!(check_digit("0950600013435").unwrap(), 2);
    // TDS example GTIN 80614141123458.
    assert_eq!(check_digit("8061414112345").unwrap(), 8);
    // SSCC example 106141411234567897 (TDS).
    assert_eq!(check_digit("10614141123456789").unwrap(), 7);
    // GLN example 0614141000036 (TDS).
    assert_eq!(check_digit("061414100003").unwrap(), 6);
    assert!(has_valid_check_digit("09506000134352"));
    assert!(has_valid_check_digit("4006381333931"));
    assert!(!has_valid_check_digit("09506000134353"));
    assert!(!has_valid_check_digit("0950600013435a"));
    assert!(!has_valid_check_digit("5"));
    assert!(!has_valid_check_digit(""));
    assert!(check_digit("").is_err());
    assert!(check_digit("12a").is_err());
}

#[test]
fn gtin_normalises_to_14() {
    for (input, norm) in [
        ("09506000134352", "09506000134352"),
        ("9506000134352", "09506000134352"),
        ("614141123452", "00614141123452"),
        ("95012346", "00000095012346"),
    ] {
        let g = Gtin::parse(input).unwrap();
        assert_eq!(g.as_str(), norm, "{input}");
        assert_eq!(g.to_string(), norm);
        assert_eq!(input.parse::<Gtin>().unwrap(), g);
    }
    let g = Gtin::parse("80614141123458").unwrap();
    let (cp, item) = g.company_prefix_and_item(7).unwrap();
    assert_eq!((cp, item.as_str()), ("0614141", "812345"));
    assert!(g.company_prefix_and_item(5).is_err());
    assert!(g.company_prefix_and_item(13).is_err());
}

#[test]
fn invalid_keys_have_reasons() {
    type Parser = fn(&str) -> Result<(), Gs1Error>;
    let cases: &[(&str, Parser, &str)] = &[
        (
            "09506000134353",
            |s| Gtin::parse(s).map(drop),
            "check character",
        ),
        ("09506000134", |s| Gtin::parse(s).map(drop), "length"),
        (
            "0950600013435X",
            |s| Gtin::parse(s).map(drop),
            "invalid character",
        ),
        ("", |s| Gtin::parse(s).map(drop), "empty"),
        (
            "0614141000037",
            |s| Gln::parse(s).map(drop),
            "check character",
        ),
        (
            "106141411234567898",
            |s| Sscc::parse(s).map(drop),
            "check character",
        ),
        (
            "91350100M000100Y44",
            |s| Uscc::parse(s).map(drop),
            "check character",
        ),
        ("91350100M000100Y4", |s| Uscc::parse(s).map(drop), "length"),
        (
            "91350100I000100Y43",
            |s| Uscc::parse(s).map(drop),
            "invalid character",
        ),
        ("ABC DEF", |s| Lot::parse(s).map(drop), "invalid character"),
        (
            "123456789012345678901",
            |s| Serial::parse(s).map(drop),
            "length",
        ),
        ("", |s| Serial::parse(s).map(drop), "empty"),
    ];
    for (input, f, reason) in cases {
        let err = f(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input}: {err}");
        assert!(err.field().is_some(), "{input}");
    }
    assert_eq!(Serial::parse("a b").unwrap_err().field(), Some("21"));
    assert_eq!(Lot::parse("").unwrap_err().field(), Some("10"));
}

#[test]
fn glns_and_ssccs() {
    assert_eq!(
        Gln::parse("0614141000036").unwrap().as_str(),
        "0614141000036"
    );
    assert_eq!(
        Sscc::parse("106141411234567897").unwrap().as_str(),
        "106141411234567897"
    );
    assert_eq!(
        Sscc::from_body("10614141123456789").unwrap().as_str(),
        "106141411234567897"
    );
}

#[test]
fn uscc_real_codes() {
    // 91350100M000100Y43 is the example of the product brief; the others are codes from
    // public company registrations as recalled by the author: each passes both the USCC
    // check character and the embedded GB 11714 organization-code check character.
    for code in [
        "91350100M000100Y43",
        "91110000802100433B",
        "91310000775785552L",
        "91440300708461136T",
    ] {
        let u = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(u.as_str(), code);
        assert!(u.organization_code_is_valid(), "{code}");
    }
    let u = Uscc::parse("91350100m000100y43").unwrap();
    assert_eq!(u.as_str(), "91350100M000100Y43");
    assert_eq!(u.organization_code(), "M000100Y4");
    assert_eq!(u.division_code(), "350100");
    assert_eq!(gs1::uscc::org_code_check_char("M000100Y").unwrap(), '4');
}

#[test]
fn cset82() {
    assert!(is_cset82("ABC-123_/.!\"%&'()*+,:;<=>?az"));
    for bad in ["", " ", "a b", "é", "#", "~", "\u{1d}", "[", "@", "`", "{"] {
        assert!(!is_cset82(bad), "{bad:?}");
    }
}

#[test]
fn serde_is_a_plain_string_and_validates() {
    let g: Gtin = serde_json::from_str("\"9506000134352\"").unwrap();
    assert_eq!(serde_json::to_string(&g).unwrap(), "\"09506000134352\"");
    assert!(serde_json::from_str::<Gtin>("\"09506000134353\"").is_err());
    let s: Serial = serde_json::from_str("\"XYZ\"").unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"XYZ\"");
    assert!(serde_json::from_str::<Lot>("\"\"").is_err());
    assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y43\"").is_ok());
    assert!(serde_json::from_str::<Sscc>("\"106141411234567897\"").is_ok());
    assert!(serde_json::from_str::<Gln>("\"0614141000036\"").is_ok());
}

#[test]
fn other_keys() {
    use gs1::{Gdti, Giai, Ginc, Grai, Gsin, Gsrn};
    // TDS examples.
    let grai = Grai::parse("06141411234525678").unwrap();
    assert_eq!(grai.ai_value(), "006141411234525678");
    assert_eq!(Grai::from_ai_value("006141411234525678").unwrap(), grai);
    assert!(Grai::parse("0614141123452").is_ok());
    let e = Grai::parse("06141411234535678").unwrap_err();
    assert_eq!(e.field(), Some("GRAI"));
    assert!(e.to_string().contains("check character"), "{e}");
    assert!(Grai::parse("061414112345256781234567890123").is_err());
    assert_eq!(
        Giai::parse("061414132a/b").unwrap().as_str(),
        "061414132a/b"
    );
    assert!(Giai::parse("a b").is_err());
    assert!(Gsrn::parse("061414112345678902").is_ok());
    assert_eq!(
        Gsrn::parse("061414112345678903").unwrap_err().field(),
        Some("GSRN")
    );
    assert!(Gdti::parse("4012345987652ABCDefgh012345678").is_ok());
    assert!(Gdti::parse("4012345987653").is_err());
    assert!(Ginc::parse("0614141xyz47/11").is_ok());
    assert!(Gsin::parse("06141411234567890").is_ok());
    assert_eq!(
        Gsin::parse("0614141123456789").unwrap_err().field(),
        Some("GSIN")
    );
    let g: Gsrn = serde_json::from_str("\"061414112345678902\"").unwrap();
    assert_eq!(serde_json::to_string(&g).unwrap(), "\"061414112345678902\"");
}
