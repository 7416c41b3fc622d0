//! LogStore for PgStore.

use tokio_postgres::types::ToSql;

use super::*;
use crate::StoredCheckpoint;
use crate::log::hash32;

/// Advisory lock serialising tree integration (one sequencer at a time, even
/// with several API nodes).
const TREE_LOCK: i64 = 0x7070_6576;

fn to_checkpoint(r: &Row) -> Result<StoredCheckpoint> {
    let root: Vec<u8> = r.get(1);
    Ok(StoredCheckpoint {
        size: r.get::<_, i64>(0) as u64,
        root: hash32(&root)?,
        note: r.get(2),
        created_at: r.get(3),
    })
}

#[async_trait]
impl crate::LogStore for PgStore {
    async fn log_size(&self) -> Result<u64> {
        self.count("SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries", &[])
            .await
    }

    async fn log_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let rows = client
            .query(
                "SELECT body FROM log_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq",
                &[&(from as i64), &(to as i64)],
            )
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn find_entry(&self, entry_sha256: &[u8; 32]) -> Result<Option<u64>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let digest = entry_sha256.to_vec();
        let row = client
            .query_one(
                "SELECT MIN(seq) FROM log_entries WHERE entry_sha256 = $1",
                &[&digest],
            )
            .await
            .map_err(db_err)?;
        Ok(row.get::<_, Option<i64>>(0).map(|n| n as u64))
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.pool.get().await.map_err(pool_err)?;
        let ix: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
        let rows = client
            .query(
                "SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)",
                &[&ix],
            )
            .await
            .map_err(db_err)?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            let h: Vec<u8> = r.get(1);
            found.insert(r.get::<_, i64>(0) as u64, hash32(&h)?);
        }
        indexes
            .iter()
            .map(|i| {
                found
                    .get(i)
                    .copied()
                    .ok_or_else(|| StoreError::NotFound(format!("log hash {i}")))
            })
            .collect()
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .query_opt(
                "SELECT size, root, note, created_at FROM log_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(db_err)?
            .map(|r| to_checkpoint(&r))
            .transpose()
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        client
            .query_opt(
                "SELECT size, root, note, created_at FROM log_checkpoints WHERE size = $1",
                &[&(size as i64)],
            )
            .await
            .map_err(db_err)?
            .map(|r| to_checkpoint(&r))
            .transpose()
    }

    async fn integrate(
        &self,
        old_size: u64,
        first_index: u64,
        hashes: &[[u8; 32]],
        checkpoint: &StoredCheckpoint,
    ) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = begin(&mut client).await?;
        // Prepared once per connection; the four statements below are then sent
        // in one pipelined round trip and run in order (lock first). Should the
        // check fail, the inserts are rolled back with the transaction.
        let lock = tx
            .prepare_cached("SELECT pg_advisory_xact_lock($1)")
            .await
            .map_err(db_err)?;
        let check = tx
            .prepare_cached(
                "SELECT (SELECT MAX(size) FROM log_checkpoints),
                        (SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries)",
            )
            .await
            .map_err(db_err)?;
        let insert_hashes = tx
            .prepare_cached(
                "INSERT INTO log_hashes (idx, hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
            )
            .await
            .map_err(db_err)?;
        let insert_checkpoint = tx
            .prepare_cached(
                "INSERT INTO log_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4)",
            )
            .await
            .map_err(db_err)?;
        let ix: Vec<i64> = (0..hashes.len())
            .map(|i| (first_index + i as u64) as i64)
            .collect();
        let hs: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
        let (size, root) = (checkpoint.size as i64, &checkpoint.root[..]);
        let hash_params: [&(dyn ToSql + Sync); 2] = [&ix, &hs];
        let checkpoint_params: [&(dyn ToSql + Sync); 4] =
            [&size, &root, &checkpoint.note, &checkpoint.created_at];
        let (locked, checked, hashed, signed) = tokio::join!(
            tx.execute(&lock, &[&TREE_LOCK]),
            tx.query_one(&check, &[]),
            tx.execute(&insert_hashes, &hash_params),
            tx.execute(&insert_checkpoint, &checkpoint_params),
        );
        locked.map_err(db_err)?;
        let checked = checked.map_err(db_err)?;
        let current = checked.get::<_, Option<i64>>(0).map(|n| n as u64);
        let entries = checked.get::<_, i64>(1);
        if current.unwrap_or(0) != old_size || (current.is_some() && checkpoint.size == old_size) {
            return Err(StoreError::Conflict(format!(
                "log tree is {current:?} leaves, not {old_size}"
            )));
        }
        if (entries as u64) < checkpoint.size {
            return Err(StoreError::Conflict(format!(
                "checkpoint of {} leaves beyond the committed entries",
                checkpoint.size
            )));
        }
        hashed.map_err(db_err)?;
        signed.map_err(db_err)?;
        commit(tx).await?;
        Ok(())
    }

    async fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> Result<()> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let n = client
            .execute(
                "UPDATE log_checkpoints SET note = $1 WHERE size = $2",
                &[&note.to_vec(), &(size as i64)],
            )
            .await
            .map_err(db_err)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("checkpoint of size {size}")));
        }
        Ok(())
    }
}
