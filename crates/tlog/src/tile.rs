//! C2SP [`tlog-tiles`](https://c2sp.org/tlog-tiles): tile and entry bundle
//! paths, which tiles exist for a tree size, tile contents from stored
//! hashes, hashes from (authenticated) tiles, and entry bundles.
//!
//! Tiles have height 8: the `i`-th hash of tile `N` at level `L` is the
//! Merkle tree hash of leaves `[(N·256 + i)·256^L, (N·256 + i + 1)·256^L)`,
//! i.e. the stored hash at level `8L`, position `N·256 + i` (see
//! [`crate::tree`]).

use std::fmt;

use crate::Error;
use crate::hash::{HASH_SIZE, Hash, leaf_hash, node_hash};
use crate::tree::{
    HashReader, MAX_TREE_SIZE, check_size, idx, split_stored_hash_index, subtree_indexes,
};

/// Tile height (levels of the Merkle tree per tile).
pub const TILE_HEIGHT: u32 = 8;
/// Number of hashes (or entries) in a full tile (or entry bundle).
pub const TILE_WIDTH: u16 = 256;
/// Largest tile level allowed in a path by the spec.
pub const MAX_TILE_LEVEL: u8 = 63;
/// Largest entry size in an entry bundle (uint16 length prefix).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// A Merkle tree hash tile: `tile/<L>/<N>[.p/<W>]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    level: u8,
    index: u64,
    width: u16,
}

/// An entry bundle: `tile/entries/<N>[.p/<W>]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bundle {
    index: u64,
    width: u16,
}

/// A parsed tile-tree resource path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TilePath {
    /// A hash tile.
    Tile(Tile),
    /// An entry bundle.
    Bundle(Bundle),
}

fn check_width(width: u16) -> Result<(), Error> {
    if width == 0 || width > TILE_WIDTH {
        return Err(Error::MalformedTilePath("width must be 1..=256"));
    }
    Ok(())
}

impl Tile {
    /// A tile; `level <= 63`, `1 <= width <= 256` (256 = full tile).
    pub fn new(level: u8, index: u64, width: u16) -> Result<Self, Error> {
        if level > MAX_TILE_LEVEL {
            return Err(Error::MalformedTilePath("level must be 0..=63"));
        }
        check_width(width)?;
        Ok(Tile {
            level,
            index,
            width,
        })
    }
    /// Tile level `L`.
    pub fn level(&self) -> u8 {
        self.level
    }
    /// Tile index `N` within its level.
    pub fn index(&self) -> u64 {
        self.index
    }
    /// Number of hashes (1..=256).
    pub fn width(&self) -> u16 {
        self.width
    }
    /// Whether the tile is full (256 hashes).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }
    /// Expected size of the tile contents in bytes.
    pub fn data_len(&self) -> usize {
        usize::from(self.width) * HASH_SIZE
    }
    /// The same tile at full width.
    pub fn full(&self) -> Tile {
        Tile {
            width: TILE_WIDTH,
            ..*self
        }
    }
    /// The path `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            format_index(self.index),
            partial_suffix(self.width)
        )
    }
    /// The entry bundle covering the same leaves (level 0 tiles only).
    pub fn bundle(&self) -> Option<Bundle> {
        (self.level == 0).then_some(Bundle {
            index: self.index,
            width: self.width,
        })
    }

    /// `(stored level, first position)` of the tile's hashes, checking that
    /// the tile lies within [`MAX_TREE_SIZE`].
    fn stored_range(&self) -> Result<(u32, u64), Error> {
        let level = u32::from(self.level) * TILE_HEIGHT;
        if level > 62 {
            return Err(Error::TreeTooLarge);
        }
        let first = u128::from(self.index) * 256;
        let end = (first + u128::from(self.width)) << level;
        if end > u128::from(MAX_TREE_SIZE) {
            return Err(Error::TreeTooLarge);
        }
        Ok((level, first as u64))
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl Bundle {
    /// An entry bundle; `1 <= width <= 256`.
    pub fn new(index: u64, width: u16) -> Result<Self, Error> {
        check_width(width)?;
        Ok(Bundle { index, width })
    }
    /// Bundle index `N`.
    pub fn index(&self) -> u64 {
        self.index
    }
    /// Number of entries (1..=256).
    pub fn width(&self) -> u16 {
        self.width
    }
    /// Whether the bundle is full.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }
    /// Index of the first entry in the bundle.
    pub fn first_entry(&self) -> Option<u64> {
        self.index.checked_mul(256)
    }
    /// The path `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/entries/{}{}",
            format_index(self.index),
            partial_suffix(self.width)
        )
    }
    /// The level 0 tile with the same leaves.
    pub fn tile(&self) -> Tile {
        Tile {
            level: 0,
            index: self.index,
            width: self.width,
        }
    }
}

