//! `ppetrace audit` against a real server and database, on SQLite and
//! PostgreSQL: a clean log passes; a record edited with raw SQL is named by
//! `audit --local`; rewritten or truncated log entries fail `audit --url`
//! against a previously trusted checkpoint.

use std::process::{Command, Output};

use testkit::{DbGuard, TestApp, both_backends, spawn_app};

const BIN: &str = env!("CARGO_BIN_EXE_ppetrace");

fn db_url(t: &TestApp) -> String {
    match &t.guard {
        DbGuard::Sqlite(dir) => format!("sqlite://{}", dir.path().join("ppetrace.db").display()),
        DbGuard::Postgres { admin_url, name } => testkit::with_database(admin_url, name),
    }
}

fn ppetrace(t: &TestApp, data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--database-url")
        .arg(db_url(t))
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PPETRACE_CONFIG")
        .env_remove("PPETRACE_LOG_KEY_FILE")
        .env("PPETRACE_LOG", "error")
        .args(args)
        .output()
        .expect("run ppetrace")
}

fn checked(out: &str) -> u64 {
    out.lines()
        .find_map(|l| l.strip_prefix("records checked against their log entries: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn sql(t: &TestApp, statements: &str) {
    match &t.guard {
        DbGuard::Sqlite(dir) => {
            let c = rusqlite::Connection::open(dir.path().join("ppetrace.db")).expect("open");
            c.execute_batch(statements).expect("raw sql");
        }
        DbGuard::Postgres { admin_url, name } => {
            let (c, conn) = tokio_postgres::connect(
                &testkit::with_database(admin_url, name),
                tokio_postgres::NoTls,
            )
            .await
            .expect("connect");
            tokio::spawn(conn);
            c.batch_execute(statements).await.expect("raw sql");
        }
    }
}

async fn add_org(t: &TestApp, name: &str) {
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            serde_json::json!({"name": name, "roles": [], "city": "Anshan"}),
        )
        .await;
    assert!(r.status().is_success());
}

async fn audit_detects_edits_and_rewrites(b: store::Backend) {
    let t = spawn_app(b).await;
    let work = tempfile::tempdir().expect("tmp");
    for i in 0..300 {
        add_org(&t, &format!("maker {i}")).await;
    }
    t.app.sequence_log().await.expect("sequence");
    let key = t.app.log.verifier_key().expect("key");
    let trusted = work.path().join("trusted.checkpoint");
    let trusted_s = trusted.to_str().expect("utf8");

    // A clean log passes from scratch and records the trusted checkpoint.
    let o = ppetrace(
        &t,
        work.path(),
        &[
            "audit",
            "--url",
            &t.base,
            "--key",
            &key,
            "--trusted-checkpoint",
            trusted_s,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit passed"));
    assert!(trusted.exists());
    let o = ppetrace(&t, work.path(), &["audit", "--local"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(checked(&text(&o)) >= 301, "{}", text(&o));

    // The log grows; the audit stays consistent with the trusted checkpoint.
    add_org(&t, "late maker").await;
    t.app.sequence_log().await.expect("sequence");
    let o = ppetrace(
        &t,
        work.path(),
        &[
            "audit",
            "--url",
            &t.base,
            "--key",
            &key,
            "--trusted-checkpoint",
            trusted_s,
            "--new-entries-only",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("consistent with the trusted checkpoint of size "),
        "{}",
        text(&o)
    );
    // Incremental: the full tile of the first 256 entries came from the cache and
    // only the entries after the trusted checkpoint were fetched again.
    assert!(text(&o).contains("1 from the cache"), "{}", text(&o));
    assert!(
        text(&o).contains("entries already verified under the trusted checkpoint"),
        "{}",
        text(&o)
    );

    // A record edited behind the platform's back is named.
    sql(
        &t,
        "UPDATE organizations SET name = 'forged maker' WHERE name = 'maker 7'",
    )
    .await;
    let o = ppetrace(&t, work.path(), &["audit", "--local"]);
    assert!(!o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("organization org=") && out.contains("was edited after it was logged"),
        "{out}"
    );
    assert_eq!(out.matches("FAILED:").count(), 1, "{out}");

    // A wrong key is refused.
    let other = app::log::generate_signing_key("ppetrace.local/log").expect("key");
    let other_v = signed_note::Signer::from_str_key(&other);
    let o = ppetrace(
        &t,
        work.path(),
        &["audit", "--url", &t.base, "--key", &other_v],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("does not verify"), "{}", text(&o));

    // An entry rewritten in place no longer matches the tiles.
    let rewrite = match b {
        store::Backend::Sqlite => {
            "UPDATE log_entries SET body = CAST(body || body AS BLOB) WHERE seq = 5"
        }
        store::Backend::Postgres => "UPDATE log_entries SET body = body || body WHERE seq = 5",
    };
    sql(&t, rewrite).await;
    let o = ppetrace(
        &t,
        work.path(),
        &[
            "audit",
            "--url",
            &t.base,
            "--key",
            &key,
            "--trusted-checkpoint",
            trusted_s,
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("entry bundle tile/entries/000 does not match"),
        "{}",
        text(&o)
    );
    let o = ppetrace(&t, work.path(), &["audit", "--local"]);
    assert!(
        text(&o).contains("do not hash to the signed checkpoint root"),
        "{}",
        text(&o)
    );

    // History truncated and rebuilt (even re-signed with the real key) is
    // inconsistent with the trusted checkpoint.
    sql(&t, "DELETE FROM log_entries WHERE seq >= 100; DELETE FROM log_hashes; DELETE FROM log_checkpoints;").await;
    for i in 0..250 {
        add_org(&t, &format!("rewritten {i}")).await;
    }
    t.app.sequence_log().await.expect("sequence");
    let o = ppetrace(
        &t,
        work.path(),
        &[
            "audit",
            "--url",
            &t.base,
            "--key",
            &key,
            "--trusted-checkpoint",
            trusted_s,
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("not consistent with the trusted checkpoint of size "),
        "{}",
        text(&o)
    );
}

trait KeyString {
    fn from_str_key(s: &str) -> String;
}
impl KeyString for signed_note::Signer {
    fn from_str_key(s: &str) -> String {
        use std::str::FromStr;
        signed_note::Signer::from_str(s)
            .expect("signer")
            .verifier()
            .to_key_string()
    }
}

/// `audit --local` recomputes API keys, code issuances and events, not only the
/// registry: a swapped key secret, a replaced or deleted serial and an edited event
/// body are each named.
async fn audit_local_recomputes_keys_codes_and_events(b: store::Backend) {
    let t = spawn_app(b).await;
    let work = tempfile::tempdir().expect("tmp");
    let maker = testkit::register_maker(&t, "6901234", "Audited maker").await;
    testkit::issue_codes(&t, &maker, 40).await;
    testkit::release(&t, &maker).await;
    t.app.sequence_log().await.expect("sequence");

    let o = ppetrace(&t, work.path(), &["audit", "--local"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for kind in ["api_key", "code_issuance", "event"] {
        assert!(
            !out.contains(&format!("not recomputed (kind {kind})")),
            "{kind} should be recomputed: {out}"
        );
    }

    // An operator swaps a key's secret hash to act as that organization.
    sql(
        &t,
        "UPDATE api_keys SET secret_sha256 = 'aa' || substr(secret_sha256, 3) \
         WHERE id = (SELECT max(id) FROM api_keys)",
    )
    .await;
    let out = text(&ppetrace(&t, work.path(), &["audit", "--local"]));
    assert!(
        out.contains("api_key api_key=") && out.contains("was edited after it was logged"),
        "{out}"
    );

    // A serial replaced by another (a counterfeiter's code made "genuine").
    sql(
        &t,
        "UPDATE codes SET serial = 'FORGED0000000000000' \
         WHERE serial = (SELECT min(serial) FROM codes)",
    )
    .await;
    let out = text(&ppetrace(&t, work.path(), &["audit", "--local"]));
    assert!(
        out.contains("no longer hash to the logged root (codes replaced)"),
        "{out}"
    );

    // A serial deleted.
    sql(&t, "DELETE FROM codes WHERE serial = 'FORGED0000000000000'").await;
    let out = text(&ppetrace(&t, work.path(), &["audit", "--local"]));
    assert!(
        out.contains("39 codes stored but 40 issued in the log"),
        "{out}"
    );

    // The release event's body edited (e.g. its time moved).
    sql(
        &t,
        "UPDATE events SET body = replace(body, '\"eventTime\":\"20', '\"eventTime\":\"19') \
         WHERE id = (SELECT max(id) FROM events)",
    )
    .await;
    let o = ppetrace(&t, work.path(), &["audit", "--local"]);
    let out = text(&o);
    assert!(!o.status.success());
    assert!(
        out.contains("log entry") && out.contains("event event=") && out.contains("was edited"),
        "{out}"
    );
}

both_backends!(
    audit_detects_edits_and_rewrites,
    audit_local_recomputes_keys_codes_and_events
);
