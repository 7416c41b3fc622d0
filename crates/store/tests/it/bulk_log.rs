//! The bulk write paths tuned for the performance issue, on both databases:
//! code issuance with multi-row statements (unsorted input, duplicates inside a
//! statement, a partial last statement) and tree integration, whose checks and
//! inserts are pipelined on PostgreSQL (a refused integration leaves nothing).

use crate::common;
use common::*;

use store::*;
use testkit::{both_backends, fresh_store};

fn issuance(batch_id: i64, count: u64) -> NewIssuance {
    NewIssuance {
        batch_id,
        count,
        merkle_root: "00".into(),
        actor: "test".into(),
        created_at: t0(),
    }
}

async fn issuance_counts_only_new_codes_with_one_log_entry(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_, _, batch) = setup_batch(s.as_ref()).await;
    // 37 codes exist already, spread over the key space.
    let existing: Vec<String> = (0..37).map(|i| format!("K{:05}", i * 6)).collect();
    assert_eq!(s.insert_codes(&batch, &existing, None).await.unwrap(), 37);
    let log_before = s.log_size().await.unwrap();
    // 250 serials, unsorted (descending), 37 of them already issued: two full
    // 100-row statements and a partial one, each with some duplicates.
    let mut serials: Vec<String> = (0..250).map(|i| format!("K{i:05}")).collect();
    serials.reverse();
    let issuance = issuance(batch.id, 250);
    let n = s
        .insert_codes(&batch, &serials, Some((&issuance, &entry("code_issuance"))))
        .await
        .unwrap();
    assert_eq!(n, 250 - 37, "only new codes are counted");
    assert_eq!(s.count_codes(batch.id).await.unwrap(), 250);
    assert_eq!(
        s.log_size().await.unwrap(),
        log_before + 1,
        "one log entry per issuance chunk"
    );
    let page = s.batch_serials(batch.id, None, 1000).await.unwrap();
    let mut want: Vec<String> = (0..250).map(|i| format!("K{i:05}")).collect();
    want.sort();
    assert_eq!(page, want, "every serial once, none lost in a statement");
}

/// The statements run plain first (no `ON CONFLICT` on PostgreSQL); a serial
/// already taken in a later statement sends the whole chunk back to the
/// skipping path, without doubling what the earlier statements wrote.
async fn a_taken_serial_in_a_later_statement_is_skipped_once(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let (_, _, batch) = setup_batch(s.as_ref()).await;
    let serials: Vec<String> = (0..60_000).map(|i| format!("L{i:06}")).collect();
    let taken = vec![serials[59_000].clone(), serials[3].clone()];
    assert_eq!(s.insert_codes(&batch, &taken, None).await.unwrap(), 2);
    let log_before = s.log_size().await.unwrap();
    let issuance = issuance(batch.id, 60_000);
    let n = s
        .insert_codes(&batch, &serials, Some((&issuance, &entry("code_issuance"))))
        .await
        .unwrap();
    assert_eq!(n, 59_998);
    assert_eq!(s.count_codes(batch.id).await.unwrap(), 60_000);
    assert_eq!(s.log_size().await.unwrap(), log_before + 1);
    // Without a clash the count is every serial.
    let fresh: Vec<String> = (0..1000).map(|i| format!("M{i:06}")).collect();
    assert_eq!(s.insert_codes(&batch, &fresh, None).await.unwrap(), 1000);
    assert_eq!(s.count_codes(batch.id).await.unwrap(), 61_000);
}

fn checkpoint(size: u64) -> StoredCheckpoint {
    StoredCheckpoint {
        size,
        root: [size as u8; 32],
        note: format!("note {size}\n").into_bytes(),
        created_at: t0(),
    }
}

async fn integrate_refuses_a_moved_tree_and_leaves_nothing(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    // Four committed entries to integrate.
    for _ in 0..4 {
        s.create_org(
            &new_org(&format!("O{}", s.log_size().await.unwrap()), None),
            log_of("org"),
        )
        .await
        .unwrap();
    }
    let n = s.log_size().await.unwrap();
    assert!(n >= 4);
    // Leaves 0 and 1 (stored hashes 0, 1 and their parent 2).
    s.integrate(0, 0, &[[1; 32], [2; 32], [3; 32]], &checkpoint(2))
        .await
        .unwrap();
    // A second sequencer that still believes the tree is empty is refused, and
    // none of its hashes or its checkpoint are stored.
    let err = s
        .integrate(0, 0, &[[9; 32], [9; 32], [9; 32]], &checkpoint(3))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.latest_checkpoint().await.unwrap().unwrap().size, 2);
    assert_eq!(
        s.log_hashes(&[0, 1, 2]).await.unwrap(),
        vec![[1; 32], [2; 32], [3; 32]]
    );
    assert!(s.checkpoint_at(3).await.unwrap().is_none());
    // A checkpoint beyond the committed entries is refused too.
    let err = s
        .integrate(2, 3, &[[4; 32]], &checkpoint(n + 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(matches!(
        s.log_hashes(&[3]).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    // The right continuation is accepted.
    s.integrate(2, 3, &[[4; 32]], &checkpoint(3)).await.unwrap();
    assert_eq!(s.latest_checkpoint().await.unwrap().unwrap().size, 3);
    assert_eq!(s.log_hashes(&[3]).await.unwrap(), vec![[4; 32]]);
}

both_backends!(
    issuance_counts_only_new_codes_with_one_log_entry,
    a_taken_serial_in_a_later_statement_is_skipped_once,
    integrate_refuses_a_moved_tree_and_leaves_nothing
);
