//! ppetrace in a real browser: starts `ppetrace serve --demo` (fresh data
//! directory, random port) and runs `tests/browser/run.mjs` — Debian's chromium
//! driven by npm `playwright-core` — against it: verify a genuine and a fake code,
//! submit a fraud report and return with the receipt, log in as a manufacturer and
//! issue codes, switch the language. Failing scenarios leave screenshots in
//! `target/browser-screenshots/`.
//!
//! Needs `node`/`npm` and `/usr/bin/chromium` (`PPETRACE_CHROMIUM` overrides);
//! `.ci/run` installs them. In CI (`CI` set) their absence fails the test; elsewhere
//! the test says loudly that it did not run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serverproc;

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let shots = root.join("target/browser-screenshots");
    let out = Command::new("node")
        .arg(project.join("run.mjs"))
        .arg(&server.base)
        .args(["--genuine", &server.printed("genuine")])
        .args(["--fake", &server.printed("fake")])
        .args(["--user", user, "--password", password])
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
    ] {
        assert!(
            stdout.contains(&format!("ok {name}")),
            "scenario {name} did not pass:\n{stdout}"
        );
    }
}
