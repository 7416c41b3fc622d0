use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use domain::authz::Actor;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;

#[derive(Subcommand)]
pub enum CodesCmd {
    /// Issue N new unguessable serials for a batch.
    Issue {
        #[arg(long)]
        batch: i64,
        #[arg(long)]
        count: u64,
        /// Act with this API key instead of as the platform operator.
        #[arg(long, env = "PPETRACE_API_KEY", hide_env_values = true)]
        key: Option<String>,
    },
    /// Export a batch's codes as a CSV of Digital Link URIs.
    Export {
        #[arg(long)]
        batch: i64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, env = "PPETRACE_API_KEY", hide_env_values = true)]
        key: Option<String>,
    },
    /// Write TEXT as a QR code, PNG or SVG by the file's extension.
    Qr {
        text: String,
        #[arg(long)]
        out: PathBuf,
    },
}

async fn actor(app: &app::App, key: Option<String>) -> anyhow::Result<Actor> {
    match key {
        Some(k) => Ok(app
            .authenticate(&k)
            .await
            .context("the API key was not accepted")?),
        None => Ok(Actor::operator()),
    }
}

pub async fn run(cfg: Config, cmd: CodesCmd) -> anyhow::Result<()> {
    match cmd {
        CodesCmd::Issue { batch, count, key } => {
            let app = cfg.open_app().await?;
            let actor = actor(&app, key).await?;
            let bar = ProgressBar::new(count);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} codes ({per_sec}, eta {eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let b = bar.clone();
            let issued = app
                .issue_codes(&actor, batch, count, &move |n| b.set_position(n))
                .await;
            bar.finish_and_clear();
            let issued = issued?;
            println!(
                "issued: {} codes for batch {} in {:.2} s ({} chunks)",
                issued.issued,
                issued.batch_id,
                started.elapsed().as_secs_f64(),
                issued.merkle_roots.len()
            );
        }
        CodesCmd::Export { batch, out, key } => {
            let app = cfg.open_app().await?;
            let actor = actor(&app, key).await?;
            let mut w: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            writeln!(w, "digital_link")?;
            let n = app
                .export_codes(&actor, batch, |uri| {
                    writeln!(w, "{uri}").map_err(|e| app::AppError::Internal(e.to_string()))
                })
                .await?;
            w.flush()?;
            if out.is_some() {
                eprintln!("exported: {n} codes");
            }
        }
        CodesCmd::Qr { text, out } => {
            let bytes = labels::qr_for_path(&text, &out)?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote: {}", out.display());
        }
    }
    Ok(())
}
