//! parse_any on the three common input forms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench_parse(c: &mut Criterion) {
    let inputs = [
        (
            "digital_link",
            "https://ppe.example.org/01/09506000134352/10/ABC123/21/XYZ7890abcdef?17=271231",
        ),
        (
            "element_string",
            "(01)09506000134352(17)271231(10)ABC123(21)XYZ7890abcdef",
        ),
        (
            "raw_scan",
            "]d201095060001343521727123110ABC123\u{1d}21XYZ7890abcdef",
        ),
        ("epc_urn", "urn:epc:id:sgtin:0614141.712345.32a%2Fb"),
    ];
    let mut group = c.benchmark_group("parse_any");
    for (name, input) in inputs {
        assert!(gs1::parse_any(input).is_ok(), "{name}");
        group.bench_function(name, |b| b.iter(|| gs1::parse_any(black_box(input))));
    }
    group.finish();

    let dl = gs1::DigitalLink::parse("https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ").ok();
    c.bench_function("digital_link_to_uri", |b| {
        b.iter(|| {
            dl.as_ref()
                .map(|d| d.to_uri(black_box("https://ppe.example.org")))
        })
    });
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
