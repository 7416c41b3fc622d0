//! Log throughput harness (no criterion: one run, printed numbers), on SQLite
//! and PostgreSQL:
//! - committed writes per second (each an organization + its log entry, one
//!   transaction each, 8 concurrent writers);
//! - entries per second integrated by the sequencer (hashes + signed
//!   checkpoint in one transaction per batch);
//! - inclusion and consistency proof generation from the stored tree.
//!
//! Run: `cargo bench -p web --bench log_sequencer` (env `LOG_BENCH_N`, default 5000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use store::Backend;

async fn run(backend: Backend, n: u64) {
    let (store, _guard) = testkit::fresh_store(backend).await;
    let app = app::App::new(
        store,
        app::AppConfig {
            log: app::log::LogSettings {
                batch: 4096,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let t = Instant::now();
    let writers = 8;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(writers as usize) {
                app.create_org(
                    None,
                    &app::registry::OrgInput {
                        name: format!("bench org {i}"),
                        roles: vec![],
                        gln: None,
                        uscc: None,
                        company_prefixes: vec![],
                        city: None,
                    },
                )
                .await
                .expect("write");
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let write_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cp = app
        .sequence_log()
        .await
        .expect("sequence")
        .expect("checkpoint");
    let seq_s = t.elapsed().as_secs_f64();
    assert_eq!(cp.size, n);
    let proofs = 1000u64;
    let t = Instant::now();
    for i in 0..proofs {
        app.log_inclusion((i * 7919) % n, None)
            .await
            .expect("proof");
    }
    let inc_ms = t.elapsed().as_secs_f64() * 1000.0 / proofs as f64;
    let t = Instant::now();
    for i in 1..=proofs {
        app.log_consistency((i * 7919) % n, n).await.expect("proof");
    }
    let cons_ms = t.elapsed().as_secs_f64() * 1000.0 / proofs as f64;
    println!(
        "{:>8}: {n} writes in {write_s:.2} s ({:.0} committed writes/s, 8 writers); sequencer integrated {n} entries in {seq_s:.3} s ({:.0} entries/s, batches of 4096); inclusion proof {inc_ms:.3} ms; consistency proof {cons_ms:.3} ms",
        backend.as_str(),
        n as f64 / write_s,
        n as f64 / seq_s,
    );
}

fn main() {
    let n: u64 = std::env::var("LOG_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        run(Backend::Sqlite, n).await;
        run(Backend::Postgres, n).await;
    });
}
