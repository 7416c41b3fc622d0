//! Stored Merkle tree layout, tree hashes, inclusion and consistency proofs
//! (RFC 9162 sections 2.1.1–2.1.4).
//!
//! Stored hashes are addressed the way Go's `golang.org/x/mod/sumdb/tlog`
//! addresses them: the hash of the complete subtree at `level` (height) `L`
//! and position `n` (covering leaves `[n·2^L, (n+1)·2^L)`) lives at the
//! linear index [`stored_hash_index`]`(L, n)`. Hashes are written in
//! append order: when leaf `n` is added, its leaf hash and the hashes of all
//! subtrees it completes are appended ([`stored_hashes`]). A store is then a
//! plain append-only array (for example a database table keyed by index),
//! and any proof needs one batched read of O(log n) indexes through a
//! [`HashReader`].

use crate::Error;
use crate::hash::{EMPTY_ROOT, Hash, largest_pow2_below, leaf_hash, node_hash};

/// Largest supported tree size, 2^62 leaves. All index arithmetic is exact
/// below this bound; larger sizes are rejected with [`Error::TreeTooLarge`].
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// Reads stored hashes by linear index (see [`stored_hash_index`]).
///
/// Implementations must return exactly one hash per requested index, in
/// the same order, or an error. Requested indexes are not necessarily
/// sorted; functions in this crate ask for each index at most once per call.
pub trait HashReader {
    /// Returns the hashes stored at `indexes`.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error>;
}

impl<T: HashReader + ?Sized> HashReader for &T {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
        (**self).read_hashes(indexes)
    }
}

impl HashReader for [Hash] {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.get(i))
                    .copied()
                    .ok_or(Error::HashNotFound(i))
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
        self.as_slice().read_hashes(indexes)
    }
}

pub(crate) fn check_size(size: u64) -> Result<(), Error> {
    if size > MAX_TREE_SIZE {
        return Err(Error::TreeTooLarge);
    }
    Ok(())
}

/// Unchecked stored hash index; requires `(n + 1) << level <= MAX_TREE_SIZE`.
#[inline]
pub(crate) fn idx(level: u32, n: u64) -> u64 {
    // Level L's n'th hash is written right after level L+1's (2n+1)'th hash,
    // so it corresponds to level 0's ((n+1)·2^L − 1)'th leaf, plus L.
    // Level 0's n'th hash is at n + n/2 + n/4 + … = 2n − popcount(n).
    let m = ((n + 1) << level) - 1;
    2 * m - u64::from(m.count_ones()) + u64::from(level)
}

/// The linear index of the stored hash of the subtree at `level`, position
/// `n`. Errors if the subtree lies beyond [`MAX_TREE_SIZE`].
pub fn stored_hash_index(level: u32, n: u64) -> Result<u64, Error> {
    if level > 62 || n >= (MAX_TREE_SIZE >> level) {
        return Err(Error::TreeTooLarge);
    }
    Ok(idx(level, n))
}

/// Inverse of [`stored_hash_index`]: `(level, n)` for a linear index.
pub fn split_stored_hash_index(index: u64) -> Result<(u32, u64), Error> {
    if index >= 2 * MAX_TREE_SIZE {
        return Err(Error::TreeTooLarge);
    }
    // idx(0, n) <= 2n, so the leaf whose append wrote `index` is >= index/2.
    let mut n = index / 2;
    let mut index_n = idx(0, n);
    loop {
        // Appending leaf n writes 1 + trailing_ones(n) hashes.
        let next = index_n + 1 + u64::from(n.trailing_ones());
        if next > index {
            break;
        }
        n += 1;
        index_n = next;
    }
    let level = (index - index_n) as u32;
    Ok((level, n >> level))
}

/// Number of stored hashes for a tree of `size` leaves.
pub fn stored_hash_count(size: u64) -> Result<u64, Error> {
    check_size(size)?;
    if size == 0 {
        return Ok(0);
    }
    let last = size - 1;
    Ok(idx(0, last) + 1 + u64::from(last.trailing_ones()))
}

/// The hashes to append to storage when adding leaf number `n` with
/// `data`: its leaf hash followed by the hashes of the subtrees it
/// completes. Reads the left siblings it needs from `r`.
pub fn stored_hashes<R: HashReader + ?Sized>(
    n: u64,
    data: &[u8],
    r: &R,
) -> Result<Vec<Hash>, Error> {
    stored_hashes_for_leaf_hash(n, leaf_hash(data), r)
}

