//! PostgreSQL implementation (tokio-postgres over a deadpool pool).

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use domain::log_entry::LogEntry;
use domain::org::{roles_from_text, roles_to_text};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use crate::sqlite::split_list;
use crate::{
    ApiKey, Backend, Batch, Certificate, CodeView, Effects, LogFn, NewApiKey, NewBatch,
    NewCertificate, NewEvent, NewIssuance, NewOrg, NewProduct, NewSite, Org, Product, Result, Site,
    StoreError, StoredEvent,
};

/// Versioned migrations, applied in order at start. One line per migration.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (2, include_str!("../../migrations/postgres/0002_log.sql")),
    (3, include_str!("../../migrations/postgres/0003_epcis.sql")),
    (4, include_str!("../../migrations/postgres/0004_draws.sql")),
    (
        5,
        include_str!("../../migrations/postgres/0005_mailbox.sql"),
    ),
    (6, include_str!("../../migrations/postgres/0006_ledger.sql")),
    (7, include_str!("../../migrations/postgres/0007_scans.sql")),
    (8, include_str!("../../migrations/postgres/0008_web.sql")),
    (
        9,
        include_str!("../../migrations/postgres/0009_receipts_scan_days.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_batch_regions.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_codes_batch_serial.sql"),
    ),
    (
        12,
        include_str!("../../migrations/postgres/0012_registry_generation.sql"),
    ),
    (
        13,
        include_str!("../../migrations/postgres/0013_drop_event_epcs.sql"),
    ),
    (
        14,
        include_str!("../../migrations/postgres/0014_identifiers_collate_c.sql"),
    ),
];
/// Advisory lock serialising appends to the log (gap-free leaf indexes).
const LOG_LOCK: i64 = 0x7070_6574;
const MIGRATION_LOCK: i64 = 0x7070_6575;

pub struct PgStore {
    pool: Pool,
    /// Registry facts for verification, valid under one registry generation.
    registry: crate::regcache::RegistryCache,
}

fn db_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::FOREIGN_KEY_VIOLATION
            || *code == SqlState::CHECK_VIOLATION
        {
            let what = db
                .constraint()
                .map(String::from)
                .unwrap_or_else(|| db.message().to_string());
            return StoreError::Conflict(what);
        }
        return StoreError::Db(format!("{}: {}", code.code(), db.message()));
    }
    StoreError::Db(e.to_string())
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Db(format!("connection pool: {e}"))
}

/// Appends a log entry inside the caller's transaction. The advisory lock is held
/// until commit, so leaf indexes (`seq`) become visible in order and without gaps;
/// the sequencer later adds them to the Merkle tree (see `postgres/log.rs`).
async fn append_log(tx: &Transaction<'_>, entry: &LogEntry) -> Result<()> {
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await
        .map_err(db_err)?;
    tx.execute(&lock, &[&LOG_LOCK]).await.map_err(db_err)?;
    let body = entry.to_bytes();
    let digest = domain::log_entry::sha256(&body).to_vec();
    let row = tx
        .query_one(
            "INSERT INTO log_entries (seq, body, created_at, entry_sha256)
             VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries), $1, $2, $3)
             RETURNING seq",
            &[&body, &entry.time, &digest],
        )
        .await
        .map_err(db_err)?;
    crate::receipts::appended([row.get::<_, i64>(0) as u64]);
    Ok(())
}

/// Begins a transaction (see `crate::receipts`: indexes of an earlier
/// transaction of this task that never committed are dropped).
async fn begin(client: &mut deadpool_postgres::Client) -> Result<Transaction<'_>> {
    crate::receipts::begin();
    client.transaction().await.map_err(db_err)
}

/// Commits `tx`; its appended log indexes become the request's receipts.
async fn commit(tx: Transaction<'_>) -> Result<()> {
    tx.commit().await.map_err(db_err)?;
    crate::receipts::commit();
    Ok(())
}

const ORG_COLS: &str = "id, name, roles, gln, uscc, company_prefixes, city, created_at";
fn org_row(r: &Row) -> Result<Org> {
    let roles: String = r.get(2);
    let prefixes: String = r.get(5);
    Ok(Org {
        id: r.get(0),
        name: r.get(1),
        roles: roles_from_text(&roles).map_err(|e| StoreError::Db(e.to_string()))?,
        gln: r.get(3),
        uscc: r.get(4),
        company_prefixes: split_list(&prefixes),
        city: r.get(6),
        created_at: r.get(7),
    })
}

const KEY_COLS: &str = "id, org_id, lookup, secret_sha256, admin, label, created_at, revoked_at";
fn key_row(r: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.get(0),
        org_id: r.get(1),
        lookup: r.get(2),
        secret_sha256: r.get(3),
        admin: r.get(4),
        label: r.get(5),
        created_at: r.get(6),
        revoked_at: r.get(7),
    })
}

