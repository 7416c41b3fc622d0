//! WAL checkpoints off the writer's path.
//!
//! By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000
//! pages: the writing thread then copies the WAL into the database file and fsyncs
//! it while every queued write waits (a twelfth of the writer's time under EPCIS
//! capture). Here this thread, with a connection of its own, runs
//! `PRAGMA wal_checkpoint(PASSIVE)` after commits instead: a passive checkpoint
//! copies only committed frames, never waits for a lock and never blocks the writer.
//!
//! The WAL starts over from its beginning only when a write transaction begins with
//! every frame copied. Under a steady stream of commits this thread rarely sees that
//! moment, so the writer keeps an automatic checkpoint with a higher threshold
//! ([`WRITER_CHECKPOINT_PAGES`]): when it fires, this thread has already copied
//! almost everything, the writer copies the rest, and the WAL stays bounded.
//!
//! Durability is unchanged: a commit is durable when its WAL frames are synced
//! (`synchronous=FULL`); the checkpoint only moves them into the main file.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The writer's own automatic checkpoint threshold, in WAL pages (SQLite's default
/// is 1,000): a bound on the WAL, not the usual path.
pub(super) const WRITER_CHECKPOINT_PAGES: u32 = 4_096;
/// Checkpoints at most this often; commits in between are copied by the next one.
const MIN_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Default)]
struct State {
    /// Commits since the last checkpoint.
    pending: bool,
    /// The store is gone: the thread exits.
    stop: bool,
}

/// Handle of the checkpoint thread of one database file; dropping it stops the thread.
pub(super) struct Checkpointer {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Checkpointer {
    /// Starts the thread; `open` makes its connection. `None` if no thread could be
    /// started: then the writer keeps SQLite's default checkpoints.
    pub(super) fn start(
        open: impl Fn() -> rusqlite::Result<rusqlite::Connection> + Send + 'static,
    ) -> Option<Checkpointer> {
        let shared: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let theirs = shared.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&theirs, open))
            .ok()?;
        Some(Checkpointer { shared })
    }

    /// Tells the thread a commit happened.
    pub(super) fn nudge(&self) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut s) = lock.lock()
            && !s.pending
        {
            s.pending = true;
            cv.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut s) = lock.lock() {
            s.stop = true;
            cv.notify_one();
        }
    }
}

fn run(
    shared: &(Mutex<State>, Condvar),
    open: impl Fn() -> rusqlite::Result<rusqlite::Connection>,
) {
    let (lock, cv) = shared;
    let mut conn: Option<rusqlite::Connection> = None;
    loop {
        {
            let Ok(mut s) = lock.lock() else { return };
            while !s.pending && !s.stop {
                s = match cv.wait(s) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if s.stop {
                return;
            }
            s.pending = false;
        }
        if conn.is_none() {
            match open() {
                Ok(c) => conn = Some(c),
                Err(e) => tracing::warn!(error = %e, "checkpoint connection failed"),
            }
        }
        if let Some(c) = &conn
            && let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying later");
            conn = None;
        }
        std::thread::sleep(MIN_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;

    /// Commits reach the database file through the checkpoint thread, well before the
    /// writer's own threshold (or SQLite's default of 1,000 pages) would copy them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_are_checkpointed_by_the_thread() {
        let dir = std::env::temp_dir().join(format!("ppetrace-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("c.db");
        let s = SqliteStore::open(path.to_str().unwrap_or(""))
            .await
            .unwrap();
        s.write(|tx| {
            tx.execute_batch("CREATE TABLE t (v BLOB)")
                .map_err(super::super::db_err)
        })
        .await
        .unwrap();
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let before = size();
        // About 100 pages of new data, in ten commits.
        for _ in 0..10 {
            s.write(|tx| {
                for _ in 0..10 {
                    tx.execute("INSERT INTO t (v) VALUES (zeroblob(4000))", [])
                        .map_err(super::super::db_err)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while size() < before + 100 * 4000 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            size() >= before + 100 * 4000,
            "the database file holds the commits: {} → {} bytes",
            before,
            size()
        );
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
