//! The GS1 EPCIS 2.0 JSON-LD examples, shared by the pure conformance tests
//! (`crates/epcis/tests/it/conformance.rs`) and the capture-over-HTTP tests
//! (`crates/web/tests/it/epcis.rs`), which include this file with `#[path]`.

use std::path::{Path, PathBuf};

/// `shared/conformance/epcis/JSON` beside the repository, or `$EPCIS_CONFORMANCE_DIR`.
pub fn conformance_dir() -> PathBuf {
    match std::env::var_os("EPCIS_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/epcis/JSON")
        }
    }
}

/// Every `.jsonld` file under [`conformance_dir`], sorted.
pub fn examples() -> Vec<PathBuf> {
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
    v.sort();
    v
}