impl fmt::Display for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

fn partial_suffix(width: u16) -> String {
    if width == TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// Formats a tile index as zero-padded 3-digit path elements, all but the
/// last prefixed with `x`: 1234067 → `x001/x234/067`.
pub fn format_index(n: u64) -> String {
    let mut s = format!("{:03}", n % 1000);
    let mut n = n / 1000;
    while n > 0 {
        s = format!("x{:03}/{s}", n % 1000);
        n /= 1000;
    }
    s
}

fn parse_decimal_no_leading_zero(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

fn parse_index(s: &str) -> Result<u64, Error> {
    let bad = Error::MalformedTilePath;
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() > 7 {
        return Err(bad("index has too many elements"));
    }
    let mut n: u64 = 0;
    let last = parts.len() - 1;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i < last {
            p.strip_prefix('x')
                .ok_or(bad("all but the last index element must start with x"))?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad("index elements must be 3 digits"));
        }
        if i == 0 && i < last && digits == "000" {
            return Err(bad("non-canonical index (leading x000)"));
        }
        let d: u64 = digits.parse().map_err(|_| bad("bad digits"))?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(d))
            .ok_or(bad("index overflows"))?;
    }
    Ok(n)
}

/// Parses a path `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`
/// (relative to the log prefix, no leading slash). Only the canonical
/// encoding is accepted, so that each resource has exactly one path.
pub fn parse_path(path: &str) -> Result<TilePath, Error> {
    let bad = Error::MalformedTilePath;
    let rest = path
        .strip_prefix("tile/")
        .ok_or(bad("path must start with tile/"))?;
    let (rest, width) = match rest.rsplit_once(".p/") {
        Some((head, w)) => {
            let w = parse_decimal_no_leading_zero(w).ok_or(bad("bad partial width"))?;
            if w == 0 || w >= u64::from(TILE_WIDTH) {
                return Err(bad("partial width must be 1..=255"));
            }
            (head, w as u16)
        }
        None => (rest, TILE_WIDTH),
    };
    let (first, index) = rest.split_once('/').ok_or(bad("missing index"))?;
    let index = parse_index(index)?;
    if first == "entries" {
        return Ok(TilePath::Bundle(Bundle { index, width }));
    }
    let level = parse_decimal_no_leading_zero(first).ok_or(bad("bad level"))?;
    if level > u64::from(MAX_TILE_LEVEL) {
        return Err(bad("level must be 0..=63"));
    }
    Ok(TilePath::Tile(Tile {
        level: level as u8,
        index,
        width,
    }))
}

/// The tiles whose contents differ between the trees of `old_size` and
/// `new_size` leaves (new tiles, grown partial tiles and newly full
/// tiles), lowest level first. `new_tiles(0, n)` lists every tile of the
/// tree of size `n`.
pub fn new_tiles(old_size: u64, new_size: u64) -> Result<Vec<Tile>, Error> {
    check_size(new_size)?;
    if old_size > new_size {
        return Err(Error::InvalidSizes {
            old: old_size,
            new: new_size,
        });
    }
    let mut out = Vec::new();
    for level in 0u8..=7 {
        let shift = u32::from(level) * TILE_HEIGHT;
        let (old_w, new_w) = (old_size >> shift, new_size >> shift);
        if new_w == old_w {
            break;
        }
        for k in (old_w / 256)..=((new_w - 1) / 256) {
            let width = (new_w - k * 256).min(256) as u16;
            out.push(Tile {
                level,
                index: k,
                width,
            });
        }
    }
    Ok(out)
}

/// All tiles of the tree of `size` leaves.
pub fn tiles_for_size(size: u64) -> Result<Vec<Tile>, Error> {
    new_tiles(0, size)
}

/// The entry bundles whose contents differ between the two tree sizes.
pub fn new_bundles(old_size: u64, new_size: u64) -> Result<Vec<Bundle>, Error> {
    Ok(new_tiles(old_size, new_size)?
        .into_iter()
        .filter_map(|t| t.bundle())
        .collect())
}

