//! ScanStore for PgStore.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::regcache::{Generation, RegistryFacts};
use crate::scans::{Alert, AlertCount, NewAlert, NewScan, SCAN_INFORMATIONAL, VerifyRead};

const ALERT_COLS: &str = "id, product_id, serial, batch_id, brand_org_id, cause, level, status, resolution, detail, opened_at, updated_at";

fn alert_row(r: &Row) -> Result<Alert> {
    Ok(Alert {
        id: r.get(0),
        product_id: r.get(1),
        serial: r.get(2),
        batch_id: r.get(3),
        brand_org_id: r.get(4),
        cause: r.get(5),
        level: r.get(6),
        status: r.get(7),
        resolution: r.get(8),
        detail: r.get(9),
        opened_at: r.get(10),
        updated_at: r.get(11),
    })
}

fn scan_row(r: &Row) -> Result<NewScan> {
    Ok(NewScan {
        product_id: r.get(0),
        serial: r.get(1),
        batch_id: r.get(2),
        at: r.get(3),
        kind: r.get(4),
        org_id: r.get(5),
        step: r.get(6),
        lat: r.get(7),
        lon: r.get(8),
        city: r.get(9),
        region: r.get(10),
        place_key: String::new(),
    })
}

/// The statements of `verify_read`, built once.
///
/// 0: the registry generation, the product's id, the code with its batch, the
///    code's bucket count, the batch's norm and its regions (NULL before the batch's
///    first receipt), and the code's latest scans (`ORDER BY at DESC, id DESC LIMIT
///    $3`) as one array per column (see `recent_scans_at`). The joins are outer, so
///    an unknown serial (or GTIN) runs the same statement and gets NULLs. One
///    statement per look-up: its cost is in the PostgreSQL backends, which share the
///    cores with the server. The arrays are plain `array_agg`s of the sorted rows:
///    one `array_agg(… ORDER BY …)` per column would sort the rows once per column
///    (PostgreSQL 15 does not reuse the subquery's order), which cost a sixth of the
///    statement's throughput in pgbench; the order is restored in Rust instead.
/// 1-3: the registry facts, read only when the cache does not hold them under the
///    generation just read (see `crate::regcache`).
static VERIFY_SQL: std::sync::LazyLock<[String; 4]> = std::sync::LazyLock::new(|| {
    const PID: &str = "(SELECT id FROM products WHERE gtin = $1)";
    let bcols = BATCH_COLS
        .split(", ")
        .map(|c| format!("b.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    [
        format!(
            "SELECT g.n, g.token, p.id,
                    c.serial, c.state, c.holder_org_id, c.first_use, {bcols},
                    (SELECT COUNT(*) FROM scan_buckets sb WHERE sb.product_id = p.id AND sb.serial = $2),
                    s.items, s.buckets,
                    (SELECT CASE WHEN bool_or(r.received) THEN array_agg(r.region ORDER BY r.region) END
                     FROM batch_regions r WHERE r.batch_id = c.batch_id),
                    h.id, h.batch_id, h.at, h.kind, h.org_id, h.step, h.lat, h.lon, h.city, h.region
             FROM registry_generation g
             LEFT JOIN products p ON p.gtin = $1
             LEFT JOIN codes c ON c.product_id = p.id AND c.serial = $2
             LEFT JOIN batches b ON b.id = c.batch_id
             LEFT JOIN batch_scan_stats s ON s.batch_id = c.batch_id
             LEFT JOIN LATERAL (
                 SELECT array_agg(x.id) AS id, array_agg(x.batch_id) AS batch_id,
                        array_agg(x.at) AS at, array_agg(x.kind) AS kind,
                        array_agg(x.org_id) AS org_id, array_agg(x.step) AS step,
                        array_agg(x.lat) AS lat, array_agg(x.lon) AS lon,
                        array_agg(x.city) AS city, array_agg(x.region) AS region
                 FROM (SELECT id, batch_id, at, kind, org_id, step, lat, lon, city, region
                       FROM scans WHERE product_id = p.id AND serial = $2
                       ORDER BY at DESC, id DESC LIMIT $3) x
             ) h ON TRUE
             WHERE g.id = 1"
        ),
        format!("SELECT {PRODUCT_COLS} FROM products WHERE gtin = $1"),
        format!(
            "SELECT {ORG_COLS} FROM organizations WHERE id = (SELECT org_id FROM products WHERE gtin = $1)"
        ),
        format!("SELECT {CERT_COLS} FROM certificates WHERE product_id = {PID} ORDER BY id"),
    ]
});

/// Column of `VERIFY_SQL[0]` where the batch's columns start.
const VERIFY_BATCH_AT: usize = 7;

/// The code's latest scans from the arrays of `VERIFY_SQL[0]` starting at column `at`
/// (all NULL when the GTIN is unknown or the code has no scans; all of one length
/// otherwise), newest first by (at, id) whatever order the arrays came in.
fn recent_scans_at(
    r: &Row,
    at: usize,
    product_id: Option<i64>,
    serial: &str,
) -> Result<Vec<NewScan>> {
    let Some(product_id) = product_id else {
        return Ok(Vec::new());
    };
    let id: Vec<i64> = r.get::<_, Option<_>>(at).unwrap_or_default();
    let batch: Vec<i64> = r.get::<_, Option<_>>(at + 1).unwrap_or_default();
    let when: Vec<DateTime<Utc>> = r.get::<_, Option<_>>(at + 2).unwrap_or_default();
    let kind: Vec<i16> = r.get::<_, Option<_>>(at + 3).unwrap_or_default();
    let org: Vec<Option<i64>> = r.get::<_, Option<_>>(at + 4).unwrap_or_default();
    let step: Vec<Option<String>> = r.get::<_, Option<_>>(at + 5).unwrap_or_default();
    let lat: Vec<Option<f64>> = r.get::<_, Option<_>>(at + 6).unwrap_or_default();
    let lon: Vec<Option<f64>> = r.get::<_, Option<_>>(at + 7).unwrap_or_default();
    let city: Vec<Option<String>> = r.get::<_, Option<_>>(at + 8).unwrap_or_default();
    let region: Vec<Option<String>> = r.get::<_, Option<_>>(at + 9).unwrap_or_default();
    let n = id.len();
    let lens = [
        batch.len(),
        when.len(),
        kind.len(),
        org.len(),
        step.len(),
        lat.len(),
        lon.len(),
        city.len(),
        region.len(),
    ];
    if lens.iter().any(|&l| l != n) {
        return Err(StoreError::Db(format!(
            "recent scans: arrays of unequal length ({n} vs {lens:?})"
        )));
    }
    let mut rows: Vec<(i64, NewScan)> = id
        .into_iter()
        .zip(batch)
        .zip(when)
        .zip(kind)
        .zip(org)
        .zip(step)
        .zip(lat)
        .zip(lon)
        .zip(city)
        .zip(region)
        .map(
            |(((((((((id, batch_id), at), kind), org_id), step), lat), lon), city), region)| {
                let scan = NewScan {
                    product_id,
                    serial: serial.to_string(),
                    batch_id,
                    at,
                    kind,
                    org_id,
                    step,
                    lat,
                    lon,
                    city,
                    region,
                    place_key: String::new(),
                };
                (id, scan)
            },
        )
        .collect();
    rows.sort_by(|(ia, a), (ib, b)| b.at.cmp(&a.at).then(ib.cmp(ia)));
    Ok(rows.into_iter().map(|(_, s)| s).collect())
}

#[async_trait]
impl crate::ScanStore for PgStore {
    async fn record_scans(&self, scans: &[NewScan]) -> Result<()> {
        // Set-based: one statement for the scans, one for the informational buckets
        // and the batch norms, whatever the number of scans (the recorder flushes up
        // to 1,000 at a time; one round trip per row would cap it at a few thousand/s).
        if scans.is_empty() {
            return Ok(());
        }
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let n = scans.len();
        let (mut pid, mut serial, mut bid, mut at, mut kind) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut org, mut step, mut lat, mut lon, mut city, mut region) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for s in scans {
            pid.push(s.product_id);
            serial.push(s.serial.as_str());
            bid.push(s.batch_id);
            at.push(s.at);
            kind.push(s.kind);
            org.push(s.org_id);
            step.push(s.step.as_deref());
            lat.push(s.lat);
            lon.push(s.lon);
            city.push(s.city.as_deref());
            region.push(s.region.as_deref());
        }
        let ins = tx
            .prepare_cached(
                "INSERT INTO scans (product_id, serial, batch_id, at, kind, org_id, step, lat, lon, city, region)
                 SELECT p, s, b, a, k, o, st, la, lo, c, r
                 FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::TIMESTAMPTZ[], $5::SMALLINT[], $6::BIGINT[],
                             $7::TEXT[], $8::FLOAT8[], $9::FLOAT8[], $10::TEXT[], $11::TEXT[])
                      WITH ORDINALITY AS x(p, s, b, a, k, o, st, la, lo, c, r, ord)
                 ORDER BY ord",
            )
            .await
            .map_err(db_err)?;
        tx.execute(
            &ins,
            &[
                &pid, &serial, &bid, &at, &kind, &org, &step, &lat, &lon, &city, &region,
            ],
        )
        .await
        .map_err(db_err)?;
        let info: Vec<&NewScan> = scans
            .iter()
            .filter(|s| s.kind == SCAN_INFORMATIONAL)
            .collect();
        if !info.is_empty() {
            let ipid: Vec<i64> = info.iter().map(|s| s.product_id).collect();
            let iserial: Vec<&str> = info.iter().map(|s| s.serial.as_str()).collect();
            let ibid: Vec<i64> = info.iter().map(|s| s.batch_id).collect();
            let iday: Vec<chrono::NaiveDate> = info.iter().map(|s| s.at.date_naive()).collect();
            let iplace: Vec<&str> = info.iter().map(|s| s.place_key.as_str()).collect();
            // New buckets count towards their batch; a code whose first bucket this is
            // (none before this statement's snapshot) adds an item.
            let buckets = tx
                .prepare_cached(
                    "WITH input AS (
                         SELECT DISTINCT p, s, b, d, pl
                         FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::DATE[], $5::TEXT[]) AS x(p, s, b, d, pl)
                     ), ins AS (
                         INSERT INTO scan_buckets (product_id, serial, day, place)
                         SELECT DISTINCT p, s, d, pl FROM input
                         ON CONFLICT DO NOTHING
                         RETURNING product_id, serial
                     ), per_code AS (
                         SELECT product_id, serial, COUNT(*) AS n FROM ins GROUP BY product_id, serial
                     ), per_batch AS (
                         SELECT cb.b AS batch_id,
                                SUM(pc.n) AS buckets,
                                COUNT(*) FILTER (WHERE NOT EXISTS (
                                    SELECT 1 FROM scan_buckets sb
                                    WHERE sb.product_id = pc.product_id AND sb.serial = pc.serial)) AS items
                         FROM per_code pc
                         JOIN (SELECT DISTINCT p, s, b FROM input) cb ON cb.p = pc.product_id AND cb.s = pc.serial
                         GROUP BY cb.b
                     )
                     INSERT INTO batch_scan_stats (batch_id, items, buckets)
                     SELECT batch_id, items, buckets FROM per_batch
                     ON CONFLICT (batch_id) DO UPDATE
                     SET items = batch_scan_stats.items + EXCLUDED.items,
                         buckets = batch_scan_stats.buckets + EXCLUDED.buckets",
                )
                .await
                .map_err(db_err)?;
            tx.execute(&buckets, &[&ipid, &iserial, &ibid, &iday, &iplace])
                .await
                .map_err(db_err)?;
        }
        let regions: Vec<(i64, &str, bool)> = scans
            .iter()
            .filter_map(|s| crate::scans::batch_region(s).map(|(r, rec)| (s.batch_id, r, rec)))
            .collect();
        if !regions.is_empty() {
            let region = tx
                .prepare_cached(
                    "INSERT INTO batch_regions (batch_id, region, received) VALUES ($1, $2, $3)
                     ON CONFLICT (batch_id, region) DO UPDATE SET received = batch_regions.received OR EXCLUDED.received",
                )
                .await
                .map_err(db_err)?;
            for (b, r, received) in &regions {
                tx.execute(&region, &[b, r, received])
                    .await
                    .map_err(db_err)?;
            }
        }
        commit(tx).await
    }

    async fn verify_read(
        &self,
        gtin: &str,
        serial: &str,
        history_limit: u32,
    ) -> Result<VerifyRead> {
        // One statement. The registry facts come from the cache while the generation
        // it read is unchanged; otherwise three more statements, one more round trip.
        let client = self.pool.get().await.map_err(pool_err)?;
        let sqls = &*VERIFY_SQL;
        let s0 = client.prepare_cached(&sqls[0]).await.map_err(db_err)?;
        let limit = i64::from(history_limit);
        let gsl: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&gtin, &serial, &limit];
        let head = client.query_one(&s0, &gsl).await.map_err(db_err)?;
        let generation: Generation = (head.get(0), head.get(1));
        let pid: Option<i64> = head.get(2);
        // A code is found with its batch (as the inner join of the single reads).
        let code = head
            .get::<_, Option<String>>(3)
            .filter(|_| head.get::<_, Option<i64>>(VERIFY_BATCH_AT).is_some())
            .map(|serial| CodeView {
                serial,
                state: head.get(4),
                holder_org_id: head.get(5),
                first_use: head.get(6),
                batch: batch_row_at(&head, VERIFY_BATCH_AT),
            });
        let at = VERIFY_BATCH_AT + BATCH_COLS.split(", ").count();
        let code_buckets = head.get::<_, i64>(at).max(0) as u64;
        let items: Option<i64> = head.get(at + 1);
        let buckets: Option<i64> = head.get(at + 2);
        let regions: Option<Vec<String>> = head.get(at + 3);
        let recent = recent_scans_at(&head, at + 4, pid, serial)?;
        let facts = match pid {
            None => None,
            Some(pid) => match self
                .registry
                .get(gtin, generation)
                .filter(|f| f.product.id == pid)
            {
                Some(f) => Some(f),
                None => {
                    let (s2, s3, s4) = tokio::try_join!(
                        client.prepare_cached(&sqls[1]),
                        client.prepare_cached(&sqls[2]),
                        client.prepare_cached(&sqls[3]),
                    )
                    .map_err(db_err)?;
                    let g: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&gtin];
                    let (product, org, certs) = tokio::try_join!(
                        client.query_opt(&s2, &g),
                        client.query_opt(&s3, &g),
                        client.query(&s4, &g),
                    )
                    .map_err(db_err)?;
                    match product.as_ref().map(product_row).transpose()? {
                        Some(product) => {
                            let f = Arc::new(RegistryFacts {
                                product,
                                org: org.as_ref().map(org_row).transpose()?,
                                certificates: certs.iter().map(cert_row).collect::<Result<_>>()?,
                            });
                            self.registry.put(gtin, generation, f.clone());
                            Some(f)
                        }
                        None => None,
                    }
                }
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
            shipped_regions: regions.unwrap_or_default(),
        })
    }

    async fn recent_scans(
        &self,
        product_id: i64,
        serial: &str,
        limit: u32,
    ) -> Result<Vec<NewScan>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let st = client
            .prepare_cached(
                "SELECT product_id, serial, batch_id, at, kind, org_id, step, lat, lon, city, region
                 FROM scans WHERE product_id = $1 AND serial = $2 ORDER BY at DESC, id DESC LIMIT $3",
            )
            .await
            .map_err(db_err)?;
        client
            .query(&st, &[&product_id, &serial, &i64::from(limit)])
            .await
            .map_err(db_err)?
            .iter()
            .map(scan_row)
            .collect()
    }

    async fn code_buckets(&self, product_id: i64, serial: &str) -> Result<u64> {
        self.count(
            "SELECT COUNT(*) FROM scan_buckets WHERE product_id = $1 AND serial = $2",
            &[&product_id, &serial],
        )
        .await
    }

    async fn batch_scan_stats(&self, batch_id: i64) -> Result<(u64, u64)> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let row = client
            .query_opt(
                "SELECT items, buckets FROM batch_scan_stats WHERE batch_id = $1",
                &[&batch_id],
            )
            .await
            .map_err(db_err)?;
        Ok(row.map_or((0, 0), |r| {
            (
                r.get::<_, i64>(0).max(0) as u64,
                r.get::<_, i64>(1).max(0) as u64,
            )
        }))
    }

    async fn open_alert(&self, a: &NewAlert, log: &LogEntry) -> Result<Option<Alert>> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let row = tx
            .query_opt(
                &format!(
                    "INSERT INTO alerts (product_id, serial, batch_id, brand_org_id, cause, level, status, detail, opened_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)
                     ON CONFLICT (product_id, serial, cause) WHERE status <> 'closed' DO NOTHING
                     RETURNING {ALERT_COLS}"
                ),
                &[&a.product_id, &a.serial, &a.batch_id, &a.brand_org_id, &a.cause, &a.level, &a.detail, &a.opened_at],
            )
            .await
            .map_err(db_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let alert = alert_row(&row)?;
        append_log(&tx, log).await?;
        commit(tx).await?;
        Ok(Some(alert))
    }

    async fn get_alert(&self, id: i64) -> Result<Option<Alert>> {
        self.one(
            &format!("SELECT {ALERT_COLS} FROM alerts WHERE id = $1"),
            &[&id],
            alert_row,
        )
        .await
    }

    async fn list_alerts(
        &self,
        brand_org_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<Alert>> {
        self.many(
            &format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE ($1::BIGINT IS NULL OR brand_org_id = $1) AND ($2::TEXT IS NULL OR status = $2)
                 ORDER BY id DESC LIMIT 1000"
            ),
            &[&brand_org_id, &status],
            alert_row,
        )
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
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let row = tx
            .query_opt(
                &format!("UPDATE alerts SET status = $2, resolution = $3, updated_at = $4 WHERE id = $1 RETURNING {ALERT_COLS}"),
                &[&id, &status, &resolution, &at],
            )
            .await
            .map_err(db_err)?
            .ok_or_else(|| StoreError::NotFound(format!("alert {id}")))?;
        let alert = alert_row(&row)?;
        append_log(&tx, log).await?;
        commit(tx).await?;
        Ok(alert)
    }

    async fn alert_counts(&self, brand_org_id: Option<i64>) -> Result<Vec<AlertCount>> {
        self.many(
            "SELECT cause, status, resolution, COUNT(*) FROM alerts WHERE ($1::BIGINT IS NULL OR brand_org_id = $1)
             GROUP BY cause, status, resolution ORDER BY cause, status, resolution",
            &[&brand_org_id],
            |r| Ok(AlertCount { cause: r.get(0), status: r.get(1), resolution: r.get(2), count: r.get::<_, i64>(3).max(0) as u64 }),
        )
        .await
    }
}
