//! SQLite implementation (rusqlite): one writer connection, a small pool of readers,
//! WAL journal, `synchronous=FULL` so an acknowledged write survives a crash.
//! Blocking calls run on tokio's blocking pool.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::log_entry::LogEntry;
use domain::org::{roles_from_text, roles_to_text};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{
    ApiKey, Backend, Batch, Certificate, CodeView, Effects, LogFn, NewApiKey, NewBatch,
    NewCertificate, NewEvent, NewIssuance, NewOrg, NewProduct, NewSite, Org, Product, Result,
    Site, Store, StoreError, StoredEvent,
};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];
const MAX_IDLE_READERS: usize = 8;

pub struct SqliteStore {
    path: String,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    memory: bool,
}

fn db_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.clone().unwrap_or_else(|| "constraint violated".into()))
        }
        _ => StoreError::Db(e.to_string()),
    }
}

fn join_err(e: tokio::task::JoinError) -> StoreError {
    StoreError::Db(format!("blocking task failed: {e}"))
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(s: String) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn parse_date(s: Option<String>) -> rusqlite::Result<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

fn date(d: &Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         PRAGMA synchronous=FULL;
         PRAGMA foreign_keys=ON;
         PRAGMA secure_delete=ON;
         PRAGMA busy_timeout=10000;
         PRAGMA cache_size=-65536;",
    )
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction()?;
        let done: Option<i64> = tx
            .query_row("SELECT version FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
            .optional()?;
        if done.is_none() {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, ts(&Utc::now())],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

fn append_log(conn: &Connection, entry: &LogEntry) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO log_entries (seq, body, created_at)
         VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries), ?1, ?2)",
        params![entry.to_bytes(), ts(&entry.time)],
    )?;
    Ok(())
}

const ORG_COLS: &str = "id, name, roles, gln, uscc, company_prefixes, city, created_at";
fn org_row(r: &Row<'_>) -> rusqlite::Result<Org> {
    let roles: String = r.get(2)?;
    let prefixes: String = r.get(5)?;
    Ok(Org {
        id: r.get(0)?,
        name: r.get(1)?,
        roles: roles_from_text(&roles).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?,
        gln: r.get(3)?,
        uscc: r.get(4)?,
        company_prefixes: split_list(&prefixes),
        city: r.get(6)?,
        created_at: parse_ts(r.get(7)?)?,
    })
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',').filter(|p| !p.is_empty()).map(String::from).collect()
}

const KEY_COLS: &str = "id, org_id, lookup, secret_sha256, admin, label, created_at, revoked_at";
fn key_row(r: &Row<'_>) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        id: r.get(0)?,
        org_id: r.get(1)?,
        lookup: r.get(2)?,
        secret_sha256: r.get(3)?,
        admin: r.get(4)?,
        label: r.get(5)?,
        created_at: parse_ts(r.get(6)?)?,
        revoked_at: r.get::<_, Option<String>>(7)?.map(parse_ts).transpose()?,
    })
}

const SITE_COLS: &str = "id, org_id, gln, name, city, region, latitude, longitude, created_at";
fn site_row(r: &Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: r.get(0)?,
        org_id: r.get(1)?,
        gln: r.get(2)?,
        name: r.get(3)?,
        city: r.get(4)?,
        region: r.get(5)?,
        latitude: r.get(6)?,
        longitude: r.get(7)?,
        created_at: parse_ts(r.get(8)?)?,
    })
}

const PRODUCT_COLS: &str = "id, org_id, gtin, name, category, standard, protection_class, service_life_months, service_life_from, created_at";
fn product_row(r: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: r.get(0)?,
        org_id: r.get(1)?,
        gtin: r.get(2)?,
        name: r.get(3)?,
        category: r.get(4)?,
        standard: r.get(5)?,
        protection_class: r.get(6)?,
        service_life_months: r.get(7)?,
        service_life_from: r.get(8)?,
        created_at: parse_ts(r.get(9)?)?,
    })
}

const CERT_COLS: &str =
    "id, org_id, product_id, kind, number, issuer, valid_from, valid_until, status, created_at";
fn cert_row(r: &Row<'_>) -> rusqlite::Result<Certificate> {
    let from = parse_date(r.get(6)?)?;
    let until = parse_date(r.get(7)?)?;
    let missing = || rusqlite::Error::InvalidColumnType(6, "valid_from".into(), rusqlite::types::Type::Null);
    Ok(Certificate {
        id: r.get(0)?,
        org_id: r.get(1)?,
        product_id: r.get(2)?,
        kind: r.get(3)?,
        number: r.get(4)?,
        issuer: r.get(5)?,
        valid_from: from.ok_or_else(missing)?,
        valid_until: until.ok_or_else(missing)?,
        status: r.get(8)?,
        created_at: parse_ts(r.get(9)?)?,
    })
}

