//! Storage of the tamper-evident log: entries (appended by every write
//! transaction through `append_log`), the Merkle tree's stored hashes
//! (addressed like Go's `sumdb/tlog` `StoredHashIndex`) and signed checkpoints.
//!
//! The store does no Merkle arithmetic: the sequencer (`app::log`) computes the
//! hashes and the signed checkpoint and hands them to [`LogStore::integrate`],
//! which commits them in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

/// A signed checkpoint as stored: the tree size, its root hash and the signed
/// note (log signature plus any witness cosignatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: [u8; 32],
    pub note: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// The tamper-evident log's entries, tree and checkpoints.
#[async_trait]
pub trait LogStore: Send + Sync {
    /// Number of committed entries (the next leaf index).
    async fn log_size(&self) -> Result<u64>;
    /// Entry bytes with leaf index in `from..to`, in order.
    async fn log_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>>;
    /// The leaf index of the entry whose bytes hash (SHA-256) to `entry_sha256`.
    async fn find_entry(&self, entry_sha256: &[u8; 32]) -> Result<Option<u64>>;
    /// Stored tree hashes at `indexes`, in the same order. A missing index is
    /// [`crate::StoreError::NotFound`].
    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>>;
    /// The checkpoint with the largest size (the current tree), if any.
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>>;
    /// The checkpoint of exactly `size` leaves, if one was signed.
    async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>>;
    /// Atomically grows the tree from `old_size` leaves to `checkpoint.size`:
    /// stores `hashes` at stored-hash indexes `first_index..` and the checkpoint.
    /// Fails with [`crate::StoreError::Conflict`] if the current tree is not
    /// `old_size` leaves (another sequencer got there first).
    async fn integrate(
        &self,
        old_size: u64,
        first_index: u64,
        hashes: &[[u8; 32]],
        checkpoint: &StoredCheckpoint,
    ) -> Result<()>;
    /// Replaces the note of the checkpoint of `size` (adding witness
    /// cosignatures; the checkpoint text itself never changes).
    async fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> Result<()>;
}

pub(crate) fn hash32(v: &[u8]) -> Result<[u8; 32]> {
    v.try_into()
        .map_err(|_| crate::StoreError::Db(format!("stored hash has {} bytes, not 32", v.len())))
}
