//! Proof verification with arbitrary sizes, indexes, hashes and proofs:
//! never panics, and never accepts a proof for an out-of-range index.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::{Hash, root_from_inclusion_proof, verify_consistency, verify_inclusion};

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

fuzz_target!(|data: &[u8]| {
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
});
