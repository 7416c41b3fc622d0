//! Validate + hash a document of 100 ObjectEvents with 10 EPCs each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn document(events: usize, epcs: usize, seed: usize) -> String {
    let list: Vec<serde_json::Value> = (0..events)
        .map(|i| {
            let epcs: Vec<String> = (0..epcs)
                .map(|j| format!("urn:epc:id:sgtin:4012345.011111.{}", seed * 1_000_000 + i * epcs + j))
                .collect();
            serde_json::json!({
                "type": "ObjectEvent",
                "eventTime": format!("2024-05-01T10:{:02}:{:02}.123+02:00", i / 60 % 60, i % 60),
                "eventTimeZoneOffset": "+02:00",
                "epcList": epcs,
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"},
                "bizLocation": {"id": "https://id.gs1.org/414/4012345000054"},
                "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO1"}],
                "ex:batch": "B-17"
            })
        })
        .collect();
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://example.org/ns/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"eventList": list}
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let doc = document(100, 10, 0);
    let mut g = c.benchmark_group("epcis");
    g.throughput(Throughput::Elements(100));
    // fresh serial numbers every iteration, so no identifier is ever seen twice
    let mut seed = 1;
    g.bench_function("parse+validate+hash 100 ObjectEvents x 10 EPCs", |b| {
        b.iter_batched(
            || {
                seed += 1;
                document(100, 10, seed)
            },
            |doc| {
                let d = epcis::parse_and_validate(black_box(&doc)).expect("valid");
                let hashes: Vec<String> = d.events.iter().map(epcis::event_hash).collect();
                black_box(hashes)
            },
            BatchSize::SmallInput,
        )
    });
    let parsed = epcis::parse_document(&doc).expect("valid");
    g.bench_function(
        "hash only 100 events (identifiers already normalised)",
        |b| {
            b.iter(|| {
                let hashes: Vec<String> = black_box(&parsed)
                    .events
                    .iter()
                    .map(epcis::event_hash)
                    .collect();
                black_box(hashes)
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
