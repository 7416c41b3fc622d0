#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns
//! Every GS1 JSON-LD example parses, validates, round-trips and hashes.

use std::path::{Path, PathBuf};

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/epcis/JSON")
}

fn examples() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "jsonld") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&conformance_dir(), &mut v);
    // fall back to the copies bundled with the crate (CI without shared/)
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gs1-json"),
        &mut v,
    );
    v.sort();
    v
}

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
                for ev in &doc.events {
                    let h = epcis::event_hash(ev);
                    assert!(h.starts_with("ni:///sha-256;") && h.ends_with("?ver=CBV2.0"));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn embedded_event_ids_report() {
    // The GS1 examples carry eventIDs that are (mostly) CBV 2.0 hashes computed by the
    // reference implementation; print the comparison for diagnosis.
    let mut matched = 0;
    let mut total = 0;
    for f in examples() {
        let text = std::fs::read_to_string(&f).unwrap();
        let Ok(doc) = epcis::parse_document(&text) else {
            continue;
        };
        for ev in &doc.events {
            if let Some(id) = &ev.event_id
                && id.starts_with("ni:///")
            {
                total += 1;
                let h = epcis::event_hash(ev);
                if &h == id {
                    matched += 1;
                } else {
                    eprintln!(
                        "MISMATCH {}\n  doc  {id}\n  ours {h}\n  pre  {}",
                        f.display(),
                        epcis::prehash(ev)
                    );
                }
            }
        }
    }
    eprintln!("embedded eventIDs matched: {matched}/{total}");
}
