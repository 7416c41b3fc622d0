//! Crash safety of the tamper-evident log: the real `ppetrace serve` binary is
//! written to continuously through the API, SIGKILLed, restarted; the first
//! checkpoint after the restart must be consistent with the last one seen
//! before the kill, signed by the same key, and cover every acknowledged write.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use signed_note::Verifier;
use tlog::{Checkpoint, Hash};

const BIN: &str = env!("CARGO_BIN_EXE_ppetrace");

fn base_cmd(
    data_dir: &std::path::Path,
    db: Option<&str>,
    key_file: Option<&std::path::Path>,
) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data_dir);
    if let Some(db) = db {
        c.arg("--database-url").arg(db);
    }
    c.env_remove("PPETRACE_CONFIG")
        .env_remove("PPETRACE_DATABASE_URL")
        .env("PPETRACE_LOG_INTERVAL_MS", "20")
        .env("PPETRACE_LOG", "warn");
    match key_file {
        Some(k) => c.env("PPETRACE_LOG_KEY_FILE", k),
        None => c.env_remove("PPETRACE_LOG_KEY_FILE"),
    };
    c
}

fn serve(
    data_dir: &std::path::Path,
    db: Option<&str>,
    key_file: Option<&std::path::Path>,
) -> (Child, String) {
    let mut child = base_cmd(data_dir, db, key_file)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ppetrace serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("serve printed its address")
            .expect("read");
        if let Some(url) = line.strip_prefix("listening: ") {
            break url.to_string();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

async fn checkpoint(client: &reqwest::Client, base: &str, v: &Verifier) -> Option<Checkpoint> {
    let r = client
        .get(format!("{base}/log/checkpoint"))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    let body = r.bytes().await.ok()?;
    let (cp, _, _) = Checkpoint::open(&body, "ppetrace.local/log", std::slice::from_ref(v))
        .expect("checkpoint signed by the log key");
    Some(cp)
}

async fn key(client: &reqwest::Client, base: &str) -> Verifier {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{base}/log/key")).send().await
            && r.status().is_success()
        {
            return Verifier::from_str(r.text().await.expect("text").trim()).expect("key");
        }
        assert!(Instant::now() < deadline, "server did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes organizations until `stop`, counting acknowledged writes.
fn writer(
    client: reqwest::Client,
    base: String,
    admin_key: String,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut i = 0u64;
        while !stop.load(Ordering::SeqCst) {
            i += 1;
            let r = client
                .post(format!("{base}/api/v1/organizations"))
                .bearer_auth(&admin_key)
                .json(&serde_json::json!({"name": format!("crash org {i}"), "roles": []}))
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                Ok(r) => panic!("write refused: {}", r.status()),
                Err(_) => return, // the server died under us
            }
        }
    })
}

async fn crash_and_restart(backend: store::Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, _guard, key_file) = match backend {
        store::Backend::Sqlite => (None, None, None),
        store::Backend::Postgres => {
            let (url, guard) = testkit::fresh_url(backend).await;
            let key = app::log::generate_signing_key("ppetrace.local/log").expect("key");
            let path = dir.path().join("pg-log.key");
            std::fs::write(&path, key).expect("write key");
            (Some(url), Some(guard), Some(path))
        }
    };
    let out = base_cmd(dir.path(), db.as_deref(), key_file.as_deref())
        .args(["admin", "create-org", "--name", "operator", "--admin"])
        .output()
        .expect("admin create-org");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let admin_key = text
        .lines()
        .find_map(|l| l.strip_prefix("api-key: "))
        .expect("api key printed")
        .to_string();

    let client = reqwest::Client::new();
    let (mut child, base) = serve(dir.path(), db.as_deref(), key_file.as_deref());
    let v = key(&client, &base).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let w = writer(
        client.clone(),
        base.clone(),
        admin_key.clone(),
        stop.clone(),
        acked.clone(),
    );

    // Watch checkpoints grow while writes keep coming.
    let mut last: Option<Checkpoint> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    while last.as_ref().is_none_or(|c| c.size < 40) {
        assert!(
            Instant::now() < deadline,
            "checkpoints did not grow: {last:?}"
        );
        if let Some(cp) = checkpoint(&client, &base, &v).await {
            if let Some(prev) = &last {
                assert!(cp.size >= prev.size);
            }
            last = Some(cp);
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let before = last.expect("a checkpoint before the kill");
    // SIGKILL in the middle of the write stream.
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    stop.store(true, Ordering::SeqCst);
    let _ = w.await;
    let acked_before_kill = acked.load(Ordering::SeqCst);

    let (mut child, base) = serve(dir.path(), db.as_deref(), key_file.as_deref());
    let v2 = key(&client, &base).await;
    assert_eq!(
        v2.to_key_string(),
        v.to_key_string(),
        "same log key after restart"
    );
    // More writes after the restart.
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(
        client.clone(),
        base.clone(),
        admin_key.clone(),
        stop.clone(),
        acked.clone(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let _ = w.await;
    let total_acked = acked.load(Ordering::SeqCst);
    assert!(total_acked > acked_before_kill, "writes after the restart");

    // Wait until every acknowledged write (plus the operator org and key) is
    // covered by a signed checkpoint.
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        if let Some(cp) = checkpoint(&client, &base, &v).await
            && cp.size >= total_acked + 2
        {
            break cp;
        }
        assert!(
            Instant::now() < deadline,
            "acknowledged writes never sequenced"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    assert!(after.size > before.size);
    let r = client
        .get(format!(
            "{base}/log/consistency?old={}&new={}",
            before.size, after.size
        ))
        .send()
        .await
        .expect("consistency");
    assert!(r.status().is_success());
    let c: serde_json::Value = r.json().await.expect("json");
    let proof: Vec<Hash> = c["proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| Hash::from_base64(h.as_str().expect("str")).expect("b64"))
        .collect();
    tlog::verify_consistency(before.size, after.size, &before.root, &after.root, &proof)
        .expect("checkpoint after the crash extends the one before");
    child.kill().expect("kill");
    let _ = child.wait();
    if backend == store::Backend::Sqlite {
        let meta = std::fs::metadata(dir.path().join("log-signing.key")).expect("generated key");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_log_survives_sigkill() {
    crash_and_restart(store::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_log_survives_sigkill() {
    crash_and_restart(store::Backend::Postgres).await;
}
