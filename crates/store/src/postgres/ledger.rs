//! LedgerStore for PgStore.

use chrono::{DateTime, NaiveDate, Utc};

use super::events::insert_events;
use super::*;
use crate::ledger::{
    ItemFilter, ItemRef, LedgerItem, LedgerRecord, LedgerWrite, NewWorker, Worker,
};

const ITEM_COLS: &str = "id, org_id, site_id, gtin, serial, product_id, batch_id, state, hold, received_on, accepted_on, worker_id, issued_on, first_use, replace_by, last_inspected, next_inspection, scrapped_on, reason, updated_at";

fn item_row(r: &Row) -> Result<LedgerItem> {
    Ok(LedgerItem {
        id: r.get(0),
        org_id: r.get(1),
        site_id: r.get(2),
        gtin: r.get(3),
        serial: r.get(4),
        product_id: r.get(5),
        batch_id: r.get(6),
        state: r.get(7),
        hold: r.get(8),
        received_on: r.get(9),
        accepted_on: r.get(10),
        worker_id: r.get(11),
        issued_on: r.get(12),
        first_use: r.get(13),
        replace_by: r.get(14),
        last_inspected: r.get(15),
        next_inspection: r.get(16),
        scrapped_on: r.get(17),
        reason: r.get(18),
        updated_at: r.get(19),
    })
}

const RECORD_COLS: &str =
    "id, item_id, org_id, at, action, worker_id, result, note, event_id, actor";

fn record_row(r: &Row) -> Result<LedgerRecord> {
    Ok(LedgerRecord {
        id: r.get(0),
        item_id: r.get(1),
        org_id: r.get(2),
        at: r.get(3),
        action: r.get(4),
        worker_id: r.get(5),
        result: r.get(6),
        note: r.get(7),
        event_id: r.get(8),
        actor: r.get(9),
    })
}

const WORKER_COLS: &str = "id, org_id, code, name, active, created_at, updated_at";

fn worker_row(r: &Row) -> Result<Worker> {
    Ok(Worker {
        id: r.get(0),
        org_id: r.get(1),
        code: r.get(2),
        name: r.get(3),
        active: r.get(4),
        created_at: r.get(5),
        updated_at: r.get(6),
    })
}

