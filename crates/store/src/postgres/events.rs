//! EventStore for PgStore. Captured documents are written with array (UNNEST)
//! statements: a handful of round trips per document, whatever its size.

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;

use super::*;
use crate::events::{
    CaptureItem, CaptureJob, CaptureOutcome, EventFilter, EventIndex, NAMING_ROLES, NamedQuery,
    NewCaptureJob, SqlParam, build_event_query,
};

/// Inserts events (ids allocated from the identity sequence first, so the keys can
/// be written in bulk), their EPC and key rows. Returns the new ids in order.
pub(super) async fn insert_events(
    tx: &Transaction<'_>,
    evs: &[(&NewEvent, &EventIndex)],
    job: Option<&str>,
) -> Result<Vec<i64>> {
    if evs.is_empty() {
        return Ok(Vec::new());
    }
    let n = evs.len() as i64;
    let next = tx
        .prepare_cached(
            "SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, $1::BIGINT)",
        )
        .await
        .map_err(db_err)?;
    let ids: Vec<i64> = tx
        .query(&next, &[&n])
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut event_id = Vec::with_capacity(evs.len());
    let mut hash = Vec::with_capacity(evs.len());
    let mut declared = Vec::with_capacity(evs.len());
    let mut ty = Vec::with_capacity(evs.len());
    let mut et: Vec<DateTime<Utc>> = Vec::with_capacity(evs.len());
    let mut rt: Vec<DateTime<Utc>> = Vec::with_capacity(evs.len());
    let mut action = Vec::with_capacity(evs.len());
    let mut step = Vec::with_capacity(evs.len());
    let mut disp = Vec::with_capacity(evs.len());
    let mut rp = Vec::with_capacity(evs.len());
    let mut bl = Vec::with_capacity(evs.len());
    let mut owner = Vec::with_capacity(evs.len());
    let mut body = Vec::with_capacity(evs.len());
    let (mut key_r, mut key_v, mut key_pk) = (Vec::new(), Vec::new(), Vec::new());
    for ((ev, ix), id) in evs.iter().zip(&ids) {
        event_id.push(ev.event_id.as_str());
        hash.push(ix.event_hash.as_str());
        declared.push(ix.error_declared);
        ty.push(ev.event_type.as_str());
        et.push(ev.event_time);
        rt.push(ev.record_time);
        action.push(ev.action.as_deref());
        step.push(ev.biz_step.as_deref());
        disp.push(ev.disposition.as_deref());
        rp.push(ev.read_point.as_deref());
        bl.push(ev.biz_location.as_deref());
        owner.push(ev.owner_org_id);
        body.push(ev.body.as_str());
        for (r, v) in ix.stored_keys(ev) {
            key_r.push(r);
            key_v.push(v);
            key_pk.push(*id);
        }
    }
    let stmt = tx
        .prepare_cached(
            "INSERT INTO events (id, event_id, event_hash, error_declared, event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, owner_org_id, capture_job, body)
             SELECT i, a, h, d, t, et, rt, ac, bs, di, rp, bl, o, $14, b
             FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BOOL[], $5::TEXT[], $6::TIMESTAMPTZ[], $7::TIMESTAMPTZ[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[], $13::BIGINT[], $15::TEXT[])
                  AS x(i, a, h, d, t, et, rt, ac, bs, di, rp, bl, o, b)",
        )
        .await
        .map_err(db_err)?;
    let job = job.map(str::to_string);
    let params: [&(dyn ToSql + Sync); 15] = [
        &ids, &event_id, &hash, &declared, &ty, &et, &rt, &action, &step, &disp, &rp, &bl, &owner,
        &job, &body,
    ];
    tx.execute(&stmt, &params).await.map_err(db_err)?;
    if !key_v.is_empty() {
        let st = tx
            .prepare_cached(
                // Every row is new (a fresh event id; `stored_keys` yields each key
                // once), so a plain INSERT: `ON CONFLICT` would make PostgreSQL probe
                // the key before inserting it and confirm after (speculative
                // insertion).
                "INSERT INTO event_keys (role, value, event_pk) SELECT r, v, p FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[]) AS x(r, v, p)",
            )
            .await
            .map_err(db_err)?;
        tx.execute(&st, &[&key_r, &key_v, &key_pk])
            .await
            .map_err(db_err)?;
    }
    Ok(ids)
}

const LOG_INSERT: &str = "INSERT INTO log_entries (seq, body, created_at, entry_sha256)
     SELECT (SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries) + o - 1, b, t, d
     FROM UNNEST($1::BYTEA[], $2::TIMESTAMPTZ[], $3::BYTEA[]) WITH ORDINALITY AS x(b, t, d, o)
     RETURNING seq";

/// [`LOG_INSERT`] that also ends capture job `$4` (errors `$5`, `$6` events), its
/// leaf indexes being the contiguous range just appended.
static LOG_INSERT_ENDING_JOB: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH ins AS ({LOG_INSERT}),
         job AS (UPDATE capture_jobs SET state = 'success', errors = $5, event_count = $6, body = NULL, finished_at = now(),
                   log_indexes = (SELECT CASE WHEN MIN(seq) = MAX(seq) THEN MIN(seq)::TEXT
                                              ELSE MIN(seq)::TEXT || '-' || MAX(seq)::TEXT END FROM ins)
                 WHERE id = $4)
         SELECT seq FROM ins"
    )
});

