//! Hashes from arbitrary tile data, and a TileHashReader fed arbitrary
//! tiles: never panics, and never returns hashes for a root that does not
//! match (the only tiles that can match are the real ones).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::{
    Error, HashReader, MemoryHashStore, Tile, TileHashReader, TileReader, hash_from_tile,
    inclusion_proof, tile_for_stored_index,
};

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

fuzz_target!(|data: &[u8]| {
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
});
