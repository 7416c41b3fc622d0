//! Group commit for the single SQLite writer.
//!
//! Every write is a closure over a transaction. Writers that arrive while another
//! group is being written queue up; the next thread to take the writer connection
//! runs *all* queued closures in one `BEGIN IMMEDIATE … COMMIT`, each inside its
//! own savepoint. So N concurrent writes cost one WAL fsync instead of N, and:
//!
//! - a closure that fails (or panics) is rolled back to its savepoint alone; the
//!   others in the group are unaffected;
//! - no caller hears "done" before the COMMIT that made its write durable
//!   (`synchronous=FULL`); if the COMMIT fails, every caller of the group gets the
//!   error and nothing of the group is stored;
//! - closures run in arrival order, each seeing the writes of those before it,
//!   exactly as if they had committed one after another.
//!
//! A savepoint makes SQLite copy every page the closure changes into a
//! sub-journal first (for bulk issuance into a large store that was about a fifth
//! of the CPU time, under EPCIS capture a sixth of the writer's). So it is
//! skipped where it buys nothing:
//!
//! - a group of one: its failure rolls the whole transaction back, which is the
//!   same outcome;
//! - a write that checks before it changes anything ([`Isolation::ChecksFirst`]):
//!   when it fails having changed nothing (the connection's change counter tells),
//!   it is its own failure and the group goes on; when it fails after a change,
//!   the group cannot commit and every caller of it hears so (nothing of the
//!   group is stored).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{APPENDED, db_err};
use crate::{Result, StoreError};

/// Tells the waiting caller how its group's COMMIT went.
type Finish = Box<dyn FnOnce(Result<()>) + Send>;
/// A queued write: runs inside the group's transaction (or is told it cannot
/// start) and returns how to finish it, or `None` when it already answered.
/// The flag is true when the job is alone in its group (no savepoint needed).
pub(super) type Job =
    Box<dyn FnOnce(std::result::Result<(&Transaction<'_>, bool), StoreError>) -> Step + Send>;

/// What running one job did to the group's transaction.
pub(super) enum Step {
    /// The job's writes stand; call this after the COMMIT.
    Done(Finish),
    /// The job failed and was rolled back to its savepoint (caller already told).
    Skipped,
    /// The transaction itself is gone or in an unknown state: the group fails.
    Poisoned(Finish),
}

/// How one write is kept apart from the others of its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Isolation {
    /// In a savepoint: a failure anywhere in the closure is rolled back alone.
    Savepoint,
    /// For a closure whose every refusal comes before its first change (its
    /// checks read, then it writes what cannot be refused): no savepoint. A
    /// failure after a change breaks the group instead of being rolled back
    /// alone.
    ChecksFirst,
}

/// Wraps a write closure into a [`Job`] that reports through `done`.
pub(super) fn job<T, F>(
    f: F,
    isolation: Isolation,
    done: tokio::sync::oneshot::Sender<Result<(T, Vec<u64>)>>,
) -> Job
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
{
    Box::new(move |tx| {
        let (tx, alone) = match tx {
            Ok(tx) => tx,
            Err(e) => {
                let _ = done.send(Err(e));
                return Step::Skipped;
            }
        };
        if alone || isolation == Isolation::ChecksFirst {
            // Alone, the group's transaction is this job's: on failure the whole
            // transaction is rolled back (`Poisoned` makes `drain` drop it).
            // Checking first, a failure that changed nothing leaves the
            // transaction as it found it.
            let before = tx.total_changes();
            APPENDED.with(|a| a.borrow_mut().clear());
            let run = catch_unwind(AssertUnwindSafe(|| f(tx)));
            let appended = APPENDED.with(|a| std::mem::take(&mut *a.borrow_mut()));
            let err = match run {
                Ok(Ok(out)) => {
                    return Step::Done(Box::new(move |committed| {
                        let _ = done.send(committed.map(|()| (out, appended)));
                    }));
                }
                Ok(Err(e)) => e,
                Err(_) => StoreError::Db("the write panicked; it was rolled back".into()),
            };
            if alone || tx.total_changes() != before || tx.is_autocommit() {
                return Step::Poisoned(Box::new(move |_| {
                    let _ = done.send(Err(err));
                }));
            }
            let _ = done.send(Err(err));
            return Step::Skipped;
        }
        if let Err(e) = tx.execute_batch("SAVEPOINT grp") {
            return Step::Poisoned(Box::new(move |_| {
                let _ = done.send(Err(db_err(e)));
            }));
        }
        APPENDED.with(|a| a.borrow_mut().clear());
        let run = catch_unwind(AssertUnwindSafe(|| f(tx)));
        let appended = APPENDED.with(|a| std::mem::take(&mut *a.borrow_mut()));
        match run {
            Ok(Ok(out)) => match tx.execute_batch("RELEASE grp") {
                Ok(()) => Step::Done(Box::new(move |committed| {
                    let _ = done.send(committed.map(|()| (out, appended)));
                })),
                Err(e) => Step::Poisoned(Box::new(move |_| {
                    let _ = done.send(Err(db_err(e)));
                })),
            },
            failed => {
                let err = match failed {
                    Ok(Err(e)) => e,
                    _ => StoreError::Db("the write panicked; it was rolled back".into()),
                };
                // Some errors (disk full, I/O) end the whole transaction: then the
                // savepoint is gone and the group cannot commit.
                if tx.is_autocommit() || tx.execute_batch("ROLLBACK TO grp; RELEASE grp").is_err() {
                    return Step::Poisoned(Box::new(move |_| {
                        let _ = done.send(Err(err));
                    }));
                }
                let _ = done.send(Err(err));
                Step::Skipped
            }
        }
    })
}

/// Takes the writer connection and writes every queued job in one transaction.
/// Returns at once with nothing to do if an earlier group already took ours.
pub(super) fn drain(writer: &Arc<Mutex<Connection>>, queue: &Arc<Mutex<Vec<Job>>>) {
    let mut conn = match writer.lock() {
        Ok(c) => c,
        Err(_) => {
            fail_all(queue, "writer connection poisoned");
            return;
        }
    };
    let jobs = match queue.lock() {
        Ok(mut q) => std::mem::take(&mut *q),
        Err(_) => return,
    };
    if jobs.is_empty() {
        return;
    }
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let msg = db_err(e).to_string();
            for j in jobs {
                j(Err(StoreError::Db(msg.clone())));
            }
            return;
        }
    };
    let alone = jobs.len() == 1;
    let mut finishes = Vec::with_capacity(jobs.len());
    let mut poisoned = false;
    for j in jobs {
        if poisoned {
            j(Err(StoreError::Db(
                "an earlier write of the same group broke the transaction; nothing was stored"
                    .into(),
            )));
            continue;
        }
        match j(Ok((&tx, alone))) {
            Step::Done(f) => finishes.push(f),
            Step::Skipped => {}
            Step::Poisoned(f) => {
                poisoned = true;
                f(Err(StoreError::Db("transaction lost".into())));
            }
        }
    }
    let outcome = if poisoned {
        drop(tx); // rolls back
        Err("an earlier write of the same group broke the transaction; nothing was stored".into())
    } else {
        tx.commit().map_err(|e| db_err(e).to_string())
    };
    for f in finishes {
        f(outcome.clone().map_err(StoreError::Db));
    }
}

