//! Tamper-evident Merkle log primitives for ppetrace.
//!
//! * [`hash`]: RFC 9162 leaf/node hashing.
//! * [`tree`]: stored-tree layout (Go `tlog` indexing), tree hashes,
//!   inclusion and consistency proofs generated through a [`HashReader`]
//!   and verified per RFC 9162.
//! * [`checkpoint`]: C2SP `tlog-checkpoint`, signed with [`signed_note`].
//! * [`tile`]: C2SP `tlog-tiles` paths, tile contents, entry bundles and a
//!   [`TileHashReader`] that produces proofs from fetched tiles.
//!
//! Pure: no I/O, no clock. See README.md for the spec versions covered.
//!
//! ```
//! use tlog::*;
//! use signed_note::Signer;
//!
//! // Append leaves; `stored()` is what a database table would hold.
//! let mut store = MemoryHashStore::new();
//! for e in [&b"a"[..], b"b", b"c"] {
//!     store.append(e).unwrap();
//! }
//! let root = store.root().unwrap();
//!
//! // Prove and verify inclusion of leaf 1 and consistency 2 -> 3.
//! let proof = inclusion_proof(3, 1, &store).unwrap();
//! verify_inclusion(1, 3, &leaf_hash(b"b"), &proof, &root).unwrap();
//! let c = consistency_proof(2, 3, &store).unwrap();
//! verify_consistency(2, 3, &tree_hash(2, &store).unwrap(), &root, &c).unwrap();
//!
//! // Sign a checkpoint and open it again.
//! let log = Signer::from_seed("example.com/log", &[1; 32]).unwrap();
//! let note = Checkpoint::new("example.com/log", 3, root).unwrap().sign(&log).unwrap();
//! let (cp, _, _) =
//!     Checkpoint::open(&note.to_bytes().unwrap(), "example.com/log", &[log.verifier()]).unwrap();
//! assert_eq!(cp.size, 3);
//!
//! // The same proof from tiles only, authenticated by the checkpoint.
//! let tiles = StoredTileReader(&store);
//! let thr = TileHashReader::new(cp.size, cp.root, &tiles).unwrap();
//! assert_eq!(inclusion_proof(3, 1, &thr).unwrap(), proof);
//! assert_eq!(tiles_for_size(3).unwrap()[0].path(), "tile/0/000.p/3");
//! ```

pub mod checkpoint;
pub mod hash;
pub mod tile;
pub mod tree;

pub use checkpoint::{Checkpoint, cosign_checkpoint};
pub use hash::{EMPTY_ROOT, HASH_SIZE, Hash, leaf_hash, merkle_root, node_hash};
pub use tile::{
    Bundle, StoredTileReader, Tile, TileHashReader, TilePath, TileReader, encode_entry_bundle,
    hash_from_tile, new_bundles, new_tiles, parse_entry_bundle, parse_entry_bundle_for, parse_path,
    read_tile_data, tile_for_stored_index, tile_root, tiles_for_size, verify_entry_bundle,
    verify_tree_tiles,
};
pub use tree::{
    CompactRange, HashReader, MAX_TREE_SIZE, MemoryHashStore, consistency_proof, inclusion_proof,
    root_from_inclusion_proof, split_stored_hash_index, stored_hash_count, stored_hash_index,
    stored_hashes, stored_hashes_for_leaf_hash, tree_hash, verify_consistency, verify_inclusion,
};

/// Errors returned by this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Leaf index not in the tree.
    #[error("index {index} out of range for tree size {size}")]
    IndexOutOfRange {
        /// Requested leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The old tree size is larger than the new one.
    #[error("invalid tree sizes: old {old} > new {new}")]
    InvalidSizes {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// Tree size above [`MAX_TREE_SIZE`].
    #[error("tree too large")]
    TreeTooLarge,
    /// A proof has the wrong shape for the given sizes.
    #[error("invalid proof")]
    InvalidProof,
    /// A proof does not lead to the expected root(s).
    #[error("root hash mismatch")]
    RootMismatch,
    /// A byte string is not a 32-byte hash.
    #[error("invalid hash length or encoding")]
    InvalidHashLength,
    /// A stored hash is not available.
    #[error("hash {0} not found")]
    HashNotFound(u64),
    /// A [`HashReader`] or [`TileReader`] returned the wrong number of items.
    #[error("reader returned the wrong number of items")]
    BadReader,
    /// A storage or network error from a reader implementation.
    #[error("read failed: {0}")]
    Read(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Malformed checkpoint text.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// The checkpoint origin is not the expected one.
    #[error("checkpoint origin mismatch")]
    OriginMismatch,
    /// Malformed tile or entry bundle path.
    #[error("malformed tile path: {0}")]
    MalformedTilePath(&'static str),
    /// Tile contents with the wrong shape.
    #[error("bad tile: {0}")]
    BadTile(&'static str),
    /// Fetched tiles do not match the trusted root (tampering or a bad mirror).
    #[error("tiles are inconsistent with the trusted tree")]
    InconsistentTiles,
    /// Malformed entry bundle.
    #[error("malformed entry bundle: {0}")]
    MalformedEntryBundle(&'static str),
    /// Entry larger than 65535 bytes.
    #[error("entry of {0} bytes does not fit in an entry bundle")]
    EntryTooLarge(usize),
    /// Signed note error.
    #[error(transparent)]
    Note(#[from] signed_note::Error),
    /// An internal invariant failed (a bug; never expected).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

#[cfg(test)]
mod tests;
