//! LogStore for PgStore.

use super::*;

#[async_trait]
impl crate::LogStore for PgStore {
    async fn log_size(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM log_entries", &[]).await
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
}
