//! EventStore for PgStore.

use super::*;

#[async_trait]
impl crate::EventStore for PgStore {
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
                "INSERT INTO event_epcs (epc, event_pk) SELECT DISTINCT e, $2::BIGINT FROM UNNEST($1::TEXT[]) AS e ON CONFLICT DO NOTHING",
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
                    .execute(
                        &stmt,
                        &[pid, serial, &effects.new_state, &effects.new_holder],
                    )
                    .await
                    .map_err(db_err)?;
                if changed == 0 {
                    return Err(StoreError::NotFound(format!("code {serial}")));
                }
            }
        }
        if let Some(b) = effects.release_batch {
            tx.execute("UPDATE batches SET released = TRUE WHERE id = $1", &[&b])
                .await
                .map_err(db_err)?;
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
}
