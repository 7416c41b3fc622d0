use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Listen address (HOST:PORT; port 0 picks a free one).
    #[arg(long)]
    pub addr: Option<String>,
    /// Seed a fresh SQLite data directory with demo data and print URLs to try.
    #[arg(long)]
    pub demo: bool,
}

fn init_logging(json: bool) {
    let mut filter =
        EnvFilter::try_from_env("PPETRACE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Connection-level logs of the HTTP stack name peer addresses; reporters to the
    // mailbox must never be identifiable from logs, at any level.
    for quiet in ["axum::serve=off", "hyper=off", "hyper_util=off"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn run(mut cfg: Config, args: ServeArgs) -> anyhow::Result<()> {
    init_logging(cfg.json_logs);
    if let Some(a) = args.addr {
        cfg.addr = a;
    }
    if args.demo && cfg.database_url.is_none() && !cfg.data_dir_explicit {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        cfg.data_dir =
            std::env::temp_dir().join(format!("ppetrace-demo-{}-{stamp}", std::process::id()));
    }
    let listener = tokio::net::TcpListener::bind(&cfg.addr)
        .await
        .with_context(|| format!("binding {}", cfg.addr))?;
    let local = listener.local_addr()?;
    if cfg.public_base_url.is_none() {
        cfg.public_base_url = Some(format!("http://{local}"));
    }
    let app = cfg.open_app().await?;
    let _sequencer = app.spawn_sequencer();
    let resumed = app
        .resume_capture_jobs()
        .await
        .context("resuming capture jobs")?;
    if resumed > 0 {
        tracing::info!(resumed, "capture jobs left running were resumed");
    }
    if args.demo {
        let info = app.seed_demo().await.context("seeding the demo data")?;
        println!("data-dir: {}", cfg.data_dir.display());
        println!("genuine: {}", info.genuine_url);
        println!("recalled: {}", info.recalled_url);
        println!("expired: {}", info.expired_url);
        println!("fake: {}", info.fake_url);
        println!("admin-key: {}", info.admin_key);
        println!("manufacturer-key: {}", info.manufacturer_key);
        println!("employer-key: {}", info.employer_key);
        println!("regulator-key: {}", info.regulator_key);
        for u in &info.console_users {
            println!("{}-login: {} {}", u.role, u.username, u.password);
        }
        // The demo inspector's signing key and the demo handler's age identity, for
        // the consoles' in-browser signing and decryption (docs/web.md).
        for u in &info.console_users {
            if let Some(text) = &u.key_file {
                let path = cfg.data_dir.join(format!("demo-{}.key", u.role));
                super::mailbox::write_private(&path, text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("{}-key-file: {}", u.role, path.display());
            }
        }
    }
    println!("listening: http://{local}");
    tracing::info!(addr = %local, database = %store::redact(&cfg.database_url()), "ppetrace serving");
    let ctx = web::ApiContext::new(
        app,
        Arc::new(web::WebConfig {
            max_body_bytes: cfg.max_body_bytes,
            request_timeout: Duration::from_secs(cfg.request_timeout_secs),
            hsts: cfg.hsts,
            ..web::WebConfig::default()
        }),
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    web::serve(listener, ctx, shutdown).await?;
    Ok(())
}
