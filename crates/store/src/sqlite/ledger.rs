//! LedgerStore for SqliteStore.

use super::events::insert_event;
use super::*;
use crate::ledger::{
    ItemFilter, ItemRef, LedgerItem, LedgerRecord, LedgerWrite, NewWorker, Worker,
};

const ITEM_COLS: &str = "id, org_id, site_id, gtin, serial, product_id, batch_id, state, hold, received_on, accepted_on, worker_id, issued_on, first_use, replace_by, last_inspected, next_inspection, scrapped_on, reason, updated_at";

fn item_row(r: &Row<'_>) -> rusqlite::Result<LedgerItem> {
    let received: Option<String> = r.get(9)?;
    Ok(LedgerItem {
        id: r.get(0)?,
        org_id: r.get(1)?,
        site_id: r.get(2)?,
        gtin: r.get(3)?,
        serial: r.get(4)?,
        product_id: r.get(5)?,
        batch_id: r.get(6)?,
        state: r.get(7)?,
        hold: r.get(8)?,
        received_on: parse_date(received)?.ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(9, "received_on".into(), rusqlite::types::Type::Null)
        })?,
        accepted_on: parse_date(r.get(10)?)?,
        worker_id: r.get(11)?,
        issued_on: parse_date(r.get(12)?)?,
        first_use: parse_date(r.get(13)?)?,
        replace_by: parse_date(r.get(14)?)?,
        last_inspected: parse_date(r.get(15)?)?,
        next_inspection: parse_date(r.get(16)?)?,
        scrapped_on: parse_date(r.get(17)?)?,
        reason: r.get(18)?,
        updated_at: parse_ts(r.get(19)?)?,
    })
}

const RECORD_COLS: &str =
    "id, item_id, org_id, at, action, worker_id, result, note, event_id, actor";

fn record_row(r: &Row<'_>) -> rusqlite::Result<LedgerRecord> {
    Ok(LedgerRecord {
        id: r.get(0)?,
        item_id: r.get(1)?,
        org_id: r.get(2)?,
        at: parse_ts(r.get(3)?)?,
        action: r.get(4)?,
        worker_id: r.get(5)?,
        result: r.get(6)?,
        note: r.get(7)?,
        event_id: r.get(8)?,
        actor: r.get(9)?,
    })
}

const WORKER_COLS: &str = "id, org_id, code, name, active, created_at, updated_at";

fn worker_row(r: &Row<'_>) -> rusqlite::Result<Worker> {
    Ok(Worker {
        id: r.get(0)?,
        org_id: r.get(1)?,
        code: r.get(2)?,
        name: r.get(3)?,
        active: r.get(4)?,
        created_at: parse_ts(r.get(5)?)?,
        updated_at: parse_ts(r.get(6)?)?,
    })
}

fn write_ledger(tx: &Connection, w: &LedgerWrite) -> Result<Vec<i64>> {
    for (ev, index, log) in &w.events {
        insert_event(tx, ev, index, None).map_err(db_err)?;
        append_log(tx, log).map_err(db_err)?;
    }
    let mut ids = Vec::with_capacity(w.inserts.len());
    for i in &w.inserts {
        tx.prepare_cached(
            "INSERT INTO ledger_items (org_id, site_id, gtin, serial, product_id, batch_id, state, hold, received_on, accepted_on, worker_id, issued_on, first_use, replace_by, last_inspected, next_inspection, scrapped_on, reason, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )
        .and_then(|mut st| {
            st.execute(params![
                i.org_id,
                i.site_id,
                i.gtin,
                i.serial,
                i.product_id,
                i.batch_id,
                i.state,
                i.hold,
                date(&Some(i.received_on)),
                date(&i.accepted_on),
                i.worker_id,
                date(&i.issued_on),
                date(&i.first_use),
                date(&i.replace_by),
                date(&i.last_inspected),
                date(&i.next_inspection),
                date(&i.scrapped_on),
                i.reason,
                ts(&i.updated_at),
            ])
        })
        .map_err(db_err)?;
        ids.push(tx.last_insert_rowid());
    }
    for u in &w.updates {
        let i = &u.row;
        let n = tx
            .prepare_cached(
                "UPDATE ledger_items SET state = ?2, hold = ?3, accepted_on = ?4, worker_id = ?5, issued_on = ?6, first_use = ?7,
                     replace_by = ?8, last_inspected = ?9, next_inspection = ?10, scrapped_on = ?11, reason = ?12, updated_at = ?13
                 WHERE id = ?1 AND state = ?14",
            )
            .and_then(|mut st| {
                st.execute(params![
                    i.id,
                    i.state,
                    i.hold,
                    date(&i.accepted_on),
                    i.worker_id,
                    date(&i.issued_on),
                    date(&i.first_use),
                    date(&i.replace_by),
                    date(&i.last_inspected),
                    date(&i.next_inspection),
                    date(&i.scrapped_on),
                    i.reason,
                    ts(&i.updated_at),
                    u.expected_state,
                ])
            })
            .map_err(db_err)?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "ledger item {} is no longer {}",
                i.id, u.expected_state
            )));
        }
    }
    for r in &w.records {
        let item_id = match r.item {
            ItemRef::Existing(id) => id,
            ItemRef::New(n) => *ids
                .get(n)
                .ok_or_else(|| StoreError::Db(format!("record names new item {n}")))?,
        };
        let org_id = w
            .inserts
            .first()
            .map(|i| i.org_id)
            .or_else(|| w.updates.first().map(|u| u.row.org_id))
            .ok_or_else(|| StoreError::Db("ledger record without an item".into()))?;
        tx.prepare_cached(
            "INSERT INTO ledger_records (item_id, org_id, at, action, worker_id, result, note, event_id, actor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut st| {
            st.execute(params![
                item_id,
                org_id,
                ts(&r.at),
                r.action,
                r.worker_id,
                r.result,
                r.note,
                r.event_id,
                r.actor
            ])
        })
        .map_err(db_err)?;
    }
    for (pid, serial, day) in &w.first_use {
        tx.prepare_cached(
            "UPDATE codes SET first_use = ?3 WHERE product_id = ?1 AND serial = ?2 AND first_use IS NULL",
        )
        .and_then(|mut st| st.execute(params![pid, serial, date(&Some(*day))]))
        .map_err(db_err)?;
    }
    let scrapped = domain::verify::CodeState::Scrapped.as_i16();
    for (pid, serial) in &w.scrap_codes {
        tx.prepare_cached("UPDATE codes SET state = ?3 WHERE product_id = ?1 AND serial = ?2")
            .and_then(|mut st| st.execute(params![pid, serial, scrapped]))
            .map_err(db_err)?;
    }
    Ok(ids)
}

