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
    NewCertificate, NewEvent, NewIssuance, NewOrg, NewProduct, NewSite, Org, Product, Result, Site,
    StoreError, StoredEvent,
};

/// Versioned migrations, applied in order at start. One line per migration.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_log.sql")),
    (3, include_str!("../../migrations/sqlite/0003_epcis.sql")),
    (4, include_str!("../../migrations/sqlite/0004_draws.sql")),
    (5, include_str!("../../migrations/sqlite/0005_mailbox.sql")),
    (6, include_str!("../../migrations/sqlite/0006_ledger.sql")),
    (7, include_str!("../../migrations/sqlite/0007_scans.sql")),
    (8, include_str!("../../migrations/sqlite/0008_web.sql")),
    (
        9,
        include_str!("../../migrations/sqlite/0009_receipts_scan_days.sql"),
    ),
    (
        10,
        include_str!("../../migrations/sqlite/0010_batch_regions.sql"),
    ),
    (
        11,
        include_str!("../../migrations/sqlite/0011_codes_batch_serial.sql"),
    ),
    (
        12,
        include_str!("../../migrations/sqlite/0012_registry_generation.sql"),
    ),
    (
        13,
        include_str!("../../migrations/sqlite/0013_drop_event_epcs.sql"),
    ),
];
const MAX_IDLE_READERS: usize = 8;
/// Connections kept per thread for `read_hot` (one per open store, the oldest goes).
const MAX_HOT_PER_THREAD: usize = 4;

static NEXT_STORE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    /// Read connections owned by this thread, by store id (see `read_hot`).
    static HOT: std::cell::RefCell<Vec<(u64, Connection)>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Leaf indexes appended by the write transaction running on this thread
    /// (see `write` and `crate::receipts`).
    static APPENDED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub struct SqliteStore {
    /// Distinguishes stores in the per-thread connection cache (`read_hot`).
    id: u64,
    path: String,
    writer: Arc<Mutex<Connection>>,
    /// Writes waiting for the writer connection (group commit, see `group`).
    queue: Arc<Mutex<Vec<group::Job>>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    memory: bool,
    /// Copies the WAL into the database file off the writer's path (`checkpoint`).
    checkpointer: Option<checkpoint::Checkpointer>,
    /// Registry facts for verification, valid under one registry generation.
    registry: Arc<crate::regcache::RegistryCache>,
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
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
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
    )?;
    // Plans must not depend on bound values: SQLite 3.54 otherwise marks
    // statements such as `certificates WHERE product_id = ?1 ORDER BY id` for
    // re-preparation on every bind (a full parse and plan per statement per
    // verification: 27 % of the server's CPU in the profile). Every connection,
    // so cached statements of writes (issuance, capture) are not re-planned either.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction()?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
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

/// Appends a log entry inside the caller's write transaction. Its leaf index is
/// `seq`, fixed at commit (SQLite has one writer, so `MAX(seq) + 1` is gap-free);
/// the sequencer later adds it to the Merkle tree (see `sqlite/log.rs`).
fn append_log(conn: &Connection, entry: &LogEntry) -> rusqlite::Result<()> {
    let body = entry.to_bytes();
    let digest = domain::log_entry::sha256(&body);
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO log_entries (seq, body, created_at, entry_sha256)
             VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries), ?1, ?2, ?3)
             RETURNING seq",
        )?
        .query_row(params![body, ts(&entry.time), &digest[..]], |r| r.get(0))?;
    APPENDED.with(|a| a.borrow_mut().push(seq as u64));
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
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
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
    let missing =
        || rusqlite::Error::InvalidColumnType(6, "valid_from".into(), rusqlite::types::Type::Null);
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

