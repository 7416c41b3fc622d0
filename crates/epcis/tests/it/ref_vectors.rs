//! Vectors from the CBV 2.0 reference implementation (RalphTro/epcis-event-hash-generator,
//! tests/examples/expected/CBV2.0): documents, expected pre-hash strings and hashes.

use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ref")
        .join(name)
}

fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(data(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn check_json(stem: &str) {
    let doc =
        epcis::parse_document(&std::fs::read_to_string(data(&format!("{stem}.jsonld"))).unwrap())
            .unwrap();
    let pre = if data(&format!("{stem}.prehashes")).exists() {
        lines(&format!("{stem}.prehashes"))
    } else {
        Vec::new()
    };
    let hashes = lines(&format!("{stem}.hashes"));
    assert_eq!(doc.events.len(), hashes.len(), "{stem}: event count");
    for (i, ev) in doc.events.iter().enumerate() {
        let ours = epcis::prehash(ev);
        if i < pre.len() && ours != pre[i] {
            let common = ours
                .chars()
                .zip(pre[i].chars())
                .take_while(|(a, b)| a == b)
                .count();
            panic!(
                "{stem} event {i}: pre-hash differs at char {common}\n ours: …{}\n  ref: …{}",
                &ours
                    .chars()
                    .skip(common.saturating_sub(40))
                    .take(200)
                    .collect::<String>(),
                &pre[i]
                    .chars()
                    .skip(common.saturating_sub(40))
                    .take(200)
                    .collect::<String>()
            );
        }
        assert_eq!(epcis::event_hash(ev), hashes[i], "{stem} event {i}");
    }
}

#[test]
fn object_event_all_possible_fields() {
    check_json("ObjectEvent_all_possible_fields");
}

#[test]
fn transaction_event_all_possible_fields() {
    check_json("TransactionEvent_all_possible_fields");
}

#[test]
fn aggregation_event_all_possible_fields() {
    check_json("AggregationEvent_all_possible_fields");
}

#[test]
fn transformation_event_all_possible_fields() {
    check_json("TransformationEvent_all_possible_fields");
}

#[test]
fn association_event_all_possible_fields() {
    check_json("AssociationEvent_all_possible_fields");
}

fn check_xml(stem: &str) {
    let text = std::fs::read_to_string(data(&format!("{stem}.xml"))).unwrap();
    let doc = epcis::parse_and_validate_xml(&text).unwrap();
    let hashes = lines(&format!("{stem}.hashes"));
    let pre = if data(&format!("{stem}.prehashes")).exists() {
        lines(&format!("{stem}.prehashes"))
    } else {
        Vec::new()
    };
    assert_eq!(doc.events.len(), hashes.len(), "{stem}: event count");
    for (i, ev) in doc.events.iter().enumerate() {
        let ours = epcis::prehash(ev);
        if i < pre.len() && ours != pre[i] {
            let common = ours
                .chars()
                .zip(pre[i].chars())
                .take_while(|(a, b)| a == b)
                .count();
            panic!(
                "{stem}.xml event {i}: pre-hash differs at char {common}\n ours: …{}\n  ref: …{}",
                &ours
                    .chars()
                    .skip(common.saturating_sub(40))
                    .take(200)
                    .collect::<String>(),
                &pre[i]
                    .chars()
                    .skip(common.saturating_sub(40))
                    .take(200)
                    .collect::<String>()
            );
        }
        assert_eq!(epcis::event_hash(ev), hashes[i], "{stem}.xml event {i}");
    }
}

#[test]
fn xml_twin_of_object_event_all_possible_fields() {
    check_xml("ObjectEvent_all_possible_fields");
}

#[test]
fn xml_sensor_data_examples() {
    check_xml("SensorDataExamples");
}

#[test]
fn timestamp_round_off_and_foreign_dl_domains() {
    check_json("TimeStampRoundOff");
}

#[test]
fn epc_list_normalisation_of_all_schemes() {
    check_json("epclist_normalisation");
}

#[test]
fn various_event_types() {
    check_json("epcisDocWithVariousEventTypes");
}

#[test]
fn xml_twin_of_various_event_types() {
    check_xml("epcisDocWithVariousEventTypes");
}

#[test]
fn foreign_digital_link_domains() {
    check_json("epcisEventWithCURIEs");
}

#[test]
fn certification_info_and_sensor_report_with_crs() {
    check_json("CertificationInfoAndSensorReportWithCRS");
}

#[test]
fn reference_event_hash_algorithm_3_read_point_extension() {
    check_json("ReferenceEventHashAlgorithm3");
}
