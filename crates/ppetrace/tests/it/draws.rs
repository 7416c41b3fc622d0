//! `ppetrace draw …` as a user runs it: every vector of
//! `conformance/sampler.md`, and a draw published by a running server,
//! downloaded and re-run with `ppetrace draw verify` and with
//! `python3 crates/draw/draw_verify.py`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

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

fn lines(args: &[&str]) -> Vec<String> {
    run_ok(args).lines().map(String::from).collect()
}

#[test]
fn every_sampler_vector_is_reproduced_by_the_cli() {
    // Consistent sampler: first ticket and next ticket.
    let t = run_ok(&["draw", "ticket", "--seed", "01382438112797316654", "AB-130"]);
    assert!(t.starts_with("0.26299714122838008416"), "{t}");
    let t = run_ok(&["draw", "next-ticket", "0.25471"]);
    assert!(t.starts_with("0.64285326165500469469"), "{t}");
    // Orders without replacement.
    let sample = |seed: &str, ids: &[&str], extra: &[&str]| {
        let mut args = vec!["draw", "sample", "--seed", seed];
        args.extend_from_slice(extra);
        args.push("--");
        args.extend_from_slice(ids);
        lines(&args)
    };
    assert_eq!(
        sample("xy()134!g2n", &["dog", "cat", "fish", "goat"], &[]),
        ["cat", "dog", "goat", "fish"]
    );
    assert_eq!(
        sample("31", &["a", "b", "c", "d"], &[]),
        ["b", "a", "d", "c"]
    );
    assert_eq!(
        sample("77", &["a", "b", "c", "d"], &[]),
        ["b", "d", "c", "a"]
    );
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let hundred: Vec<&str> = hundred.iter().map(String::as_str).collect();
    assert_eq!(
        sample("41", &hundred, &["--take", "10"]),
        ["73", "51", "17", "58", "38", "42", "39", "20", "11", "67"]
    );
    // With replacement (needs --take).
    assert_eq!(
        sample(
            "314159",
            &["A#2", "B#7", "C#1", "D#4"],
            &["--with-replacement", "--take", "8"]
        ),
        ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]
    );
    let endless = bin()
        .args(["draw", "sample", "--seed", "1", "--with-replacement", "a"])
        .output()
        .expect("run");
    assert!(!endless.status.success());

    // The 2011 sampler, with replacement, first three picks of 1..total.
    for (seed, total, picks) in [
        ("0", "1000", ["905", "573", "160"]),
        ("0", "2", ["1", "1", "2"]),
        ("1", "1000", ["97", "89", "163"]),
        ("0000000000", "1000", ["978", "359", "132"]),
        ("999999999999999999999999", "1000", ["544", "800", "654"]),
        ("abcde", "1000", ["247", "427", "157"]),
    ] {
        assert_eq!(
            lines(&[
                "draw", "legacy", "--seed", seed, "--high", total, "--take", "3"
            ]),
            picks,
            "seed {seed} total {total}"
        );
    }
    // Without replacement.
    assert_eq!(
        lines(&[
            "draw",
            "legacy",
            "--seed",
            "3546311556112163624615351222",
            "--high",
            "876",
            "--take",
            "5",
            "--without-replacement"
        ]),
        ["740", "180", "264", "789", "238"]
    );
}

/// Minimal HTTP/1.1 client (Connection: close) so the test needs no HTTP crate.
fn http(
    base: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(k) = key {
        req.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    if body.is_some() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            payload.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&payload);
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("http response");
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    (status, body)
}

fn post(base: &str, path: &str, key: &str, body: Value) -> Value {
    let (status, text) = http(base, "POST", path, Some(key), Some(&body));
    assert_eq!(status, 201, "POST {path}: {text}");
    serde_json::from_str(&text).expect("json")
}

/// RFC 3339 (UTC, seconds) of a Unix time.
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &str) -> (Server, String) {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir", dir])
        .env("PPETRACE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(base) = line.strip_prefix("listening: ") {
            return (server, base.trim().to_string());
        }
        assert!(Instant::now() < deadline, "server did not start");
    }
    panic!("server exited before listening");
}

fn sha256_hex(s: &str) -> String {
    draw::canonical::sha256_hex(s.as_bytes())
}