/// A capture job's end: its id, errors (a JSON array) and number of stored events.
type JobEnd<'a> = (&'a str, &'a str, i64);

/// Appends many log entries in one statement (same rules as `append_log`: the log
/// lock is held until commit, leaf indexes are contiguous), and when `job` is given,
/// records the job's end in the same statement: every statement after the lock
/// lengthens the section in which concurrent captures wait. (Its leaf indexes are
/// the range just appended, contiguous, written as `receipts::ranges` does.)
async fn append_logs(
    tx: &Transaction<'_>,
    entries: &[&LogEntry],
    job: Option<JobEnd<'_>>,
) -> Result<Vec<u64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await
        .map_err(db_err)?;
    let st = match job {
        None => tx.prepare_cached(LOG_INSERT).await,
        Some(_) => tx.prepare_cached(&LOG_INSERT_ENDING_JOB).await,
    }
    .map_err(db_err)?;
    let mut bodies = Vec::with_capacity(entries.len());
    let mut times = Vec::with_capacity(entries.len());
    let mut digests = Vec::with_capacity(entries.len());
    for e in entries {
        let b = e.to_bytes();
        digests.push(domain::log_entry::sha256(&b).to_vec());
        bodies.push(b);
        times.push(e.time);
    }
    tx.execute(&lock, &[&LOG_LOCK]).await.map_err(db_err)?;
    let rows = match job {
        None => tx.query(&st, &[&bodies, &times, &digests]).await,
        Some((id, errors, count)) => {
            tx.query(&st, &[&bodies, &times, &digests, &id, &errors, &count])
                .await
        }
    }
    .map_err(db_err)?;
    let mut indexes: Vec<u64> = rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect();
    indexes.sort_unstable();
    crate::receipts::appended(indexes.iter().copied());
    Ok(indexes)
}

const JOB_COLS: &str = "id, owner_org_id, actor, state, behaviour, media_type, errors, event_count, created_at, finished_at, log_indexes";
fn job_row(r: &Row) -> Result<CaptureJob> {
    Ok(CaptureJob {
        id: r.get(0),
        owner_org_id: r.get(1),
        actor: r.get(2),
        state: r.get(3),
        behaviour: r.get(4),
        media_type: r.get(5),
        errors: r.get(6),
        event_count: r.get(7),
        created_at: r.get(8),
        finished_at: r.get(9),
        log_indexes: r.get(10),
    })
}

fn query_row(r: &Row) -> Result<NamedQuery> {
    Ok(NamedQuery {
        name: r.get(0),
        owner_org_id: r.get(1),
        query: r.get(2),
        created_at: r.get(3),
    })
}

fn to_sql(p: SqlParam) -> Box<dyn ToSql + Sync + Send> {
    match p {
        SqlParam::Text(s) => Box::new(s),
        SqlParam::Int(i) => Box::new(i),
        SqlParam::Bool(b) => Box::new(b),
        SqlParam::Time(t) => Box::new(t),
    }
}

