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
    /// Printable labels for a batch: QR code, (01)/(10)/(21), expiry, product name.
    Labels {
        #[arg(long)]
        batch: i64,
        /// Output directory (created).
        #[arg(long)]
        out: PathBuf,
        /// 50x30, 62x29, 100x50, 40x25 or a4-3x8.
        #[arg(long, default_value = "50x30")]
        size: String,
        /// pdf (one file), svg (one file per page) or png (one file per label).
        #[arg(long, default_value = "pdf")]
        format: String,
        /// Resolution of PNG labels.
        #[arg(long, default_value_t = 300)]
        dpi: u32,
        /// Only the first N codes of the batch.
        #[arg(long)]
        limit: Option<usize>,
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
        CodesCmd::Labels {
            batch,
            out,
            size,
            format,
            dpi,
            limit,
            key,
        } => {
            let size: labels::LabelSize =
                size.parse().map_err(|e| anyhow::anyhow!("--size: {e}"))?;
            if !matches!(format.as_str(), "pdf" | "svg" | "png") {
                anyhow::bail!("--format must be pdf, svg or png");
            }
            let app = cfg.open_app().await?;
            let actor = actor(&app, key).await?;
            let (b, product) = app.batch_with_product(batch).await?;
            let mut data = Vec::new();
            let max = limit.unwrap_or(usize::MAX);
            app.export_codes(&actor, batch, |uri| {
                if data.len() < max {
                    let serial = uri.rsplit('/').next().unwrap_or_default().to_string();
                    data.push(labels::LabelData {
                        uri: uri.to_string(),
                        gtin: product.gtin.clone(),
                        lot: Some(b.lot.clone()),
                        serial,
                        expiry: b.expiry_date.map(|d| d.to_string()),
                        product_name: product.name.clone(),
                    });
                }
                Ok(())
            })
            .await?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let bar = ProgressBar::new(data.len() as u64);
            let mut files = 0usize;
            match format.as_str() {
                "pdf" => {
                    let pdf = labels::sheet_pdf(&data, size)?;
                    std::fs::write(out.join(format!("batch-{batch}-labels.pdf")), pdf)?;
                    files = 1;
                    bar.set_position(data.len() as u64);
                }
                "svg" => {
                    for (i, page) in labels::sheet_svg(&data, size)?.iter().enumerate() {
                        std::fs::write(
                            out.join(format!("batch-{batch}-page-{:04}.svg", i + 1)),
                            page,
                        )?;
                        files += 1;
                    }
                    bar.set_position(data.len() as u64);
                }
                _ => {
                    for d in &data {
                        let png = labels::label_png(d, size, dpi)?;
                        std::fs::write(out.join(format!("{}.png", d.serial)), png)?;
                        files += 1;
                        bar.inc(1);
                    }
                }
            }
            bar.finish_and_clear();
            println!(
                "labels: {} codes in {files} file(s) under {}",
                data.len(),
                out.display()
            );
        }
        CodesCmd::Qr { text, out } => {
            let bytes = labels::qr_for_path(&text, &out)?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote: {}", out.display());
        }
    }
    Ok(())
}
