//! ScanStore for SqliteStore.

use super::*;
use crate::regcache::{Generation, RegistryFacts};
use crate::scans::{Alert, AlertCount, NewAlert, NewScan, SCAN_INFORMATIONAL, VerifyRead};

const ALERT_COLS: &str = "id, product_id, serial, batch_id, brand_org_id, cause, level, status, resolution, detail, opened_at, updated_at";

fn alert_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get(0)?,
        product_id: r.get(1)?,
        serial: r.get(2)?,
        batch_id: r.get(3)?,
        brand_org_id: r.get(4)?,
        cause: r.get(5)?,
        level: r.get(6)?,
        status: r.get(7)?,
        resolution: r.get(8)?,
        detail: r.get(9)?,
        opened_at: parse_ts(r.get(10)?)?,
        updated_at: parse_ts(r.get(11)?)?,
    })
}

fn scan_row(r: &Row<'_>) -> rusqlite::Result<NewScan> {
    Ok(NewScan {
        product_id: r.get(0)?,
        serial: r.get(1)?,
        batch_id: r.get(2)?,
        at: parse_ts(r.get(3)?)?,
        kind: r.get(4)?,
        org_id: r.get(5)?,
        step: r.get(6)?,
        lat: r.get(7)?,
        lon: r.get(8)?,
        city: r.get(9)?,
        region: r.get(10)?,
        place_key: String::new(),
    })
}

