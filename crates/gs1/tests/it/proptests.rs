//! Property tests: format → parse round trips over generated valid identifiers, and
//! mutations of valid inputs never panicking.

use gs1::epc::EpcUrn;
use gs1::{
    DigitalLink, Gtin, Lot, Serial, Sscc, Uscc, check_digit, has_valid_check_digit, parse_any,
};
use proptest::prelude::*;

const CSET82_RE: &str = "[A-Za-z0-9!\"%&'()*+,\\-./:;<=>?_]{1,20}";

fn gtin() -> impl Strategy<Value = Gtin> {
    "[0-9]{13}".prop_map(|b| Gtin::from_body(&b).expect("13 digits"))
}

fn serial() -> impl Strategy<Value = Serial> {
    CSET82_RE.prop_map(|s| Serial::parse(&s).expect("CSET 82, 1-20"))
}

fn lot() -> impl Strategy<Value = Lot> {
    CSET82_RE.prop_map(|s| Lot::parse(&s).expect("CSET 82, 1-20"))
}

proptest! {
    #[test]
    fn check_digit_detects_every_single_digit_error(body in "[0-9]{1,17}", pos in 0usize..18, d in 0u8..10) {
        let full = format!("{body}{}", check_digit(&body).unwrap());
        prop_assert!(has_valid_check_digit(&full));
        let pos = pos % full.len();
        let mut bytes = full.clone().into_bytes();
        prop_assume!(bytes[pos] != b'0' + d);
        bytes[pos] = b'0' + d;
        let mutated = String::from_utf8(bytes).unwrap();
        prop_assert!(!has_valid_check_digit(&mutated));
    }

    #[test]
    fn sgtin_digital_link_round_trip(g in gtin(), l in proptest::option::of(lot()), s in serial(), stem in "(/[a-z]{1,5}){0,2}") {
        let dl = DigitalLink::sgtin(&g, l.as_ref(), &s);
        let base = format!("https://ppe.example.org{stem}");
        let uri = dl.to_uri(&base);
        let back = DigitalLink::parse(&uri).unwrap();
        prop_assert_eq!(&back, &dl);
        prop_assert_eq!(back.gtin().unwrap(), g.clone());
        prop_assert_eq!(back.serial().unwrap(), s.clone());
        prop_assert_eq!(DigitalLink::parse(&dl.canonical()).unwrap(), dl.clone());
        // Element strings, bracketed and raw with a symbology identifier.
        let data = parse_any(&dl.element_string()).unwrap();
        prop_assert_eq!(data.digital_link().unwrap(), dl.canonical());
        let raw = parse_any(&format!("]Q3{}", data.raw())).unwrap();
        prop_assert_eq!(raw.element_string(), dl.element_string());
    }

    #[test]
    fn sgtin_urn_round_trip(g in gtin(), s in serial(), cpl in 6usize..=12) {
        let dl = DigitalLink::sgtin(&g, None, &s);
        let urn = gs1::digital_link_to_urn(&dl.canonical(), cpl).unwrap();
        let parsed = EpcUrn::parse(&urn).unwrap();
        prop_assert_eq!(parsed.company_prefix_len(), Some(cpl));
        prop_assert_eq!(parsed.to_urn(), urn.clone());
        prop_assert_eq!(gs1::urn_to_digital_link(&urn).unwrap(), dl.canonical());
        let data = parse_any(&urn).unwrap();
        prop_assert_eq!(data.epc_urn(None), Some(urn));
    }

    #[test]
    fn sscc_urn_round_trip(body in "[0-9]{17}", cpl in 6usize..=12) {
        let sscc = Sscc::from_body(&body).unwrap();
        let uri = format!("https://id.gs1.org/00/{sscc}");
        let urn = gs1::digital_link_to_urn(&uri, cpl).unwrap();
        prop_assert_eq!(gs1::urn_to_digital_link(&urn).unwrap(), uri);
    }

    #[test]
    fn gtin_short_forms_normalise(g in gtin()) {
        let short = g.shortest().to_owned();
        prop_assert_eq!(Gtin::parse(&short).unwrap(), g.clone());
        if short.len() < 14 {
            let dl = DigitalLink::parse(&format!("https://x.example/01/{short}")).unwrap();
            prop_assert_eq!(dl.primary_key().1, g.as_str());
        }
    }

    #[test]
    fn uscc_detects_every_single_substitution(body in "[0-9A-HJ-NPQRTUWXY]{17}", pos in 0usize..18, c in "[0-9A-HJ-NPQRTUWXY]") {
        let check = gs1::uscc::uscc_check_char(&body).unwrap();
        let code = format!("{body}{check}");
        prop_assert!(Uscc::parse(&code).is_ok());
        let mut chars: Vec<char> = code.chars().collect();
        let c = c.chars().next().unwrap();
        prop_assume!(chars[pos] != c);
        chars[pos] = c;
        let mutated: String = chars.into_iter().collect();
        prop_assert!(Uscc::parse(&mutated).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,60}") {
        let _ = parse_any(&s);
        let _ = DigitalLink::parse(&s);
        let _ = EpcUrn::parse(&s);
        let _ = gs1::element::parse_raw(&s);
    }

    #[test]
    fn random_mutations_never_panic(idx in 0usize..SAMPLES.len(), pos in 0usize..200, op in 0u8..3, c in any::<char>()) {
        let sample = SAMPLES[idx];
        let mut chars: Vec<char> = sample.chars().collect();
        let pos = pos % (chars.len() + 1);
        match op {
            0 if pos < chars.len() => { chars[pos] = c; }
            1 if pos < chars.len() => { chars.remove(pos); }
            _ => chars.insert(pos, c),
        }
        let mutated: String = chars.into_iter().collect();
        let _ = parse_any(&mutated);
    }
}

