//! Which log entries a unit of work appended, so that every write response can
//! carry its leaf indexes (the log's receipts).
//!
//! The HTTP layer runs each request inside [`collect`]; every write transaction
//! that appends log entries and then **commits** records their leaf indexes here.
//! Entries of a transaction that rolls back are never recorded. Outside
//! [`collect`] (CLI, background jobs) recording does nothing.

use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    static APPENDED: RefCell<Appended>;
}

#[derive(Default)]
struct Appended {
    /// Indexes appended by the open transaction (PostgreSQL), not yet committed.
    pending: Vec<u64>,
    /// Indexes of committed transactions, in commit order.
    committed: Vec<u64>,
}

/// Runs `work` and returns its output with the leaf indexes of every log entry
/// committed while it ran (in commit order).
pub async fn collect<F: Future>(work: F) -> (F::Output, Vec<u64>) {
    let cell = RefCell::new(Appended::default());
    APPENDED
        .scope(cell, async move {
            let out = work.await;
            let indexes = APPENDED.with(|a| std::mem::take(&mut a.borrow_mut().committed));
            (out, indexes)
        })
        .await
}

/// Records indexes whose transaction has committed.
pub(crate) fn committed(indexes: &[u64]) {
    let _ = APPENDED.try_with(|a| a.borrow_mut().committed.extend_from_slice(indexes));
}

/// A transaction begins: forget indexes of any earlier transaction of this task
/// that never committed.
pub(crate) fn begin() {
    let _ = APPENDED.try_with(|a| a.borrow_mut().pending.clear());
}

/// Records indexes appended inside the open transaction.
pub(crate) fn appended(indexes: impl IntoIterator<Item = u64>) {
    let _ = APPENDED.try_with(|a| a.borrow_mut().pending.extend(indexes));
}

/// The open transaction committed: its pending indexes become receipts.
pub(crate) fn commit() {
    let _ = APPENDED.try_with(|a| {
        let mut a = a.borrow_mut();
        let pending = std::mem::take(&mut a.pending);
        a.committed.extend(pending);
    });
}

/// Formats leaf indexes as comma-separated inclusive ranges, ascending:
/// `5`, `5-7`, `5-7,9`.
pub fn ranges(indexes: &[u64]) -> String {
    let mut indexes = indexes.to_vec();
    indexes.sort_unstable();
    indexes.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < indexes.len() {
        let start = indexes[i];
        let mut end = start;
        while i + 1 < indexes.len() && indexes[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_join_contiguous_indexes() {
        assert_eq!(ranges(&[]), "");
        assert_eq!(ranges(&[5]), "5");
        assert_eq!(ranges(&[5, 6, 7]), "5-7");
        assert_eq!(ranges(&[5, 6, 7, 9, 11, 12]), "5-7,9,11-12");
        assert_eq!(ranges(&[9, 7, 5, 6, 6]), "5-7,9");
    }

    #[tokio::test]
    async fn only_committed_transactions_are_receipts() {
        let ((), got) = collect(async {
            begin();
            appended([3, 4]);
            // rolled back: never committed
            begin();
            appended([3]);
            commit();
            committed(&[4, 5]);
        })
        .await;
        assert_eq!(got, vec![3, 4, 5]);
        // outside a scope nothing happens and nothing panics
        begin();
        appended([1]);
        commit();
    }
}
