//! The `ppetrace` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ppetrace"));
    c.env_remove("PPETRACE_DATABASE_URL")
        .env_remove("PPETRACE_CONFIG");
    c
}

fn run_ok(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("run ppetrace");
    assert!(
        out.status.success(),
        "ppetrace {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn parse(text: &str) -> Value {
    serde_json::from_str(&run_ok(&["id", "parse", text])).expect("json")
}

#[test]
fn id_parse_gives_the_standard_forms() {
    // GS1 Digital Link standard examples (custom domain with a path stem, and id.gs1.org).
    let v = parse("https://example.com/some/stem/01/09520123456788/10/ABC123/21/12345?17=201225");
    assert_eq!(
        v["element_string"],
        "(01)09520123456788(10)ABC123(21)12345(17)201225"
    );
    assert_eq!(
        v["digital_link"],
        "https://id.gs1.org/01/09520123456788/10/ABC123/21/12345?17=201225"
    );
    let v = parse("https://id.gs1.org/01/9520123456788");
    assert_eq!(v["element_string"], "(01)09520123456788");
    // Tag Data Standard examples: SGTIN, SSCC, SGLN.
    let v = parse("urn:epc:id:sgtin:0614141.812345.6789");
    assert_eq!(v["element_string"], "(01)80614141123458(21)6789");
    assert_eq!(
        v["digital_link"],
        "https://id.gs1.org/01/80614141123458/21/6789"
    );
    let v = parse("urn:epc:id:sscc:0614141.1234567890");
    assert_eq!(v["element_string"], "(00)106141412345678908");
    let v = parse("urn:epc:id:sgln:0614141.12345.400");
    assert_eq!(v["element_string"], "(414)0614141123452(254)400");
    // Scanned form with symbology identifier and FNC1 (GS) after a variable-length AI.
    let v = parse("]d201095201234567881012\u{1d}21ABC");
    assert_eq!(v["element_string"], "(01)09520123456788(10)12(21)ABC");
    // Back to a URN when the company prefix length is given.
    let v = serde_json::from_str::<Value>(&run_ok(&[
        "id",
        "parse",
        "(01)80614141123458(21)6789",
        "--company-prefix-length",
        "7",
    ]))
    .unwrap();
    assert_eq!(v["epc_urn"], "urn:epc:id:sgtin:0614141.812345.6789");
}

#[test]
fn id_parse_rejects_invalid_input_with_one_line() {
    for bad in [
        "(01)09520123456789",                             // check digit
        "(21)12345",                                      // serial without GTIN
        "https://id.gs1.org/01/09520123456788/21/1/10/x", // qualifiers out of order
        "urn:epc:id:sgtin:0614141.812345",                // missing serial
        "hello",
    ] {
        let out = bin().args(["id", "parse", bad]).output().unwrap();
        assert!(!out.status.success(), "{bad} was accepted");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{bad}: {err}");
        assert!(err.starts_with("error: "), "{bad}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn qr_codes_decode_back_exactly_with_zbarimg() {
    let dir = tempfile::tempdir().unwrap();
    let text = "https://ppe.example.org/01/06901234000016/10/HX25A/21/3ED2DRFTYRECFTZRM2";
    let png = dir.path().join("code.png");
    run_ok(&["codes", "qr", text, "--out", png.to_str().unwrap()]);
    let svg = dir.path().join("code.svg");
    run_ok(&["codes", "qr", text, "--out", svg.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let bad = bin()
        .args([
            "codes",
            "qr",
            text,
            "--out",
            dir.path().join("x.gif").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    match Command::new("zbarimg")
        .args(["--raw", "-q", png.to_str().unwrap()])
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "zbarimg could not read the code");
            assert_eq!(
                String::from_utf8(out.stdout)
                    .unwrap()
                    .trim_end_matches('\n'),
                text
            );
        }
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("zbarimg (zbar-tools) is required in CI")
        }
        Err(_) => {
            eprintln!("zbarimg not installed: install zbar-tools to run the real-decoder check")
        }
    }
}

/// Starts `serve --demo` on a free port and returns the child and its printed lines.
fn start_demo(dir: &std::path::Path) -> (std::process::Child, Vec<(String, String)>) {
    let mut child = bin()
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .env("PPETRACE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some((k, v)) = line.split_once(": ") {
            lines.push((k.to_string(), v.to_string()));
        }
        if line.starts_with("listening: ") || Instant::now() > deadline {
            break;
        }
    }
    (child, lines)
}

#[test]
fn serve_demo_prints_urls_whose_verdicts_are_right() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines) = start_demo(dir.path());
    let get = |k: &str| {
        lines
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no '{k}:' line in {lines:?}"))
    };
    let client = reqwest::blocking::Client::new();
    for (k, want, words) in [
        ("genuine", "genuine", "Genuine"),
        ("recalled", "recalled", "recalled"),
        ("fake", "unknown", "Unknown code"),
        ("expired", "expired", "expired"),
    ] {
        let url = get(k);
        let v: Value = client
            .get(&url)
            .header("accept", "application/json")
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(v["verdict"], want, "{k}: {url}");
        let html = client
            .get(&url)
            .header("accept", "text/html")
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(html.contains(words), "{k} page lacks '{words}'");
        let zh = client
            .get(&url)
            .header("accept", "text/html")
            .header("accept-language", "zh-CN")
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(zh.contains("lang=\"zh-CN\""));
    }
    let key = get("admin-key");
    assert!(key.starts_with("ppt_"));
    let base = get("listening");
    let r = client
        .get(format!("{base}/api/v1/organizations"))
        .send()
        .unwrap();
    assert!(r.status().is_success());
    let orgs: Value = r.json().unwrap();
    assert!(orgs["organizations"].as_array().unwrap().len() >= 5);
    // The demo's records are in the tamper-evident log: hundreds of entries,
    // covered by a signed checkpoint within a sequencing interval.
    let mut size = 0u64;
    for _ in 0..100 {
        let note = client
            .get(format!("{base}/log/checkpoint"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        size = note
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if size >= 300 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(size >= 300, "demo log has only {size} entries");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn admin_and_codes_commands_work_on_a_fresh_sqlite_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // Seed a product and batch through the demo, stop it, then use the CLI offline.
    let (mut child, _) = start_demo(dir.path());
    let _ = child.kill();
    let _ = child.wait();
    let out = run_ok(&[
        "--data-dir",
        d,
        "admin",
        "create-org",
        "--name",
        "Acme",
        "--role",
        "distributor",
        "--gln",
        "6961234000003",
    ]);
    assert!(
        out.contains("org-id: ") && out.contains("api-key: ppt_"),
        "{out}"
    );
    let dup = bin()
        .args([
            "--data-dir",
            d,
            "admin",
            "create-org",
            "--name",
            "Acme 2",
            "--role",
            "distributor",
            "--gln",
            "6961234000003",
        ])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("GLN is already registered"));
    let out = run_ok(&[
        "--data-dir",
        d,
        "codes",
        "issue",
        "--batch",
        "1",
        "--count",
        "1234",
    ]);
    assert!(out.starts_with("issued: 1234 codes for batch 1"), "{out}");
    let csv = dir.path().join("codes.csv");
    run_ok(&[
        "--data-dir",
        d,
        "codes",
        "export",
        "--batch",
        "1",
        "--out",
        csv.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    // The demo issued 200 codes to batch 1.
    assert_eq!(text.lines().count(), 1 + 200 + 1234);
    let first = text.lines().nth(1).unwrap();
    let v: Value = serde_json::from_str(&run_ok(&["--data-dir", d, "verify", first])).unwrap();
    assert_eq!(v["verdict"], "genuine");
    let bad = bin()
        .args([
            "--data-dir",
            d,
            "codes",
            "issue",
            "--batch",
            "999",
            "--count",
            "5",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("batch 999"));
}

#[test]
fn printed_labels_decode_to_the_exact_uris() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (mut child, _) = start_demo(dir.path());
    let _ = child.kill();
    let _ = child.wait();
    let out = dir.path().join("labels");
    let o = run_ok(&[
        "--data-dir",
        d,
        "codes",
        "labels",
        "--batch",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "png",
        "--limit",
        "3",
        "--dpi",
        "203",
    ]);
    assert!(o.starts_with("labels: 3 codes in 3 file(s)"), "{o}");
    run_ok(&[
        "--data-dir",
        d,
        "codes",
        "labels",
        "--batch",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "pdf",
        "--size",
        "a4-3x8",
    ]);
    assert!(
        std::fs::read(out.join("batch-1-labels.pdf"))
            .unwrap()
            .starts_with(b"%PDF")
    );
    let csv = dir.path().join("codes.csv");
    run_ok(&[
        "--data-dir",
        d,
        "codes",
        "export",
        "--batch",
        "1",
        "--out",
        csv.to_str().unwrap(),
    ]);
    let uris: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .take(3)
        .map(String::from)
        .collect();
    for uri in uris {
        let serial = uri.rsplit('/').next().unwrap();
        let png = out.join(format!("{serial}.png"));
        assert!(png.exists(), "{png:?}");
        match Command::new("zbarimg")
            .args(["--raw", "-q", png.to_str().unwrap()])
            .output()
        {
            Ok(o) => assert_eq!(
                String::from_utf8(o.stdout).unwrap().trim_end_matches('\n'),
                uri
            ),
            Err(_) if std::env::var_os("CI").is_some() => {
                panic!("zbarimg (zbar-tools) is required in CI")
            }
            Err(_) => {
                eprintln!("zbarimg not installed: install zbar-tools to run the real-decoder check")
            }
        }
    }
    let bad = bin()
        .args([
            "--data-dir",
            d,
            "codes",
            "labels",
            "--batch",
            "1",
            "--out",
            out.to_str().unwrap(),
            "--size",
            "huge",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn epcis_hash_prints_one_hash_per_event() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/epcis/JSON/Example_9.6.1-ObjectEvent.jsonld"
    );
    if !std::path::Path::new(path).exists() {
        panic!(
            "conformance material missing at {path}: the repository expects ../shared beside it"
        );
    }
    let out = run_ok(&["epcis", "hash", path]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("ni:///sha-256;") && l.ends_with("?ver=CBV2.0")),
        "{out}"
    );
    let again = run_ok(&["epcis", "hash", path]);
    assert_eq!(out, again);
}