/// The statements of `verify_read`, built once (the column lists are constants).
///
/// 0: the one statement every verification runs: the registry generation, the
///    product's id, the code with its batch, the code's bucket count, the batch's
///    norm and its regions (a JSON array, or NULL before the batch's first
///    receipt). The joins are outer, so an unknown serial (or GTIN) runs the same
///    statement and gets NULLs.
/// 1-3: the registry facts, read only when the cache does not hold them under the
///    generation just read (see `crate::regcache`).
static VERIFY_SQL: std::sync::LazyLock<[String; 4]> = std::sync::LazyLock::new(|| {
    let bcols = BATCH_COLS
        .split(", ")
        .map(|c| format!("b.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    [
        format!(
            "SELECT g.n, g.token, p.id,
                    c.serial, c.state, c.holder_org_id, c.first_use, {bcols},
                    (SELECT COUNT(*) FROM scan_buckets WHERE product_id = p.id AND serial = ?2),
                    s.items, s.buckets,
                    (SELECT CASE WHEN MAX(received) THEN json_group_array(region) END
                     FROM batch_regions WHERE batch_id = c.batch_id)
             FROM registry_generation g
             LEFT JOIN products p ON p.gtin = ?1
             LEFT JOIN codes c ON c.product_id = p.id AND c.serial = ?2
             LEFT JOIN batches b ON b.id = c.batch_id
             LEFT JOIN batch_scan_stats s ON s.batch_id = c.batch_id
             WHERE g.id = 1"
        ),
        format!("SELECT {PRODUCT_COLS} FROM products WHERE gtin = ?1"),
        format!("SELECT {ORG_COLS} FROM organizations WHERE id = ?1"),
        format!("SELECT {CERT_COLS} FROM certificates WHERE product_id = ?1 ORDER BY id"),
    ]
});

/// Column of `VERIFY_SQL[0]` where the batch's columns start.
const VERIFY_BATCH_AT: usize = 7;

/// The latest scans of a code, newest first, at most `limit`. The limit is written
/// into the statement, not bound: SQLite plans with the value of a bound LIMIT and
/// then re-prepares the statement on every bind (unless the connection has the query
/// planner stability guarantee, as `read_hot` connections do). The limit is a
/// setting, so the cache holds one statement per value in use.
fn recent_sql(limit: u32) -> String {
    format!(
        "SELECT product_id, serial, batch_id, at, kind, org_id, step, lat, lon, city, region
         FROM scans WHERE product_id = ?1 AND serial = ?2 ORDER BY at DESC, id DESC LIMIT {limit}"
    )
}

/// The product of `gtin`, its manufacturer and its certificates, read after the
/// registry generation they will be cached under.
fn registry_facts(c: &Connection, gtin: &str) -> Result<Option<RegistryFacts>> {
    let product = c
        .prepare_cached(&VERIFY_SQL[1])
        .and_then(|mut st| st.query_row([gtin], product_row).optional())
        .map_err(db_err)?;
    let Some(product) = product else {
        return Ok(None);
    };
    let org = c
        .prepare_cached(&VERIFY_SQL[2])
        .and_then(|mut st| st.query_row([product.org_id], org_row).optional())
        .map_err(db_err)?;
    let certificates = c
        .prepare_cached(&VERIFY_SQL[3])
        .and_then(|mut st| {
            st.query_map([product.id], cert_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db_err)?;
    Ok(Some(RegistryFacts {
        product,
        org,
        certificates,
    }))
}

#[async_trait]
impl crate::ScanStore for SqliteStore {
    async fn record_scans(&self, scans: &[NewScan]) -> Result<()> {
        let scans = scans.to_vec();
        self.write(move |tx| {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO scans (product_id, serial, batch_id, at, kind, org_id, step, lat, lon, city, region)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(db_err)?;
            let mut bucket = tx
                .prepare_cached("INSERT OR IGNORE INTO scan_buckets (product_id, serial, day, place) VALUES (?1, ?2, ?3, ?4)")
                .map_err(db_err)?;
            let mut first = tx
                .prepare_cached("SELECT COUNT(*) FROM scan_buckets WHERE product_id = ?1 AND serial = ?2")
                .map_err(db_err)?;
            let mut stats = tx
                .prepare_cached(
                    "INSERT INTO batch_scan_stats (batch_id, items, buckets) VALUES (?1, ?2, 1)
                     ON CONFLICT(batch_id) DO UPDATE SET items = items + ?2, buckets = buckets + 1",
                )
                .map_err(db_err)?;
            let mut region = tx
                .prepare_cached(
                    "INSERT INTO batch_regions (batch_id, region, received) VALUES (?1, ?2, ?3)
                     ON CONFLICT(batch_id, region) DO UPDATE SET received = MAX(received, excluded.received)",
                )
                .map_err(db_err)?;
            for s in &scans {
                if let Some((r, received)) = crate::scans::batch_region(s) {
                    region.execute(params![s.batch_id, r, received]).map_err(db_err)?;
                }
                ins.execute(params![s.product_id, s.serial, s.batch_id, ts(&s.at), s.kind, s.org_id, s.step, s.lat, s.lon, s.city, s.region])
                    .map_err(db_err)?;
                if s.kind == SCAN_INFORMATIONAL {
                    let day = s.at.date_naive().format("%Y-%m-%d").to_string();
                    if bucket.execute(params![s.product_id, s.serial, day, s.place_key]).map_err(db_err)? == 1 {
                        let n: i64 = first.query_row(params![s.product_id, s.serial], |r| r.get(0)).map_err(db_err)?;
                        stats.execute(params![s.batch_id, i64::from(n == 1)]).map_err(db_err)?;
                    }
                }
            }
            Ok(())
        })
        .await
    }

    async fn verify_read(
        &self,
        gtin: &str,
        serial: &str,
        history_limit: u32,
    ) -> Result<VerifyRead> {
        let (gtin, serial) = (gtin.to_string(), serial.to_string());
        let cache = self.registry.clone();
        self.read_hot(move |c| {
            // The code, its batch and scan figures, and the registry generation: one
            // statement (one snapshot).
            let head = c
                .prepare_cached(&VERIFY_SQL[0])
                .and_then(|mut st| {
                    st.query_row(params![gtin, serial], |r| {
                        let generation: Generation = (r.get(0)?, r.get(1)?);
                        let pid: Option<i64> = r.get(2)?;
                        let code_serial: Option<String> = r.get(3)?;
                        // A code is found with its batch (as the inner join of the
                        // single reads).
                        let batch_id: Option<i64> = r.get(VERIFY_BATCH_AT)?;
                        let code = match code_serial.filter(|_| batch_id.is_some()) {
                            Some(serial) => Some(CodeView {
                                serial,
                                state: r.get(4)?,
                                holder_org_id: r.get(5)?,
                                first_use: parse_date(r.get(6)?)?,
                                batch: batch_row_at(r, VERIFY_BATCH_AT)?,
                            }),
                            None => None,
                        };
                        let at = VERIFY_BATCH_AT + BATCH_COLS.split(", ").count();
                        let code_buckets = r.get::<_, i64>(at)?.max(0) as u64;
                        let items: Option<i64> = r.get(at + 1)?;
                        let buckets: Option<i64> = r.get(at + 2)?;
                        let regions: Option<String> = r.get(at + 3)?;
                        Ok((
                            generation,
                            pid,
                            code,
                            code_buckets,
                            (items, buckets),
                            regions,
                        ))
                    })
                    .optional()
                })
                .map_err(db_err)?;
            let Some((generation, pid, code, code_buckets, (items, buckets), regions)) = head
            else {
                return Err(StoreError::Db(
                    "registry_generation has no row (migration 0012)".into(),
                ));
            };
            let shipped_regions = match regions {
                Some(json) => serde_json::from_str::<Vec<String>>(&json)
                    .map_err(|e| StoreError::Db(format!("batch regions: {e}")))?,
                None => Vec::new(),
            };
            // Ids that match nothing keep the statement the same for unknown codes.
            let recent = c
                .prepare_cached(&recent_sql(history_limit))
                .and_then(|mut st| {
                    st.query_map(params![pid.unwrap_or(-1), serial], scan_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(db_err)?;
            let facts = match pid {
                None => None,
                Some(pid) => match cache.get(&gtin, generation).filter(|f| f.product.id == pid) {
                    Some(f) => Some(f),
                    None => registry_facts(c, &gtin)?.map(|f| {
                        let f = Arc::new(f);
                        cache.put(&gtin, generation, f.clone());
                        f
                    }),
                },
            };
            let (product, org, certificates) = crate::regcache::split(facts);
            Ok(VerifyRead {
                product,
                code,
                org,
                certificates,
                recent,
                code_buckets,
                batch_stats: (
                    items.unwrap_or(0).max(0) as u64,
                    buckets.unwrap_or(0).max(0) as u64,
                ),
                shipped_regions,
            })
        })
        .await
    }

    async fn recent_scans(
        &self,
        product_id: i64,
        serial: &str,
        limit: u32,
    ) -> Result<Vec<NewScan>> {
        let serial = serial.to_string();
        self.read(move |c| {
            let mut st = c.prepare_cached(&recent_sql(limit)).map_err(db_err)?;
            let rows = st
                .query_map(params![product_id, serial], scan_row)
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn code_buckets(&self, product_id: i64, serial: &str) -> Result<u64> {
        let serial = serial.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT COUNT(*) FROM scan_buckets WHERE product_id = ?1 AND serial = ?2",
            )
            .and_then(|mut st| st.query_row(params![product_id, serial], |r| r.get::<_, i64>(0)))
            .map(|n| n.max(0) as u64)
            .map_err(db_err)
        })
        .await
    }

    async fn batch_scan_stats(&self, batch_id: i64) -> Result<(u64, u64)> {
        self.read(move |c| {
            c.prepare_cached("SELECT items, buckets FROM batch_scan_stats WHERE batch_id = ?1")
                .and_then(|mut st| {
                    st.query_row([batch_id], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })
                    .optional()
                })
                .map(|o| o.map_or((0, 0), |(a, b)| (a.max(0) as u64, b.max(0) as u64)))
                .map_err(db_err)
        })
        .await
    }

    async fn open_alert(&self, a: &NewAlert, log: &LogEntry) -> Result<Option<Alert>> {
        let (a, log) = (a.clone(), log.clone());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO alerts (product_id, serial, batch_id, brand_org_id, cause, level, status, detail, opened_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?8)",
                    params![a.product_id, a.serial, a.batch_id, a.brand_org_id, a.cause, a.level, a.detail, ts(&a.opened_at)],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Ok(None);
            }
            let id = tx.last_insert_rowid();
            let row = tx
                .query_row(&format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"), [id], alert_row)
                .map_err(db_err)?;
            append_log(tx, &log).map_err(db_err)?;
            Ok(Some(row))
        })
        .await
    }

    async fn get_alert(&self, id: i64) -> Result<Option<Alert>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"),
                [id],
                alert_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_alerts(
        &self,
        brand_org_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<Alert>> {
        let status = status.map(String::from);
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {ALERT_COLS} FROM alerts WHERE (?1 IS NULL OR brand_org_id = ?1) AND (?2 IS NULL OR status = ?2)
                     ORDER BY id DESC LIMIT 1000"
                ))
                .map_err(db_err)?;
            let rows = st.query_map(params![brand_org_id, status], alert_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn update_alert(
        &self,
        id: i64,
        status: &str,
        resolution: Option<&str>,
        at: DateTime<Utc>,
        log: &LogEntry,
    ) -> Result<Alert> {
        let (status, resolution, log) = (
            status.to_string(),
            resolution.map(String::from),
            log.clone(),
        );
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE alerts SET status = ?2, resolution = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, status, resolution, ts(&at)],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("alert {id}")));
            }
            append_log(tx, &log).map_err(db_err)?;
            tx.query_row(
                &format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"),
                [id],
                alert_row,
            )
            .map_err(db_err)
        })
        .await
    }

    async fn alert_counts(&self, brand_org_id: Option<i64>) -> Result<Vec<AlertCount>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT cause, status, resolution, COUNT(*) FROM alerts WHERE (?1 IS NULL OR brand_org_id = ?1)
                     GROUP BY cause, status, resolution ORDER BY cause, status, resolution",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map([brand_org_id], |r| {
                    Ok(AlertCount { cause: r.get(0)?, status: r.get(1)?, resolution: r.get(2)?, count: r.get::<_, i64>(3)?.max(0) as u64 })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }
}
