//! DrawStore for PgStore.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::draws::{
    DrawRow, InspectionRecord, InspectionTarget, Inspector, ItemList, NewDraw, NewInspectionRecord,
    RecordFilter,
};

fn list_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| StoreError::Db(format!("stored list: {e}")))
}

const TARGET_COLS: &str = "code, org_id, name, risk_class, region, last_inspection, last_inspectors, complaint_count, updated_at";
fn target_row(r: &Row) -> Result<InspectionTarget> {
    Ok(InspectionTarget {
        code: r.get(0),
        org_id: r.get(1),
        name: r.get(2),
        risk_class: r.get(3),
        region: r.get(4),
        last_inspection: r.get(5),
        last_inspectors: parse_list(r.get(6))?,
        complaint_count: r.get(7),
        updated_at: r.get(8),
    })
}

const INSPECTOR_COLS: &str =
    "code, name, org_id, api_key_id, region, affiliations, active, public_key, updated_at";
fn inspector_row(r: &Row) -> Result<Inspector> {
    Ok(Inspector {
        code: r.get(0),
        name: r.get(1),
        org_id: r.get(2),
        api_key_id: r.get(3),
        region: r.get(4),
        affiliations: parse_list(r.get(5))?,
        active: r.get(6),
        public_key: r.get(7),
        updated_at: r.get(8),
    })
}

const LIST_COLS: &str = "code, title, items, created_at";
fn list_row(r: &Row) -> Result<ItemList> {
    Ok(ItemList {
        code: r.get(0),
        title: r.get(1),
        items: r.get(2),
        created_at: r.get(3),
    })
}

const DRAW_COLS: &str = "id, plan_id, item_list, plan, plan_hash, snapshot, snapshot_hash, seed_inputs, result, commitment, created_by, created_at, seeded_at, drawn_at";
fn draw_row(r: &Row) -> Result<DrawRow> {
    Ok(DrawRow {
        id: r.get(0),
        plan_id: r.get(1),
        item_list: r.get(2),
        plan: r.get(3),
        plan_hash: r.get(4),
        snapshot: r.get(5),
        snapshot_hash: r.get(6),
        seed_inputs: r.get(7),
        result: r.get(8),
        commitment: r.get(9),
        created_by: r.get(10),
        created_at: r.get(11),
        seeded_at: r.get(12),
        drawn_at: r.get(13),
    })
}

const RECORD_COLS: &str = "id, draw_id, target_code, inspector_code, kind, refers_to, body, body_sha256, signature, filed_at";
fn record_row(r: &Row) -> Result<InspectionRecord> {
    Ok(InspectionRecord {
        id: r.get(0),
        draw_id: r.get(1),
        target_code: r.get(2),
        inspector_code: r.get(3),
        kind: r.get(4),
        refers_to: r.get(5),
        body: r.get(6),
        body_sha256: r.get(7),
        signature: r.get(8),
        filed_at: r.get(9),
    })
}

impl PgStore {
    /// A guarded phase update of a draw: `update` must `RETURNING {DRAW_COLS}`
    /// and touch no row when the draw is in the wrong phase.
    async fn draw_phase(
        &self,
        update: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        id: i64,
        conflict: &str,
        log: LogFn<DrawRow>,
    ) -> Result<DrawRow> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let Some(row) = tx.query_opt(update, params).await.map_err(db_err)? else {
            let exists = tx
                .query_opt("SELECT id FROM draws WHERE id = $1", &[&id])
                .await
                .map_err(db_err)?;
            return Err(if exists.is_some() {
                StoreError::Conflict(conflict.to_string())
            } else {
                StoreError::NotFound(format!("draw {id}"))
            });
        };
        let value = draw_row(&row)?;
        append_log(&tx, &log(&value)).await?;
        commit(tx).await?;
        Ok(value)
    }
}

