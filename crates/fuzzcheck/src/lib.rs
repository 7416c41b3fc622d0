//! CI checks of untrusted-input handling (issue #11, "input hardening").
//!
//! * [`TARGETS`]: every `cargo fuzz` target of the workspace, with the same
//!   body compiled in here so that a plain stable build can replay the
//!   committed seed corpora (`tests/fuzz_smoke.rs`).
//! * `tests/fuzz_smoke.rs` runs each target under libFuzzer for a short fixed
//!   budget when `cargo fuzz` is installed (required when `CI` is set).
//! * `tests/schemathesis.rs` runs schemathesis against `ppetrace serve --demo`
//!   and its `/openapi.json`.
//!
//! See `docs/fuzzing.md`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

#[path = "../../draw/fuzz/src/lib.rs"]
mod draw_fuzz;
#[path = "../../epcis/fuzz/src/lib.rs"]
mod epcis_fuzz;
#[path = "../../gs1/fuzz/src/lib.rs"]
mod gs1_fuzz;
#[path = "../../signed-note/fuzz/src/lib.rs"]
mod signed_note_fuzz;
#[path = "../../tlog/fuzz/src/lib.rs"]
mod tlog_fuzz;

/// One `cargo fuzz` target.
#[derive(Clone, Copy)]
pub struct Target {
    /// The crate directory under `crates/` whose `fuzz/` holds the target.
    pub krate: &'static str,
    /// The target (binary) name.
    pub name: &'static str,
    /// The target body, callable on stable.
    pub run: fn(&[u8]),
}

macro_rules! targets {
    ($($krate:literal => $module:ident [$($name:ident),* $(,)?]),* $(,)?) => {
        /// Every fuzz target of the workspace.
        pub const TARGETS: &[Target] = &[
            $($(Target { krate: $krate, name: stringify!($name), run: $module::$name },)*)*
        ];
    };
}

targets! {
    "gs1" => gs1_fuzz [element_string, digital_link, epc_urn, parse_any],
    "epcis" => epcis_fuzz [json_document, xml_document, query_params],
    "signed-note" => signed_note_fuzz [note, keys, signature_line],
    "tlog" => tlog_fuzz [checkpoint_parse, entry_bundle, note_parse, proof_verify, tile_hashes, tile_path],
    "draw" => draw_fuzz [published_draw, canonical_json],
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/fuzzcheck is two levels below the root")
        .to_path_buf()
}

/// The cargo target directory of this build (`CARGO_TARGET_DIR` or
/// `<root>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

impl Target {
    /// `crates/<krate>/fuzz`.
    pub fn fuzz_dir(&self) -> PathBuf {
        workspace_root()
            .join("crates")
            .join(self.krate)
            .join("fuzz")
    }

    /// The committed seed corpus `crates/<krate>/fuzz/corpus/<name>`.
    pub fn corpus_dir(&self) -> PathBuf {
        self.fuzz_dir().join("corpus").join(self.name)
    }

    /// The seed files, sorted.
    pub fn seeds(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.corpus_dir())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}
