//! Draw order of 100 000 ids.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let ids: Vec<String> = (0..100_000).map(|i| format!("TGT-{i:06}")).collect();
    let mut g = c.benchmark_group("sampler");
    g.sample_size(10);
    g.bench_function("order 100k ids (without replacement)", |b| {
        b.iter(|| sampler::order(black_box(&ids), black_box("ppetrace-bench")))
    });
    g.bench_function("lazy first 1000 of 100k ids (with replacement)", |b| {
        b.iter(|| {
            sampler::sample(black_box(&ids), black_box("ppetrace-bench"), true)
                .map(|s| s.take(1000).count())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