#[test]
fn a_published_draw_downloads_and_re_runs_to_its_commitment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("path");
    let out = run_ok(&[
        "--data-dir",
        d,
        "admin",
        "create-org",
        "--name",
        "Safety Bureau",
        "--role",
        "regulator",
    ]);
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("api-key: "))
        .expect("api-key line")
        .to_string();
    let (_server, base) = serve(d);

    post(
        &base,
        "/api/v1/item-lists",
        &key,
        json!({
            "code": "PPE", "title": "PPE use", "items": [{"code": "c1", "text": "Helmets certified"}]
        }),
    );
    for (n, class) in ["A", "A", "B", "B", "B", "C"].iter().enumerate() {
        post(
            &base,
            "/api/v1/inspection-targets",
            &key,
            json!({
                "code": format!("T{n}"), "name": format!("Works {n}"), "risk_class": class, "region": "north"
            }),
        );
    }
    // RFC 8032 test key 1: any valid Ed25519 public key will do here.
    let pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    for n in 0..5 {
        post(
            &base,
            "/api/v1/inspectors",
            &key,
            json!({
                "code": format!("I{n}"), "name": format!("Inspector {n}"), "region": if n % 2 == 0 { "east" } else { "west" },
                "affiliations": if n == 0 { json!(["T0"]) } else { json!([]) }, "public_key": pk
            }),
        );
    }
    let start = now() + 8;
    let secret = format!("bureau contribution {}", now());
    let d0 = post(
        &base,
        "/api/v1/draws",
        &key,
        json!({
            "plan_id": "cli-e2e", "item_list": "PPE",
            "quotas": [{"class": "A", "fraction_bp": 10000, "minimum": 1}, {"class": "B", "fraction_bp": 3400, "minimum": 1}],
            "inspectors_per_target": 2, "window_start": rfc3339(start), "window_end": rfc3339(start + 3600),
            "beacon_round": null, "contribution_commitments": [sha256_hex(&secret)]
        }),
    );
    let id = d0["id"].as_i64().expect("id");
    post(
        &base,
        &format!("/api/v1/draws/{id}/seed"),
        &key,
        json!({"beacon": null, "reveals": [secret]}),
    );
    let drawn = post(&base, &format!("/api/v1/draws/{id}/run"), &key, json!({}));
    let commitment = drawn["commitment"]
        .as_str()
        .expect("commitment")
        .to_string();

    // Before the window: sealed; the public view carries the commitment only.
    let (status, text) = http(
        &base,
        "GET",
        &format!("/api/v1/draws/{id}/published.json"),
        None,
        None,
    );
    assert_eq!(status, 403, "{text}");
    let (_, text) = http(&base, "GET", &format!("/api/v1/draws/{id}"), None, None);
    let view: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(view["commitment"], commitment.as_str());
    assert!(view["published"].is_null());

    // The window opens.
    while now() < start + 1 {
        std::thread::sleep(Duration::from_millis(250));
    }
    let (status, bundle) = http(
        &base,
        "GET",
        &format!("/api/v1/draws/{id}/published.json"),
        None,
        None,
    );
    assert_eq!(status, 200, "{bundle}");
    let file = dir.path().join("draw.json");
    std::fs::write(&file, &bundle).expect("write");
    let f = file.to_str().expect("path");
    assert_eq!(run_ok(&["draw", "verify", f]).trim(), "MATCH");
    assert_eq!(
        run_ok(&["draw", "commitment", f]).trim(),
        commitment,
        "the result re-hashes to the commitment published before the window"
    );
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../draw/draw_verify.py");
    let py = Command::new("python3")
        .args([root, f])
        .output()
        .expect("python3");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "MATCH");
    let v: Value = serde_json::from_str(&bundle).expect("json");
    assert!(
        !v["result"]["assignments"]
            .as_array()
            .expect("array")
            .is_empty()
    );

    // A doctored result is caught by both, with the place of the difference.
    let mut forged = v.clone();
    forged["result"]["assignments"][0]["inspectors"][0] = json!("I-friend");
    let bad = dir.path().join("forged.json");
    std::fs::write(&bad, forged.to_string()).expect("write");
    let b = bad.to_str().expect("path");
    let out = bin().args(["draw", "verify", b]).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MISMATCH") && err.contains("result.assignments[0].inspectors[0]"),
        "{err}"
    );
    let py = Command::new("python3")
        .args([root, b])
        .output()
        .expect("python3");
    assert!(!py.status.success());
    assert!(String::from_utf8_lossy(&py.stdout).contains("result.assignments[0].inspectors[0]"));
}
