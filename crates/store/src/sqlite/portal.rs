//! PortalStore for SqliteStore.

use super::*;
use crate::portal::{PortalTotals, RecallRow};

#[async_trait]
impl crate::PortalStore for SqliteStore {
    async fn recalled_batches(&self, limit: u32) -> Result<Vec<RecallRow>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT b.id, b.product_id, b.lot, b.production_date, b.expiry_date, b.released,
                            b.recalled_on, b.recall_reason, b.created_at,
                            p.gtin, p.name, o.id, o.name
                     FROM batches b JOIN products p ON p.id = b.product_id
                     JOIN organizations o ON o.id = p.org_id
                     WHERE b.recalled_on IS NOT NULL
                     ORDER BY b.recalled_on DESC, b.id DESC LIMIT ?1",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map([limit], |r| {
                    Ok(RecallRow {
                        batch: batch_row_at(r, 0)?,
                        gtin: r.get(9)?,
                        product_name: r.get(10)?,
                        org_id: r.get(11)?,
                        org_name: r.get(12)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn lookups_per_day(&self, from: NaiveDate) -> Result<Vec<(NaiveDate, u64)>> {
        // Times are stored as RFC 3339 UTC text, so the day is the first ten
        // characters and a day string compares correctly against them.
        let from = from.format("%Y-%m-%d").to_string();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT substr(at, 1, 10) AS day, COUNT(*) FROM scans
                     WHERE kind = ?1 AND at >= ?2 GROUP BY day ORDER BY day",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map(params![crate::scans::SCAN_INFORMATIONAL, from], |r| {
                    let day = parse_date(Some(r.get(0)?))?.unwrap_or_default();
                    let n: i64 = r.get(1)?;
                    Ok((day, n.max(0) as u64))
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn alerts_by_level(&self) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            let mut st = c
                .prepare_cached("SELECT level, COUNT(*) FROM alerts GROUP BY level ORDER BY level")
                .map_err(db_err)?;
            let rows = st
                .query_map([], |r| {
                    let n: i64 = r.get(1)?;
                    Ok((r.get::<_, String>(0)?, n.max(0) as u64))
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn portal_totals(&self) -> Result<PortalTotals> {
        self.read(|c| {
            c.query_row(
                "SELECT (SELECT COUNT(*) FROM organizations),
                        (SELECT COUNT(*) FROM products),
                        (SELECT COUNT(*) FROM batches),
                        (SELECT COALESCE(SUM(count), 0) FROM code_issuances),
                        (SELECT COUNT(*) FROM batches WHERE recalled_on IS NOT NULL)",
                [],
                |r| {
                    let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                    Ok(PortalTotals {
                        organizations: n(0)?,
                        products: n(1)?,
                        batches: n(2)?,
                        codes_issued: n(3)?,
                        recalled_batches: n(4)?,
                    })
                },
            )
            .map_err(db_err)
        })
        .await
    }
}