#[async_trait]
impl crate::DrawStore for PgStore {
    async fn upsert_target(
        &self,
        t: &InspectionTarget,
        log: LogFn<InspectionTarget>,
    ) -> Result<InspectionTarget> {
        self.insert_logged(
            &format!(
                "INSERT INTO inspection_targets (code, org_id, name, risk_class, region, last_inspection, last_inspectors, complaint_count, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (code) DO UPDATE SET org_id = excluded.org_id, name = excluded.name,
                   risk_class = excluded.risk_class, region = excluded.region,
                   last_inspection = excluded.last_inspection, last_inspectors = excluded.last_inspectors,
                   complaint_count = excluded.complaint_count, updated_at = excluded.updated_at
                 RETURNING {TARGET_COLS}"
            ),
            &[&t.code, &t.org_id, &t.name, &t.risk_class, &t.region, &t.last_inspection,
              &list_json(&t.last_inspectors), &t.complaint_count, &t.updated_at],
            target_row,
            log,
        )
        .await
    }

    async fn get_target(&self, code: &str) -> Result<Option<InspectionTarget>> {
        self.one(
            &format!("SELECT {TARGET_COLS} FROM inspection_targets WHERE code = $1"),
            &[&code],
            target_row,
        )
        .await
    }

    async fn list_targets(&self) -> Result<Vec<InspectionTarget>> {
        self.many(
            &format!("SELECT {TARGET_COLS} FROM inspection_targets ORDER BY code COLLATE \"C\""),
            &[],
            target_row,
        )
        .await
    }

    async fn upsert_inspector(&self, i: &Inspector, log: LogFn<Inspector>) -> Result<Inspector> {
        self.insert_logged(
            &format!(
                "INSERT INTO inspectors (code, name, org_id, api_key_id, region, affiliations, active, public_key, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, org_id = excluded.org_id,
                   api_key_id = excluded.api_key_id, region = excluded.region,
                   affiliations = excluded.affiliations, active = excluded.active,
                   public_key = excluded.public_key, updated_at = excluded.updated_at
                 RETURNING {INSPECTOR_COLS}"
            ),
            &[&i.code, &i.name, &i.org_id, &i.api_key_id, &i.region,
              &list_json(&i.affiliations), &i.active, &i.public_key, &i.updated_at],
            inspector_row,
            log,
        )
        .await
    }

    async fn get_inspector(&self, code: &str) -> Result<Option<Inspector>> {
        self.one(
            &format!("SELECT {INSPECTOR_COLS} FROM inspectors WHERE code = $1"),
            &[&code],
            inspector_row,
        )
        .await
    }

    async fn inspector_by_key(&self, api_key_id: i64) -> Result<Option<Inspector>> {
        self.one(
            &format!("SELECT {INSPECTOR_COLS} FROM inspectors WHERE api_key_id = $1"),
            &[&api_key_id],
            inspector_row,
        )
        .await
    }

    async fn list_inspectors(&self) -> Result<Vec<Inspector>> {
        self.many(
            &format!("SELECT {INSPECTOR_COLS} FROM inspectors ORDER BY code COLLATE \"C\""),
            &[],
            inspector_row,
        )
        .await
    }