/// The contents of `tile`, read from stored hashes.
pub fn read_tile_data<R: HashReader + ?Sized>(tile: Tile, r: &R) -> Result<Vec<u8>, Error> {
    let (level, first) = tile.stored_range()?;
    let indexes: Vec<u64> = (0..u64::from(tile.width))
        .map(|i| idx(level, first + i))
        .collect();
    let hashes = r.read_hashes(&indexes)?;
    if hashes.len() != indexes.len() {
        return Err(Error::BadReader);
    }
    let mut out = Vec::with_capacity(tile.data_len());
    for h in hashes {
        out.extend_from_slice(&h.0);
    }
    Ok(out)
}

/// Splits tile contents into hashes; the length must be a non-zero
/// multiple of 32 and at most 256 hashes.
pub fn tile_hashes(data: &[u8]) -> Result<Vec<Hash>, Error> {
    if data.is_empty() || !data.len().is_multiple_of(HASH_SIZE) || data.len() > 256 * HASH_SIZE {
        return Err(Error::BadTile("tile size is not 1..=256 hashes"));
    }
    data.chunks_exact(HASH_SIZE).map(Hash::from_slice).collect()
}

/// The Merkle tree hash of the hashes in a tile. For a full tile this is
/// the hash stored for it in the tile at the next level up.
pub fn tile_root(data: &[u8]) -> Result<Hash, Error> {
    Ok(crate::hash::merkle_root(&tile_hashes(data)?))
}

fn perfect_root(hashes: &[Hash]) -> Hash {
    // `hashes.len()` is a power of two.
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    level.first().copied().unwrap_or(crate::hash::EMPTY_ROOT)
}

/// The smallest tile (minimal width) holding the stored hash at `index`.
pub fn tile_for_stored_index(index: u64) -> Result<Tile, Error> {
    let (level, n) = split_stored_hash_index(index)?;
    let tile_level = level / TILE_HEIGHT;
    let sub = level % TILE_HEIGHT;
    let start = n << sub;
    let j = start % 256;
    Ok(Tile {
        level: tile_level as u8,
        index: start / 256,
        width: (j + (1 << sub)) as u16,
    })
}

/// Computes the stored hash at `index` from the contents of `tile`
/// (which must contain all the hashes it is computed from).
pub fn hash_from_tile(tile: Tile, data: &[u8], index: u64) -> Result<Hash, Error> {
    if data.len() != tile.data_len() {
        return Err(Error::BadTile("tile data has the wrong size"));
    }
    let (level, n) = split_stored_hash_index(index)?;
    if level / TILE_HEIGHT != u32::from(tile.level) {
        return Err(Error::BadTile("hash is not in this tile"));
    }
    let sub = level % TILE_HEIGHT;
    let start = u128::from(n) << sub;
    let tile_start = u128::from(tile.index) * 256;
    let count = 1u128 << sub;
    if start < tile_start || start + count > tile_start + u128::from(tile.width) {
        return Err(Error::BadTile("hash is not in this tile"));
    }
    let j = (start - tile_start) as usize;
    let hashes = tile_hashes(data)?;
    let sl = hashes
        .get(j..j + count as usize)
        .ok_or(Error::BadTile("hash is not in this tile"))?;
    Ok(perfect_root(sl))
}

/// The `k`-th ancestor of `t` in the tree of `size` leaves, with the width
/// it has in that tree (None if it does not exist).
fn tile_parent(t: Tile, k: u8, size: u64) -> Option<Tile> {
    let level = t.level.checked_add(k)?;
    let shift = u32::from(level) * TILE_HEIGHT;
    if shift >= 64 {
        return None;
    }
    let index = t.index >> (u32::from(k) * TILE_HEIGHT);
    let max = size >> shift;
    let first = index.checked_mul(256)?;
    if first >= max {
        return None;
    }
    Some(Tile {
        level,
        index,
        width: (max - first).min(256) as u16,
    })
}

/// Fetches tile contents (for example over HTTP, through a cache).
pub trait TileReader {
    /// Returns the contents of each tile, in order.
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Error>;
}

impl<T: TileReader + ?Sized> TileReader for &T {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Error> {
        (**self).read_tiles(tiles)
    }
}

/// Serves tiles built from stored hashes (what a log server does).
#[derive(Clone, Copy, Debug)]
pub struct StoredTileReader<R>(pub R);

