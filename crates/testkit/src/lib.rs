//! Test support shared by every crate's integration tests.
//!
//! - [`fresh_store`] opens an empty, migrated store on SQLite (a temp file) or on
//!   PostgreSQL (a new database, dropped when the guard drops).
//! - [`spawn_app`] starts the real HTTP server on a random port over a fresh store.
//! - [`both_backends!`] turns one async test body into a `sqlite` and a `postgres` test.
//!
//! PostgreSQL is found at `PPETRACE_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). If it cannot be reached the
//! PostgreSQL tests fail, loudly: they never skip.

use std::sync::Arc;

use app::{App, AppConfig};
use store::{Backend, Store};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn pg_admin_url() -> String {
    std::env::var("PPETRACE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

/// Keeps a test database alive; drops (deletes) it on drop.
pub enum DbGuard {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl DbGuard {
    /// Where the SQLite database file lives (for tests that read raw files).
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        match self {
            DbGuard::Sqlite(d) => Some(d.path()),
            DbGuard::Postgres { .. } => None,
        }
    }
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let (url, name) = (admin_url.clone(), name.clone());
            // A fresh thread and runtime: Drop may run inside or outside a runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async move {
                    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .ok()?;
                    tokio::spawn(conn);
                    client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

fn unique_name() -> String {
    let n: u64 = rand::random();
    format!("ppetrace_test_{}_{n:016x}", std::process::id())
}

/// Replaces the database name (path) of a postgres URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// Creates an empty PostgreSQL database and returns its URL and guard.
pub async fn fresh_pg_database() -> (String, DbGuard) {
    fresh_pg_database_with("").await
}

/// Like [`fresh_pg_database`], with options for `CREATE DATABASE` (e.g. a locale).
pub async fn fresh_pg_database_with(options: &str) -> (String, DbGuard) {
    let admin = pg_admin_url();
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for the storage tests and is not reachable at {admin}: {e}. Start it or set PPETRACE_TEST_PG_URL.")
    });
    tokio::spawn(conn);
    let name = unique_name();
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\" {options}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    (
        with_database(&admin, &name),
        DbGuard::Postgres {
            admin_url: admin,
            name,
        },
    )
}

/// A database URL for a fresh, empty database of `backend`.
pub async fn fresh_url(backend: Backend) -> (String, DbGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("ppetrace.db").display());
            (url, DbGuard::Sqlite(dir))
        }
        Backend::Postgres => fresh_pg_database().await,
    }
}

/// An empty, migrated store.
pub async fn fresh_store(backend: Backend) -> (Arc<dyn Store>, DbGuard) {
    let (url, guard) = fresh_url(backend).await;
    let store = store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("opening {backend:?} store: {e}"));
    (store, guard)
}

/// A running server over a fresh store, with a platform admin key.
pub struct TestApp {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
    pub admin_key: String,
    pub backend: Backend,
    pub guard: DbGuard,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(
        &self,
        path: &str,
        key: Option<&str>,
        body: serde_json::Value,
    ) -> reqwest::Response {
        let mut rb = self.client.post(self.url(path)).json(&body);
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        rb.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut rb = self.client.get(self.url(path));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        rb.send().await.expect("request")
    }
}

/// Starts the server on 127.0.0.1 with a random port.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |app| app).await
}

/// Like [`spawn_app`], letting the caller adjust the [`App`] (e.g. pin the clock).
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(App) -> App) -> TestApp {
    // Rate limits are off unless a test asks for them (`spawn_app_web`).
    spawn_app_web(
        backend,
        adjust,
        web::WebConfig {
            rate_limit: None,
            ..web::WebConfig::default()
        },
    )
    .await
}

/// Like [`spawn_app_with`], with the HTTP layer's settings given.
pub async fn spawn_app_web(
    backend: Backend,
    adjust: impl FnOnce(App) -> App,
    web_config: web::WebConfig,
) -> TestApp {
    let (store, guard) = fresh_store(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let log = app::log::LogSettings {
        interval: std::time::Duration::from_secs(3600),
        batch: u64::MAX,
        ..Default::default()
    };
    let app = adjust(App::new(
        store,
        AppConfig {
            public_base_url: base.clone(),
            log,
            ..AppConfig::default()
        },
    ));
    let operator = app
        .create_org(
            None,
            &app::registry::OrgInput {
                name: "operator".into(),
                roles: vec![],
                gln: None,
                uscc: None,
                company_prefixes: vec![],
                city: None,
            },
        )
        .await
        .expect("operator org");
    let admin_key = app
        .create_api_key(None, operator.id, true, "test admin")
        .await
        .expect("admin key")
        .secret;
    // The log: sign the first checkpoint now; the background sequencer only wakes
    // for huge batches or after an hour, so tests force steps with `app.sequence_log()`.
    app.sequence_log().await.expect("first log checkpoint");
    let _sequencer = app.spawn_sequencer();
    let ctx = web::ApiContext::new(app.clone(), Arc::new(web_config));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = web::serve(listener, ctx, async {
            let _ = rx.await;
        })
        .await;
    });
    TestApp {
        base,
        app,
        client: reqwest::Client::new(),
        admin_key,
        backend,
        guard,
        shutdown: Some(tx),
    }
}

