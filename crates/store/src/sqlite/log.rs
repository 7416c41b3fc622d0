//! LogStore for SqliteStore.

use super::*;

#[async_trait]
impl crate::LogStore for SqliteStore {
    async fn log_size(&self) -> Result<u64> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM log_entries", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(db_err)
        })
        .await
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
}
