//! QR rendering speed for a typical 70-character item URI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

const URI: &str = "https://ppe.example.org/01/09506000134352/10/LOT42/21/Ab3xK9pQ2mZ7abcd";

fn bench_qr(c: &mut Criterion) {
    assert_eq!(URI.len(), 70);
    c.bench_function("qr_png 70-char URI, 8 px/module", |b| {
        b.iter(|| labels::qr_png(black_box(URI), 8))
    });
    c.bench_function("qr_svg 70-char URI", |b| {
        b.iter(|| labels::qr_svg(black_box(URI)))
    });
}

criterion_group!(benches, bench_qr);
criterion_main!(benches);
