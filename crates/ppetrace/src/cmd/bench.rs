//! `ppetrace bench`: load against the real server, with the building block measured
//! in the same run (a bare axum JSON handler), so ratios survive a noisy machine.
//! See BENCHMARKS.md for method and results.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use domain::authz::Actor;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Verification throughput and latency vs a bare axum handler, plus code issuance.
    Verify {
        /// Codes in the store before the load starts.
        #[arg(long, default_value_t = 1_000_000)]
        codes: u64,
        /// Codes issued (and timed) on top of `codes`.
        #[arg(long, default_value_t = 1_000_000)]
        issue: u64,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

struct LoadResult {
    requests: u64,
    errors: u64,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl LoadResult {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

/// Closed-loop load: `conns` workers, each sending the next URL as soon as the last
/// answer arrived, for `dur`.
async fn load(urls: Arc<Vec<String>>, conns: usize, dur: Duration) -> LoadResult {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conns)
        .build()
        .unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conns {
        let (client, urls, stop) = (client.clone(), urls.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = match client
                    .get(&urls[i % urls.len()])
                    .header("accept", "application/json")
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_micros() as u32);
                if !ok {
                    errors += 1;
                }
                i += conns;
            }
            (lat, errors)
        }));
    }
    tokio::time::sleep(dur).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |v| f64::from(*v) / 1000.0)
    };
    LoadResult {
        requests: all.len() as u64,
        errors,
        secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

async fn bare_server() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = axum::Router::new().route(
        "/bare",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({"verdict": "genuine", "reasons": []}))
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}/bare"))
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub async fn run(cfg: Config, cmd: BenchCmd) -> anyhow::Result<()> {
    let BenchCmd::Verify {
        codes,
        issue,
        connections,
        seconds,
    } = cmd;
    let mut cfg = cfg;
    if cfg.database_url.is_none() && !cfg.data_dir_explicit {
        cfg.data_dir = std::env::temp_dir().join(format!("ppetrace-bench-{}", std::process::id()));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let local = listener.local_addr()?;
    cfg.public_base_url = Some(format!("http://{local}"));
    let app = cfg.open_app().await?;
    let info = app
        .seed_demo()
        .await
        .context("seeding (the bench needs an empty database)")?;
    let operator = Actor::operator();
    let backend = app.store.backend().as_str();
    // Fill the store: batch 1 of the demo gets `codes` more codes.
    let bar = ProgressBar::new(codes);
    bar.set_style(
        ProgressStyle::with_template("seeding {wide_bar} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    app.issue_codes(&operator, 1, codes.max(1), &move |n| b.set_position(n))
        .await?;
    bar.finish_and_clear();
    let t = Instant::now();
    if issue > 0 {
        app.issue_codes(&operator, 1, issue, &|_| {}).await?;
    }
    let issue_secs = t.elapsed().as_secs_f64();
    // URLs to verify: a sample of real codes, plus unknown ones (10 %).
    let mut urls = Vec::new();
    app.export_codes(&operator, 1, |u| {
        if urls.len() < 20_000 {
            urls.push(u.to_string());
        }
        Ok(())
    })
    .await?;
    for i in 0..urls.len() / 10 {
        urls.push(format!(
            "{}/01/06901234000016/21/UNKNOWN{i:011}",
            cfg.public_base_url.clone().unwrap_or_default()
        ));
    }
    let ctx = web::ApiContext {
        app: app.clone(),
        web: Arc::new(web::WebConfig {
            rate_limit: None,
            ..web::WebConfig::default()
        }),
    };
    tokio::spawn(async move {
        let _ = web::serve(listener, ctx, std::future::pending()).await;
    });
    let bare = bare_server().await?;
    let dur = Duration::from_secs(seconds.max(1));
    let bare_r = load(Arc::new(vec![bare]), connections, dur).await;
    let ver_r = load(Arc::new(urls), connections, dur).await;
    app.flush_scans().await;
    let db_bytes = match &cfg.database_url {
        None => std::fs::metadata(cfg.data_dir.join("ppetrace.db"))
            .map(|m| m.len())
            .unwrap_or(0),
        Some(_) => 0,
    };
    let total_codes = codes + issue + 330;
    println!(
        "backend: {backend}; codes in store: {total_codes}; connections: {connections}; {seconds} s per load"
    );
    println!("| workload | result | building block (same run) | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| verify JSON, records each scan | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors | bare axum JSON: {:.0} req/s, p99 {:.2} ms | {:.2}× |",
        ver_r.rps(),
        ver_r.p50_ms,
        ver_r.p99_ms,
        ver_r.errors,
        bare_r.rps(),
        bare_r.p99_ms,
        ver_r.rps() / bare_r.rps().max(1.0)
    );
    println!(
        "| issue {issue} codes into {} | {issue_secs:.2} s ({:.0} codes/s) | | |",
        codes + 330,
        issue as f64 / issue_secs.max(1e-9)
    );
    if db_bytes > 0 {
        println!(
            "| SQLite size | {:.0} bytes per code (file {:.1} MiB, incl. demo data and scans) | | |",
            db_bytes as f64 / total_codes as f64,
            db_bytes as f64 / 1048576.0
        );
    }
    println!(
        "| peak RSS (server + load generator, one process) | {:.0} MiB | | |",
        rss_mb()
    );
    println!(
        "scans recorded: {}, dropped: {}",
        app.scans.recorded.load(Ordering::Relaxed),
        app.dropped_scans()
    );
    let _ = info;
    Ok(())
}
