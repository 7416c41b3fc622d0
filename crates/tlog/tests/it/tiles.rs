//! Tiles: contents from stored hashes, proofs from tiles alone
//! (TileHashReader), tamper detection, entry bundles, full tile audit.

use std::cell::Cell;
use std::sync::OnceLock;

use tlog::tree::stored_hash_index;
use tlog::*;

const BIG: u64 = 70_000;

fn store() -> &'static MemoryHashStore {
    static S: OnceLock<MemoryHashStore> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = MemoryHashStore::new();
        for i in 0..BIG {
            s.append(format!("leaf {i}").as_bytes()).unwrap();
        }
        s
    })
}

const SIZES: [u64; 16] = [
    1, 2, 3, 100, 255, 256, 257, 511, 512, 513, 1000, 65535, 65536, 65537, 66000, BIG,
];

/// Serves tiles from the store, with one hash optionally corrupted, and
/// counts reads.
struct Tampered<'a> {
    inner: StoredTileReader<&'a MemoryHashStore>,
    bad: Option<(Tile, usize)>, // tile (ignoring width), hash position within it
    reads: Cell<usize>,
}

impl TileReader for Tampered<'_> {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Error> {
        self.reads.set(self.reads.get() + 1);
        let mut data = self.inner.read_tiles(tiles)?;
        if let Some((bt, pos)) = self.bad {
            for (t, d) in tiles.iter().zip(data.iter_mut()) {
                if t.level() == bt.level() && t.index() == bt.index() && d.len() > pos * 32 {
                    d[pos * 32] ^= 1;
                }
            }
        }
        Ok(data)
    }
}

fn reader(bad: Option<(Tile, usize)>) -> Tampered<'static> {
    Tampered {
        inner: StoredTileReader(store()),
        bad,
        reads: Cell::new(0),
    }
}

fn sample(n: u64) -> Vec<u64> {
    let mut v: Vec<u64> = vec![0, 1, n / 3, n / 2, n.saturating_sub(2), n - 1];
    v.retain(|&x| x < n);
    v.dedup();
    v
}

#[test]
fn tiles_from_store_are_consistent() {
    let s = store();
    for size in SIZES {
        for t in tiles_for_size(size).unwrap() {
            let d = read_tile_data(t, s).unwrap();
            assert_eq!(d.len(), t.data_len());
            if t.level() > 0 {
                // Each hash is the root of the full tile below.
                for (i, h) in d.chunks(32).enumerate() {
                    let child = Tile::new(t.level() - 1, t.index() * 256 + i as u64, 256).unwrap();
                    assert_eq!(tile_root(&read_tile_data(child, s).unwrap()).unwrap().0, h);
                }
            } else {
                for (i, h) in d.chunks(32).enumerate() {
                    let leaf = t.index() * 256 + i as u64;
                    assert_eq!(leaf_hash(format!("leaf {leaf}").as_bytes()).0, h);
                }
            }
        }
    }
}

#[test]
fn hash_from_tile_matches_store() {
    let s = store();
    let limit = stored_hash_index(0, 1000).unwrap();
    for x in 0..limit {
        let t = tile_for_stored_index(x).unwrap();
        let d = read_tile_data(t, s).unwrap();
        assert_eq!(
            hash_from_tile(t, &d, x).unwrap(),
            s.stored()[x as usize],
            "index {x}"
        );
        // Also from the full-width tile when it exists.
        let full = t.full();
        if let Ok(fd) = read_tile_data(full, s) {
            assert_eq!(
                hash_from_tile(full, &fd, x).unwrap(),
                s.stored()[x as usize]
            );
        }
        // Wrong data length is rejected.
        assert!(hash_from_tile(t, &d[..d.len() - 1], x).is_err());
    }
}

#[test]
fn tile_hash_reader_matches_store() {
    let s = store();
    for size in SIZES {
        let root = tree_hash(size, s).unwrap();
        let r = reader(None);
        let thr = TileHashReader::new(size, root, &r).unwrap();
        // Leaf hashes.
        for j in sample(size) {
            let x = stored_hash_index(0, j).unwrap();
            assert_eq!(thr.read_hashes(&[x]).unwrap(), vec![s.stored()[x as usize]]);
        }
        // All stored hashes of small trees, in one call.
        if size <= 600 {
            let all: Vec<u64> = (0..stored_hash_count(size).unwrap()).collect();
            assert_eq!(
                thr.read_hashes(&all).unwrap(),
                s.stored()[..all.len()].to_vec()
            );
        }
        // Proofs generated from tiles equal proofs from the store.
        for j in sample(size) {
            let p = inclusion_proof(size, j, &thr).unwrap();
            assert_eq!(p, inclusion_proof(size, j, s).unwrap());
            let leaf = leaf_hash(format!("leaf {j}").as_bytes());
            verify_inclusion(j, size, &leaf, &p, &root).unwrap();
            let old = j + 1;
            let c = consistency_proof(old, size, &thr).unwrap();
            assert_eq!(c, consistency_proof(old, size, s).unwrap());
            let old_root = tree_hash(old, &thr).unwrap();
            assert_eq!(old_root, tree_hash(old, s).unwrap());
            verify_consistency(old, size, &old_root, &root, &c).unwrap();
        }
        // Hashes not in the tree are refused.
        let limit = stored_hash_index(0, size).unwrap();
        assert!(thr.read_hashes(&[limit]).is_err());
        // A wrong root is detected.
        let thr_bad = TileHashReader::new(size, leaf_hash(b"x"), &r).unwrap();
        assert!(matches!(
            thr_bad.read_hashes(&[0]),
            Err(Error::InconsistentTiles)
        ));
    }
}