#[async_trait]
impl crate::LedgerStore for PgStore {
    async fn ledger_write(&self, w: &LedgerWrite) -> Result<Vec<i64>> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let evs: Vec<(&NewEvent, &crate::EventIndex)> =
            w.events.iter().map(|(e, i, _)| (e, i)).collect();
        insert_events(&tx, &evs, None).await?;
        for (_, _, log) in &w.events {
            append_log(&tx, log).await?;
        }
        let mut ids = Vec::with_capacity(w.inserts.len());
        for i in &w.inserts {
            let row = tx
                .query_one(
                    "INSERT INTO ledger_items (org_id, site_id, gtin, serial, product_id, batch_id, state, hold, received_on, accepted_on, worker_id, issued_on, first_use, replace_by, last_inspected, next_inspection, scrapped_on, reason, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
                    &[
                        &i.org_id,
                        &i.site_id,
                        &i.gtin,
                        &i.serial,
                        &i.product_id,
                        &i.batch_id,
                        &i.state,
                        &i.hold,
                        &i.received_on,
                        &i.accepted_on,
                        &i.worker_id,
                        &i.issued_on,
                        &i.first_use,
                        &i.replace_by,
                        &i.last_inspected,
                        &i.next_inspection,
                        &i.scrapped_on,
                        &i.reason,
                        &i.updated_at,
                    ],
                )
                .await
                .map_err(db_err)?;
            ids.push(row.get::<_, i64>(0));
        }
        for u in &w.updates {
            let i = &u.row;
            let n = tx
                .execute(
                    "UPDATE ledger_items SET state = $2, hold = $3, accepted_on = $4, worker_id = $5, issued_on = $6, first_use = $7,
                         replace_by = $8, last_inspected = $9, next_inspection = $10, scrapped_on = $11, reason = $12, updated_at = $13
                     WHERE id = $1 AND state = $14",
                    &[
                        &i.id,
                        &i.state,
                        &i.hold,
                        &i.accepted_on,
                        &i.worker_id,
                        &i.issued_on,
                        &i.first_use,
                        &i.replace_by,
                        &i.last_inspected,
                        &i.next_inspection,
                        &i.scrapped_on,
                        &i.reason,
                        &i.updated_at,
                        &u.expected_state,
                    ],
                )
                .await
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "ledger item {} is no longer {}",
                    i.id, u.expected_state
                )));
            }
        }
        let org_id = w
            .inserts
            .first()
            .map(|i| i.org_id)
            .or_else(|| w.updates.first().map(|u| u.row.org_id));
        for r in &w.records {
            let item_id = match r.item {
                ItemRef::Existing(id) => id,
                ItemRef::New(n) => *ids
                    .get(n)
                    .ok_or_else(|| StoreError::Db(format!("record names new item {n}")))?,
            };
            let org_id =
                org_id.ok_or_else(|| StoreError::Db("ledger record without an item".into()))?;
            tx.execute(
                "INSERT INTO ledger_records (item_id, org_id, at, action, worker_id, result, note, event_id, actor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &item_id,
                    &org_id,
                    &r.at,
                    &r.action,
                    &r.worker_id,
                    &r.result,
                    &r.note,
                    &r.event_id,
                    &r.actor,
                ],
            )
            .await
            .map_err(db_err)?;
        }
        for (pid, serial, day) in &w.first_use {
            let day: &NaiveDate = day;
            tx.execute(
                "UPDATE codes SET first_use = $3 WHERE product_id = $1 AND serial = $2 AND first_use IS NULL",
                &[pid, serial, day],
            )
            .await
            .map_err(db_err)?;
        }
        let scrapped = domain::verify::CodeState::Scrapped.as_i16();
        for (pid, serial) in &w.scrap_codes {
            tx.execute(
                "UPDATE codes SET state = $3 WHERE product_id = $1 AND serial = $2",
                &[pid, serial, &scrapped],
            )
            .await
            .map_err(db_err)?;
        }
        commit(tx).await?;
        Ok(ids)
    }

    async fn get_ledger_item(&self, id: i64) -> Result<Option<LedgerItem>> {
        self.one(
            &format!("SELECT {ITEM_COLS} FROM ledger_items WHERE id = $1"),
            &[&id],
            item_row,
        )
        .await
    }

    async fn find_ledger_item(
        &self,
        org_id: i64,
        gtin: &str,
        serial: &str,
    ) -> Result<Option<LedgerItem>> {
        self.one(
            &format!(
                "SELECT {ITEM_COLS} FROM ledger_items WHERE org_id = $1 AND gtin = $2 AND serial = $3"
            ),
            &[&org_id, &gtin, &serial],
            item_row,
        )
        .await
    }

    async fn list_ledger_items(&self, f: &ItemFilter) -> Result<Vec<LedgerItem>> {
        self.many(
            &format!(
                "SELECT {ITEM_COLS} FROM ledger_items
                 WHERE org_id = $1 AND ($2::BIGINT IS NULL OR site_id = $2) AND ($3::TEXT IS NULL OR state = $3)
                   AND ($4::BIGINT IS NULL OR worker_id = $4)
                   AND ($5::DATE IS NULL OR (state IN ('in_stock', 'issued') AND (replace_by <= $5 OR next_inspection <= $5)))
                 ORDER BY id"
            ),
            &[&f.org_id, &f.site_id, &f.state, &f.worker_id, &f.due_by],
            item_row,
        )
        .await
    }

    async fn ledger_records(
        &self,
        org_id: i64,
        item_id: Option<i64>,
        worker_id: Option<i64>,
    ) -> Result<Vec<LedgerRecord>> {
        self.many(
            &format!(
                "SELECT {RECORD_COLS} FROM ledger_records
                 WHERE org_id = $1 AND ($2::BIGINT IS NULL OR item_id = $2) AND ($3::BIGINT IS NULL OR worker_id = $3)
                 ORDER BY id"
            ),
            &[&org_id, &item_id, &worker_id],
            record_row,
        )
        .await
    }

    async fn create_worker(&self, new: &NewWorker, log: LogFn<Worker>) -> Result<Worker> {
        self.insert_logged(
            &format!(
                "INSERT INTO ledger_workers (org_id, code, name, active, created_at, updated_at)
                 VALUES ($1, $2, $3, TRUE, $4, $4) RETURNING {WORKER_COLS}"
            ),
            &[&new.org_id, &new.code, &new.name, &new.created_at],
            worker_row,
            log,
        )
        .await
    }

    async fn update_worker(
        &self,
        id: i64,
        name: &str,
        active: bool,
        at: DateTime<Utc>,
        log: LogFn<Worker>,
    ) -> Result<Worker> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE ledger_workers SET name = $2, active = $3, updated_at = $4 WHERE id = $1 RETURNING {WORKER_COLS}"
                ),
                &[&id, &name, &active, &at],
            )
            .await
            .map_err(db_err)?
            .ok_or_else(|| StoreError::NotFound(format!("worker {id}")))?;
        let w = worker_row(&row)?;
        append_log(&tx, &log(&w)).await?;
        commit(tx).await?;
        Ok(w)
    }

    async fn get_worker(&self, id: i64) -> Result<Option<Worker>> {
        self.one(
            &format!("SELECT {WORKER_COLS} FROM ledger_workers WHERE id = $1"),
            &[&id],
            worker_row,
        )
        .await
    }

    async fn find_worker(&self, org_id: i64, code: &str) -> Result<Option<Worker>> {
        self.one(
            &format!("SELECT {WORKER_COLS} FROM ledger_workers WHERE org_id = $1 AND code = $2"),
            &[&org_id, &code],
            worker_row,
        )
        .await
    }

    async fn list_workers(&self, org_id: i64) -> Result<Vec<Worker>> {
        self.many(
            &format!("SELECT {WORKER_COLS} FROM ledger_workers WHERE org_id = $1 ORDER BY code"),
            &[&org_id],
            worker_row,
        )
        .await
    }
}
