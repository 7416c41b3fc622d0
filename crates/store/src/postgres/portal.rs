//! PortalStore for PgStore.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::portal::{PortalTotals, RecallRow};

fn recall_row(r: &Row) -> Result<RecallRow> {
    Ok(RecallRow {
        batch: batch_row_at(r, 0),
        gtin: r.get(9),
        product_name: r.get(10),
        org_id: r.get(11),
        org_name: r.get(12),
    })
}

fn count_of(r: &Row, i: usize) -> u64 {
    r.get::<_, i64>(i).max(0) as u64
}

#[async_trait]
impl crate::PortalStore for PgStore {
    async fn recalled_batches(&self, limit: u32) -> Result<Vec<RecallRow>> {
        let limit = i64::from(limit);
        self.many(
            "SELECT b.id, b.product_id, b.lot, b.production_date, b.expiry_date, b.released,
                    b.recalled_on, b.recall_reason, b.created_at,
                    p.gtin, p.name, o.id, o.name
             FROM batches b JOIN products p ON p.id = b.product_id
             JOIN organizations o ON o.id = p.org_id
             WHERE b.recalled_on IS NOT NULL
             ORDER BY b.recalled_on DESC, b.id DESC LIMIT $1",
            &[&limit],
            recall_row,
        )
        .await
    }

    async fn lookups_per_day(&self, from: NaiveDate) -> Result<Vec<(NaiveDate, u64)>> {
        let from = Utc.from_utc_datetime(&from.and_time(chrono::NaiveTime::MIN));
        self.many(
            "SELECT (at AT TIME ZONE 'UTC')::date AS day, COUNT(*) FROM scans
             WHERE kind = $1 AND at >= $2 GROUP BY day ORDER BY day",
            &[&crate::scans::SCAN_INFORMATIONAL, &from],
            |r| Ok((r.get::<_, NaiveDate>(0), count_of(r, 1))),
        )
        .await
    }

    async fn alerts_by_level(&self) -> Result<Vec<(String, u64)>> {
        self.many(
            "SELECT level, COUNT(*) FROM alerts GROUP BY level ORDER BY level",
            &[],
            |r| Ok((r.get::<_, String>(0), count_of(r, 1))),
        )
        .await
    }

    async fn portal_totals(&self) -> Result<PortalTotals> {
        let t = self
            .one(
                "SELECT (SELECT COUNT(*) FROM organizations),
                        (SELECT COUNT(*) FROM products),
                        (SELECT COUNT(*) FROM batches),
                        (SELECT COALESCE(SUM(count), 0)::BIGINT FROM code_issuances),
                        (SELECT COUNT(*) FROM batches WHERE recalled_on IS NOT NULL)",
                &[],
                |r| {
                    Ok(PortalTotals {
                        organizations: count_of(r, 0),
                        products: count_of(r, 1),
                        batches: count_of(r, 2),
                        codes_issued: count_of(r, 3),
                        recalled_batches: count_of(r, 4),
                    })
                },
            )
            .await?;
        Ok(t.unwrap_or_default())
    }
}
