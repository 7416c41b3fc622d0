//! `ppetrace backup` / `ppetrace restore`, with the real binary, on SQLite and
//! PostgreSQL: a backup taken while the server runs restores into a fresh data
//! directory / database where `ppetrace audit --local` passes, every acknowledged
//! write is present and codes verify as before; restore refuses to overwrite data
//! and refuses a backup of the other database kind.

use crate::serverproc;

use serde_json::{Value, json};
use serverproc::{place, wait_ready};

async fn backup_restore_audit(backend: store::Backend) {
    let (src, _dir, _guard) = place(backend).await;
    let out = src.run_ok(&["admin", "create-org", "--name", "operator", "--admin"]);
    let admin = out
        .lines()
        .find_map(|l| l.strip_prefix("api-key: "))
        .expect("api key printed")
        .to_string();
    let server = src.serve(&[]);
    let client = reqwest::Client::new();
    wait_ready(&client, &server.url("/healthz")).await;
    let genuine = seed(&client, &server.base, &admin).await;
    // An acknowledged write just before the backup.
    let r = client
        .post(server.url("/api/v1/organizations"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Written before the backup", "roles": ["distributor"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let org: Value = r.json().await.unwrap();
    let org_id = org["id"].as_i64().unwrap();

    // Online: the server keeps running while the backup is taken.
    let file = _dir.path().join("ppetrace.backup");
    let f = file.to_str().unwrap();
    let out = src.run_ok(&["backup", "--to", f]);
    assert!(out.starts_with("backup: "), "{out}");
    assert!(file.metadata().unwrap().len() > 0);
    assert!(!_dir.path().join("ppetrace.backup.partial").exists());
    let again = src.run(&["backup", "--to", f]);
    assert!(
        !again.status.success(),
        "an existing backup is never overwritten"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    let r = client.get(server.url("/healthz")).send().await.unwrap();
    assert!(
        r.status().is_success(),
        "server still serving after the backup"
    );
    drop(server);

    // Restore into a fresh place, then audit.
    let (dst, _dir2, _guard2) = place(backend).await;
    let out = dst.run_ok(&["restore", "--from", f]);
    assert!(out.contains("restored:"), "{out}");
    let audit = dst.run_ok(&["audit", "--local"]);
    assert!(audit.contains("audit passed"), "{audit}");
    let checked: u64 = audit
        .lines()
        .find_map(|l| l.strip_prefix("records checked against their log entries: "))
        .expect("count")
        .trim()
        .parse()
        .unwrap();
    assert!(checked > 10, "{audit}");
    let v: Value = serde_json::from_str(&dst.run_ok(&["verify", &genuine])).unwrap();
    assert_eq!(v["verdict"], "genuine", "{v}");

    // A second restore onto data is refused.
    let twice = dst.run(&["restore", "--from", f]);
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("--force"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
    // … unless forced; the result audits clean again.
    dst.run_ok(&["restore", "--force", "--from", f]);
    assert!(dst.run_ok(&["audit", "--local"]).contains("audit passed"));

    // The restored server answers with the write acknowledged before the backup.
    let server = dst.serve(&[]);
    let r = client
        .get(server.url(&format!("/api/v1/organizations/{org_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["name"], "Written before the backup");
    drop(server);

    // A backup of the other kind of database is refused with a clear message.
    let other = match backend {
        store::Backend::Sqlite => store::Backend::Postgres,
        store::Backend::Postgres => store::Backend::Sqlite,
    };
    let (wrong, _dir3, _guard3) = place(other).await;
    let out = wrong.run(&["restore", "--from", f]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("is not a"),
        "{err}"
    );
    // Not a backup at all.
    let junk = _dir.path().join("junk");
    std::fs::write(&junk, b"hello, not a database").unwrap();
    let out = wrong.run(&["restore", "--from", junk.to_str().unwrap()]);
    assert!(!out.status.success());
}

async fn post(c: &reqwest::Client, url: String, key: &str, body: Value) -> Value {
    let r = c
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let text = r.text().await.unwrap();
    assert!(s.is_success(), "{url}: {s} {text}");
    serde_json::from_str(&text).unwrap()
}

/// A manufacturer with a product, a certificate, a released batch of codes;
/// returns one code's Digital Link URI.
async fn seed(c: &reqwest::Client, base: &str, admin: &str) -> String {
    let p = "6901234";
    let org = post(c, format!("{base}/api/v1/organizations"), admin, json!({
        "name": "Maker", "roles": ["manufacturer"], "gln": testkit::with_check(&format!("{p}00000")), "company_prefixes": [p]})).await;
    let id = org["id"].as_i64().unwrap();
    let key = post(
        c,
        format!("{base}/api/v1/organizations/{id}/keys"),
        admin,
        json!({"label": "erp"}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let site = testkit::with_check(&format!("{p}00001"));
    post(
        c,
        format!("{base}/api/v1/organizations/{id}/sites"),
        &key,
        json!({"gln": site, "name": "Plant", "city": "Anshan"}),
    )
    .await;
    let gtin = testkit::with_check(&format!("0{p}00001"));
    post(c, format!("{base}/api/v1/products"), &key, json!({
        "gtin": gtin, "name": "Helmet", "category": "head", "standard": "GB 2811-2019", "service_life_months": 30})).await;
    post(
        c,
        format!("{base}/api/v1/certificates"),
        &key,
        json!({
        "gtin": gtin, "kind": "la_mark", "number": "23-01-000001", "issuer": "LA centre",
        "valid_from": "2025-01-01", "valid_until": "2028-12-31"}),
    )
    .await;
    let today = chrono::Utc::now().date_naive().to_string();
    let batch = post(
        c,
        format!("{base}/api/v1/batches"),
        &key,
        json!({"gtin": gtin, "lot": "L1", "production_date": today}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    post(
        c,
        format!("{base}/api/v1/batches/{batch}/codes"),
        &key,
        json!({"count": 20}),
    )
    .await;
    post(
        c,
        format!("{base}/api/v1/batches/{batch}/release"),
        &key,
        json!({"site_gln": site}),
    )
    .await;
    let csv = c
        .get(format!("{base}/api/v1/batches/{batch}/codes.csv"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv.lines().nth(1).expect("a code").to_string()
}

testkit::both_backends!(backup_restore_audit);
