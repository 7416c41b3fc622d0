//! EventStore for SqliteStore.

use super::*;

#[async_trait]
impl crate::EventStore for SqliteStore {
    async fn record_event(&self, ev: &NewEvent, effects: &Effects, log: &LogEntry) -> Result<i64> {
        owned!(ev, effects, log);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO events (event_id, event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, owner_org_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![ev.event_id, ev.event_type, ts(&ev.event_time), ts(&ev.record_time), ev.action, ev.biz_step, ev.disposition, ev.read_point, ev.biz_location, ev.owner_org_id, ev.body],
            )
            .map_err(db_err)?;
            let pk = tx.last_insert_rowid();
            {
                let mut st = tx
                    .prepare_cached("INSERT OR IGNORE INTO event_epcs (epc, event_pk) VALUES (?1, ?2)")
                    .map_err(db_err)?;
                for epc in &ev.epcs {
                    st.execute(params![epc, pk]).map_err(db_err)?;
                }
            }
            if effects.new_state.is_some() || effects.new_holder.is_some() {
                let mut st = tx
                    .prepare_cached(
                        "UPDATE codes SET state = COALESCE(?3, state), holder_org_id = COALESCE(?4, holder_org_id)
                         WHERE product_id = ?1 AND serial = ?2",
                    )
                    .map_err(db_err)?;
                for (pid, serial) in &effects.codes {
                    let changed = st
                        .execute(params![pid, serial, effects.new_state, effects.new_holder])
                        .map_err(db_err)?;
                    if changed == 0 {
                        return Err(StoreError::NotFound(format!("code {serial}")));
                    }
                }
            }
            if let Some(b) = effects.release_batch {
                tx.execute("UPDATE batches SET released = 1 WHERE id = ?1", [b]).map_err(db_err)?;
            }
            if let Some((b, d, reason)) = &effects.recall_batch {
                tx.execute(
                    "UPDATE batches SET recalled_on = ?2, recall_reason = ?3 WHERE id = ?1",
                    params![b, date(&Some(*d)), reason],
                )
                .map_err(db_err)?;
            }
            append_log(tx, &log).map_err(db_err)?;
            Ok(pk)
        })
        .await
    }

    async fn events_for_epc(&self, epc: &str) -> Result<Vec<StoredEvent>> {
        let epc = epc.to_string();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLS} FROM event_epcs x JOIN events e ON e.id = x.event_pk
                     WHERE x.epc = ?1 ORDER BY e.event_time, e.id"
                ))
                .map_err(db_err)?;
            let rows = st.query_map([epc], event_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn event_count(&self) -> Result<u64> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db_err)
        })
        .await
    }
}
