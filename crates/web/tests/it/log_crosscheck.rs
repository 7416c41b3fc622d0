//! Cross-implementation check: Go's `golang.org/x/mod/sumdb/note` and
//! `sumdb/tlog` verify ppetrace's checkpoint signature and an inclusion proof
//! (`scripts/crosscheck/run.sh`). Needs `go` with Debian's
//! `golang-golang-x-mod-dev`; without Go the test fails when `CI` is set and
//! otherwise says why it did nothing.

use std::process::Command;

use serde_json::Value;
use testkit::{both_backends, spawn_app};

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        && std::path::Path::new("/usr/share/gocode/src/golang.org/x/mod/sumdb/note").exists()
}

async fn go_verifies_checkpoint_and_inclusion(b: store::Backend) {
    if !go_available() {
        let msg = "Go cross-check skipped: install apt packages golang-go golang-golang-x-mod-dev";
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (CI is set, so this is a failure)");
        }
        eprintln!("{msg}");
        return;
    }
    let t = spawn_app(b).await;
    for i in 0..40 {
        let r = t
            .post(
                "/api/v1/organizations",
                Some(&t.admin_key),
                serde_json::json!({"name": format!("org {i}"), "roles": []}),
            )
            .await;
        assert!(r.status().is_success());
    }
    t.app.sequence_log().await.expect("sequence");
    let dir = Tmp(std::env::temp_dir().join(format!(
        "ppetrace-crosscheck-{}-{}",
        std::process::id(),
        b.as_str()
    )));
    std::fs::create_dir_all(dir.path()).expect("tmp dir");
    let key = t.app.log.verifier_key().expect("key");
    let cp = t
        .get("/log/checkpoint", None)
        .await
        .bytes()
        .await
        .expect("checkpoint");
    std::fs::write(dir.path().join("checkpoint"), &cp).expect("write");
    for index in [0u64, 17, 41] {
        let p: Value = t
            .get(&format!("/log/proof/{index}"), None)
            .await
            .json()
            .await
            .expect("proof");
        let entry = t
            .get(&format!("/log/entry/{index}"), None)
            .await
            .bytes()
            .await
            .expect("entry");
        std::fs::write(dir.path().join("entry"), &entry).expect("write");
        let proof: Vec<&str> = p["proof"]
            .as_array()
            .expect("proof")
            .iter()
            .filter_map(|h| h.as_str())
            .collect();
        std::fs::write(dir.path().join("proof"), proof.join("\n")).expect("write");
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/crosscheck/run.sh"
        );
        let out = Command::new("sh")
            .arg(script)
            .arg(&key)
            .arg(dir.path().join("checkpoint"))
            .arg(dir.path().join("entry"))
            .arg(index.to_string())
            .arg(dir.path().join("proof"))
            .output()
            .expect("run crosscheck");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "Go rejected ppetrace's log: {text}");
        assert!(text.contains(&format!("entry {index} included")), "{text}");
    }
    // And Go rejects a wrong proof (the check can fail).
    std::fs::write(dir.path().join("entry"), b"forged\n").expect("write");
    let out = Command::new("sh")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/crosscheck/run.sh"
        ))
        .arg(&key)
        .arg(dir.path().join("checkpoint"))
        .arg(dir.path().join("entry"))
        .arg("41")
        .arg(dir.path().join("proof"))
        .output()
        .expect("run crosscheck");
    assert!(!out.status.success());
}

both_backends!(go_verifies_checkpoint_and_inclusion);

struct Tmp(std::path::PathBuf);
impl Tmp {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