const BATCH_COLS: &str = "id, product_id, lot, production_date, expiry_date, released, recalled_on, recall_reason, created_at";
fn batch_row_at(r: &Row<'_>, o: usize) -> rusqlite::Result<Batch> {
    Ok(Batch {
        id: r.get(o)?,
        product_id: r.get(o + 1)?,
        lot: r.get(o + 2)?,
        production_date: parse_date(r.get(o + 3)?)?,
        expiry_date: parse_date(r.get(o + 4)?)?,
        released: r.get(o + 5)?,
        recalled_on: parse_date(r.get(o + 6)?)?,
        recall_reason: r.get(o + 7)?,
        created_at: parse_ts(r.get(o + 8)?)?,
    })
}
fn batch_row(r: &Row<'_>) -> rusqlite::Result<Batch> {
    batch_row_at(r, 0)
}

const EVENT_COLS: &str =
    "e.id, e.event_id, e.event_type, e.event_time, e.record_time, e.biz_step, e.disposition, e.read_point, e.body";
fn event_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        id: r.get(0)?,
        event_id: r.get(1)?,
        event_type: r.get(2)?,
        event_time: parse_ts(r.get(3)?)?,
        record_time: parse_ts(r.get(4)?)?,
        biz_step: r.get(5)?,
        disposition: r.get(6)?,
        read_point: r.get(7)?,
        body: r.get(8)?,
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &str) -> Result<SqliteStore> {
        let memory = path == ":memory:" || path.is_empty();
        let p = path.to_string();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection> {
            if !memory {
                if let Some(dir) = std::path::Path::new(&p).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)
                            .map_err(|e| StoreError::Db(format!("cannot create {}: {e}", dir.display())))?;
                    }
                }
            }
            let mut conn = if memory { Connection::open_in_memory() } else { Connection::open(&p) }
                .map_err(db_err)?;
            configure(&conn).map_err(db_err)?;
            migrate(&mut conn).map_err(db_err)?;
            Ok(conn)
        })
        .await
        .map_err(join_err)??;
        Ok(SqliteStore {
            path: path.to_string(),
            writer: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
            memory,
        })
    }

    /// Runs `f` inside one write transaction.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = writer
                .lock()
                .map_err(|_| StoreError::Db("writer connection poisoned".into()))?;
            let tx = guard
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(db_err)?;
            Ok(out)
        })
        .await
        .map_err(join_err)?
    }

    /// Runs `f` on a pooled read connection.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        if self.memory {
            let writer = self.writer.clone();
            return tokio::task::spawn_blocking(move || {
                let guard = writer
                    .lock()
                    .map_err(|_| StoreError::Db("connection poisoned".into()))?;
                f(&guard)
            })
            .await
            .map_err(join_err)?;
        }
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().ok().and_then(|mut v| v.pop());
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open(&path).map_err(db_err)?;
                    configure(&c).map_err(db_err)?;
                    c
                }
            };
            let out = f(&conn);
            if let Ok(mut v) = readers.lock() {
                if v.len() < MAX_IDLE_READERS {
                    v.push(conn);
                }
            }
            out
        })
        .await
        .map_err(join_err)?
    }
}