/// Like [`stored_hashes`] with a precomputed leaf hash.
pub fn stored_hashes_for_leaf_hash<R: HashReader + ?Sized>(
    n: u64,
    leaf: Hash,
    r: &R,
) -> Result<Vec<Hash>, Error> {
    if n >= MAX_TREE_SIZE {
        return Err(Error::TreeTooLarge);
    }
    // Each trailing 1 bit of n completes a subtree, consuming the hash of
    // the left sibling at that level.
    let m = n.trailing_ones();
    let indexes: Vec<u64> = (0..m).rev().map(|l| idx(l, (n >> l) - 1)).collect();
    let old = read_exact(r, &indexes)?;
    let mut out = Vec::with_capacity(1 + m as usize);
    let mut h = leaf;
    out.push(h);
    for sib in old.iter().rev() {
        h = node_hash(sib, &h);
        out.push(h);
    }
    Ok(out)
}

fn read_exact<R: HashReader + ?Sized>(r: &R, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let h = r.read_hashes(indexes)?;
    if h.len() != indexes.len() {
        return Err(Error::BadReader);
    }
    Ok(h)
}

/// Appends to `out` the stored indexes of the maximal complete subtrees
/// covering leaves `[lo, hi)`, left to right. For ranges produced by the
/// RFC 9162 recursion, folding their hashes right to left gives MTH(D[lo:hi]).
pub(crate) fn subtree_indexes(mut lo: u64, hi: u64, out: &mut Vec<u64>) {
    while lo < hi {
        let mut level = 63 - (hi - lo).leading_zeros();
        if lo != 0 {
            level = level.min(lo.trailing_zeros());
        }
        out.push(idx(level, lo >> level));
        lo += 1 << level;
    }
}

/// A batch of subtree-range hashes to compute with one read.
#[derive(Default)]
struct Plan {
    indexes: Vec<u64>,
    groups: Vec<usize>, // end offset into `indexes` of each group
}

impl Plan {
    fn add_range(&mut self, lo: u64, hi: u64) {
        subtree_indexes(lo, hi, &mut self.indexes);
        self.groups.push(self.indexes.len());
    }

    fn run<R: HashReader + ?Sized>(&self, r: &R) -> Result<Vec<Hash>, Error> {
        let hashes = read_exact(r, &self.indexes)?;
        let mut out = Vec::with_capacity(self.groups.len());
        let mut start = 0;
        for &end in &self.groups {
            let group = hashes.get(start..end).ok_or(Error::BadReader)?;
            let (last, rest) = group.split_last().ok_or(Error::BadReader)?;
            out.push(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)));
            start = end;
        }
        Ok(out)
    }
}

/// The Merkle tree hash (root) of the first `size` leaves.
pub fn tree_hash<R: HashReader + ?Sized>(size: u64, r: &R) -> Result<Hash, Error> {
    check_size(size)?;
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    let mut p = Plan::default();
    p.add_range(0, size);
    p.run(r)?.pop().ok_or(Error::BadReader)
}

/// The inclusion proof (RFC 9162 audit path, bottom-up) for leaf `index` in
/// the tree of `size` leaves.
pub fn inclusion_proof<R: HashReader + ?Sized>(
    size: u64,
    index: u64,
    r: &R,
) -> Result<Vec<Hash>, Error> {
    check_size(size)?;
    if index >= size {
        return Err(Error::IndexOutOfRange { index, size });
    }
    let mut siblings = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = largest_pow2_below(hi - lo);
        if index < lo + k {
            siblings.push((lo + k, hi));
            hi = lo + k;
        } else {
            siblings.push((lo, lo + k));
            lo += k;
        }
    }
    let mut p = Plan::default();
    for &(a, b) in siblings.iter().rev() {
        p.add_range(a, b);
    }
    p.run(r)
}

