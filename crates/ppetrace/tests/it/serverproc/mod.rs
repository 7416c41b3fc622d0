//! The real `ppetrace` binary as a child process: run a command, start `serve`,
//! capture everything it prints, SIGKILL it. Shared by crash.rs, backup.rs and
//! secrets.rs.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ppetrace");

/// Where a test's server keeps its data.
#[derive(Clone)]
pub struct Place {
    pub data_dir: std::path::PathBuf,
    pub db: Option<String>,
    pub env: Vec<(String, String)>,
}

impl Place {
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        // Nothing from the developer's environment.
        for (k, _) in std::env::vars() {
            if k.starts_with("PPETRACE_") {
                c.env_remove(k);
            }
        }
        c.arg("--data-dir").arg(&self.data_dir);
        if let Some(db) = &self.db {
            c.arg("--database-url").arg(db);
        }
        c.env("PPETRACE_LOG", "warn")
            .env("PPETRACE_LOG_INTERVAL_MS", "20");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run ppetrace")
    }

    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ppetrace {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Starts `serve` with `extra` arguments; returns once it prints its address.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut child = self
            .cmd()
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ppetrace serve");
        let output = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let o2 = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                o2.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        let base = loop {
            assert!(Instant::now() < deadline, "serve did not start");
            let Some(Ok(line)) = lines.next() else {
                panic!("serve exited before listening: {}", output.lock().unwrap());
            };
            output.lock().unwrap().push_str(&line);
            output.lock().unwrap().push('\n');
            if let Some((k, v)) = line.split_once(": ") {
                printed.push((k.to_string(), v.to_string()));
            }
            if let Some(url) = line.strip_prefix("listening: ") {
                break url.to_string();
            }
        };
        let o3 = output.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut o = o3.lock().unwrap();
                o.push_str(&line);
                o.push('\n');
            }
        });
        Server {
            child,
            base,
            printed,
            output,
        }
    }
}

pub struct Server {
    pub child: Child,
    pub base: String,
    /// `key: value` lines printed before `listening:`.
    pub printed: Vec<(String, String)>,
    /// Everything printed on stdout and stderr so far.
    pub output: Arc<Mutex<String>>,
}

impl Server {
    pub fn printed(&self, key: &str) -> String {
        self.printed
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no '{key}:' line in {:?}", self.printed))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A data directory and, on PostgreSQL, a fresh database (with a shared log key
/// file, as a PostgreSQL deployment configures).
pub async fn place(
    backend: store::Backend,
) -> (Place, tempfile::TempDir, Option<testkit::DbGuard>) {
    let dir = tempfile::tempdir().expect("tmp");
    match backend {
        store::Backend::Sqlite => (
            Place {
                data_dir: dir.path().join("data"),
                db: None,
                env: Vec::new(),
            },
            dir,
            None,
        ),
        store::Backend::Postgres => {
            let (url, guard) = testkit::fresh_url(backend).await;
            let key = app::log::generate_signing_key("ppetrace.local/log").expect("key");
            let path = dir.path().join("pg-log.key");
            std::fs::write(&path, key).expect("write key");
            (
                Place {
                    data_dir: dir.path().join("data"),
                    db: Some(url),
                    env: vec![("PPETRACE_LOG_KEY_FILE".into(), path.display().to_string())],
                },
                dir,
                Some(guard),
            )
        }
    }
}

/// Waits until `GET base/path` answers 2xx.
pub async fn wait_ready(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
