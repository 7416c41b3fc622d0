//! Smoke run of `ppetrace bench` with a tiny data set on both backends: every
//! workload runs and the table comes out. No timing is asserted (numbers on a shared
//! CI machine mean nothing); BENCHMARKS.md has the measured ones.

use std::process::Command;

use store::Backend;
use testkit::both_backends;

fn run_bench(backend: Backend, db_url: Option<&str>, args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = Command::new(env!("CARGO_BIN_EXE_ppetrace"));
    c.env_remove("PPETRACE_DATABASE_URL")
        .env_remove("PPETRACE_CONFIG")
        .arg("--data-dir")
        .arg(dir.path());
    if let Some(u) = db_url {
        c.args(["--database-url", u]);
    }
    let out = c.args(args).output().expect("run ppetrace bench");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "bench {args:?} on {backend:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("backend: {}", backend.as_str())),
        "{stdout}"
    );
    assert!(
        stdout.contains("| workload | result | target | building block (same run) | ratio |"),
        "{stdout}"
    );
    stdout
}

/// The row of the table whose workload starts with `prefix`, split into cells.
fn cells(table: &str, prefix: &str) -> Vec<String> {
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("| {prefix}")))
        .unwrap_or_else(|| panic!("no row '{prefix}' in:\n{table}"));
    line.trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect()
}

async fn bench_all_prints_every_workload(backend: Backend) {
    let (url, _guard) = match backend {
        Backend::Postgres => {
            let (u, g) = testkit::fresh_pg_database().await;
            (Some(u), Some(g))
        }
        Backend::Sqlite => (None, None),
    };
    let out = tokio::task::spawn_blocking(move || {
        run_bench(
            backend,
            url.as_deref(),
            &[
                "bench",
                "all",
                "--codes",
                "300",
                "--issue",
                "200",
                "--seconds",
                "1",
                "--connections",
                "4",
                "--lot-items",
                "100",
                "--docs",
                "1",
                "--histories",
                "5",
            ],
        )
    })
    .await
    .unwrap();
    for w in [
        "data set: 300 codes",
        "issue 200 codes",
        "size per code",
        "verify JSON",
        "peak RSS",
        "scans recorded",
        "EPCIS capture, 1 docs",
        "size per event",
        "item history",
        "forward trace of a 100-item lot",
        "log sequencing",
        "inclusion proof",
        "log tiles",
    ] {
        let c = cells(&out, w);
        assert_eq!(c.len(), 5, "{c:?}");
        assert!(!c[1].is_empty(), "{c:?}");
    }
    // The load ran against the real server: every verification answered.
    let verify = cells(&out, "verify JSON");
    assert!(verify[1].ends_with(", 0 errors"), "{verify:?}");
    assert!(verify[4].ends_with('×'), "{verify:?}");
    let tiles = cells(&out, "log tiles");
    assert!(tiles[1].ends_with(", 0 errors"), "{tiles:?}");
    // The lot trace found every item of the lot and its containers.
    let lot = cells(&out, "forward trace");
    assert!(
        lot[0].contains("100-item lot") && lot[0].contains("11 containers"),
        "{lot:?}"
    );
}

async fn bench_verify_prints_its_table(backend: Backend) {
    let (url, _guard) = match backend {
        Backend::Postgres => {
            let (u, g) = testkit::fresh_pg_database().await;
            (Some(u), Some(g))
        }
        Backend::Sqlite => (None, None),
    };
    let out = tokio::task::spawn_blocking(move || {
        run_bench(
            backend,
            url.as_deref(),
            &[
                "bench",
                "verify",
                "--codes",
                "200",
                "--issue",
                "100",
                "--seconds",
                "1",
                "--connections",
                "4",
            ],
        )
    })
    .await
    .unwrap();
    assert!(
        cells(&out, "verify JSON")[1].ends_with(", 0 errors"),
        "{out}"
    );
    // The building blocks read the same codes through the store (a wrong path or a
    // failed read is a non-2xx answer, counted as an error).
    for block in [
        "building block: the store's verification read",
        "building block: the same read, then the answer rendered and signed",
    ] {
        let c = cells(&out, block);
        assert_eq!(c.len(), 5, "{out}");
        assert!(c[1].ends_with(", 0 errors"), "{c:?}");
        assert!(c[4].ends_with('×'), "{c:?}");
    }
    assert!(!out.contains("| EPCIS capture"), "{out}");
}

both_backends!(
    bench_all_prints_every_workload,
    bench_verify_prints_its_table
);
