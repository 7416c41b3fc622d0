//! Fixtures shared by the storage tests (`crate::common`).

use chrono::{TimeZone, Utc};
use domain::log_entry::LogEntry;
use domain::org::Role;
use serde_json::json;
use store::*;
use testkit::with_check;

pub fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("valid time")
}

pub fn entry(kind: &str) -> LogEntry {
    LogEntry::for_record(kind, t0(), "test", vec![], &json!({"k": kind}))
}

pub fn log_of<T>(kind: &'static str) -> LogFn<T> {
    Box::new(move |_| entry(kind))
}

pub fn new_org(name: &str, gln: Option<&str>) -> NewOrg {
    NewOrg {
        name: name.into(),
        roles: vec![Role::Manufacturer],
        gln: gln.map(String::from),
        uscc: None,
        company_prefixes: vec!["6901234".into()],
        city: Some("Anshan".into()),
        created_at: t0(),
    }
}

pub async fn setup_batch(s: &dyn Store) -> (Org, Product, Batch) {
    let org = s
        .create_org(
            &new_org("Maker", Some(&with_check("690123400000"))),
            log_of("org"),
        )
        .await
        .unwrap();
    let product = s
        .create_product(
            &NewProduct {
                org_id: org.id,
                gtin: with_check("0690123400001"),
                name: "Helmet".into(),
                category: "head".into(),
                standard: "GB 2811-2019".into(),
                protection_class: None,
                service_life_months: Some(30),
                service_life_from: "manufacture".into(),
                created_at: t0(),
            },
            log_of("product"),
        )
        .await
        .unwrap();
    let batch = s
        .create_batch(
            &NewBatch {
                product_id: product.id,
                lot: "L1".into(),
                production_date: Some(t0().date_naive()),
                expiry_date: None,
                created_at: t0(),
            },
            log_of("batch"),
        )
        .await
        .unwrap();
    (org, product, batch)
}

/// Runs SQL on the test database from a connection of its own, behind the store's
/// back (as an operator with `sqlite3`/`psql`, or another program, would).
pub async fn raw_sql(g: &testkit::DbGuard, sql: &str) {
    match g {
        testkit::DbGuard::Sqlite(dir) => {
            let c = rusqlite::Connection::open(dir.path().join("ppetrace.db")).unwrap();
            c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
            c.execute_batch(sql).unwrap();
        }
        testkit::DbGuard::Postgres { admin_url, name } => {
            let url = testkit::with_database(admin_url, name);
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let task = tokio::spawn(conn);
            c.batch_execute(sql).await.unwrap();
            drop(c);
            task.await.unwrap().unwrap();
        }
    }
}