/// Runs a closure that needs a `'static` copy of borrowed inputs.
macro_rules! owned {
    ($($v:ident),*) => { $(let $v = $v.clone();)* };
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn create_org(&self, new: &NewOrg, log: LogFn<Org>) -> Result<Org> {
        owned!(new);
        let org = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO organizations (name, roles, gln, uscc, company_prefixes, city, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        new.name,
                        roles_to_text(&new.roles),
                        new.gln,
                        new.uscc,
                        new.company_prefixes.join(","),
                        new.city,
                        ts(&new.created_at)
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {ORG_COLS} FROM organizations WHERE id = ?1"), [id], org_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(org)
    }

    async fn get_org(&self, id: i64) -> Result<Option<Org>> {
        self.read(move |c| {
            c.query_row(&format!("SELECT {ORG_COLS} FROM organizations WHERE id = ?1"), [id], org_row)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        self.read(|c| {
            let mut st = c
                .prepare(&format!("SELECT {ORG_COLS} FROM organizations ORDER BY id"))
                .map_err(db_err)?;
            let rows = st.query_map([], org_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_api_key(&self, new: &NewApiKey, log: LogFn<ApiKey>) -> Result<ApiKey> {
        owned!(new);
        let key = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO api_keys (org_id, lookup, secret_sha256, admin, label, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![new.org_id, new.lookup, new.secret_sha256, new.admin, new.label, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {KEY_COLS} FROM api_keys WHERE id = ?1"), [id], key_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(key)
    }

    async fn find_api_key(&self, lookup: &str) -> Result<Option<ApiKey>> {
        let lookup = lookup.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {KEY_COLS} FROM api_keys WHERE lookup = ?1"), [lookup], key_row)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    async fn create_site(&self, new: &NewSite, log: LogFn<Site>) -> Result<Site> {
        owned!(new);
        let site = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO sites (org_id, gln, name, city, region, latitude, longitude, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![new.org_id, new.gln, new.name, new.city, new.region, new.latitude, new.longitude, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {SITE_COLS} FROM sites WHERE id = ?1"), [id], site_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(site)
    }

    async fn get_site_by_gln(&self, gln: &str) -> Result<Option<Site>> {
        let gln = gln.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {SITE_COLS} FROM sites WHERE gln = ?1"), [gln], site_row)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    async fn list_sites(&self, org_id: i64) -> Result<Vec<Site>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!("SELECT {SITE_COLS} FROM sites WHERE org_id = ?1 ORDER BY id"))
                .map_err(db_err)?;
            let rows = st.query_map([org_id], site_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_product(&self, new: &NewProduct, log: LogFn<Product>) -> Result<Product> {
        owned!(new);
        let p = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO products (org_id, gtin, name, category, standard, protection_class, service_life_months, service_life_from, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![new.org_id, new.gtin, new.name, new.category, new.standard, new.protection_class, new.service_life_months, new.service_life_from, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = ?1"), [id], product_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(p)
    }

    async fn get_product(&self, id: i64) -> Result<Option<Product>> {
        self.read(move |c| {
            c.query_row(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = ?1"), [id], product_row)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    async fn get_product_by_gtin(&self, gtin: &str) -> Result<Option<Product>> {
        let gtin = gtin.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {PRODUCT_COLS} FROM products WHERE gtin = ?1"), [gtin], product_row)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    async fn list_products(&self, org_id: Option<i64>) -> Result<Vec<Product>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {PRODUCT_COLS} FROM products WHERE (?1 IS NULL OR org_id = ?1) ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([org_id], product_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_certificate(&self, new: &NewCertificate, log: LogFn<Certificate>) -> Result<Certificate> {
        owned!(new);
        let cert = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO certificates (org_id, product_id, kind, number, issuer, valid_from, valid_until, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![new.org_id, new.product_id, new.kind, new.number, new.issuer, date(&Some(new.valid_from)), date(&Some(new.valid_until)), new.status, ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {CERT_COLS} FROM certificates WHERE id = ?1"), [id], cert_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(cert)
    }

    async fn list_certificates(&self, product_id: i64) -> Result<Vec<Certificate>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!("SELECT {CERT_COLS} FROM certificates WHERE product_id = ?1 ORDER BY id"))
                .map_err(db_err)?;
            let rows = st.query_map([product_id], cert_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_batch(&self, new: &NewBatch, log: LogFn<Batch>) -> Result<Batch> {
        owned!(new);
        let b = self
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO batches (product_id, lot, production_date, expiry_date, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![new.product_id, new.lot, date(&new.production_date), date(&new.expiry_date), ts(&new.created_at)],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let row = tx.query_row(&format!("SELECT {BATCH_COLS} FROM batches WHERE id = ?1"), [id], batch_row)
                    .map_err(db_err)?;
                append_log(tx, &log(&row)).map_err(db_err)?;
                Ok(row)
            })
            .await?;
        Ok(b)
    }

    async fn get_batch(&self, id: i64) -> Result<Option<Batch>> {
        self.read(move |c| {
            c.query_row(&format!("SELECT {BATCH_COLS} FROM batches WHERE id = ?1"), [id], batch_row)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    async fn list_batches(&self, product_id: i64) -> Result<Vec<Batch>> {
        self.read(move |c| {
            let mut st = c
                .prepare(&format!("SELECT {BATCH_COLS} FROM batches WHERE product_id = ?1 ORDER BY id"))
                .map_err(db_err)?;
            let rows = st.query_map([product_id], batch_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn insert_codes(
        &self,
        batch: &Batch,
        serials: &[String],
        issuance: Option<(&NewIssuance, &LogEntry)>,
    ) -> Result<u64> {
        let (product_id, batch_id) = (batch.product_id, batch.id);
        let mut sorted: Vec<String> = serials.to_vec();
        sorted.sort_unstable();
        let issuance = issuance.map(|(i, l)| (i.clone(), l.clone()));
        self.write(move |tx| {
            let mut n = 0u64;
            {
                let mut st = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO codes (product_id, serial, batch_id, state) VALUES (?1, ?2, ?3, 0)",
                    )
                    .map_err(db_err)?;
                for s in &sorted {
                    n += st.execute(params![product_id, s, batch_id]).map_err(db_err)? as u64;
                }
            }
            if let Some((iss, entry)) = issuance {
                tx.execute(
                    "INSERT INTO code_issuances (batch_id, count, merkle_root, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![iss.batch_id, iss.count as i64, iss.merkle_root, iss.actor, ts(&iss.created_at)],
                )
                .map_err(db_err)?;
                append_log(tx, &entry).map_err(db_err)?;
            }
            Ok(n)
        })
        .await
    }

    async fn batch_serials(&self, batch_id: i64, after: Option<&str>, limit: u32) -> Result<Vec<String>> {
        let after = after.map(String::from);
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT serial FROM codes WHERE batch_id = ?1 AND (?2 IS NULL OR serial > ?2) ORDER BY serial LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map(params![batch_id, after, limit], |r| r.get::<_, String>(0))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn count_codes(&self, batch_id: i64) -> Result<u64> {
        self.read(move |c| {
            c.query_row("SELECT COUNT(*) FROM codes WHERE batch_id = ?1", [batch_id], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
    }

    async fn lookup_code(&self, product_id: i64, serial: &str) -> Result<Option<CodeView>> {
        let serial = serial.to_string();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT c.serial, c.state, c.holder_org_id, c.first_use, {}
                     FROM codes c JOIN batches b ON b.id = c.batch_id
                     WHERE c.product_id = ?1 AND c.serial = ?2",
                    BATCH_COLS.split(", ").map(|c| format!("b.{c}")).collect::<Vec<_>>().join(", ")
                ))
                .map_err(db_err)?;
            st.query_row(params![product_id, serial], |r| {
                Ok(CodeView {
                    serial: r.get(0)?,
                    state: r.get(1)?,
                    holder_org_id: r.get(2)?,
                    first_use: parse_date(r.get(3)?)?,
                    batch: batch_row_at(r, 4)?,
                })
            })
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn record_event(&self, ev: &NewEvent, effects: &Effects, log: &LogEntry) -> Result<i64> {
        owned!(ev, effects, log);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO events (event_id, event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, owner_org_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![ev.event_id, ev.event_type, ts(&ev.event_time), ts(&ev.record_time), ev.action, ev.biz_step, ev.disposition, ev.read_point, ev.biz_location, ev.owner_org_id, ev.body],
            )
            .map_err(db_err)?;
            let pk = tx.last_insert_rowid();
            {
                let mut st = tx
                    .prepare_cached("INSERT OR IGNORE INTO event_epcs (epc, event_pk) VALUES (?1, ?2)")
                    .map_err(db_err)?;
                for epc in &ev.epcs {
                    st.execute(params![epc, pk]).map_err(db_err)?;
                }
            }
            if effects.new_state.is_some() || effects.new_holder.is_some() {
                let mut st = tx
                    .prepare_cached(
                        "UPDATE codes SET state = COALESCE(?3, state), holder_org_id = COALESCE(?4, holder_org_id)
                         WHERE product_id = ?1 AND serial = ?2",
                    )
                    .map_err(db_err)?;
                for (pid, serial) in &effects.codes {
                    let changed = st
                        .execute(params![pid, serial, effects.new_state, effects.new_holder])
                        .map_err(db_err)?;
                    if changed == 0 {
                        return Err(StoreError::NotFound(format!("code {serial}")));
                    }
                }
            }
            if let Some(b) = effects.release_batch {
                tx.execute("UPDATE batches SET released = 1 WHERE id = ?1", [b]).map_err(db_err)?;
            }
            if let Some((b, d, reason)) = &effects.recall_batch {
                tx.execute(
                    "UPDATE batches SET recalled_on = ?2, recall_reason = ?3 WHERE id = ?1",
                    params![b, date(&Some(*d)), reason],
                )
                .map_err(db_err)?;
            }
            append_log(tx, &log).map_err(db_err)?;
            Ok(pk)
        })
        .await
    }

    async fn events_for_epc(&self, epc: &str) -> Result<Vec<StoredEvent>> {
        let epc = epc.to_string();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLS} FROM event_epcs x JOIN events e ON e.id = x.event_pk
                     WHERE x.epc = ?1 ORDER BY e.event_time, e.id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([epc], event_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn event_count(&self) -> Result<u64> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
    }

    async fn log_size(&self) -> Result<u64> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM log_entries", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
    }

    async fn log_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached("SELECT body FROM log_entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq")
                .map_err(db_err)?;
            let rows = st
                .query_map(params![from as i64, to as i64], |r| r.get::<_, Vec<u8>>(0))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }
}
