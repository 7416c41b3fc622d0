//! schemathesis against a running `ppetrace serve --demo` (random port, fresh
//! temporary data directory): every operation of the served `/openapi.json`
//! is called with generated inputs, as the demo's platform admin, and must
//! never answer 5xx (`not_a_server_error`) and always match the documented
//! response schema (`response_schema_conformance`; errors are problem+json).
//!
//! The server binary is the workspace's `ppetrace` (built by
//! `cargo test --workspace`; `cargo build -p ppetrace` when running this test
//! alone). When `CI` is set, a missing schemathesis fails the test; locally it
//! is skipped with a message (`pip install schemathesis`).
//! `PPETRACE_SCHEMATHESIS_EXAMPLES` overrides the examples per operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generated examples per operation in CI.
const EXAMPLES: u32 = 8;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ppetrace_binary() -> PathBuf {
    // tests run from <target>/<profile>/deps/; the binary is <target>/<profile>/ppetrace.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let bin = profile_dir.join(format!("ppetrace{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo test --workspace` or `cargo build -p ppetrace` first",
        bin.display()
    );
    bin
}

fn schemathesis_available() -> bool {
    Command::new("schemathesis")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn schemathesis_finds_no_server_errors_or_schema_violations() {
    if !schemathesis_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but schemathesis is missing: `python3 -m pip install schemathesis` (.ci/run does)"
        );
        eprintln!("schemathesis not installed: skipped (python3 -m pip install schemathesis)");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(ppetrace_binary())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("PPETRACE_DATA_DIR", data.path())
        .env_remove("PPETRACE_DATABASE_URL")
        .env_remove("PPETRACE_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ppetrace starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let (mut base, mut key) = (None, None);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(k) = line.strip_prefix("admin-key: ") {
            key = Some(k.trim().to_owned());
        }
        if let Some(u) = line.strip_prefix("listening: ") {
            base = Some(u.trim().to_owned());
            break;
        }
    }
    let base = base.expect("the server prints its address");
    let key = key.expect("the demo prints an admin key");

    let examples: u32 = std::env::var("PPETRACE_SCHEMATHESIS_EXAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(EXAMPLES);
    let reports = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new("schemathesis")
        .args([
            "--no-color",
            "run",
            &format!("{base}/openapi.json"),
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            &examples.to_string(),
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20261129",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--suppress-health-check",
            "all",
            "--report-dir",
            reports.path().to_str().unwrap(),
            "-H",
            &format!("Authorization: Bearer {key}"),
            "-H",
            "Accept: application/json",
        ])
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "schemathesis: {:.0?}\n{}",
        started.elapsed(),
        stdout
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The server is still up after everything it was sent.
    assert!(
        healthz(&base).starts_with("HTTP/1.1 200"),
        "the server died during the run"
    );
    drop(server);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn healthz(base: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}