#[async_trait]
impl crate::EventStore for PgStore {
    async fn record_event_indexed(
        &self,
        ev: &NewEvent,
        index: &EventIndex,
        effects: &Effects,
        log: &LogEntry,
    ) -> Result<i64> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let ids = insert_events(&tx, &[(ev, index)], None).await?;
        let pk = ids
            .first()
            .copied()
            .ok_or_else(|| StoreError::Db("no id allocated".into()))?;
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
        commit(tx).await?;
        Ok(pk)
    }

    async fn events_for_epc(&self, epc: &str) -> Result<Vec<StoredEvent>> {
        self.many(
            &format!(
                "SELECT {EVENT_COLS} FROM events e WHERE e.id IN
                   (SELECT event_pk FROM event_keys WHERE role IN ({NAMING_ROLES}) AND value = $1)
                 ORDER BY e.event_time, e.id"
            ),
            &[&epc],
            event_row,
        )
        .await
    }

    async fn event_count(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM events", &[]).await
    }

    async fn capture_events(
        &self,
        items: &[CaptureItem],
        proceed: bool,
        job: Option<(&str, &str)>,
    ) -> Result<CaptureOutcome> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let mut out = CaptureOutcome::default();
        let hashes: Vec<&str> = items
            .iter()
            .filter(|i| !i.index.error_declared)
            .map(|i| i.index.event_hash.as_str())
            .collect();
        let existing: std::collections::HashSet<String> = if hashes.is_empty() {
            Default::default()
        } else {
            let probe = tx
                .prepare_cached(
                    "SELECT event_hash FROM events WHERE event_hash = ANY($1) AND NOT error_declared",
                )
                .await
                .map_err(db_err)?;
            tx.query(&probe, &[&hashes])
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| r.get(0))
                .collect()
        };
        let mut seen = std::collections::HashSet::new();
        for (i, it) in items.iter().enumerate() {
            let h = &it.index.event_hash;
            if !it.index.error_declared && (!seen.insert(h.as_str()) || existing.contains(h)) {
                out.duplicates.push(i);
            }
        }
        if !out.duplicates.is_empty() && !proceed {
            return Ok(out);
        }
        let mut evs = Vec::with_capacity(items.len());
        let mut logs = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            if out.duplicates.binary_search(&i).is_ok() {
                continue;
            }
            evs.push((&it.event, &it.index));
            logs.push(&it.log);
            out.stored.push(i);
        }
        insert_events(&tx, &evs, job.map(|j| j.0)).await?;
        let count = out.stored.len() as i64;
        let end = job.map(|(id, errors)| (id, errors, count));
        let indexes = append_logs(&tx, &logs, end).await?;
        if let Some((id, errors)) = job
            && logs.is_empty()
        {
            // Nothing appended, so nothing finished the job above.
            let indexes = crate::receipts::ranges(&indexes);
            tx.execute(
                "UPDATE capture_jobs SET state = 'success', errors = $2, event_count = $3, body = NULL, finished_at = now(), log_indexes = $4 WHERE id = $1",
                &[&id, &errors, &(out.stored.len() as i64), &indexes],
            )
            .await
            .map_err(db_err)?;
        }
        commit(tx).await?;
        Ok(out)
    }

    async fn create_capture_job(&self, job: &NewCaptureJob) -> Result<()> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .execute(
                "INSERT INTO capture_jobs (id, owner_org_id, actor, state, behaviour, media_type, body, created_at)
                 VALUES ($1, $2, $3, 'running', $4, $5, $6, $7)",
                &[&job.id, &job.owner_org_id, &job.actor, &job.behaviour, &job.media_type, &job.body, &job.created_at],
            )
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn get_capture_job(&self, id: &str) -> Result<Option<CaptureJob>> {
        self.one(
            &format!("SELECT {JOB_COLS} FROM capture_jobs WHERE id = $1"),
            &[&id],
            job_row,
        )
        .await
    }

    async fn capture_job_body(&self, id: &str) -> Result<Option<(String, Vec<u8>)>> {
        self.one(
            "SELECT media_type, body FROM capture_jobs WHERE id = $1 AND state = 'running' AND body IS NOT NULL",
            &[&id],
            |r| Ok((r.get(0), r.get(1))),
        )
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
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .execute(
                "UPDATE capture_jobs SET state = $2, errors = $3, body = NULL, finished_at = $4, log_indexes = $5 WHERE id = $1 AND state = 'running'",
                &[&id, &state, &errors, &at, &log_indexes],
            )
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn list_capture_jobs(
        &self,
        owner_org_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<CaptureJob>> {
        let limit = i64::from(limit);
        self.many(
            &format!(
                "SELECT {JOB_COLS} FROM capture_jobs WHERE ($1::BIGINT IS NULL OR owner_org_id = $1) ORDER BY created_at DESC, id LIMIT $2"
            ),
            &[&owner_org_id, &limit],
            job_row,
        )
        .await
    }

    async fn query_events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>> {
        let (tail, ps) = build_event_query(filter, &|n| format!("${n}"));
        let sql = format!("SELECT {EVENT_COLS} FROM events e{tail}");
        let boxed: Vec<Box<dyn ToSql + Sync + Send>> = ps.into_iter().map(to_sql).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = boxed
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client.prepare_cached(&sql).await.map_err(db_err)?;
        let rows = client.query(&stmt, &refs).await.map_err(db_err)?;
        rows.iter().map(event_row).collect()
    }

    async fn event_types(&self) -> Result<Vec<String>> {
        self.many(
            "SELECT DISTINCT event_type FROM events ORDER BY event_type",
            &[],
            |r| Ok(r.get(0)),
        )
        .await
    }

    async fn create_named_query(&self, q: &NamedQuery, log: &LogEntry) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        tx.execute(
            "INSERT INTO epcis_queries (name, owner_org_id, query, created_at) VALUES ($1, $2, $3, $4)",
            &[&q.name, &q.owner_org_id, &q.query, &q.created_at],
        )
        .await
        .map_err(db_err)?;
        append_log(&tx, log).await?;
        commit(tx).await?;
        Ok(())
    }

    async fn get_named_query(&self, name: &str) -> Result<Option<NamedQuery>> {
        self.one(
            "SELECT name, owner_org_id, query, created_at FROM epcis_queries WHERE name = $1",
            &[&name],
            query_row,
        )
        .await
    }

    async fn list_named_queries(&self) -> Result<Vec<NamedQuery>> {
        self.many(
            "SELECT name, owner_org_id, query, created_at FROM epcis_queries ORDER BY name",
            &[],
            query_row,
        )
        .await
    }

    async fn delete_named_query(&self, name: &str, log: &LogEntry) -> Result<bool> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        let n = tx
            .execute("DELETE FROM epcis_queries WHERE name = $1", &[&name])
            .await
            .map_err(db_err)?;
        if n > 0 {
            append_log(&tx, log).await?;
        }
        commit(tx).await?;
        Ok(n > 0)
    }
}
