//! Signing and checking one verification answer. Every public look-up pays for
//! one signature, so this is a building block of the verification load
//! (BENCHMARKS.md). The body is the size of a real JSON answer (about 1.4 KB:
//! two languages, one certificate).
//!
//! Run: `cargo bench -p app --bench answer_sign`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn sign(c: &mut Criterion) {
    let body = vec![b'x'; 1400];
    let signer = app::scans::AnswerSigner::new("ppetrace-answers", &[42u8; 32]);
    let key = signer.verifier_key();
    let header = signer.sign(&body);
    let mut g = c.benchmark_group("answer");
    g.bench_function("sign 1.4 KB (PPE-Signature header)", |b| {
        b.iter(|| signer.sign(black_box(&body)))
    });
    g.bench_function("verify 1.4 KB against the published key", |b| {
        b.iter(|| app::scans::verify_answer(&key, black_box(&body), &header))
    });
    g.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