fn fail_all(queue: &Arc<Mutex<Vec<Job>>>, why: &str) {
    let jobs = match queue.lock() {
        Ok(mut q) => std::mem::take(&mut *q),
        Err(_) => return,
    };
    for j in jobs {
        j(Err(StoreError::Db(why.into())));
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;
    use crate::StoreError;

    fn count(c: &rusqlite::Connection) -> i64 {
        c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap_or(-1)
    }

    /// A store in a scratch directory named after `name`, with a table `t` of
    /// unique values.
    async fn store_with_table(name: &str) -> (std::sync::Arc<SqliteStore>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("ppetrace-{name}-{}", std::process::id()));
        let path = dir.join("t.db");
        let s = std::sync::Arc::new(
            SqliteStore::open(path.to_str().unwrap_or(""))
                .await
                .unwrap(),
        );
        s.write(|tx| {
            tx.execute_batch("CREATE TABLE t (v INTEGER UNIQUE)")
                .map_err(super::db_err)
        })
        .await
        .unwrap();
        (s, dir)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_or_panicking_write_is_rolled_back_alone() {
        let (s, dir) = store_with_table("group").await;
        let mut tasks = Vec::new();
        for i in 0..60i64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.write(move |tx| {
                    tx.execute("INSERT INTO t (v) VALUES (?1)", [i])
                        .map_err(super::db_err)?;
                    match i % 10 {
                        3 => Err(StoreError::Conflict("refused on purpose".into())),
                        7 => panic!("a bug in one write"),
                        _ => Ok(i),
                    }
                })
                .await
            }));
        }
        let mut stored = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(i) => stored.push(i),
                Err(StoreError::Conflict(_)) => {}
                Err(StoreError::Db(m)) => assert!(m.contains("panicked"), "{m}"),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(stored.len(), 48);
        let n = s.write(|tx| Ok(count(tx))).await.unwrap();
        assert_eq!(n, 48, "exactly the successful writes are stored");
        // The refused and panicked values were rolled back: they can be written now.
        s.write(|tx| {
            tx.execute("INSERT INTO t (v) VALUES (3), (7)", [])
                .map_err(super::db_err)
        })
        .await
        .unwrap();
        drop(s);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_alone_in_its_group_is_all_or_nothing() {
        let dir = std::env::temp_dir().join(format!("ppetrace-alone-{}", std::process::id()));
        let path = dir.join("a.db");
        let s = SqliteStore::open(path.to_str().unwrap_or(""))
            .await
            .unwrap();
        s.write(|tx| {
            tx.execute_batch("CREATE TABLE t (v INTEGER UNIQUE); INSERT INTO t (v) VALUES (1)")
                .map_err(super::db_err)
        })
        .await
        .unwrap();
        // One write at a time: each is alone in its group (no savepoint).
        let refused = s
            .write(|tx| {
                tx.execute("INSERT INTO t (v) VALUES (2), (3)", [])
                    .map_err(super::db_err)?;
                Err::<(), _>(StoreError::Conflict("refused after writing".into()))
            })
            .await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        let panicked = s
            .write(|tx| {
                tx.execute("INSERT INTO t (v) VALUES (4)", [])
                    .map_err(super::db_err)?;
                if count(tx) == 2 {
                    panic!("a bug after writing");
                }
                Ok(())
            })
            .await;
        assert!(
            matches!(&panicked, Err(StoreError::Db(m)) if m.contains("panicked")),
            "{panicked:?}"
        );
        // A statement that fails midway (the UNIQUE conflict on 1) keeps nothing of it.
        let failed = s
            .write(|tx| {
                tx.execute("INSERT INTO t (v) VALUES (5), (1)", [])
                    .map_err(super::db_err)
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(
            s.write(|tx| Ok(count(tx))).await.unwrap(),
            1,
            "nothing of the failed writes stays"
        );
        // The writer is usable afterwards and the rolled-back values can be written.
        s.write(|tx| {
            tx.execute("INSERT INTO t (v) VALUES (2), (3), (4), (5)", [])
                .map_err(super::db_err)
        })
        .await
        .unwrap();
        assert_eq!(s.write(|tx| Ok(count(tx))).await.unwrap(), 5);
        drop(s);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Checks-first writes share a group without savepoints: one refused before
    /// changing anything leaves the others be; one that fails after a change
    /// fails its whole group, and nothing of that group is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn checks_first_writes_fail_alone_only_before_changing_anything() {
        let (s, dir) = store_with_table("checked").await;
        // Refusals before any change, among concurrent writes (groups of many).
        let mut tasks = Vec::new();
        for i in 0..60i64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.write_checked(move |tx| {
                    if i % 10 == 3 {
                        return Err(StoreError::Conflict("refused on purpose".into()));
                    }
                    tx.execute("INSERT INTO t (v) VALUES (?1)", [i])
                        .map_err(super::db_err)?;
                    Ok(i)
                })
                .await
            }));
        }
        let mut stored = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => stored += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(stored, 54);
        assert_eq!(s.write(|tx| Ok(count(tx))).await.unwrap(), 54);
        // A failure after a change, queued behind a good write in one group: both
        // callers hear it and neither write is stored.
        let (done_a, answer_a) = tokio::sync::oneshot::channel();
        let (done_b, answer_b) = tokio::sync::oneshot::channel();
        {
            let mut q = s.queue.lock().unwrap();
            q.push(super::job(
                |tx: &rusqlite::Transaction<'_>| {
                    tx.execute("INSERT INTO t (v) VALUES (1000)", [])
                        .map_err(super::db_err)
                },
                super::Isolation::ChecksFirst,
                done_a,
            ));
            q.push(super::job(
                |tx: &rusqlite::Transaction<'_>| {
                    tx.execute("INSERT INTO t (v) VALUES (1001)", [])
                        .map_err(super::db_err)?;
                    Err::<usize, _>(StoreError::Conflict("refused after writing".into()))
                },
                super::Isolation::ChecksFirst,
                done_b,
            ));
        }
        let (writer, queue) = (s.writer.clone(), s.queue.clone());
        tokio::task::spawn_blocking(move || super::drain(&writer, &queue))
            .await
            .unwrap();
        assert!(answer_a.await.unwrap().is_err(), "the group did not commit");
        assert!(matches!(
            answer_b.await.unwrap(),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            s.write(|tx| Ok(count(tx))).await.unwrap(),
            54,
            "nothing of the broken group is stored"
        );
        // The writer goes on.
        s.write_checked(|tx| {
            tx.execute("INSERT INTO t (v) VALUES (1000), (1001)", [])
                .map_err(super::db_err)
        })
        .await
        .unwrap();
        assert_eq!(s.write(|tx| Ok(count(tx))).await.unwrap(), 56);
        drop(s);
        let _ = std::fs::remove_dir_all(dir);
    }
}
