//! Many writers at once, on both databases: each write commits or fails alone,
//! every committed record has exactly its own log entry, leaf indexes stay
//! gap-free, and each caller's receipt names its own entry. On SQLite this is
//! what group commit (several writes under one COMMIT, each in a savepoint)
//! must preserve.

use crate::common;
use common::*;

use store::*;
use testkit::{both_backends, fresh_store, with_check};

async fn concurrent_writes_commit_together_and_fail_alone(b: Backend) {
    let (s, _g) = fresh_store(b).await;
    let taken = with_check("690123400000");
    s.create_org(&new_org("first", Some(&taken)), log_of("org"))
        .await
        .unwrap();
    let before = s.log_size().await.unwrap();
    // 40 organizations at once; every fourth reuses the GLN already taken and
    // must be refused without disturbing the writes it shares a COMMIT with.
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let s = s.clone();
        let gln = if i % 4 == 0 {
            taken.clone()
        } else {
            with_check(&format!("6901234{:05}", i + 100))
        };
        tasks.push(tokio::spawn(async move {
            receipts::collect(async move {
                s.create_org(&new_org(&format!("org {i}"), Some(&gln)), log_of("org"))
                    .await
            })
            .await
        }));
    }
    let (mut ok, mut conflicts, mut indexes) = (0, 0, Vec::new());
    for t in tasks {
        let (r, idx) = t.await.unwrap();
        match r {
            Ok(org) => {
                ok += 1;
                assert_eq!(idx.len(), 1, "one receipt for {}", org.name);
                indexes.extend(idx);
            }
            Err(StoreError::Conflict(_)) => {
                conflicts += 1;
                assert!(idx.is_empty(), "a refused write has no receipt");
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((ok, conflicts), (30, 10));
    indexes.sort_unstable();
    assert_eq!(indexes, (before..before + 30).collect::<Vec<u64>>());
    assert_eq!(s.log_size().await.unwrap(), before + 30);
    assert_eq!(s.list_orgs().await.unwrap().len(), 31);
    // Each committed organization's entry is where its receipt says.
    let entries = s.log_entries(before, before + 30).await.unwrap();
    assert_eq!(entries.len(), 30);
}

both_backends!(concurrent_writes_commit_together_and_fail_alone);