impl<R: HashReader> TileReader for StoredTileReader<R> {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Error> {
        tiles.iter().map(|&t| read_tile_data(t, &self.0)).collect()
    }
}

/// A [`HashReader`] over fetched tiles, for a trusted tree (size and root,
/// from a verified checkpoint).
///
/// Every call fetches the tiles holding the requested hashes plus those
/// needed to authenticate them: the right-edge tiles are checked by
/// recomputing the tree root, and full tiles by the hash their parent tile
/// holds for them. Hashes are returned only if everything matches, so
/// proofs generated from it ([`crate::tree::inclusion_proof`], …) are
/// backed by the trusted root.
pub struct TileHashReader<'a, T: TileReader + ?Sized> {
    size: u64,
    root: Hash,
    tiles: &'a T,
}

impl<'a, T: TileReader + ?Sized> TileHashReader<'a, T> {
    /// A reader for the tree of `size` leaves with root `root`.
    pub fn new(size: u64, root: Hash, tiles: &'a T) -> Result<Self, Error> {
        check_size(size)?;
        Ok(TileHashReader { size, root, tiles })
    }
}

impl<T: TileReader + ?Sized> HashReader for TileHashReader<'_, T> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
        let size = self.size;
        let limit = idx(0, size); // first index not in the tree
        let mut tiles: Vec<Tile> = Vec::new();
        let find = |tiles: &[Tile], t: &Tile| tiles.iter().position(|x| x == t);

        // Tiles needed to recompute the tree hash; authenticated by it.
        let mut stx = Vec::new();
        subtree_indexes(0, size, &mut stx);
        let mut stx_tile = Vec::with_capacity(stx.len());
        for &x in &stx {
            let t = tile_for_stored_index(x)?;
            let t = tile_parent(t, 0, size).ok_or(Error::Internal("tile of tree hash"))?;
            let j = match find(&tiles, &t) {
                Some(j) => j,
                None => {
                    tiles.push(t);
                    tiles.len() - 1
                }
            };
            stx_tile.push(j);
        }
        let n_stx_tiles = tiles.len();

        // Tiles holding the requested hashes, with any ancestors needed to
        // authenticate them (parents before children).
        let mut index_tile = Vec::with_capacity(indexes.len());
        for &x in indexes {
            if x >= limit {
                return Err(Error::HashNotFound(x));
            }
            let t = tile_for_stored_index(x)?;
            let mut k = 0u8;
            let found = loop {
                let p = tile_parent(t, k, size).ok_or(Error::Internal("lost parent tile"))?;
                if let Some(j) = find(&tiles, &p) {
                    break j;
                }
                k = k.checked_add(1).ok_or(Error::Internal("tile walk"))?;
            };
            let mut j = found;
            for kk in (0..k).rev() {
                let p = tile_parent(t, kk, size).ok_or(Error::Internal("lost child tile"))?;
                if !p.is_full() {
                    return Err(Error::Internal("only full tiles have parents"));
                }
                tiles.push(p);
                j = tiles.len() - 1;
            }
            index_tile.push(j);
        }

        let data = self.tiles.read_tiles(&tiles)?;
        if data.len() != tiles.len() {
            return Err(Error::BadReader);
        }
        for (t, d) in tiles.iter().zip(&data) {
            if d.len() != t.data_len() {
                return Err(Error::BadTile("tile data has the wrong size"));
            }
        }

        // Authenticate the right-edge tiles against the tree hash.
        let mut th: Option<Hash> = None;
        for (&x, &j) in stx.iter().zip(&stx_tile).rev() {
            let h = hash_from_tile(tiles[j], &data[j], x)?;
            th = Some(match th {
                None => h,
                Some(r) => node_hash(&h, &r),
            });
        }
        let th = th.unwrap_or(crate::hash::EMPTY_ROOT);
        if th != self.root {
            return Err(Error::InconsistentTiles);
        }

        // Authenticate the other (full) tiles against their parents.
        for i in n_stx_tiles..tiles.len() {
            let t = tiles[i];
            let p = tile_parent(t, 1, size).ok_or(Error::Internal("lost parent"))?;
            let j = find(&tiles[..i], &p).ok_or(Error::Internal("parent not fetched"))?;
            let (level, _) = p.stored_range()?;
            let want = hash_from_tile(p, &data[j], idx(level, t.index))?;
            if tile_root(&data[i])? != want {
                return Err(Error::InconsistentTiles);
            }
        }

        indexes
            .iter()
            .zip(&index_tile)
            .map(|(&x, &j)| hash_from_tile(tiles[j], &data[j], x))
            .collect()
    }
}

