//! Bodies of the tlog fuzz targets: plain functions over bytes, so the
//! libFuzzer wrappers in `fuzz_targets/` and the stable corpus replay in
//! `crates/fuzzcheck` run exactly the same checks.

use signed_note::{Note, Verifier};
use tlog::Checkpoint;
use tlog::{
    Error, HashReader, MemoryHashStore, Tile, TileHashReader, TileReader, hash_from_tile,
    inclusion_proof, tile_for_stored_index,
};
use tlog::{Hash, root_from_inclusion_proof, verify_consistency, verify_inclusion};
use tlog::{TilePath, parse_path};
use tlog::{encode_entry_bundle, parse_entry_bundle};

fn u64_at(d: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    for (k, x) in b.iter_mut().enumerate() {
        *x = d.get(i + k).copied().unwrap_or(0);
    }
    u64::from_be_bytes(b)
}

fn hash_at(d: &[u8], i: usize) -> Hash {
    let mut h = [0u8; 32];
    for (k, x) in h.iter_mut().enumerate() {
        *x = d.get(i + k).copied().unwrap_or(0);
    }
    Hash(h)
}

struct Fuzzed<'a>(&'a [u8]);

impl TileReader for Fuzzed<'_> {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Error> {
        Ok(tiles
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = self.0.to_vec();
                v.rotate_left(i % self.0.len().max(1));
                v.resize(t.data_len(), 0);
                v
            })
            .collect())
    }
}

/// Checkpoint parsing: never panics; only the canonical encoding parses.
pub fn checkpoint_parse(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(cp) = Checkpoint::parse(s)
    {
        assert_eq!(cp.to_text(), s, "non-canonical checkpoint accepted");
    }
    let _ = Checkpoint::open(data, "example.com/log", &[]);
}

/// Entry bundle parsing: never panics; what parses re-encodes byte-exactly.
pub fn entry_bundle(data: &[u8]) {
    if let Ok(entries) = parse_entry_bundle(data) {
        let again = encode_entry_bundle(&entries).expect("re-encode");
        assert_eq!(again, data);
    }
}

/// Signed-note parsing: never panics; whatever parses re-encodes byte-exactly;
/// verification of arbitrary notes never panics.
pub fn note_parse(data: &[u8]) {
    if let Ok(n) = Note::parse(data) {
        let again = n.to_bytes().expect("parsed note has signatures");
        assert_eq!(again, data, "re-encoding differs");
        let v: Verifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            .parse()
            .expect("valid key");
        let _ = n.verify(&[v]);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = s.parse::<Verifier>();
        let _ = s.parse::<signed_note::Signer>();
    }
}

/// Proof verification with arbitrary sizes, indexes, hashes and proofs:
/// never panics, and never accepts a proof for an out-of-range index.
pub fn proof_verify(data: &[u8]) {
    // Small values are more interesting: use the low bits mostly.
    let index = u64_at(data, 0) >> (data.first().copied().unwrap_or(0) % 64);
    let size = u64_at(data, 8) >> (data.get(1).copied().unwrap_or(0) % 64);
    let old = u64_at(data, 16) >> (data.get(2).copied().unwrap_or(0) % 64);
    let leaf = hash_at(data, 24);
    let root = hash_at(data, 56);
    let proof: Vec<Hash> = data
        .get(88..)
        .unwrap_or(&[])
        .chunks(32)
        .map(|c| hash_at(c, 0))
        .collect();
    let ok = verify_inclusion(index, size, &leaf, &proof, &root).is_ok();
    if index >= size {
        assert!(!ok);
    }
    let _ = root_from_inclusion_proof(index, size, &leaf, &proof);
    let c = verify_consistency(old, size, &leaf, &root, &proof).is_ok();
    if old > size {
        assert!(!c);
    }
}

/// Hashes from arbitrary tile data, and a TileHashReader fed arbitrary
/// tiles: never panics, and never returns hashes for a root that does not
/// match (the only tiles that can match are the real ones).
pub fn tile_hashes(data: &[u8]) {
    let x = u64::from(u16::from_be_bytes([
        data.first().copied().unwrap_or(0),
        data.get(1).copied().unwrap_or(0),
    ]));
    let rest = data.get(2..).unwrap_or(&[]);
    if let Ok(t) = tile_for_stored_index(x) {
        let _ = hash_from_tile(t, rest, x);
        let _ = hash_from_tile(t.full(), rest, x);
    }
    // A real tree; fuzzed tiles must never authenticate against its root
    // unless they are the real tiles.
    let size = (x % 700) + 1;
    let mut s = MemoryHashStore::new();
    for i in 0..size {
        s.append(&i.to_be_bytes()).expect("append");
    }
    let root = s.root().expect("root");
    let f = Fuzzed(rest);
    let thr = TileHashReader::new(size, root, &f).expect("size");
    if let Ok(h) = thr.read_hashes(&[0]) {
        assert_eq!(h, s.read_hashes(&[0]).expect("stored"));
    }
    let _ = inclusion_proof(size, x % size, &thr);
}

/// Tile and entry bundle path parsing: never panics; only canonical paths parse.
pub fn tile_path(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(p) = parse_path(s)
    {
        let back = match p {
            TilePath::Tile(t) => t.path(),
            TilePath::Bundle(b) => b.path(),
        };
        assert_eq!(back, s, "non-canonical path accepted");
    }
}
