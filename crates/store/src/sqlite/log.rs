//! LogStore for SqliteStore.

use super::*;
use crate::StoredCheckpoint;
use crate::log::hash32;

fn checkpoint_row(r: &Row<'_>) -> rusqlite::Result<(i64, Vec<u8>, Vec<u8>, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn to_checkpoint(row: (i64, Vec<u8>, Vec<u8>, String)) -> Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: row.0 as u64,
        root: hash32(&row.1)?,
        note: row.2,
        created_at: parse_ts(row.3).map_err(db_err)?,
    })
}

fn current_size(c: &Connection) -> Result<Option<u64>> {
    c.query_row("SELECT MAX(size) FROM log_checkpoints", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .map(|n| n.map(|n| n as u64))
    .map_err(db_err)
}

fn entry_count(c: &Connection) -> Result<u64> {
    c.query_row(
        "SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .map_err(db_err)
}

#[async_trait]
impl crate::LogStore for SqliteStore {
    async fn log_size(&self) -> Result<u64> {
        self.read(entry_count).await
    }

    async fn log_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT body FROM log_entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
                )
                .map_err(db_err)?;
            let rows = st
                .query_map(params![from as i64, to as i64], |r| r.get::<_, Vec<u8>>(0))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    async fn find_entry(&self, entry_sha256: &[u8; 32]) -> Result<Option<u64>> {
        let digest = entry_sha256.to_vec();
        self.read(move |c| {
            c.query_row(
                "SELECT MIN(seq) FROM log_entries WHERE entry_sha256 = ?1",
                [digest],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|n| n.map(|n| n as u64))
            .map_err(db_err)
        })
        .await
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>> {
        let indexes = indexes.to_vec();
        self.read(move |c| {
            let mut st = c
                .prepare_cached("SELECT hash FROM log_hashes WHERE idx = ?1")
                .map_err(db_err)?;
            indexes
                .iter()
                .map(|&i| {
                    let h: Option<Vec<u8>> = st
                        .query_row([i as i64], |r| r.get(0))
                        .optional()
                        .map_err(db_err)?;
                    match h {
                        Some(h) => hash32(&h),
                        None => Err(StoreError::NotFound(format!("log hash {i}"))),
                    }
                })
                .collect()
        })
        .await
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        self.read(|c| {
            c.query_row(
                "SELECT size, root, note, created_at FROM log_checkpoints ORDER BY size DESC LIMIT 1",
                [],
                checkpoint_row,
            )
            .optional()
            .map_err(db_err)?
            .map(to_checkpoint)
            .transpose()
        })
        .await
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
        self.read(move |c| {
            c.query_row(
                "SELECT size, root, note, created_at FROM log_checkpoints WHERE size = ?1",
                [size as i64],
                checkpoint_row,
            )
            .optional()
            .map_err(db_err)?
            .map(to_checkpoint)
            .transpose()
        })
        .await
    }

    async fn integrate(
        &self,
        old_size: u64,
        first_index: u64,
        hashes: &[[u8; 32]],
        checkpoint: &StoredCheckpoint,
    ) -> Result<()> {
        let hashes = hashes.to_vec();
        let cp = checkpoint.clone();
        self.write(move |tx| {
            let current = current_size(tx)?;
            if current.unwrap_or(0) != old_size || (current.is_some() && cp.size == old_size) {
                return Err(StoreError::Conflict(format!(
                    "log tree is {current:?} leaves, not {old_size}"
                )));
            }
            if entry_count(tx)? < cp.size {
                return Err(StoreError::Conflict(format!(
                    "checkpoint of {} leaves beyond the committed entries",
                    cp.size
                )));
            }
            {
                let mut st = tx
                    .prepare_cached("INSERT INTO log_hashes (idx, hash) VALUES (?1, ?2)")
                    .map_err(db_err)?;
                for (i, h) in hashes.iter().enumerate() {
                    st.execute(params![(first_index + i as u64) as i64, &h[..]])
                        .map_err(db_err)?;
                }
            }
            tx.execute(
                "INSERT INTO log_checkpoints (size, root, note, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![cp.size as i64, &cp.root[..], cp.note, ts(&cp.created_at)],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> Result<()> {
        let note = note.to_vec();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE log_checkpoints SET note = ?1 WHERE size = ?2",
                    params![note, size as i64],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("checkpoint of size {size}")));
            }
            Ok(())
        })
        .await
    }
}
