//! Identifier → canonical Digital Link normalisation used by the event hash, against the
//! reference implementation's `epclist_normalisation` expectations.

const CASES: &[(&str, &str)] = &[
    (
        "urn:epc:id:sgtin:4012345.011111.9876",
        "https://id.gs1.org/01/04012345111118/21/9876",
    ),
    (
        "urn:epc:id:sgtin:4012345.011111.98%22",
        "https://id.gs1.org/01/04012345111118/21/98%22",
    ),
    (
        "urn:epc:id:sgtin:415056789012.0.987654",
        "https://id.gs1.org/01/04150567890128/21/987654",
    ),
    (
        "urn:epc:id:sscc:4012345.3111111111",
        "https://id.gs1.org/00/340123451111111111",
    ),
    (
        "urn:epc:id:sgln:4012345.00005.122",
        "https://id.gs1.org/414/4012345000054/254/122",
    ),
    (
        "urn:epc:id:sgln:4012345.00005.0",
        "https://id.gs1.org/414/4012345000054",
    ),
    (
        "urn:epc:id:grai:4012345.00022.334455",
        "https://id.gs1.org/8003/04012345000221334455",
    ),
    (
        "urn:epc:id:giai:4012345.ABC345",
        "https://id.gs1.org/8004/4012345ABC345",
    ),
    (
        "urn:epc:id:gsrn:4012345.0000006765",
        "https://id.gs1.org/8018/401234500000067657",
    ),
    (
        "urn:epc:id:gsrnp:4012345.0000000007",
        "https://id.gs1.org/8017/401234500000000074",
    ),
    (
        "urn:epc:id:gdti:4012345.00009.PO-4711",
        "https://id.gs1.org/253/4012345000092PO-4711",
    ),
    (
        "urn:epc:id:gdti:987659999999..9",
        "https://id.gs1.org/253/98765999999929",
    ),
    (
        "urn:epc:id:pgln:4000001.00000",
        "https://id.gs1.org/417/4000001000005",
    ),
    (
        "urn:epc:id:pgln:999999999999.",
        "https://id.gs1.org/417/9999999999994",
    ),
    (
        "urn:epc:class:lgtin:4012345.012345.Lot987",
        "https://id.gs1.org/01/04012345123456/10/Lot987",
    ),
    (
        "urn:epc:idpat:sgtin:4012345.098765.*",
        "https://id.gs1.org/01/04012345987652",
    ),
    (
        "https://id.gs1.de/00/040123451111111110",
        "https://id.gs1.org/00/040123451111111110",
    ),
    (
        "https://example.com/01/09780345418913/21/765tz?17=261231",
        "https://id.gs1.org/01/09780345418913/21/765tz",
    ),
    (
        "https://id.gs1.org/01/09780345418913/10/L1/21/S1",
        "https://id.gs1.org/01/09780345418913/21/S1",
    ),
    (
        "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
        "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22!%3F()",
    ),
    (
        "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
        "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234",
    ),
    (
        "urn:epc:id:ginc:0614141.xyz47%2F11",
        "https://id.gs1.org/401/0614141xyz47%2F11",
    ),
    (
        "urn:epc:id:gsin:4012345.222333444",
        "https://id.gs1.org/402/40123452223334442",
    ),
    (
        "urn:epc:id:itip:4012345.011111.01.02.987",
        "https://id.gs1.org/8006/040123451111180102/21/987",
    ),
    (
        "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
        "https://id.gs1.org/01/01234567987651/235/51qIgY)%3C%26Jp3*j7'SDB",
    ),
    (
        "https://id.gs1.org/gtin/09780345418913",
        "https://id.gs1.org/01/09780345418913",
    ),
];

#[test]
fn canonical_digital_links() {
    let mut bad = Vec::new();
    for (input, want) in CASES {
        let got = epcis::ident::to_hash_canonical(input);
        if got.as_deref() != Some(*want) {
            bad.push(format!("{input}: got {got:?}, want {want}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