const SITE_COLS: &str = "id, org_id, gln, name, city, region, latitude, longitude, created_at";
fn site_row(r: &Row) -> Result<Site> {
    Ok(Site {
        id: r.get(0),
        org_id: r.get(1),
        gln: r.get(2),
        name: r.get(3),
        city: r.get(4),
        region: r.get(5),
        latitude: r.get(6),
        longitude: r.get(7),
        created_at: r.get(8),
    })
}

const PRODUCT_COLS: &str = "id, org_id, gtin, name, category, standard, protection_class, service_life_months, service_life_from, created_at";
fn product_row(r: &Row) -> Result<Product> {
    Ok(Product {
        id: r.get(0),
        org_id: r.get(1),
        gtin: r.get(2),
        name: r.get(3),
        category: r.get(4),
        standard: r.get(5),
        protection_class: r.get(6),
        service_life_months: r.get::<_, Option<i32>>(7).map(|m| m.max(0) as u32),
        service_life_from: r.get(8),
        created_at: r.get(9),
    })
}

const CERT_COLS: &str =
    "id, org_id, product_id, kind, number, issuer, valid_from, valid_until, status, created_at";
fn cert_row(r: &Row) -> Result<Certificate> {
    Ok(Certificate {
        id: r.get(0),
        org_id: r.get(1),
        product_id: r.get(2),
        kind: r.get(3),
        number: r.get(4),
        issuer: r.get(5),
        valid_from: r.get(6),
        valid_until: r.get(7),
        status: r.get(8),
        created_at: r.get(9),
    })
}

const BATCH_COLS: &str = "id, product_id, lot, production_date, expiry_date, released, recalled_on, recall_reason, created_at";
fn batch_row_at(r: &Row, o: usize) -> Batch {
    Batch {
        id: r.get(o),
        product_id: r.get(o + 1),
        lot: r.get(o + 2),
        production_date: r.get(o + 3),
        expiry_date: r.get(o + 4),
        released: r.get(o + 5),
        recalled_on: r.get(o + 6),
        recall_reason: r.get(o + 7),
        created_at: r.get(o + 8),
    }
}
fn batch_row(r: &Row) -> Result<Batch> {
    Ok(batch_row_at(r, 0))
}

const EVENT_COLS: &str = "e.id, e.event_id, e.event_type, e.event_time, e.record_time, e.biz_step, e.disposition, e.read_point, e.body";
fn event_row(r: &Row) -> Result<StoredEvent> {
    Ok(StoredEvent {
        id: r.get(0),
        event_id: r.get(1),
        event_type: r.get(2),
        event_time: r.get(3),
        record_time: r.get(4),
        biz_step: r.get(5),
        disposition: r.get(6),
        read_point: r.get(7),
        body: r.get(8),
    })
}

impl PgStore {
    /// Connects, checks the server answers, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Url(format!("{}: {e}", crate::redact(url))))?;
        // Planner costs for storage with cheap random reads (SSD, or a database
        // that fits in memory), unless the URL's `options` set them. With the
        // default (4, for spinning disks) PostgreSQL scanned all of `event_keys`
        // for each chunk of a lot's forward trace instead of probing its index, so
        // the trace grew with the number of events stored (BENCHMARKS.md).
        let options = config.get_options().unwrap_or_default().to_string();
        if !options.contains("random_page_cost") {
            config.options(format!("{options} -c random_page_cost=1.1").trim());
        }
        let mgr = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Db(format!("connection pool: {e}")))?;
        let store = PgStore {
            pool,
            registry: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(db_err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(db_err)?;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT version FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await
                .map_err(db_err)?;
            if done.is_none() {
                tx.batch_execute(sql).await.map_err(db_err)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await
                .map_err(db_err)?;
            }
        }
        commit(tx).await
    }

    async fn one<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        f: fn(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client.prepare_cached(sql).await.map_err(db_err)?;
        match client.query_opt(&stmt, params).await.map_err(db_err)? {
            Some(r) => Ok(Some(f(&r)?)),
            None => Ok(None),
        }
    }

    async fn many<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        f: fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client.prepare_cached(sql).await.map_err(db_err)?;
        client
            .query(&stmt, params)
            .await
            .map_err(db_err)?
            .iter()
            .map(f)
            .collect()
    }

    async fn count(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let row = client.query_one(sql, params).await.map_err(db_err)?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    /// Inserts one row with `insert` (which must `RETURNING {cols}`), maps it, and
    /// appends its log entry in the same transaction.
    async fn insert_logged<T>(
        &self,
        insert: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        f: fn(&Row) -> Result<T>,
        log: LogFn<T>,
    ) -> Result<T> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let row = tx.query_one(insert, params).await.map_err(db_err)?;
        let value = f(&row)?;
        append_log(&tx, &log(&value)).await?;
        commit(tx).await?;
        Ok(value)
    }
}

mod draws;
mod events;
mod ledger;
mod log;
mod mailbox;
mod portal;
mod registry;
mod scans;
mod users;

impl crate::Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }
}
