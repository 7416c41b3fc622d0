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
    NewCertificate, NewEvent, NewIssuance, NewOrg, NewProduct, NewSite, Org, Product, Result,
    Site, Store, StoreError, StoredEvent,
};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/postgres/0001_init.sql"))];
/// Advisory lock serialising appends to the log (gap-free leaf indexes).
const LOG_LOCK: i64 = 0x7070_6574;
const MIGRATION_LOCK: i64 = 0x7070_6575;

pub struct PgStore {
    pool: Pool,
}

fn db_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::FOREIGN_KEY_VIOLATION
            || *code == SqlState::CHECK_VIOLATION
        {
            let what = db.constraint().map(String::from).unwrap_or_else(|| db.message().to_string());
            return StoreError::Conflict(what);
        }
        return StoreError::Db(format!("{}: {}", code.code(), db.message()));
    }
    StoreError::Db(e.to_string())
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Db(format!("connection pool: {e}"))
}

async fn append_log(tx: &Transaction<'_>, entry: &LogEntry) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK]).await.map_err(db_err)?;
    tx.execute(
        "INSERT INTO log_entries (seq, body, created_at)
         VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries), $1, $2)",
        &[&entry.to_bytes(), &entry.time],
    )
    .await
    .map_err(db_err)?;
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