/// GTIN/GLN helper: appends the GS1 check digit.
pub fn with_check(body: &str) -> String {
    let d = gs1_check(body);
    format!("{body}{d}")
}

fn gs1_check(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

/// Generates `mod sqlite { #[tokio::test] ... }` and `mod postgres { ... }` for each
/// listed async fn taking a [`store::Backend`].
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(::store::Backend::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(::store::Backend::Postgres).await }
            )*
        }
    };
}

/// A manufacturer registered through the API, with a site, a product (GTIN under its
/// prefix), an LA-mark certificate and one batch (lot `L1`, produced today).
pub struct Maker {
    pub org_id: i64,
    pub key: String,
    pub site_gln: String,
    pub gtin: String,
    pub batch_id: i64,
}

fn assert_created(r: &reqwest::StatusCode, what: &str) {
    assert_eq!(*r, reqwest::StatusCode::CREATED, "{what}");
}

/// Registers an organization with `roles` and a key; returns (org id, key).
pub async fn register_org(
    t: &TestApp,
    name: &str,
    roles: &[&str],
    gln: &str,
    prefixes: &[&str],
) -> (i64, String) {
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&t.admin_key),
            serde_json::json!({
                "name": name, "roles": roles, "gln": gln, "company_prefixes": prefixes
            }),
        )
        .await;
    assert_created(&r.status(), "organization");
    let org: serde_json::Value = r.json().await.expect("json");
    let org_id = org["id"].as_i64().expect("id");
    let r = t
        .post(
            &format!("/api/v1/organizations/{org_id}/keys"),
            Some(&t.admin_key),
            serde_json::json!({"label": "main"}),
        )
        .await;
    assert_created(&r.status(), "key");
    let key = r.json::<serde_json::Value>().await.expect("json")["key"]
        .as_str()
        .expect("key")
        .to_string();
    (org_id, key)
}

/// Registers a site for an organization.
pub async fn register_site(
    t: &TestApp,
    org_id: i64,
    key: &str,
    gln: &str,
    city: &str,
    lat: f64,
    lon: f64,
) {
    let r = t
        .post(&format!("/api/v1/organizations/{org_id}/sites"), Some(key), serde_json::json!({
            "gln": gln, "name": format!("{city} site"), "city": city, "latitude": lat, "longitude": lon
        }))
        .await;
    assert_created(&r.status(), "site");
}

pub async fn register_maker(t: &TestApp, prefix: &str, name: &str) -> Maker {
    let (org_id, key) = register_org(
        t,
        name,
        &["manufacturer"],
        &with_check(&format!("{prefix}00000")),
        &[prefix],
    )
    .await;
    let site_gln = with_check(&format!("{prefix}00001"));
    register_site(t, org_id, &key, &site_gln, "Anshan", 41.1, 122.99).await;
    let gtin = with_check(&format!("0{prefix}00001"));
    let r = t
        .post("/api/v1/products", Some(&key), serde_json::json!({
            "gtin": gtin, "name": "Helmet", "category": "head", "standard": "GB 2811-2019", "service_life_months": 30
        }))
        .await;
    assert_created(&r.status(), "product");
    let r = t
        .post("/api/v1/certificates", Some(&key), serde_json::json!({
            "gtin": gtin, "kind": "la_mark", "number": format!("23-01-{}", &prefix[1..]), "issuer": "LA centre",
            "valid_from": "2025-01-01", "valid_until": "2028-12-31"
        }))
        .await;
    assert_created(&r.status(), "certificate");
    let today = chrono::Utc::now().date_naive();
    let r = t
        .post(
            "/api/v1/batches",
            Some(&key),
            serde_json::json!({"gtin": gtin, "lot": "L1", "production_date": today.to_string()}),
        )
        .await;
    assert_created(&r.status(), "batch");
    let batch_id = r.json::<serde_json::Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");
    Maker {
        org_id,
        key,
        site_gln,
        gtin,
        batch_id,
    }
}

/// Issues `n` codes for the maker's batch and returns their Digital Link URIs.
pub async fn issue_codes(t: &TestApp, m: &Maker, n: u64) -> Vec<String> {
    let r = t
        .post(
            &format!("/api/v1/batches/{}/codes", m.batch_id),
            Some(&m.key),
            serde_json::json!({"count": n}),
        )
        .await;
    assert_created(&r.status(), "codes");
    let r = t
        .get(
            &format!("/api/v1/batches/{}/codes.csv", m.batch_id),
            Some(&m.key),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let csv = r.text().await.expect("csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("digital_link"));
    lines.map(String::from).collect()
}

/// Releases the maker's batch at its site.
pub async fn release(t: &TestApp, m: &Maker) {
    let r = t
        .post(
            &format!("/api/v1/batches/{}/release", m.batch_id),
            Some(&m.key),
            serde_json::json!({"site_gln": m.site_gln}),
        )
        .await;
    assert_created(&r.status(), "release");
}

/// The JSON verification answer of a printed URI.
pub async fn verdict(t: &TestApp, uri: &str) -> serde_json::Value {
    let r = t
        .client
        .get(uri)
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    r.json().await.expect("json")
}

/// Percent-encodes everything but ASCII letters and digits.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn with_database_replaces_the_path() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
        assert_eq!(super::with_check("690123400000"), "6901234000009");
    }
}