/// The consistency proof (RFC 9162, section 2.1.4.1) between the trees of
/// `old_size` and `new_size` leaves. Empty if `old_size` is 0 or equal to
/// `new_size`.
pub fn consistency_proof<R: HashReader + ?Sized>(
    old_size: u64,
    new_size: u64,
    r: &R,
) -> Result<Vec<Hash>, Error> {
    check_size(new_size)?;
    if old_size > new_size {
        return Err(Error::InvalidSizes {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    let mut siblings = Vec::new();
    let mut terminal = None;
    let (mut lo, mut hi, mut m, mut complete) = (0u64, new_size, old_size, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                terminal = Some((lo, hi));
            }
            break;
        }
        let k = largest_pow2_below(n);
        if m <= k {
            siblings.push((lo + k, hi));
            hi = lo + k;
        } else {
            siblings.push((lo, lo + k));
            lo += k;
            m -= k;
            complete = false;
        }
    }
    let mut p = Plan::default();
    if let Some((a, b)) = terminal {
        p.add_range(a, b);
    }
    for &(a, b) in siblings.iter().rev() {
        p.add_range(a, b);
    }
    p.run(r)
}

/// Computes the root implied by an inclusion proof (RFC 9162, section
/// 2.1.3.2).
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(Error::InvalidProof);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(Error::InvalidProof);
    }
    Ok(r)
}

/// Verifies an inclusion proof of `leaf` (a leaf hash) at `index` in the
/// tree of `size` leaves with root `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    if root_from_inclusion_proof(index, size, leaf, proof)? != *root {
        return Err(Error::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof between the tree of `old_size` leaves with
/// root `old_root` and the tree of `new_size` leaves with root `new_root`
/// (RFC 9162, section 2.1.4.2).
///
/// As in RFC 9162 and transparency-dev/merkle: equal sizes need an empty
/// proof and equal roots; `old_size == 0` needs an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), Error> {
    if old_size > new_size {
        return Err(Error::InvalidSizes {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(Error::InvalidProof);
        }
        if old_root != new_root {
            return Err(Error::RootMismatch);
        }
        return Ok(());
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(Error::InvalidProof);
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(Error::InvalidProof);
    }
    let (first, rest): (&Hash, &[Hash]) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (&proof[0], &proof[1..])
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(Error::InvalidProof);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(Error::InvalidProof);
    }
    if fr != *old_root || sr != *new_root {
        return Err(Error::RootMismatch);
    }
    Ok(())
}

/// An in-memory stored tree, for tests and small logs. Implements
/// [`HashReader`].
#[derive(Clone, Debug, Default)]
pub struct MemoryHashStore {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryHashStore {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends a leaf with `data`; returns its index.
    pub fn append(&mut self, data: &[u8]) -> Result<u64, Error> {
        self.append_leaf_hash(leaf_hash(data))
    }
    /// Appends a leaf by its leaf hash; returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, Error> {
        let n = self.size;
        let new = stored_hashes_for_leaf_hash(n, leaf, self)?;
        self.hashes.extend(new);
        self.size += 1;
        Ok(n)
    }
    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Root hash of the whole tree.
    pub fn root(&self) -> Result<Hash, Error> {
        tree_hash(self.size, self)
    }
    /// All stored hashes, by linear index.
    pub fn stored(&self) -> &[Hash] {
        &self.hashes
    }
}

impl HashReader for MemoryHashStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
        self.hashes.read_hashes(indexes)
    }
}

/// The right edge of a tree (its maximal complete subtrees, left to right):
/// O(log n) state to append leaves and compute the root. Used by writers
/// to compute [`stored_hashes`] without reading storage, and by auditors to
/// recompute a tree root from entries alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The right edge of the tree of `size` leaves, read from storage.
    pub fn from_reader<R: HashReader + ?Sized>(size: u64, r: &R) -> Result<Self, Error> {
        check_size(size)?;
        let mut ix = Vec::new();
        subtree_indexes(0, size, &mut ix);
        let nodes = read_exact(r, &ix)?;
        Ok(CompactRange { size, nodes })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Hashes of the maximal complete subtrees, left to right.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends a leaf hash and returns the hashes to store for it (same as
    /// [`stored_hashes_for_leaf_hash`]).
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<Hash>, Error> {
        if self.size >= MAX_TREE_SIZE {
            return Err(Error::TreeTooLarge);
        }
        let mut out = vec![leaf];
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            let left = self.nodes.pop().ok_or(Error::BadReader)?;
            h = node_hash(&left, &h);
            out.push(h);
            s >>= 1;
        }
        self.nodes.push(h);
        self.size += 1;
        Ok(out)
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        match self.nodes.split_last() {
            None => EMPTY_ROOT,
            Some((last, rest)) => rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)),
        }
    }
}
