//! ppetrace in a real browser: starts `ppetrace serve --demo` (fresh data
//! directory, random port) and runs `tests/browser/run.mjs` — Debian's chromium
//! driven by npm `playwright-core` — against it: verify a genuine and a fake code,
//! submit a fraud report and return with the receipt, log in as a manufacturer and
//! issue codes, switch the language; a case handler reads a report submitted through
//! the public form by loading their age identity in the browser; an inspector signs
//! a record with their key file in the browser and the server accepts it (the test
//! first publishes and runs a draw assigning the demo inspector, with the demo's
//! regulator key). Failing scenarios leave screenshots in
//! `target/browser-screenshots/`.
//!
//! Needs `node`/`npm` and `/usr/bin/chromium` (`PPETRACE_CHROMIUM` overrides);
//! `.ci/run` installs them. In CI (`CI` set) their absence fails the test; elsewhere
//! the test says loudly that it did not run.

use crate::serverproc;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn split_login(line: &str) -> (String, String) {
    let (u, p) = line.split_once(' ').expect("'username password'");
    (u.to_string(), p.to_string())
}

async fn api(client: &reqwest::Client, base: &str, key: &str, path: &str, body: Value) -> Value {
    let r = client
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {v}");
    v
}

/// As the demo regulator: an item list, one class-A target in the demo inspector's
/// region, a second inspector, and a draw run before its window, so that `DEMO-I1`
/// is assigned to the target.
/// The window opens at the next whole minute at least 15 s away (the console's
/// time fields have minutes); returns that time, RFC 3339.
async fn inspection_draw(base: &str, key: &str) -> String {
    let c = reqwest::Client::new();
    api(
        &c,
        base,
        key,
        "/api/v1/item-lists",
        json!({
            "code": "BROWSER", "title": "Browser test checklist",
            "items": [{"code": "helmets", "text": "Helmets carry valid codes"}]
        }),
    )
    .await;
    api(
        &c,
        base,
        key,
        "/api/v1/inspection-targets",
        json!({
            "code": "BT-1", "name": "Browser test works", "risk_class": "A", "region": "Wuhan"
        }),
    )
    .await;
    // Two inspectors visit each target: the demo's and a second one (RFC 8032 test
    // key 1; it never signs here).
    api(
        &c,
        base,
        key,
        "/api/v1/inspectors",
        json!({
            "code": "BT-I2", "name": "Second inspector", "region": "Wuhan", "affiliations": [],
            "public_key": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        }),
    )
    .await;
    let now = chrono::Utc::now().timestamp() + 15;
    let start = chrono::DateTime::from_timestamp(now - now % 60 + 60, 0).expect("time");
    let secret = format!("browser test {now}");
    let d = api(
        &c,
        base,
        key,
        "/api/v1/draws",
        json!({
            "plan_id": "browser-test", "item_list": "BROWSER",
            "quotas": [{"class": "A", "fraction_bp": 10000, "minimum": 1}],
            "inspectors_per_target": 2,
            "window_start": start.to_rfc3339(),
            "window_end": (start + chrono::Duration::hours(1)).to_rfc3339(),
            "beacon_round": null,
            "contribution_commitments": [draw::canonical::sha256_hex(secret.as_bytes())]
        }),
    )
    .await;
    let id = d["id"].as_i64().expect("draw id");
    api(
        &c,
        base,
        key,
        &format!("/api/v1/draws/{id}/seed"),
        json!({"beacon": null, "reveals": [secret]}),
    )
    .await;
    api(&c, base, key, &format!("/api/v1/draws/{id}/run"), json!({})).await;
    start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_scenarios() {
    let chromium =
        std::env::var("PPETRACE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<&str> = [
        (!Path::new(&chromium).exists())
            .then_some("chromium (apt-get install chromium fonts-noto-cjk)"),
        (!have("node", "--version")).then_some("node (apt-get install nodejs)"),
        (!have("npm", "--version")).then_some("npm (apt-get install npm)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "browser tests need {}; CI must install them (.ci/run)",
            missing.join(", ")
        );
        eprintln!("BROWSER TESTS NOT RUN: missing {}", missing.join(", "));
        return;
    }

    let root = workspace_root();
    let project = root.join("tests/browser");
    if !project.join("node_modules/playwright-core").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&project)
            .output()
            .expect("run npm ci");
        assert!(
            out.status.success(),
            "npm ci failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (place, _dir, _guard) = serverproc::place(store::Backend::Sqlite).await;
    let server = place.serve(&["--demo"]);
    let login = server.printed("manufacturer-login");
    let (user, password) = login.split_once(' ').expect("'username password'");
    let inspect_at = inspection_draw(&server.base, &server.printed("regulator-key")).await;
    let (handler, handler_pw) = split_login(&server.printed("case-handler-login"));
    let (inspector, inspector_pw) = split_login(&server.printed("inspector-login"));
    let shots = root.join("target/browser-screenshots");
    let out = Command::new("node")
        .arg(project.join("run.mjs"))
        .arg(&server.base)
        .args(["--genuine", &server.printed("genuine")])
        .args(["--fake", &server.printed("fake")])
        .args(["--user", user, "--password", password])
        .args(["--handler", &handler, "--handler-password", &handler_pw])
        .args([
            "--handler-identity",
            &server.printed("case-handler-key-file"),
        ])
        .args([
            "--inspector",
            &inspector,
            "--inspector-password",
            &inspector_pw,
        ])
        .args(["--inspector-key", &server.printed("inspector-key-file")])
        .args(["--inspect-at", &inspect_at])
        .arg("--screenshots")
        .arg(&shots)
        .args(["--chromium", &chromium])
        .current_dir(&root)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser scenarios failed (screenshots in {}):\n{stdout}\n{}\nserver output:\n{}",
        shots.display(),
        String::from_utf8_lossy(&out.stderr),
        server.output.lock().unwrap()
    );
    for name in [
        "verify-genuine",
        "verify-fake",
        "fraud-report-and-receipt",
        "manufacturer-issues-codes",
        "switch-language",
        "case-handler-reads-report",
        "inspector-signs-in-browser",
    ] {
        assert!(
            stdout.contains(&format!("ok {name}")),
            "scenario {name} did not pass:\n{stdout}"
        );
    }
}
