//! `ppetrace`: the one binary. A thin shell over the `app` services: parse flags,
//! load configuration, open the store, call a service, print.

mod cmd;
mod config;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ppetrace",
    version,
    about = "Traceability, anti-counterfeiting and anti-fraud supervision for personal protective equipment"
)]
struct Cli {
    #[command(flatten)]
    global: config::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (API, resolver, pages).
    Serve(cmd::serve::ServeArgs),
    /// Bootstrap administration: organizations and API keys.
    #[command(subcommand)]
    Admin(cmd::admin::AdminCmd),
    /// One item, one code: issue, export, QR codes.
    #[command(subcommand)]
    Codes(cmd::codes::CodesCmd),
    /// Verify a code against the local database.
    Verify(cmd::tools::VerifyArgs),
    /// GS1 identifiers.
    #[command(subcommand)]
    Id(cmd::tools::IdCmd),
    /// EPCIS 2.0 documents.
    #[command(subcommand)]
    Epcis(cmd::tools::EpcisCmd),
    /// Verifiable "double random" draws.
    #[command(subcommand)]
    Draw(cmd::draw::DrawCmd),
    /// Verify the tamper-evident log: from its tiles (--url) or the database (--local).
    Audit(cmd::audit::AuditArgs),
    /// Traceability: item history, lot forward trace (recall list), capture of EPCIS documents.
    #[command(subcommand)]
    Trace(cmd::epcis_cmd::TraceCmd),
    /// Fraud-report mailbox: handler keys, reading cases locally, retention.
    #[command(subcommand)]
    Mailbox(cmd::mailbox::MailboxCmd),
    /// Employer PPE ledger: due lists, CSV export.
    #[command(subcommand)]
    Ledger(cmd::ledger::LedgerCmd),
    /// Back up the database (SQLite online backup; PostgreSQL: pg_dump).
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup into the configured, empty database (stop the server first).
    Restore(cmd::backup::RestoreArgs),
    /// Benchmarks against the real server (see BENCHMARKS.md).
    #[command(subcommand)]
    Bench(cmd::bench::BenchCmd),
}

/// mimalloc instead of the system allocator: the verification path allocates per
/// request (routing, JSON, the signed body), and glibc's malloc/free were about a
/// tenth of the server's CPU under load (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let cfg = config::Config::load(&cli.global)?;
        match cli.command {
            Command::Serve(a) => cmd::serve::run(cfg, a).await,
            Command::Admin(c) => cmd::admin::run(cfg, c).await,
            Command::Codes(c) => cmd::codes::run(cfg, c).await,
            Command::Verify(a) => cmd::tools::verify(cfg, a).await,
            Command::Id(c) => cmd::tools::id(c),
            Command::Epcis(c) => cmd::tools::epcis(c),
            Command::Draw(c) => cmd::draw::run(c),
            Command::Audit(a) => cmd::audit::run(cfg, a).await,
            Command::Trace(c) => cmd::epcis_cmd::run(cfg, c).await,
            Command::Mailbox(c) => cmd::mailbox::run(cfg, c).await,
            Command::Ledger(c) => cmd::ledger::run(cfg, c).await,
            Command::Backup(a) => cmd::backup::backup(cfg, a).await,
            Command::Restore(a) => cmd::backup::restore(cfg, a).await,
            Command::Bench(c) => cmd::bench::run(cfg, c).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
