//! `ppetrace ledger …`: the employer's PPE ledger from the command line.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use domain::authz::Actor;

use crate::config::Config;

#[derive(Subcommand)]
pub enum LedgerCmd {
    /// Items of a site due for replacement or periodic inspection within N days
    /// (overdue ones included), soonest first.
    Due {
        /// The site's GLN.
        #[arg(long)]
        site: String,
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Count the window from this date (YYYY-MM-DD) instead of today.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Act with the employer's API key instead of as the platform operator.
        #[arg(long, env = "PPETRACE_API_KEY", hide_env_values = true)]
        key: Option<String>,
    },
    /// The ledger as CSV (AQ 6111-2023 columns); needs the employer's API key.
    Export {
        /// Only this site (GLN).
        #[arg(long)]
        site: Option<String>,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, env = "PPETRACE_API_KEY", hide_env_values = true)]
        key: String,
    },
}

pub async fn run(cfg: Config, cmd: LedgerCmd) -> anyhow::Result<()> {
    let app = cfg.open_app().await?;
    match cmd {
        LedgerCmd::Due {
            site,
            days,
            as_of,
            key,
        } => {
            let actor = match key {
                Some(k) => app
                    .authenticate(&k)
                    .await
                    .context("the API key was not accepted")?,
                None => Actor::operator(),
            };
            let list = app.ledger_due(&actor, &site, days, as_of).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "# site {} — due on or before {} (as of {}): {} item(s)",
                list.site_gln,
                list.until,
                list.as_of,
                list.items.len()
            )?;
            for d in &list.items {
                let due = d
                    .due
                    .iter()
                    .map(|e| format!("{} {} ({:+} d)", e.kind.as_str(), e.date, e.days_left))
                    .collect::<Vec<_>>()
                    .join(", ");
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    d.item.id,
                    d.item.item,
                    d.item.model.as_deref().unwrap_or("-"),
                    d.item.worker.as_ref().map_or("-", |w| w.code.as_str()),
                    due
                )?;
            }
        }
        LedgerCmd::Export { site, out, key } => {
            let actor = app
                .authenticate(&key)
                .await
                .context("the API key was not accepted")?;
            let csv = app.ledger_export_csv(&actor, site.as_deref()).await?;
            match out {
                Some(p) => {
                    std::fs::write(&p, csv).with_context(|| format!("writing {}", p.display()))?
                }
                None => std::io::stdout().lock().write_all(csv.as_bytes())?,
            }
        }
    }
    Ok(())
}
