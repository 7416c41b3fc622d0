//! Decodes generated PNGs with Debian's `zbarimg` (package `zbar-tools`),
//! an independent decoder, and compares the payload byte for byte.
//!
//! Without `zbarimg` the test fails when `CI` is set and otherwise prints a
//! note and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use labels::{LabelData, LabelSize, label_png, qr_png};

/// Runs `zbarimg --raw -q` on `path`; `None` when zbarimg is not installed.
fn zbarimg(path: &Path) -> Option<Vec<u8>> {
    let out = match Command::new("zbarimg")
        .arg("--raw")
        .arg("-q")
        .arg(path)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("cannot run zbarimg: {e}"),
    };
    assert!(
        out.status.success(),
        "zbarimg failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut raw = out.stdout;
    // --raw prints each symbol followed by one newline.
    assert_eq!(raw.pop(), Some(b'\n'), "zbarimg output ends with a newline");
    Some(raw)
}

/// `false` (after a note on stderr) when zbarimg is missing outside CI.
fn zbar_available() -> bool {
    match Command::new("zbarimg").arg("--version").output() {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "zbarimg is required in CI (apt-get install zbar-tools): {e}"
            );
            eprintln!(
                "NOTE: zbarimg not found ({e}); skipping the zbar round-trip test. \
                 Install it with `apt-get install zbar-tools`."
            );
            false
        }
    }
}

fn uri(len: usize) -> String {
    let base = "https://ppe.example.org/01/09506000134352/10/LOT-2026.11/21/";
    let tail: String = "Ab3xK9pQ2mZ7_-.~"
        .chars()
        .cycle()
        .take(len - base.len())
        .collect();
    format!("{base}{tail}")
}

fn check(dir: &Path, name: &str, png: &[u8], expected: &str) {
    let path = dir.join(name);
    std::fs::write(&path, png).expect("write PNG to temp dir");
    let got = zbarimg(&path).expect("zbarimg vanished");
    assert_eq!(
        String::from_utf8_lossy(&got),
        expected,
        "{name}: zbarimg read something else"
    );
    assert_eq!(got, expected.as_bytes(), "{name}");
}

#[test]
fn zbarimg_reads_exact_text_from_qr_png() {
    if !zbar_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let texts = [
        "https://ppe.example.org/01/09506000134352/10/LOT42/21/Ab3xK9pQ2mZ7".to_string(),
        uri(100),
        uri(150),
        "KN95 防护口罩 Grüße".to_string(),
    ];
    for (i, text) in texts.iter().enumerate() {
        for module_px in [3, 8] {
            let png = qr_png(text, module_px).unwrap();
            check(dir.path(), &format!("qr-{i}-{module_px}.png"), &png, text);
        }
    }
}

#[test]
fn zbarimg_reads_exact_uri_from_label_png() {
    if !zbar_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, size) in LabelSize::ALL.into_iter().enumerate() {
        for (j, u) in [uri(70), uri(150)].into_iter().enumerate() {
            let data = LabelData {
                uri: u.clone(),
                gtin: "09506000134352".into(),
                lot: Some("LOT-2026.11".into()),
                serial: "Ab3xK9pQ2mZ7".into(),
                expiry: Some("2029-12-31".into()),
                product_name: "KN95 防护口罩 <FFP2> & \"more\"".into(),
            };
            let png = label_png(&data, size, 300).unwrap();
            check(dir.path(), &format!("label-{i}-{j}.png"), &png, &u);
        }
    }
}
