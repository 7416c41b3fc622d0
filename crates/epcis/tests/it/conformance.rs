//! Every GS1 JSON-LD example parses, validates, round-trips and hashes.

use crate::support::examples;

#[test]
fn all_examples_parse_validate_and_hash() {
    let files = examples();
    assert!(
        files.len() >= 40,
        "expected the GS1 examples, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        match epcis::parse_and_validate(&text) {
            Ok(doc) => {
                assert!(!doc.events.is_empty(), "{}", f.display());
                // re-serialise, compare semantically with the input, re-parse, same hashes
                let out = epcis::document_to_value(&doc);
                let input: serde_json::Value = serde_json::from_str(&text).unwrap();
                let a = input["epcisBody"].clone();
                let b = out["epcisBody"].clone();
                assert_eq!(normalise(&a), normalise(&b), "{}: round trip", f.display());
                let again = epcis::parse_and_validate(&out.to_string()).unwrap();
                for (e1, e2) in doc.events.iter().zip(&again.events) {
                    let h = epcis::event_hash(e1);
                    assert!(h.starts_with("ni:///sha-256;") && h.ends_with("?ver=CBV2.0"));
                    assert_eq!(h, epcis::event_hash(e2), "{}", f.display());
                }
            }
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// Note: the `eventID`s in the GS1 examples are illustrative placeholders, not CBV 2.0 hashes
// of the events (the same `ni:///sha-256;df7bb3…` appears on different events across GS1
// material), so they are not test vectors; see tests/it/ref_vectors.rs for the real ones.

/// Normalise JSON for semantic comparison: numbers as f64, single-string certificationInfo
/// as an array, per-event `@context` dropped.
fn normalise(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                if k == "@context" {
                    continue;
                }
                let x = if k == "certificationInfo" && x.is_string() {
                    Value::Array(vec![x.clone()])
                } else {
                    x.clone()
                };
                out.insert(k.clone(), normalise(&x));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}