    async fn api_key_org(&self, api_key_id: i64) -> Result<Option<i64>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let row = client
            .query_opt(
                "SELECT org_id FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
                &[&api_key_id],
            )
            .await
            .map_err(db_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn create_item_list(&self, l: &ItemList, log: LogFn<ItemList>) -> Result<ItemList> {
        self.insert_logged(
            &format!(
                "INSERT INTO item_lists (code, title, items, created_at) VALUES ($1, $2, $3, $4)
                 RETURNING {LIST_COLS}"
            ),
            &[&l.code, &l.title, &l.items, &l.created_at],
            list_row,
            log,
        )
        .await
    }

    async fn get_item_list(&self, code: &str) -> Result<Option<ItemList>> {
        self.one(
            &format!("SELECT {LIST_COLS} FROM item_lists WHERE code = $1"),
            &[&code],
            list_row,
        )
        .await
    }

    async fn list_item_lists(&self) -> Result<Vec<ItemList>> {
        self.many(
            &format!("SELECT {LIST_COLS} FROM item_lists ORDER BY code COLLATE \"C\""),
            &[],
            list_row,
        )
        .await
    }

    async fn create_draw(&self, d: &NewDraw, log: LogFn<DrawRow>) -> Result<DrawRow> {
        self.insert_logged(
            &format!(
                "INSERT INTO draws (plan_id, item_list, plan, plan_hash, snapshot, snapshot_hash, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {DRAW_COLS}"
            ),
            &[&d.plan_id, &d.item_list, &d.plan, &d.plan_hash, &d.snapshot, &d.snapshot_hash,
              &d.created_by, &d.created_at],
            draw_row,
            log,
        )
        .await
    }

    async fn get_draw(&self, id: i64) -> Result<Option<DrawRow>> {
        self.one(
            &format!("SELECT {DRAW_COLS} FROM draws WHERE id = $1"),
            &[&id],
            draw_row,
        )
        .await
    }

    async fn list_draws(&self) -> Result<Vec<DrawRow>> {
        self.many(
            &format!("SELECT {DRAW_COLS} FROM draws ORDER BY id DESC"),
            &[],
            draw_row,
        )
        .await
    }

    async fn set_draw_seed(
        &self,
        id: i64,
        seed_inputs: &str,
        at: DateTime<Utc>,
        log: LogFn<DrawRow>,
    ) -> Result<DrawRow> {
        self.draw_phase(
            &format!(
                "UPDATE draws SET seed_inputs = $1, seeded_at = $2
                 WHERE id = $3 AND seed_inputs IS NULL AND result IS NULL RETURNING {DRAW_COLS}"
            ),
            &[&seed_inputs, &at, &id],
            id,
            "the draw's seed inputs are already fixed",
            log,
        )
        .await
    }

    async fn set_draw_result(
        &self,
        id: i64,
        result: &str,
        commitment: &str,
        at: DateTime<Utc>,
        log: LogFn<DrawRow>,
    ) -> Result<DrawRow> {
        self.draw_phase(
            &format!(
                "UPDATE draws SET result = $1, commitment = $2, drawn_at = $3
                 WHERE id = $4 AND seed_inputs IS NOT NULL AND result IS NULL RETURNING {DRAW_COLS}"
            ),
            &[&result, &commitment, &at, &id],
            id,
            "the draw has no seed inputs yet or was already run",
            log,
        )
        .await
    }

    async fn add_record(
        &self,
        r: &NewInspectionRecord,
        log: LogFn<InspectionRecord>,
    ) -> Result<InspectionRecord> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO inspection_records (draw_id, target_code, inspector_code, kind, refers_to, body, body_sha256, signature, filed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {RECORD_COLS}"
                ),
                &[&r.draw_id, &r.target_code, &r.inspector_code, &r.kind, &r.refers_to, &r.body,
                  &r.body_sha256, &r.signature, &r.filed_at],
            )
            .await
            .map_err(db_err)?;
        let value = record_row(&row)?;
        if let Some((day, inspectors)) = &r.target_update {
            let day: &NaiveDate = day;
            tx.execute(
                "UPDATE inspection_targets SET last_inspection = $1, last_inspectors = $2, updated_at = $3
                 WHERE code = $4 AND (last_inspection IS NULL OR last_inspection <= $1)",
                &[day, &list_json(inspectors), &r.filed_at, &r.target_code],
            )
            .await
            .map_err(db_err)?;
        }
        append_log(&tx, &log(&value)).await?;
        commit(tx).await?;
        Ok(value)
    }

    async fn get_record(&self, id: i64) -> Result<Option<InspectionRecord>> {
        self.one(
            &format!("SELECT {RECORD_COLS} FROM inspection_records WHERE id = $1"),
            &[&id],
            record_row,
        )
        .await
    }

    async fn list_records(&self, f: &RecordFilter) -> Result<Vec<InspectionRecord>> {
        self.many(
            &format!(
                "SELECT {RECORD_COLS} FROM inspection_records
                 WHERE ($1::BIGINT IS NULL OR draw_id = $1) AND ($2::TEXT IS NULL OR target_code = $2)
                   AND ($3::TEXT IS NULL OR inspector_code = $3)
                 ORDER BY id"
            ),
            &[&f.draw_id, &f.target_code, &f.inspector_code],
            record_row,
        )
        .await
    }
}