#[test]
fn tampered_tiles_are_detected() {
    let s = store();
    for size in [3u64, 300, 513, 66000] {
        let root = tree_hash(size, s).unwrap();
        let tiles = tiles_for_size(size).unwrap();
        for t in tiles
            .iter()
            .filter(|t| t.level() > 0 || t.index() % 37 == 0 || !t.is_full())
        {
            for pos in [0usize, usize::from(t.width()) - 1] {
                let r = reader(Some((*t, pos)));
                let thr = TileHashReader::new(size, root, &r).unwrap();
                // The hash at the tampered position (a stored hash at level 8L).
                let x = stored_hash_index(u32::from(t.level()) * 8, t.index() * 256 + pos as u64)
                    .unwrap();
                assert!(
                    thr.read_hashes(&[x]).is_err(),
                    "tampered {} pos {pos} not detected (size {size})",
                    t.path()
                );
                assert!(verify_tree_tiles(size, root, &r).is_err());
            }
        }
        verify_tree_tiles(size, root, &reader(None)).unwrap();
    }
}

#[test]
fn tile_hash_reader_reads_once_per_call() {
    let s = store();
    let root = tree_hash(BIG, s).unwrap();
    let r = reader(None);
    let thr = TileHashReader::new(BIG, root, &r).unwrap();
    let _ = inclusion_proof(BIG, 12345, &thr).unwrap();
    assert_eq!(r.reads.get(), 1);
}

#[test]
fn entry_bundles() {
    let entries: Vec<Vec<u8>> = (0..256).map(|i| format!("leaf {i}").into_bytes()).collect();
    let data = encode_entry_bundle(&entries).unwrap();
    let b = Bundle::new(0, 256).unwrap();
    let parsed = parse_entry_bundle_for(b, &data).unwrap();
    assert_eq!(parsed.len(), 256);
    assert_eq!(parsed[7], b"leaf 7");
    let tile = read_tile_data(b.tile(), store()).unwrap();
    verify_entry_bundle(b, &data, &tile).unwrap();

    // Partial bundle.
    let part = encode_entry_bundle(&entries[..17]).unwrap();
    let bp = Bundle::new(0, 17).unwrap();
    let tp = read_tile_data(bp.tile(), store()).unwrap();
    verify_entry_bundle(bp, &part, &tp).unwrap();
    // Wrong width, truncated, trailing garbage, tampered entry.
    assert!(parse_entry_bundle_for(Bundle::new(0, 16).unwrap(), &part).is_err());
    assert!(parse_entry_bundle(&part[..part.len() - 1]).is_err());
    assert!(parse_entry_bundle(&[part.as_slice(), &[0]].concat()).is_err());
    assert!(parse_entry_bundle_for(bp, &[part.as_slice(), &[0, 0]].concat()).is_err());
    assert!(parse_entry_bundle(&[data.as_slice(), &[0, 0]].concat()).is_err()); // 257 entries
    let mut bad = part.clone();
    bad[3] ^= 1;
    assert!(matches!(
        verify_entry_bundle(bp, &bad, &tp),
        Err(Error::InconsistentTiles)
    ));
    // Empty and oversized.
    assert!(parse_entry_bundle(&[]).is_err());
    assert!(encode_entry_bundle::<Vec<u8>>(&[]).is_err());
    assert!(encode_entry_bundle(&[vec![0u8; 65536]]).is_err());
    let max = encode_entry_bundle(&[vec![7u8; 65535]]).unwrap();
    assert_eq!(parse_entry_bundle(&max).unwrap()[0].len(), 65535);
    // Zero-length entries are allowed.
    assert_eq!(
        parse_entry_bundle(&[0, 0, 0, 0]).unwrap(),
        vec![&[][..], &[][..]]
    );
}

#[test]
fn audit_from_tiles_and_bundles_alone() {
    // Recompute the tree from entry bundles only and check it against tiles
    // and the root, as `ppetrace audit` does.
    let s = store();
    let size = 66000u64;
    let root = tree_hash(size, s).unwrap();
    let tiles = StoredTileReader(s);
    verify_tree_tiles(size, root, &tiles).unwrap();
    let mut cr = CompactRange::new();
    for b in new_bundles(0, size).unwrap() {
        let first = b.first_entry().unwrap();
        let entries: Vec<Vec<u8>> = (0..u64::from(b.width()))
            .map(|i| format!("leaf {}", first + i).into_bytes())
            .collect();
        let data = encode_entry_bundle(&entries).unwrap();
        let tile = tiles.read_tiles(&[b.tile()]).unwrap().remove(0);
        verify_entry_bundle(b, &data, &tile).unwrap();
        for e in parse_entry_bundle_for(b, &data).unwrap() {
            cr.append(leaf_hash(e)).unwrap();
        }
    }
    assert_eq!(cr.size(), size);
    assert_eq!(cr.root(), root);
    // Incremental audit from a trusted checkpoint at 65536.
    let old = 65536u64;
    let old_root = tree_hash(old, s).unwrap();
    let thr = TileHashReader::new(size, root, &tiles).unwrap();
    let mut cr = CompactRange::from_reader(old, &thr).unwrap();
    assert_eq!(cr.root(), old_root);
    for i in old..size {
        cr.append(leaf_hash(format!("leaf {i}").as_bytes()))
            .unwrap();
    }
    assert_eq!(cr.root(), root);
}
