//! Headers and secrets, with the real binary.
//!
//! - Security headers on every answer (CSP with `frame-ancestors 'none'`, nosniff,
//!   no referrer); `Strict-Transport-Security` only when configured (`PPETRACE_HSTS`
//!   or `hsts = true` in the file), never by default (localhost is plain HTTP).
//! - Secrets are read from files or the environment (`PPETRACE_DATABASE_URL_FILE`,
//!   `PPETRACE_LOG_KEY_FILE`, `PPETRACE_ANSWER_KEY_FILE`), and none of them — the
//!   admin API key, a wrong key sent in a failed authentication, the database
//!   password, the log signing key, the answer signing key — appears anywhere in what
//!   the server and the CLI print at TRACE log level.

use crate::serverproc;

use serde_json::json;
use serverproc::{Place, wait_ready};

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'";

fn sqlite_place(dir: &std::path::Path) -> Place {
    Place {
        data_dir: dir.join("data"),
        db: None,
        env: Vec::new(),
    }
}

async fn headers_of(place: &Place) -> reqwest::header::HeaderMap {
    let server = place.serve(&[]);
    let c = reqwest::Client::new();
    wait_ready(&c, &server.url("/healthz")).await;
    let mut all = Vec::new();
    for path in ["/", "/healthz", "/api/v1/organizations", "/no/such/page"] {
        all.push(
            c.get(server.url(path))
                .send()
                .await
                .unwrap()
                .headers()
                .clone(),
        );
    }
    // Every answer carries the same security headers.
    for h in &all[1..] {
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "referrer-policy",
            "strict-transport-security",
        ] {
            assert_eq!(h.get(name), all[0].get(name), "{name}");
        }
    }
    all.swap_remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_and_the_hsts_option() {
    let dir = tempfile::tempdir().unwrap();
    let mut place = sqlite_place(dir.path());

    let h = headers_of(&place).await;
    assert_eq!(h["content-security-policy"], CSP);
    assert!(CSP.contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS by default"
    );

    place.env = vec![("PPETRACE_HSTS".into(), "true".into())];
    let h = headers_of(&place).await;
    assert_eq!(
        h["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    assert_eq!(h["content-security-policy"], CSP);

    // The same from the configuration file; the environment overrides the file.
    let file = dir.path().join("ppetrace.toml");
    std::fs::write(&file, "hsts = true\n").unwrap();
    place.env = vec![("PPETRACE_CONFIG".into(), file.display().to_string())];
    let h = headers_of(&place).await;
    assert!(h.get("strict-transport-security").is_some());
    place.env.push(("PPETRACE_HSTS".into(), "false".into()));
    let h = headers_of(&place).await;
    assert!(h.get("strict-transport-security").is_none());

    // A wrong value is a clear error, not a silent default.
    place.env = vec![("PPETRACE_HSTS".into(), "sometimes".into())];
    let out = place.run(&["serve", "--addr", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PPETRACE_HSTS must be true or false"), "{err}");
}

fn contains(hay: &str, needle: &str) -> bool {
    !needle.is_empty() && hay.contains(needle)
}

async fn secrets_stay_out_of_logs(backend: store::Backend) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut secrets: Vec<(&str, String)> = Vec::new();

    // The log signing key and the answer signing key, from files.
    let log_key = app::log::generate_signing_key("ppetrace.local/log").unwrap();
    let log_key_file = d.join("log.key");
    std::fs::write(&log_key_file, &log_key).unwrap();
    secrets.push(("log signing key", log_key.clone()));
    // `PRIVATE+KEY+<name>+<key id>+<base64>`: the material is the fifth field,
    // which may itself contain `+` (base64), so not simply the text after the last one.
    secrets.push((
        "log signing key material",
        log_key.splitn(5, '+').nth(4).unwrap().to_string(),
    ));
    let seed: String = (0..32).map(|i| format!("{:02x}", 0xa0 + i)).collect();
    let answer_key_file = d.join("answer.key");
    std::fs::write(&answer_key_file, &seed).unwrap();
    secrets.push(("answer signing key", seed));

    // The database URL, from a file; on PostgreSQL with a password (the test
    // server trusts local connections, so any password is accepted and never used).
    let (url, _guard) = testkit::fresh_url(backend).await;
    let password = format!("Pw-{}-secret", std::process::id());
    let url = match backend {
        store::Backend::Postgres => {
            secrets.push(("database password", password.clone()));
            url.replacen(
                "postgres://postgres@",
                &format!("postgres://postgres:{password}@"),
                1,
            )
        }
        store::Backend::Sqlite => url,
    };
    let url_file = d.join("database-url");
    std::fs::write(&url_file, format!("{url}\n")).unwrap();

    let place = Place {
        data_dir: d.join("data"),
        db: None,
        env: vec![
            (
                "PPETRACE_DATABASE_URL_FILE".into(),
                url_file.display().to_string(),
            ),
            (
                "PPETRACE_LOG_KEY_FILE".into(),
                log_key_file.display().to_string(),
            ),
            (
                "PPETRACE_ANSWER_KEY_FILE".into(),
                answer_key_file.display().to_string(),
            ),
            ("PPETRACE_LOG".into(), "trace".into()),
        ],
    };
    let mut printed = String::new();
    let out = place.run(&["admin", "create-org", "--name", "operator", "--admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    // The CLI shows a new key once, on standard output, by design; it must not be
    // in its logs (standard error).
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    let admin_key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("api-key: "))
        .expect("api key printed")
        .to_string();
    secrets.push(("admin API key", admin_key.clone()));
    secrets.push((
        "admin API key secret part",
        admin_key.rsplit('_').next().unwrap().to_string(),
    ));
    let wrong = format!("ppt_{}", "Z".repeat(40));
    secrets.push(("wrong key of a failed authentication", wrong.clone()));

    let server = place.serve(&[]);
    let c = reqwest::Client::new();
    wait_ready(&c, &server.url("/healthz")).await;
    // A failed authentication, a malformed header, then work with the right key.
    let r = c
        .post(server.url("/api/v1/organizations"))
        .bearer_auth(&wrong)
        .json(&json!({"name": "x", "roles": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(server.url("/events"))
        .header("authorization", format!("Basic {admin_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(server.url("/api/v1/organizations"))
        .bearer_auth(&admin_key)
        .json(&json!({"name": "Maker", "roles": ["manufacturer"], "company_prefixes": ["6901234"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = c
        .post(server.url(&format!("/api/v1/organizations/{id}/keys")))
        .bearer_auth(&admin_key)
        .json(&json!({"label": "erp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let maker_key = r.json::<serde_json::Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    secrets.push(("a new organization's key", maker_key.clone()));
    for path in [
        "/api/v1/verify?code=(01)06901234000016(21)ABC",
        "/log/checkpoint",
        "/log/key",
        "/.well-known/ppetrace-answer-key",
    ] {
        let r = c
            .get(server.url(path))
            .bearer_auth(&maker_key)
            .send()
            .await
            .unwrap();
        assert!(!r.status().is_server_error(), "{path}");
    }
    // Give the sequencer a moment to sign a checkpoint (it logs at TRACE).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut server = server;
    server.kill();
    // The output threads drain what the killed child wrote.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let server_output = server.output.lock().unwrap().clone();
    // Its logs were captured (at TRACE: everything any crate emits).
    assert!(
        server_output.contains("ppetrace serving"),
        "{server_output}"
    );
    printed.push_str(&server_output);

    // The CLI at TRACE, including failures that name the database.
    for args in [
        vec!["audit", "--local"],
        vec!["verify", "(01)06901234000016(21)ABC"],
    ] {
        let out = place.run(&args);
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let mut unreachable = place.clone();
    let bad_url = format!("postgres://postgres:{password}@127.0.0.1:1/nowhere");
    unreachable
        .env
        .retain(|(k, _)| k != "PPETRACE_DATABASE_URL_FILE");
    unreachable
        .env
        .push(("PPETRACE_DATABASE_URL".into(), bad_url));
    let out = unreachable.run(&["audit", "--local"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("127.0.0.1:1"),
        "the error names the database: {err}"
    );
    assert!(!contains(&err, &password), "password in error: {err}");
    printed.push_str(&err);

    assert!(
        printed.len() > 300,
        "output was captured: {} bytes",
        printed.len()
    );
    for (what, secret) in &secrets {
        assert!(
            !contains(&printed, secret),
            "the {what} appears in the output"
        );
    }

    // Nor in the database: API keys are stored as SHA-256 of their secret.
    let stored = database_text(&_guard).await;
    assert!(stored.len() > 1000, "database read: {} bytes", stored.len());
    assert!(contains(&stored, "Maker"), "the database holds the records");
    for (what, secret) in &secrets {
        assert!(
            !contains(&stored, secret),
            "the {what} is stored in the database"
        );
    }
}

/// Every byte of the database: SQLite's files, or every PostgreSQL row as text.
async fn database_text(guard: &testkit::DbGuard) -> String {
    match guard {
        testkit::DbGuard::Sqlite(dir) => {
            let mut all = Vec::new();
            for e in std::fs::read_dir(dir.path()).unwrap() {
                all.extend(std::fs::read(e.unwrap().path()).unwrap_or_default());
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        testkit::DbGuard::Postgres { admin_url, name } => {
            let url = testkit::with_database(admin_url, name);
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut all = String::new();
            for t in c
                .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'", &[])
                .await
                .unwrap()
            {
                let t: String = t.get(0);
                for r in c.query(&format!("SELECT x::text FROM \"{t}\" x"), &[]).await.unwrap() {
                    all.push_str(&r.get::<_, String>(0));
                    all.push('\n');
                }
            }
            all
        }
    }
}

testkit::both_backends!(secrets_stay_out_of_logs);