/// Parses an entry bundle: a sequence of big-endian uint16
/// length-prefixed entries. Rejects empty bundles, more than 256 entries,
/// and truncated data.
pub fn parse_entry_bundle(data: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let bad = Error::MalformedEntryBundle;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if out.len() == usize::from(TILE_WIDTH) {
            return Err(bad("more than 256 entries"));
        }
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or(bad("truncated length"))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(bad("truncated entry"));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry);
        rest = tail;
    }
    if out.is_empty() {
        return Err(bad("empty bundle"));
    }
    Ok(out)
}

/// Parses an entry bundle that must hold exactly `bundle.width()` entries
/// (anything after them is rejected as trailing garbage).
pub fn parse_entry_bundle_for(bundle: Bundle, data: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let entries = parse_entry_bundle(data)?;
    if entries.len() != usize::from(bundle.width) {
        return Err(Error::MalformedEntryBundle(
            "entry count does not match bundle width",
        ));
    }
    Ok(entries)
}

/// Encodes entries as an entry bundle (1..=256 entries, each at most
/// 65535 bytes).
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, Error> {
    if entries.is_empty() || entries.len() > usize::from(TILE_WIDTH) {
        return Err(Error::MalformedEntryBundle(
            "bundle must hold 1..=256 entries",
        ));
    }
    let total: usize = entries.iter().map(|e| e.as_ref().len() + 2).sum();
    let mut out = Vec::with_capacity(total);
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| Error::EntryTooLarge(e.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Checks that an entry bundle hashes to the corresponding level 0 tile.
pub fn verify_entry_bundle(bundle: Bundle, data: &[u8], tile_data: &[u8]) -> Result<(), Error> {
    let entries = parse_entry_bundle_for(bundle, data)?;
    let hashes = tile_hashes(tile_data)?;
    if hashes.len() != entries.len() {
        return Err(Error::BadTile("tile width does not match bundle"));
    }
    for (e, h) in entries.iter().zip(&hashes) {
        if leaf_hash(e) != *h {
            return Err(Error::InconsistentTiles);
        }
    }
    Ok(())
}

/// Verifies every hash tile of the tree of `size` leaves against the
/// trusted `root`, using tiles alone: each full tile must hash to the
/// entry its parent tile holds for it, and the right-edge (partial) tiles
/// must recompute `root`. Tiles are fetched one parent's worth (at most
/// 257 tiles) at a time, so memory stays bounded at any tree size.
///
/// Together with [`verify_entry_bundle`] for each bundle, this is a full
/// audit of a tiled log from scratch.
pub fn verify_tree_tiles<T: TileReader + ?Sized>(
    size: u64,
    root: Hash,
    tiles: &T,
) -> Result<(), Error> {
    // Right edge and root.
    let thr = TileHashReader::new(size, root, tiles)?;
    let th = crate::tree::tree_hash(size, &thr)?;
    if th != root {
        return Err(Error::InconsistentTiles);
    }
    // Every full tile against its parent.
    for parent in tiles_for_size(size)? {
        if parent.level == 0 {
            continue;
        }
        let mut batch = Vec::with_capacity(usize::from(parent.width) + 1);
        batch.push(parent);
        let first = parent.index.checked_mul(256).ok_or(Error::TreeTooLarge)?;
        for i in 0..u64::from(parent.width) {
            batch.push(Tile {
                level: parent.level - 1,
                index: first + i,
                width: TILE_WIDTH,
            });
        }
        let data = tiles.read_tiles(&batch)?;
        if data.len() != batch.len() {
            return Err(Error::BadReader);
        }
        let parent_hashes = tile_hashes(&data[0])?;
        if parent_hashes.len() != usize::from(parent.width) {
            return Err(Error::BadTile("tile data has the wrong size"));
        }
        for (child, want) in data[1..].iter().zip(&parent_hashes) {
            if child.len() != usize::from(TILE_WIDTH) * HASH_SIZE {
                return Err(Error::BadTile("tile data has the wrong size"));
            }
            if tile_root(child)? != *want {
                return Err(Error::InconsistentTiles);
            }
        }
    }
    Ok(())
}
