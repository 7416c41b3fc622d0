//! Commands over the pure crates (no database), plus local verification.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The code in any GS1 form (Digital Link URI, element string, EPC URN).
    pub code: String,
}

pub async fn verify(cfg: Config, args: VerifyArgs) -> anyhow::Result<()> {
    let app = cfg.open_app().await?;
    let outcome = app
        .verify_text(&args.code, &app::verify::ScanMode::StatusOnly)
        .await?;
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(())
}

#[derive(Subcommand)]
pub enum IdCmd {
    /// Parse a Digital Link URI, element string (bracketed or scanned) or EPC URN.
    Parse {
        text: String,
        /// GS1 company prefix length, to derive an EPC URN from a non-URN input.
        #[arg(long)]
        company_prefix_length: Option<usize>,
    },
}

pub fn id(cmd: IdCmd) -> anyhow::Result<()> {
    match cmd {
        IdCmd::Parse {
            text,
            company_prefix_length,
        } => {
            let data = gs1::parse_any(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut v = serde_json::to_value(&data)?;
            if let (Some(len), Some(obj)) = (company_prefix_length, v.as_object_mut())
                && let Some(urn) = data.epc_urn(Some(len))
            {
                obj.insert("epc_urn".into(), serde_json::Value::String(urn));
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum EpcisCmd {
    /// Print the CBV 2.0 event hash of each event, in document order (JSON-LD or XML).
    Hash { file: PathBuf },
}

pub fn epcis(cmd: EpcisCmd) -> anyhow::Result<()> {
    match cmd {
        EpcisCmd::Hash { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let doc = if text.trim_start().starts_with('<') {
                epcis::xml::parse_and_validate_xml(&text)
            } else {
                epcis::parse_and_validate(&text)
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            for ev in &doc.events {
                println!("{}", epcis::event_hash(ev));
            }
        }
    }
    Ok(())
}
