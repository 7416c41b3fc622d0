//! Benchmarks: leaf hashing, proof generation through a `HashReader` and
//! verification at tree size 100 M, consistency proofs.
//!
//! `Synthetic` returns SHA-256(index) for every stored index, as a stand-in
//! for a database of stored hashes: it measures the proof algorithm plus
//! one batched read, without storage latency. Synthetic hashes do not form a
//! consistent tree, so the root a proof is verified against is derived from
//! that proof; the verification work is the same as for a real root.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use tlog::{
    Error, Hash, HashReader, MemoryHashStore, consistency_proof, inclusion_proof, leaf_hash,
    root_from_inclusion_proof, tree_hash, verify_consistency, verify_inclusion,
};

struct Synthetic;

impl HashReader for Synthetic {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Error> {
        Ok(indexes
            .iter()
            .map(|i| Hash(Sha256::digest(i.to_be_bytes()).into()))
            .collect())
    }
}

const SIZE: u64 = 100_000_000;

fn bench(c: &mut Criterion) {
    let entry = vec![0x5au8; 256];
    c.bench_function("leaf_hash/256B", |b| {
        b.iter(|| leaf_hash(black_box(&entry)))
    });

    let mut idx = 0u64;
    c.bench_function("inclusion_proof/generate/100M", |b| {
        b.iter(|| {
            idx = (idx + 7_919_993) % SIZE;
            inclusion_proof(black_box(SIZE), idx, &Synthetic).unwrap()
        })
    });

    let mut idx = 0u64;
    c.bench_function("inclusion_proof/generate+verify/100M", |b| {
        b.iter(|| {
            idx = (idx + 7_919_993) % SIZE;
            let p = inclusion_proof(SIZE, idx, &Synthetic).unwrap();
            let leaf = Synthetic
                .read_hashes(&[tlog::stored_hash_index(0, idx).unwrap()])
                .unwrap()[0];
            let root = root_from_inclusion_proof(idx, SIZE, &leaf, &p).unwrap();
            verify_inclusion(idx, SIZE, &leaf, black_box(&p), &root).unwrap();
        })
    });

    c.bench_function("tree_hash/100M", |b| {
        b.iter(|| tree_hash(black_box(SIZE), &Synthetic).unwrap())
    });

    let mut old = 1u64;
    c.bench_function("consistency_proof/generate/100M", |b| {
        b.iter(|| {
            old = (old + 7_919_993) % SIZE + 1;
            consistency_proof(old, black_box(SIZE), &Synthetic).unwrap()
        })
    });

    // A real, consistent tree of 1 M leaves (64 MB of stored hashes).
    let mut s = MemoryHashStore::new();
    for i in 0..1_000_000u64 {
        s.append(&i.to_be_bytes()).unwrap();
    }
    let n = s.size();
    let root = s.root().unwrap();
    let mut i = 0u64;
    c.bench_function("inclusion_proof/generate+verify/1M-memory", |b| {
        b.iter(|| {
            i = (i + 7_919) % n;
            let p = inclusion_proof(n, i, &s).unwrap();
            verify_inclusion(i, n, &leaf_hash(&i.to_be_bytes()), &p, &root).unwrap();
        })
    });
    let mut old = 1u64;
    c.bench_function("consistency_proof/generate+verify/1M-memory", |b| {
        b.iter(|| {
            old = (old + 7_919) % n + 1;
            let p = consistency_proof(old, n, &s).unwrap();
            let old_root = tree_hash(old, &s).unwrap();
            verify_consistency(old, n, &old_root, &root, &p).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
