//! DrawStore for SqliteStore.

use super::*;
use crate::draws::{
    DrawRow, InspectionRecord, InspectionTarget, Inspector, ItemList, NewDraw, NewInspectionRecord,
    RecordFilter,
};

fn conv_err(i: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
}

fn list_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list(i: usize, s: String) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(&s).map_err(|e| conv_err(i, e))
}

fn opt_ts(s: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    s.map(parse_ts).transpose()
}

const TARGET_COLS: &str = "code, org_id, name, risk_class, region, last_inspection, last_inspectors, complaint_count, updated_at";
fn target_row(r: &Row<'_>) -> rusqlite::Result<InspectionTarget> {
    Ok(InspectionTarget {
        code: r.get(0)?,
        org_id: r.get(1)?,
        name: r.get(2)?,
        risk_class: r.get(3)?,
        region: r.get(4)?,
        last_inspection: parse_date(r.get(5)?)?,
        last_inspectors: parse_list(6, r.get(6)?)?,
        complaint_count: r.get(7)?,
        updated_at: parse_ts(r.get(8)?)?,
    })
}

const INSPECTOR_COLS: &str =
    "code, name, org_id, api_key_id, region, affiliations, active, public_key, updated_at";
fn inspector_row(r: &Row<'_>) -> rusqlite::Result<Inspector> {
    Ok(Inspector {
        code: r.get(0)?,
        name: r.get(1)?,
        org_id: r.get(2)?,
        api_key_id: r.get(3)?,
        region: r.get(4)?,
        affiliations: parse_list(5, r.get(5)?)?,
        active: r.get(6)?,
        public_key: r.get(7)?,
        updated_at: parse_ts(r.get(8)?)?,
    })
}

const LIST_COLS: &str = "code, title, items, created_at";
fn list_row(r: &Row<'_>) -> rusqlite::Result<ItemList> {
    Ok(ItemList {
        code: r.get(0)?,
        title: r.get(1)?,
        items: r.get(2)?,
        created_at: parse_ts(r.get(3)?)?,
    })
}

const DRAW_COLS: &str = "id, plan_id, item_list, plan, plan_hash, snapshot, snapshot_hash, seed_inputs, result, commitment, created_by, created_at, seeded_at, drawn_at";
fn draw_row(r: &Row<'_>) -> rusqlite::Result<DrawRow> {
    Ok(DrawRow {
        id: r.get(0)?,
        plan_id: r.get(1)?,
        item_list: r.get(2)?,
        plan: r.get(3)?,
        plan_hash: r.get(4)?,
        snapshot: r.get(5)?,
        snapshot_hash: r.get(6)?,
        seed_inputs: r.get(7)?,
        result: r.get(8)?,
        commitment: r.get(9)?,
        created_by: r.get(10)?,
        created_at: parse_ts(r.get(11)?)?,
        seeded_at: opt_ts(r.get(12)?)?,
        drawn_at: opt_ts(r.get(13)?)?,
    })
}

const RECORD_COLS: &str = "id, draw_id, target_code, inspector_code, kind, refers_to, body, body_sha256, signature, filed_at";
fn record_row(r: &Row<'_>) -> rusqlite::Result<InspectionRecord> {
    Ok(InspectionRecord {
        id: r.get(0)?,
        draw_id: r.get(1)?,
        target_code: r.get(2)?,
        inspector_code: r.get(3)?,
        kind: r.get(4)?,
        refers_to: r.get(5)?,
        body: r.get(6)?,
        body_sha256: r.get(7)?,
        signature: r.get(8)?,
        filed_at: parse_ts(r.get(9)?)?,
    })
}

fn get_draw_tx(c: &Connection, id: i64) -> Result<Option<DrawRow>> {
    c.query_row(
        &format!("SELECT {DRAW_COLS} FROM draws WHERE id = ?1"),
        [id],
        draw_row,
    )
    .optional()
    .map_err(db_err)
}

/// After a guarded UPDATE touched no row: the draw is missing or in the wrong phase.
fn missing_or_conflict(c: &Connection, id: i64, what: &str) -> StoreError {
    match get_draw_tx(c, id) {
        Ok(None) => StoreError::NotFound(format!("draw {id}")),
        Ok(Some(_)) => StoreError::Conflict(what.to_string()),
        Err(e) => e,
    }
}

