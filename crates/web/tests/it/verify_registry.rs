//! The public verification answer shows a registry change (product, manufacturer,
//! certificate, issuer status) on the very next look-up, whether it was made through
//! the API or by plain SQL behind the server's back, on SQLite and PostgreSQL (the
//! server keeps these facts in memory; see `store::regcache`).

use reqwest::StatusCode;
use serde_json::json;
use testkit::{
    DbGuard, TestApp, both_backends, issue_codes, register_maker, release, spawn_app, verdict,
};

/// Runs SQL on the server's database from a connection of its own.
async fn sql(t: &TestApp, statements: &str) {
    match &t.guard {
        DbGuard::Sqlite(dir) => {
            let c = rusqlite::Connection::open(dir.path().join("ppetrace.db")).expect("open");
            c.busy_timeout(std::time::Duration::from_secs(10))
                .expect("timeout");
            c.execute_batch(statements).expect("raw sql");
        }
        DbGuard::Postgres { admin_url, name } => {
            let (c, conn) = tokio_postgres::connect(
                &testkit::with_database(admin_url, name),
                tokio_postgres::NoTls,
            )
            .await
            .expect("connect");
            let task = tokio::spawn(conn);
            c.batch_execute(statements).await.expect("raw sql");
            drop(c);
            task.await.expect("join").expect("connection");
        }
    }
}

fn cert_statuses(v: &serde_json::Value) -> Vec<(String, String)> {
    v["certificates"]
        .as_array()
        .expect("certificates")
        .iter()
        .map(|c| {
            (
                c["number"].as_str().expect("number").to_string(),
                c["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

async fn registry_changes_show_on_the_next_verification(b: store::Backend) {
    let t = spawn_app(b).await;
    let m = register_maker(&t, "6901234", "Helmet maker").await;
    let codes = issue_codes(&t, &m, 3).await;
    release(&t, &m).await;
    let number = "23-01-901234".to_string();
    for code in [&codes[0], &codes[1], &codes[0]] {
        let v = verdict(&t, code).await;
        assert_eq!(v["verdict"], "genuine");
        assert_eq!(v["product"]["name"], "Helmet");
        assert_eq!(v["manufacturer"]["name"], "Helmet maker");
        assert_eq!(cert_statuses(&v), vec![(number.clone(), "valid".into())]);
    }

    // The certification body revokes the certificate, by SQL on the database.
    sql(
        &t,
        &format!("UPDATE certificates SET status = 'revoked' WHERE number = '{number}'"),
    )
    .await;
    let v = verdict(&t, &codes[1]).await;
    assert_eq!(cert_statuses(&v), vec![(number.clone(), "revoked".into())]);

    // A new certificate through the API.
    let r = t
        .post(
            "/api/v1/certificates",
            Some(&m.key),
            json!({
                "gtin": m.gtin, "kind": "test_report", "number": "2026-000001", "issuer": "CQC",
                "valid_from": "2025-01-01", "valid_until": "2099-12-31"
            }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let v = verdict(&t, &codes[0]).await;
    assert_eq!(
        cert_statuses(&v),
        vec![
            (number.clone(), "revoked".into()),
            ("2026-000001".into(), "valid".into())
        ]
    );

    // The issuer suspends every certificate; the product and its maker are renamed.
    sql(
        &t,
        "UPDATE certificates SET status = 'suspended';
         UPDATE products SET name = 'Helmet II';
         UPDATE organizations SET name = 'Helmet maker Ltd' WHERE name = 'Helmet maker';",
    )
    .await;
    let v = verdict(&t, &codes[2]).await;
    assert_eq!(v["product"]["name"], "Helmet II");
    assert_eq!(v["manufacturer"]["name"], "Helmet maker Ltd");
    assert_eq!(
        cert_statuses(&v),
        vec![
            (number.clone(), "suspended".into()),
            ("2026-000001".into(), "suspended".into())
        ]
    );

    // A recall (on the batch, read with the code each time) shows at once as well.
    let r = t
        .post(
            &format!("/api/v1/batches/{}/recall", m.batch_id),
            Some(&m.key),
            json!({"reason": "cracks"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(verdict(&t, &codes[0]).await["verdict"], "recalled");
}

both_backends!(registry_changes_show_on_the_next_verification);