#[async_trait]
impl crate::LedgerStore for SqliteStore {
    async fn ledger_write(&self, w: &LedgerWrite) -> Result<Vec<i64>> {
        owned!(w);
        self.write(move |tx| write_ledger(tx, &w)).await
    }

    async fn get_ledger_item(&self, id: i64) -> Result<Option<LedgerItem>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {ITEM_COLS} FROM ledger_items WHERE id = ?1"),
                [id],
                item_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn find_ledger_item(
        &self,
        org_id: i64,
        gtin: &str,
        serial: &str,
    ) -> Result<Option<LedgerItem>> {
        let (gtin, serial) = (gtin.to_string(), serial.to_string());
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {ITEM_COLS} FROM ledger_items WHERE org_id = ?1 AND gtin = ?2 AND serial = ?3"
                ),
                params![org_id, gtin, serial],
                item_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_ledger_items(&self, f: &ItemFilter) -> Result<Vec<LedgerItem>> {
        let f = f.clone();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {ITEM_COLS} FROM ledger_items
                     WHERE org_id = ?1 AND (?2 IS NULL OR site_id = ?2) AND (?3 IS NULL OR state = ?3)
                       AND (?4 IS NULL OR worker_id = ?4)
                       AND (?5 IS NULL OR (state IN ('in_stock', 'issued') AND (replace_by <= ?5 OR next_inspection <= ?5)))
                     ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st
                .query_map(
                    params![f.org_id, f.site_id, f.state, f.worker_id, date(&f.due_by)],
                    item_row,
                )
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn ledger_records(
        &self,
        org_id: i64,
        item_id: Option<i64>,
        worker_id: Option<i64>,
    ) -> Result<Vec<LedgerRecord>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLS} FROM ledger_records
                     WHERE org_id = ?1 AND (?2 IS NULL OR item_id = ?2) AND (?3 IS NULL OR worker_id = ?3)
                     ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = st
                .query_map(params![org_id, item_id, worker_id], record_row)
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_worker(&self, new: &NewWorker, log: LogFn<Worker>) -> Result<Worker> {
        let new = new.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO ledger_workers (org_id, code, name, active, created_at, updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?4)",
                params![new.org_id, new.code, new.name, ts(&new.created_at)],
            )
            .map_err(db_err)?;
            let id = tx.last_insert_rowid();
            let w = tx
                .query_row(
                    &format!("SELECT {WORKER_COLS} FROM ledger_workers WHERE id = ?1"),
                    [id],
                    worker_row,
                )
                .map_err(db_err)?;
            append_log(tx, &log(&w)).map_err(db_err)?;
            Ok(w)
        })
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
        let name = name.to_string();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE ledger_workers SET name = ?2, active = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, name, active, ts(&at)],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("worker {id}")));
            }
            let w = tx
                .query_row(
                    &format!("SELECT {WORKER_COLS} FROM ledger_workers WHERE id = ?1"),
                    [id],
                    worker_row,
                )
                .map_err(db_err)?;
            append_log(tx, &log(&w)).map_err(db_err)?;
            Ok(w)
        })
        .await
    }

    async fn get_worker(&self, id: i64) -> Result<Option<Worker>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {WORKER_COLS} FROM ledger_workers WHERE id = ?1"),
                [id],
                worker_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn find_worker(&self, org_id: i64, code: &str) -> Result<Option<Worker>> {
        let code = code.to_string();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {WORKER_COLS} FROM ledger_workers WHERE org_id = ?1 AND code = ?2"
                ),
                params![org_id, code],
                worker_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_workers(&self, org_id: i64) -> Result<Vec<Worker>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {WORKER_COLS} FROM ledger_workers WHERE org_id = ?1 ORDER BY code"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([org_id], worker_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }
}