#[async_trait]
impl crate::DrawStore for SqliteStore {
    async fn upsert_target(
        &self,
        t: &InspectionTarget,
        log: LogFn<InspectionTarget>,
    ) -> Result<InspectionTarget> {
        owned!(t);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO inspection_targets (code, org_id, name, risk_class, region, last_inspection, last_inspectors, complaint_count, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (code) DO UPDATE SET org_id = excluded.org_id, name = excluded.name,
                   risk_class = excluded.risk_class, region = excluded.region,
                   last_inspection = excluded.last_inspection, last_inspectors = excluded.last_inspectors,
                   complaint_count = excluded.complaint_count, updated_at = excluded.updated_at",
                params![t.code, t.org_id, t.name, t.risk_class, t.region, date(&t.last_inspection),
                        list_json(&t.last_inspectors), t.complaint_count, ts(&t.updated_at)],
            )
            .map_err(db_err)?;
            let row = tx
                .query_row(&format!("SELECT {TARGET_COLS} FROM inspection_targets WHERE code = ?1"), [&t.code], target_row)
                .map_err(db_err)?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn get_target(&self, code: &str) -> Result<Option<InspectionTarget>> {
        let code = code.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {TARGET_COLS} FROM inspection_targets WHERE code = ?1"),
                [code],
                target_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_targets(&self) -> Result<Vec<InspectionTarget>> {
        self.read(|c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {TARGET_COLS} FROM inspection_targets ORDER BY code"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([], target_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn upsert_inspector(&self, i: &Inspector, log: LogFn<Inspector>) -> Result<Inspector> {
        owned!(i);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO inspectors (code, name, org_id, api_key_id, region, affiliations, active, public_key, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, org_id = excluded.org_id,
                   api_key_id = excluded.api_key_id, region = excluded.region,
                   affiliations = excluded.affiliations, active = excluded.active,
                   public_key = excluded.public_key, updated_at = excluded.updated_at",
                params![i.code, i.name, i.org_id, i.api_key_id, i.region, list_json(&i.affiliations),
                        i.active, i.public_key, ts(&i.updated_at)],
            )
            .map_err(db_err)?;
            let row = tx
                .query_row(&format!("SELECT {INSPECTOR_COLS} FROM inspectors WHERE code = ?1"), [&i.code], inspector_row)
                .map_err(db_err)?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn get_inspector(&self, code: &str) -> Result<Option<Inspector>> {
        let code = code.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {INSPECTOR_COLS} FROM inspectors WHERE code = ?1"),
                [code],
                inspector_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn inspector_by_key(&self, api_key_id: i64) -> Result<Option<Inspector>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {INSPECTOR_COLS} FROM inspectors WHERE api_key_id = ?1"),
                [api_key_id],
                inspector_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_inspectors(&self) -> Result<Vec<Inspector>> {
        self.read(|c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {INSPECTOR_COLS} FROM inspectors ORDER BY code"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([], inspector_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn api_key_org(&self, api_key_id: i64) -> Result<Option<i64>> {
        self.read(move |c| {
            c.query_row(
                "SELECT org_id FROM api_keys WHERE id = ?1 AND revoked_at IS NULL",
                [api_key_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn create_item_list(&self, l: &ItemList, log: LogFn<ItemList>) -> Result<ItemList> {
        owned!(l);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO item_lists (code, title, items, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![l.code, l.title, l.items, ts(&l.created_at)],
            )
            .map_err(db_err)?;
            let row = tx
                .query_row(
                    &format!("SELECT {LIST_COLS} FROM item_lists WHERE code = ?1"),
                    [&l.code],
                    list_row,
                )
                .map_err(db_err)?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn get_item_list(&self, code: &str) -> Result<Option<ItemList>> {
        let code = code.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {LIST_COLS} FROM item_lists WHERE code = ?1"),
                [code],
                list_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_item_lists(&self) -> Result<Vec<ItemList>> {
        self.read(|c| {
            let mut st = c
                .prepare(&format!("SELECT {LIST_COLS} FROM item_lists ORDER BY code"))
                .map_err(db_err)?;
            let rows = st.query_map([], list_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_draw(&self, d: &NewDraw, log: LogFn<DrawRow>) -> Result<DrawRow> {
        owned!(d);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO draws (plan_id, item_list, plan, plan_hash, snapshot, snapshot_hash, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![d.plan_id, d.item_list, d.plan, d.plan_hash, d.snapshot, d.snapshot_hash, d.created_by, ts(&d.created_at)],
            )
            .map_err(db_err)?;
            let id = tx.last_insert_rowid();
            let row = get_draw_tx(tx, id)?.ok_or_else(|| StoreError::Db("inserted draw vanished".into()))?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn get_draw(&self, id: i64) -> Result<Option<DrawRow>> {
        self.read(move |c| get_draw_tx(c, id)).await
    }

    async fn list_draws(&self) -> Result<Vec<DrawRow>> {
        self.read(|c| {
            let mut st = c
                .prepare(&format!("SELECT {DRAW_COLS} FROM draws ORDER BY id DESC"))
                .map_err(db_err)?;
            let rows = st.query_map([], draw_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn set_draw_seed(
        &self,
        id: i64,
        seed_inputs: &str,
        at: DateTime<Utc>,
        log: LogFn<DrawRow>,
    ) -> Result<DrawRow> {
        let seed_inputs = seed_inputs.to_string();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE draws SET seed_inputs = ?1, seeded_at = ?2
                     WHERE id = ?3 AND seed_inputs IS NULL AND result IS NULL",
                    params![seed_inputs, ts(&at), id],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(missing_or_conflict(
                    tx,
                    id,
                    "the draw's seed inputs are already fixed",
                ));
            }
            let row =
                get_draw_tx(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("draw {id}")))?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
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
        let (result, commitment) = (result.to_string(), commitment.to_string());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE draws SET result = ?1, commitment = ?2, drawn_at = ?3
                     WHERE id = ?4 AND seed_inputs IS NOT NULL AND result IS NULL",
                    params![result, commitment, ts(&at), id],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(missing_or_conflict(
                    tx,
                    id,
                    "the draw has no seed inputs yet or was already run",
                ));
            }
            let row =
                get_draw_tx(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("draw {id}")))?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn add_record(
        &self,
        r: &NewInspectionRecord,
        log: LogFn<InspectionRecord>,
    ) -> Result<InspectionRecord> {
        owned!(r);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO inspection_records (draw_id, target_code, inspector_code, kind, refers_to, body, body_sha256, signature, filed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![r.draw_id, r.target_code, r.inspector_code, r.kind, r.refers_to, r.body, r.body_sha256, r.signature, ts(&r.filed_at)],
            )
            .map_err(db_err)?;
            let id = tx.last_insert_rowid();
            if let Some((day, inspectors)) = &r.target_update {
                tx.execute(
                    "UPDATE inspection_targets SET last_inspection = ?1, last_inspectors = ?2, updated_at = ?3
                     WHERE code = ?4 AND (last_inspection IS NULL OR last_inspection <= ?1)",
                    params![date(&Some(*day)), list_json(inspectors), ts(&r.filed_at), r.target_code],
                )
                .map_err(db_err)?;
            }
            let row = tx
                .query_row(&format!("SELECT {RECORD_COLS} FROM inspection_records WHERE id = ?1"), [id], record_row)
                .map_err(db_err)?;
            append_log(tx, &log(&row)).map_err(db_err)?;
            Ok(row)
        })
        .await
    }

    async fn get_record(&self, id: i64) -> Result<Option<InspectionRecord>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {RECORD_COLS} FROM inspection_records WHERE id = ?1"),
                [id],
                record_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_records(&self, f: &RecordFilter) -> Result<Vec<InspectionRecord>> {
        owned!(f);
        self.read(move |c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {RECORD_COLS} FROM inspection_records
                     WHERE (?1 IS NULL OR draw_id = ?1) AND (?2 IS NULL OR target_code = ?2)
                       AND (?3 IS NULL OR inspector_code = ?3)
                     ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st
                .query_map(
                    params![f.draw_id, f.target_code, f.inspector_code],
                    record_row,
                )
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }
}