const EVENT_COLS: &str =
    "e.id, e.event_id, e.event_type, e.event_time, e.record_time, e.biz_step, e.disposition, e.read_point, e.body";
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
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Url(format!("{}: {e}", crate::redact(url))))?;
        let mgr = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(mgr)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Db(format!("connection pool: {e}")))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(db_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db_err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(db_err)?;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt("SELECT version FROM schema_migrations WHERE version = $1", &[version])
                .await
                .map_err(db_err)?;
            if done.is_none() {
                tx.batch_execute(sql).await.map_err(db_err)?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
                    .await
                    .map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)
    }

    async fn one<T>(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)], f: fn(&Row) -> Result<T>) -> Result<Option<T>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client.prepare_cached(sql).await.map_err(db_err)?;
        match client.query_opt(&stmt, params).await.map_err(db_err)? {
            Some(r) => Ok(Some(f(&r)?)),
            None => Ok(None),
        }
    }

    async fn many<T>(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)], f: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client.prepare_cached(sql).await.map_err(db_err)?;
        client.query(&stmt, params).await.map_err(db_err)?.iter().map(f).collect()
    }

    async fn count(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Result<u64> {
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
        let tx = client.transaction().await.map_err(db_err)?;
        let row = tx.query_one(insert, params).await.map_err(db_err)?;
        let value = f(&row)?;
        append_log(&tx, &log(&value)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(value)
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn create_org(&self, new: &NewOrg, log: LogFn<Org>) -> Result<Org> {
        self.insert_logged(
            &format!("INSERT INTO organizations (name, roles, gln, uscc, company_prefixes, city, created_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ORG_COLS}"),
            &[&new.name, &roles_to_text(&new.roles), &new.gln, &new.uscc, &new.company_prefixes.join(","), &new.city, &new.created_at],
            org_row,
            log,
        )
        .await
    }

    async fn get_org(&self, id: i64) -> Result<Option<Org>> {
        self.one(&format!("SELECT {ORG_COLS} FROM organizations WHERE id = $1"), &[&id], org_row).await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        self.many(&format!("SELECT {ORG_COLS} FROM organizations ORDER BY id"), &[], org_row).await
    }

    async fn create_api_key(&self, new: &NewApiKey, log: LogFn<ApiKey>) -> Result<ApiKey> {
        self.insert_logged(
            &format!("INSERT INTO api_keys (org_id, lookup, secret_sha256, admin, label, created_at)
                      VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLS}"),
            &[&new.org_id, &new.lookup, &new.secret_sha256, &new.admin, &new.label, &new.created_at],
            key_row,
            log,
        )
        .await
    }

    async fn find_api_key(&self, lookup: &str) -> Result<Option<ApiKey>> {
        self.one(&format!("SELECT {KEY_COLS} FROM api_keys WHERE lookup = $1"), &[&lookup], key_row).await
    }

    async fn create_site(&self, new: &NewSite, log: LogFn<Site>) -> Result<Site> {
        self.insert_logged(
            &format!("INSERT INTO sites (org_id, gln, name, city, region, latitude, longitude, created_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {SITE_COLS}"),
            &[&new.org_id, &new.gln, &new.name, &new.city, &new.region, &new.latitude, &new.longitude, &new.created_at],
            site_row,
            log,
        )
        .await
    }

    async fn get_site_by_gln(&self, gln: &str) -> Result<Option<Site>> {
        self.one(&format!("SELECT {SITE_COLS} FROM sites WHERE gln = $1"), &[&gln], site_row).await
    }

    async fn list_sites(&self, org_id: i64) -> Result<Vec<Site>> {
        self.many(&format!("SELECT {SITE_COLS} FROM sites WHERE org_id = $1 ORDER BY id"), &[&org_id], site_row).await
    }

    async fn create_product(&self, new: &NewProduct, log: LogFn<Product>) -> Result<Product> {
        let months = new.service_life_months.map(|m| m.min(i32::MAX as u32) as i32);
        self.insert_logged(
            &format!("INSERT INTO products (org_id, gtin, name, category, standard, protection_class, service_life_months, service_life_from, created_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PRODUCT_COLS}"),
            &[&new.org_id, &new.gtin, &new.name, &new.category, &new.standard, &new.protection_class, &months, &new.service_life_from, &new.created_at],
            product_row,
            log,
        )
        .await
    }

    async fn get_product(&self, id: i64) -> Result<Option<Product>> {
        self.one(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = $1"), &[&id], product_row).await
    }

    async fn get_product_by_gtin(&self, gtin: &str) -> Result<Option<Product>> {
        self.one(&format!("SELECT {PRODUCT_COLS} FROM products WHERE gtin = $1"), &[&gtin], product_row).await
    }

    async fn list_products(&self, org_id: Option<i64>) -> Result<Vec<Product>> {
        self.many(
            &format!("SELECT {PRODUCT_COLS} FROM products WHERE ($1::BIGINT IS NULL OR org_id = $1) ORDER BY id"),
            &[&org_id],
            product_row,
        )
        .await
    }

    async fn create_certificate(&self, new: &NewCertificate, log: LogFn<Certificate>) -> Result<Certificate> {
        self.insert_logged(
            &format!("INSERT INTO certificates (org_id, product_id, kind, number, issuer, valid_from, valid_until, status, created_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {CERT_COLS}"),
            &[&new.org_id, &new.product_id, &new.kind, &new.number, &new.issuer, &new.valid_from, &new.valid_until, &new.status, &new.created_at],
            cert_row,
            log,
        )
        .await
    }

    async fn list_certificates(&self, product_id: i64) -> Result<Vec<Certificate>> {
        self.many(&format!("SELECT {CERT_COLS} FROM certificates WHERE product_id = $1 ORDER BY id"), &[&product_id], cert_row).await
    }

    async fn create_batch(&self, new: &NewBatch, log: LogFn<Batch>) -> Result<Batch> {
        self.insert_logged(
            &format!("INSERT INTO batches (product_id, lot, production_date, expiry_date, created_at)
                      VALUES ($1, $2, $3, $4, $5) RETURNING {BATCH_COLS}"),
            &[&new.product_id, &new.lot, &new.production_date, &new.expiry_date, &new.created_at],
            batch_row,
            log,
        )
        .await
    }

    async fn get_batch(&self, id: i64) -> Result<Option<Batch>> {
        self.one(&format!("SELECT {BATCH_COLS} FROM batches WHERE id = $1"), &[&id], batch_row).await
    }

    async fn list_batches(&self, product_id: i64) -> Result<Vec<Batch>> {
        self.many(&format!("SELECT {BATCH_COLS} FROM batches WHERE product_id = $1 ORDER BY id"), &[&product_id], batch_row).await
    }

    async fn insert_codes(
        &self,
        batch: &Batch,
        serials: &[String],
        issuance: Option<(&NewIssuance, &LogEntry)>,
    ) -> Result<u64> {
        let mut sorted: Vec<&str> = serials.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(db_err)?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO codes (product_id, serial, batch_id, state)
                 SELECT $1, s, $2, 0 FROM UNNEST($3::TEXT[]) AS s
                 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(db_err)?;
        let mut n = 0u64;
        for chunk in sorted.chunks(50_000) {
            n += tx.execute(&stmt, &[&batch.product_id, &batch.id, &chunk]).await.map_err(db_err)?;
        }
        if let Some((iss, entry)) = issuance {
            tx.execute(
                "INSERT INTO code_issuances (batch_id, count, merkle_root, actor, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[&iss.batch_id, &(iss.count as i64), &iss.merkle_root, &iss.actor, &iss.created_at],
            )
            .await
            .map_err(db_err)?;
            append_log(&tx, entry).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn batch_serials(&self, batch_id: i64, after: Option<&str>, limit: u32) -> Result<Vec<String>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(
                "SELECT serial FROM codes WHERE batch_id = $1 AND ($2::TEXT IS NULL OR serial > $2) ORDER BY serial LIMIT $3",
            )
            .await
            .map_err(db_err)?;
        let rows = client.query(&stmt, &[&batch_id, &after, &i64::from(limit)]).await.map_err(db_err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn count_codes(&self, batch_id: i64) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM codes WHERE batch_id = $1", &[&batch_id]).await
    }

    async fn lookup_code(&self, product_id: i64, serial: &str) -> Result<Option<CodeView>> {
        let cols = BATCH_COLS.split(", ").map(|c| format!("b.{c}")).collect::<Vec<_>>().join(", ");
        self.one(
            &format!(
                "SELECT c.serial, c.state, c.holder_org_id, c.first_use, {cols}
                 FROM codes c JOIN batches b ON b.id = c.batch_id
                 WHERE c.product_id = $1 AND c.serial = $2"
            ),
            &[&product_id, &serial],
            |r| {
                Ok(CodeView {
                    serial: r.get(0),
                    state: r.get(1),
                    holder_org_id: r.get(2),
                    first_use: r.get(3),
                    batch: batch_row_at(r, 4),
                })
            },
        )
        .await
    }

    async fn record_event(&self, ev: &NewEvent, effects: &Effects, log: &LogEntry) -> Result<i64> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(db_err)?;
        let row = tx
            .query_one(
                "INSERT INTO events (event_id, event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, owner_org_id, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[&ev.event_id, &ev.event_type, &ev.event_time, &ev.record_time, &ev.action, &ev.biz_step, &ev.disposition, &ev.read_point, &ev.biz_location, &ev.owner_org_id, &ev.body],
            )
            .await
            .map_err(db_err)?;
        let pk: i64 = row.get(0);
        if !ev.epcs.is_empty() {
            tx.execute(
                "INSERT INTO event_epcs (epc, event_pk) SELECT DISTINCT e, $2 FROM UNNEST($1::TEXT[]) AS e ON CONFLICT DO NOTHING",
                &[&ev.epcs, &pk],
            )
            .await
            .map_err(db_err)?;
        }
        if effects.new_state.is_some() || effects.new_holder.is_some() {
            let stmt = tx
                .prepare_cached(
                    "UPDATE codes SET state = COALESCE($3, state), holder_org_id = COALESCE($4, holder_org_id)
                     WHERE product_id = $1 AND serial = $2",
                )
                .await
                .map_err(db_err)?;
            for (pid, serial) in &effects.codes {
                let changed = tx
                    .execute(&stmt, &[pid, serial, &effects.new_state, &effects.new_holder])
                    .await
                    .map_err(db_err)?;
                if changed == 0 {
                    return Err(StoreError::NotFound(format!("code {serial}")));
                }
            }
        }
        if let Some(b) = effects.release_batch {
            tx.execute("UPDATE batches SET released = TRUE WHERE id = $1", &[&b]).await.map_err(db_err)?;
        }
        if let Some((b, d, reason)) = &effects.recall_batch {
            tx.execute(
                "UPDATE batches SET recalled_on = $2, recall_reason = $3 WHERE id = $1",
                &[b, d, reason],
            )
            .await
            .map_err(db_err)?;
        }
        append_log(&tx, log).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(pk)
    }

    async fn events_for_epc(&self, epc: &str) -> Result<Vec<StoredEvent>> {
        self.many(
            &format!(
                "SELECT {EVENT_COLS} FROM event_epcs x JOIN events e ON e.id = x.event_pk
                 WHERE x.epc = $1 ORDER BY e.event_time, e.id"
            ),
            &[&epc],
            event_row,
        )
        .await
    }

    async fn event_count(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM events", &[]).await
    }

    async fn log_size(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM log_entries", &[]).await
    }

    async fn log_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let rows = client
            .query(
                "SELECT body FROM log_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq",
                &[&(from as i64), &(to as i64)],
            )
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
