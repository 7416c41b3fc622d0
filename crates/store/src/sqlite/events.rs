//! EventStore for SqliteStore.

use super::*;
use crate::events::{
    CaptureItem, CaptureJob, CaptureOutcome, EventFilter, EventIndex, NAMING_ROLES, NamedQuery,
    NewCaptureJob, SqlParam, build_event_query,
};

pub(super) fn insert_event(
    tx: &Connection,
    ev: &NewEvent,
    index: &EventIndex,
    job: Option<&str>,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO events (event_id, event_hash, error_declared, event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, owner_org_id, capture_job, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        ev.event_id,
        index.event_hash,
        index.error_declared,
        ev.event_type,
        ts(&ev.event_time),
        ts(&ev.record_time),
        ev.action,
        ev.biz_step,
        ev.disposition,
        ev.read_point,
        ev.biz_location,
        ev.owner_org_id,
        job,
        ev.body
    ])?;
    let pk = tx.last_insert_rowid();
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO event_keys (role, value, event_pk) VALUES (?1, ?2, ?3)",
    )?;
    for (role, value) in index.stored_keys(ev) {
        st.execute(params![role, value, pk])?;
    }
    Ok(pk)
}

fn hash_exists(tx: &Connection, hash: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM events WHERE event_hash = ?1 AND error_declared = 0")?
        .query_row([hash], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

const JOB_COLS: &str = "id, owner_org_id, actor, state, behaviour, media_type, errors, event_count, created_at, finished_at, log_indexes";
fn job_row(r: &Row<'_>) -> rusqlite::Result<CaptureJob> {
    let finished: Option<String> = r.get(9)?;
    Ok(CaptureJob {
        id: r.get(0)?,
        owner_org_id: r.get(1)?,
        actor: r.get(2)?,
        state: r.get(3)?,
        behaviour: r.get(4)?,
        media_type: r.get(5)?,
        errors: r.get(6)?,
        event_count: r.get(7)?,
        created_at: parse_ts(r.get(8)?)?,
        finished_at: finished.map(parse_ts).transpose()?,
        log_indexes: r.get(10)?,
    })
}

fn query_row(r: &Row<'_>) -> rusqlite::Result<NamedQuery> {
    Ok(NamedQuery {
        name: r.get(0)?,
        owner_org_id: r.get(1)?,
        query: r.get(2)?,
        created_at: parse_ts(r.get(3)?)?,
    })
}

fn to_sql(p: SqlParam) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match p {
        SqlParam::Text(s) => V::Text(s),
        SqlParam::Int(i) => V::Integer(i),
        SqlParam::Bool(b) => V::Integer(i64::from(b)),
        SqlParam::Time(t) => V::Text(ts(&t)),
    }
}

#[async_trait]
impl crate::EventStore for SqliteStore {
    async fn record_event_indexed(
        &self,
        ev: &NewEvent,
        index: &EventIndex,
        effects: &Effects,
        log: &LogEntry,
    ) -> Result<i64> {
        owned!(ev, index, effects, log);
        self.write(move |tx| {
            let pk = insert_event(tx, &ev, &index, None).map_err(db_err)?;
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
                    "SELECT {EVENT_COLS} FROM events e WHERE e.id IN
                       (SELECT event_pk FROM event_keys WHERE role IN ({NAMING_ROLES}) AND value = ?1)
                     ORDER BY e.event_time, e.id"
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

    async fn capture_events(
        &self,
        items: &[CaptureItem],
        proceed: bool,
        job: Option<(&str, &str)>,
    ) -> Result<CaptureOutcome> {
        let items = items.to_vec();
        let job = job.map(|(a, b)| (a.to_string(), b.to_string()));
        // Every refusal (a duplicate) is found before the first insert, and what
        // follows has no constraint left to break: no savepoint needed.
        let (outcome, stored) = self
            .write_checked(move |tx| {
                let mut out = CaptureOutcome::default();
                let mut seen = std::collections::HashSet::new();
                for (i, it) in items.iter().enumerate() {
                    if !it.index.error_declared
                        && (!seen.insert(it.index.event_hash.clone())
                            || hash_exists(tx, &it.index.event_hash).map_err(db_err)?)
                    {
                        out.duplicates.push(i);
                    }
                }
                if !out.duplicates.is_empty() && !proceed {
                    return Ok((out, false));
                }
                for (i, it) in items.iter().enumerate() {
                    if out.duplicates.binary_search(&i).is_ok() {
                        continue;
                    }
                    insert_event(tx, &it.event, &it.index, job.as_ref().map(|j| j.0.as_str()))
                        .map_err(db_err)?;
                    append_log(tx, &it.log).map_err(db_err)?;
                    out.stored.push(i);
                }
                if let Some((id, errors)) = &job {
                    let indexes = crate::receipts::ranges(&APPENDED.with(|a| a.borrow().clone()));
                    tx.execute(
                        "UPDATE capture_jobs SET state = 'success', errors = ?2, event_count = ?3, body = NULL, finished_at = ?4, log_indexes = ?5 WHERE id = ?1",
                        params![id, errors, out.stored.len() as i64, ts(&Utc::now()), indexes],
                    )
                    .map_err(db_err)?;
                }
                Ok((out, true))
            })
            .await?;
        let _ = stored;
        Ok(outcome)
    }

    async fn create_capture_job(&self, job: &NewCaptureJob) -> Result<()> {
        owned!(job);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO capture_jobs (id, owner_org_id, actor, state, behaviour, media_type, body, created_at)
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7)",
                params![job.id, job.owner_org_id, job.actor, job.behaviour, job.media_type, job.body, ts(&job.created_at)],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn get_capture_job(&self, id: &str) -> Result<Option<CaptureJob>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {JOB_COLS} FROM capture_jobs WHERE id = ?1"),
                [id],
                job_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn capture_job_body(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT media_type, body FROM capture_jobs WHERE id = ?1 AND state = 'running' AND body IS NOT NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn finish_capture_job(
        &self,
        id: &str,
        state: &str,
        errors: &str,
        log_indexes: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (id, state, errors) = (id.to_string(), state.to_string(), errors.to_string());
        let log_indexes = log_indexes.to_string();
        self.write(move |tx| {
            tx.execute(
                "UPDATE capture_jobs SET state = ?2, errors = ?3, body = NULL, finished_at = ?4, log_indexes = ?5 WHERE id = ?1 AND state = 'running'",
                params![id, state, errors, ts(&at), log_indexes],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn list_capture_jobs(
        &self,
        owner_org_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<CaptureJob>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {JOB_COLS} FROM capture_jobs WHERE (?1 IS NULL OR owner_org_id = ?1) ORDER BY created_at DESC, id LIMIT ?2"
                ))
                .map_err(db_err)?;
            let rows = st.query_map(params![owner_org_id, limit], job_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn query_events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>> {
        let (tail, ps) = build_event_query(filter, &|n| format!("?{n}"));
        let sql = format!("SELECT {EVENT_COLS} FROM events e{tail}");
        let ps: Vec<rusqlite::types::Value> = ps.into_iter().map(to_sql).collect();
        self.read(move |c| {
            let mut st = c.prepare_cached(&sql).map_err(db_err)?;
            let rows = st
                .query_map(rusqlite::params_from_iter(ps), event_row)
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn event_types(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c
                .prepare_cached("SELECT DISTINCT event_type FROM events ORDER BY event_type")
                .map_err(db_err)?;
            let rows = st.query_map([], |r| r.get(0)).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn create_named_query(&self, q: &NamedQuery, log: &LogEntry) -> Result<()> {
        owned!(q, log);
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO epcis_queries (name, owner_org_id, query, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![q.name, q.owner_org_id, q.query, ts(&q.created_at)],
            )
            .map_err(db_err)?;
            append_log(tx, &log).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn get_named_query(&self, name: &str) -> Result<Option<NamedQuery>> {
        let name = name.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT name, owner_org_id, query, created_at FROM epcis_queries WHERE name = ?1",
                [name],
                query_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_named_queries(&self) -> Result<Vec<NamedQuery>> {
        self.read(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT name, owner_org_id, query, created_at FROM epcis_queries ORDER BY name",
                )
                .map_err(db_err)?;
            let rows = st.query_map([], query_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn delete_named_query(&self, name: &str, log: &LogEntry) -> Result<bool> {
        let name = name.to_string();
        owned!(log);
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM epcis_queries WHERE name = ?1", [name])
                .map_err(db_err)?;
            if n > 0 {
                append_log(tx, &log).map_err(db_err)?;
            }
            Ok(n > 0)
        })
        .await
    }
}