const EVENT_COLS: &str = "e.id, e.event_id, e.event_type, e.event_time, e.record_time, e.biz_step, e.disposition, e.read_point, e.body";
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
            if !memory
                && let Some(dir) = std::path::Path::new(&p).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Db(format!("cannot create {}: {e}", dir.display())))?;
            }
            let mut conn = if memory {
                Connection::open_in_memory()
            } else {
                Connection::open(&p)
            }
            .map_err(db_err)?;
            configure(&conn).map_err(db_err)?;
            migrate(&mut conn).map_err(db_err)?;
            Ok(conn)
        })
        .await
        .map_err(join_err)??;
        let checkpointer = if memory {
            None
        } else {
            let p = path.to_string();
            checkpoint::Checkpointer::start(move || {
                let c = Connection::open(&p)?;
                configure(&c)?;
                Ok(c)
            })
        };
        if checkpointer.is_some() {
            conn.execute_batch(&format!(
                "PRAGMA wal_autocheckpoint={};",
                checkpoint::WRITER_CHECKPOINT_PAGES
            ))
            .map_err(db_err)?;
        }
        Ok(SqliteStore {
            id: NEXT_STORE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            path: path.to_string(),
            writer: Arc::new(Mutex::new(conn)),
            queue: Arc::new(Mutex::new(Vec::new())),
            readers: Arc::new(Mutex::new(Vec::new())),
            memory,
            checkpointer,
            registry: Arc::default(),
        })
    }

    /// Runs `f` inside a write transaction, all or nothing, and returns once it
    /// is durable. Concurrent writes share one COMMIT (group commit, see `group`):
    /// each runs in its own savepoint, so a failing write leaves the others be.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.write_with(group::Isolation::Savepoint, f).await
    }

    /// [`Self::write`] for a closure that refuses only before its first change
    /// (no savepoint: see `group`).
    async fn write_checked<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.write_with(group::Isolation::ChecksFirst, f).await
    }

    async fn write_with<T, F>(&self, isolation: group::Isolation, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.queue
            .lock()
            .map_err(|_| StoreError::Db("write queue poisoned".into()))?
            .push(group::job(f, isolation, done));
        let (writer, queue) = (self.writer.clone(), self.queue.clone());
        tokio::task::spawn_blocking(move || group::drain(&writer, &queue))
            .await
            .map_err(join_err)?;
        let (out, appended) = answer
            .await
            .map_err(|_| StoreError::Db("the write was dropped unanswered".into()))??;
        if let Some(c) = &self.checkpointer {
            c.nudge();
        }
        crate::receipts::committed(&appended);
        Ok(out)
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
            if let Ok(mut v) = readers.lock()
                && v.len() < MAX_IDLE_READERS
            {
                v.push(conn);
            }
            out
        })
        .await
        .map_err(join_err)?
    }
}

impl SqliteStore {
    /// Runs a short read (a few indexed point look-ups) directly on the calling
    /// thread with a connection owned by that thread: no hand-off to the blocking
    /// pool, no pool lock. For the verification hot path only, where the whole read
    /// takes tens of microseconds; anything longer uses [`SqliteStore::read`].
    /// Every statement runs in autocommit, so it sees all committed writes.
    async fn read_hot<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        if self.memory {
            return self.read(f).await;
        }
        let taken = HOT.with(|h| {
            let mut h = h.borrow_mut();
            let at = h.iter().position(|(id, _)| *id == self.id)?;
            Some(h.swap_remove(at).1)
        });
        let conn = match taken {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path).map_err(db_err)?;
                configure(&c).map_err(db_err)?;
                // Not memory-mapped: in WAL mode a connection that sees another's
                // commit drops its map of the file (`munmap`) with its page cache,
                // and faults every page back in. Under the verification load,
                // which commits its recorded scans several times a second, that
                // was about 13 % of the server's CPU, and p99 was 10.6 ms instead
                // of 7.5 (BENCHMARKS.md, seventh round). For the same reason
                // its page cache is small: it is emptied by every commit anyway,
                // and at the default of the other connections (64 MiB) two of them
                // took the server past its memory target.
                c.execute_batch("PRAGMA cache_size=-8192;")
                    .map_err(db_err)?;
                c
            }
        };
        let out = f(&conn);
        HOT.with(|h| {
            let mut h = h.borrow_mut();
            if h.len() >= MAX_HOT_PER_THREAD {
                h.remove(0);
            }
            h.push((self.id, conn));
        });
        out
    }
}

/// Runs a closure that needs a `'static` copy of borrowed inputs.
macro_rules! owned {
    ($($v:ident),*) => { $(let $v = $v.clone();)* };
}

mod checkpoint;
mod draws;
mod events;
mod group;
mod ledger;
mod log;
mod mailbox;
mod portal;
mod registry;
mod scans;
mod users;

impl crate::Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }
}
