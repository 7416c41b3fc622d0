//! `ppetrace trace …`: traceability from the command line (direct database access,
//! acting as the platform operator, who sees every event).
//!
//! * `trace item CODE` — the full, aggregation-aware history of one item, where it
//!   is now and who holds it (JSON).
//! * `trace lot GTIN LOT` — forward trace of a lot: every site and organization its
//!   items reached (the recall list; JSON, or a table with `--table`).
//! * `trace capture FILE` — captures an EPCIS document (JSON-LD or XML) as a job
//!   and waits for its result.

use anyhow::Context;
use app::epcis::capture::{ErrorBehaviour, Syntax};
use domain::authz::Actor;

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum TraceCmd {
    /// The full history of one item (Digital Link, EPC URN or element string).
    Item { code: String },
    /// Forward trace of a lot (recall list).
    Lot {
        gtin: String,
        lot: String,
        /// Print a table of sites instead of JSON.
        #[arg(long)]
        table: bool,
    },
    /// Capture an EPCIS 2.0 document (JSON-LD, or XML by the .xml extension).
    Capture {
        file: std::path::PathBuf,
        /// Store the valid, new events even when others fail.
        #[arg(long)]
        proceed: bool,
    },
}

fn err(e: app::epcis::EpcisFailure) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn run(cfg: Config, cmd: TraceCmd) -> anyhow::Result<()> {
    let app = cfg.open_app().await?;
    let actor = Actor::operator();
    match cmd {
        TraceCmd::Item { code } => {
            let t = app.trace_item(&actor, &code).await.map_err(err)?;
            println!("{}", serde_json::to_string_pretty(&t)?);
        }
        TraceCmd::Lot { gtin, lot, table } => {
            let t = app.trace_lot(&actor, &gtin, &lot).await.map_err(err)?;
            if table {
                println!(
                    "lot {}: {} items, {} events, {} containers",
                    t.lot, t.items, t.events, t.containers
                );
                for s in &t.sites {
                    let holder = s
                        .holder
                        .as_ref()
                        .map(|h| format!("{} (org {})", h.name, h.org_id))
                        .unwrap_or_else(|| "-".into());
                    println!(
                        "{}\t{}\t{}\t{}",
                        s.location,
                        holder,
                        s.first_seen.to_rfc3339(),
                        s.last_seen.to_rfc3339()
                    );
                }
            } else {
                println!("{}", serde_json::to_string_pretty(&t)?);
            }
        }
        TraceCmd::Capture { file, proceed } => {
            let body =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let ct = if file.extension().is_some_and(|x| x == "xml") {
                "application/xml"
            } else {
                "application/ld+json"
            };
            debug_assert!(Syntax::from_media_type(ct).is_some());
            let behaviour = if proceed {
                ErrorBehaviour::Proceed
            } else {
                ErrorBehaviour::Rollback
            };
            let id = app
                .submit_capture(&actor, ct, body, behaviour)
                .await
                .map_err(err)?;
            app.process_capture(&actor, &id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let job = app.capture_job(&actor, &id).await.map_err(err)?;
            println!("{}", serde_json::to_string_pretty(&job)?);
            if !job.success {
                anyhow::bail!("capture {id} did not succeed");
            }
        }
    }
    Ok(())
}
