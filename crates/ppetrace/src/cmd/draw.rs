//! `ppetrace draw …`: re-runnable "double random" draws, offline.
//!
//! * `draw sample --seed S [--take N] [--with-replacement] ID…` prints Rivest's
//!   consistent-sampler order, one id per line (`conformance/sampler.md`).
//! * `draw ticket --seed S ID`, `draw next-ticket X`: the sampler's ticket numbers.
//! * `draw legacy --seed S [--low A] --high B --take N [--without-replacement]`:
//!   the 2011 sampler.
//! * `draw verify FILE` re-runs a published draw (`GET /api/v1/draws/{id}/published.json`)
//!   and prints `MATCH`, or fails with the first difference.
//! * `draw commitment FILE` prints the commitment of the file's result, to
//!   compare with the one published before the inspection window.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum DrawCmd {
    /// Print Rivest's consistent-sampler order of IDs under SEED, one per line.
    Sample {
        #[arg(long)]
        seed: String,
        /// Stop after N ids.
        #[arg(long)]
        take: Option<usize>,
        #[arg(long)]
        with_replacement: bool,
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Print the first ticket number of ID under SEED (consistent sampler).
    Ticket {
        #[arg(long)]
        seed: String,
        id: String,
    },
    /// Print the ticket that follows TICKET (consistent sampler with replacement).
    NextTicket { ticket: String },
    /// Rivest's older 2011 sampler: integers in [LOW, HIGH], one per line.
    Legacy {
        #[arg(long)]
        seed: String,
        #[arg(long, default_value_t = 1)]
        low: i64,
        #[arg(long)]
        high: i64,
        #[arg(long)]
        take: usize,
        #[arg(long)]
        without_replacement: bool,
    },
    /// Re-run a published draw (JSON with plan, snapshot, seed_inputs, result).
    Verify { file: PathBuf },
    /// Print the commitment (SHA-256 of the canonical result) of a published draw.
    Commitment { file: PathBuf },
}

fn read_published(file: &PathBuf) -> anyhow::Result<draw::PublishedDraw> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text).context("parsing the published draw")
}

pub fn run(cmd: DrawCmd) -> anyhow::Result<()> {
    match cmd {
        DrawCmd::Sample {
            seed,
            take,
            with_replacement,
            ids,
        } => {
            if with_replacement && take.is_none() {
                bail!("--with-replacement never ends: give --take N");
            }
            let it = sampler::sample(&ids, &seed, with_replacement)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for t in it.take(take.unwrap_or(usize::MAX)) {
                println!("{}", t.id);
            }
        }
        DrawCmd::Ticket { seed, id } => println!("{}", sampler::first_ticket(&id, &seed)),
        DrawCmd::NextTicket { ticket } => println!(
            "{}",
            sampler::next_ticket(&ticket).map_err(|e| anyhow::anyhow!("{e}"))?
        ),
        DrawCmd::Legacy {
            seed,
            low,
            high,
            take,
            without_replacement,
        } => {
            let it = sampler::LegacySampler::new(&seed, low, high, !without_replacement)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for v in it.take(take) {
                println!("{v}");
            }
        }
        DrawCmd::Verify { file } => {
            let published = read_published(&file)?;
            match draw::verify(
                &published.plan,
                &published.snapshot,
                &published.seed_inputs,
                &published.result,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                draw::Verification::Match => println!("MATCH"),
                draw::Verification::Mismatch(d) => bail!("MISMATCH: {d}"),
            }
        }
        DrawCmd::Commitment { file } => {
            let published = read_published(&file)?;
            println!(
                "{}",
                published
                    .result
                    .commitment()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
            );
        }
    }
    Ok(())
}