const SAMPLES: &[&str] = &[
    "https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ?17=201231",
    "https://example.com/foo/01/9506000134352/21/A%2FB",
    "(01)09506000134352(10)ABC(21)XYZ",
    "]d2010950600013435210ABC\u{1d}21XYZ",
    "urn:epc:id:sgtin:0614141.712345.32a%2Fb",
    "urn:epc:id:sgln:0614141.12345.5678",
    "urn:epc:id:grai:0614141.12345.5678",
    "urn:epc:class:lgtin:4012345.012345.998877",
    "(8013)1987654Ad4X4bL5ttr2310c2K",
    "(8006)040123451234560102(21)987",
];

/// Every one-character substitution (from a set of interesting characters), deletion and
/// insertion of every sample: parse_any must return, never panic, and any accepted
/// mutation must produce re-parseable output.
#[test]
fn exhaustive_one_character_mutations() {
    let alphabet: Vec<char> = "09aZ()/%?&=.:]\u{1d}\u{0}é€ \\#\n*".chars().collect();
    for sample in SAMPLES {
        let chars: Vec<char> = sample.chars().collect();
        for pos in 0..=chars.len() {
            let mut variants = Vec::new();
            if pos < chars.len() {
                let mut del = chars.clone();
                del.remove(pos);
                variants.push(del);
            }
            for c in &alphabet {
                if pos < chars.len() {
                    let mut sub = chars.clone();
                    sub[pos] = *c;
                    variants.push(sub);
                }
                let mut ins = chars.clone();
                ins.insert(pos, *c);
                variants.push(ins);
            }
            for v in variants {
                let text: String = v.into_iter().collect();
                if let Ok(d) = parse_any(&text) {
                    let es = d.element_string();
                    if !es.is_empty() {
                        assert!(parse_any(&es).is_ok(), "{text:?} -> {es}");
                    }
                    if let Some(dl) = d.digital_link() {
                        assert!(parse_any(&dl).is_ok(), "{text:?} -> {dl}");
                    }
                } else if let Err(e) = parse_any(&text) {
                    let msg = e.to_string();
                    assert!(!msg.is_empty());
                    assert!(!msg.contains('\n'), "multi-line error for {text:?}: {msg}");
                }
            }
        }
    }
}
