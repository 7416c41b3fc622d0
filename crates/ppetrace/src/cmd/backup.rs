//! `ppetrace backup --to FILE` and `ppetrace restore --from FILE`.
//!
//! SQLite: SQLite's online backup API (a consistent snapshot while the server keeps
//! serving), written to `FILE.partial`, checked with `PRAGMA integrity_check` and
//! renamed into place, so an interrupted backup never looks like a finished one.
//! Restore copies the file back with the same API into the configured database.
//!
//! PostgreSQL: `pg_dump --format=custom` (its major version must be at least the
//! server's) and `pg_restore --single-transaction --exit-on-error` into an empty
//! database, so a failed restore leaves nothing behind. A password in the database
//! URL is passed to the tools in `PGPASSWORD`, never on their command line.
//!
//! Not in the backup: the signing keys in the data directory (`log-signing.key`,
//! `answer-signing.key`, or the files configured for them). They are secrets; keep
//! them separately. A restored log continued with another key is still consistent,
//! but its checkpoints are signed by a key auditors do not know.
//!
//! Restore refuses a target that already holds data unless `--force` (SQLite:
//! replaced; PostgreSQL: restored with `--clean --if-exists`). Stop the server first.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::config::Config;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup (refused if it exists).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `ppetrace backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// Replace a target database that already holds data.
    #[arg(long)]
    pub force: bool,
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PGDUMP_MAGIC: &[u8] = b"PGDMP";

enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

fn target(cfg: &Config) -> anyhow::Result<Target> {
    let url = cfg.database_url();
    if let Some(p) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if p.is_empty() || p == ":memory:" {
            bail!("an in-memory database cannot be backed up or restored");
        }
        return Ok(Target::Sqlite(PathBuf::from(p)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url));
    }
    bail!(
        "'{}' is neither sqlite://PATH nor postgres://…",
        store::redact(&url)
    )
}

fn partial(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

pub async fn backup(cfg: Config, args: BackupArgs) -> anyhow::Result<()> {
    if args.to.exists() {
        bail!("{} exists; choose a new file", args.to.display());
    }
    let tmp = partial(&args.to);
    let _ = std::fs::remove_file(&tmp);
    let kind = match target(&cfg)? {
        Target::Sqlite(db) => {
            if !db.exists() {
                bail!("no database at {}", db.display());
            }
            let tmp2 = tmp.clone();
            tokio::task::spawn_blocking(move || sqlite_copy(&db, &tmp2, false))
                .await
                .context("backup task")??;
            "sqlite"
        }
        Target::Postgres(url) => {
            let (url, password) = split_password(&url);
            let mut c = Command::new("pg_dump");
            c.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(&tmp)
                .arg("--dbname")
                .arg(&url);
            run_tool(c, password.as_deref(), "pg_dump")?;
            "postgresql"
        }
    };
    std::fs::rename(&tmp, &args.to)
        .with_context(|| format!("renaming {} to {}", tmp.display(), args.to.display()))?;
    let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    println!("backup: {} ({kind}, {size} bytes)", args.to.display());
    Ok(())
}

pub async fn restore(cfg: Config, args: RestoreArgs) -> anyhow::Result<()> {
    let mut head = [0u8; 16];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(&args.from)
            .with_context(|| format!("opening {}", args.from.display()))?;
        let n = f
            .read(&mut head)
            .with_context(|| format!("reading {}", args.from.display()))?;
        if n < PGDUMP_MAGIC.len() {
            bail!("{} is not a ppetrace backup", args.from.display());
        }
    }
    let is_sqlite = head.starts_with(SQLITE_MAGIC);
    let is_pg = head.starts_with(PGDUMP_MAGIC);
    match target(&cfg)? {
        Target::Sqlite(db) => {
            if !is_sqlite {
                bail!(
                    "{} is not a SQLite backup{}",
                    args.from.display(),
                    if is_pg {
                        " (it is a PostgreSQL dump)"
                    } else {
                        ""
                    }
                );
            }
            if db.exists() && !args.force && sqlite_has_tables(&db)? {
                bail!(
                    "{} already holds a database; pass --force to replace it",
                    db.display()
                );
            }
            if let Some(dir) = db.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let tmp = partial(&db);
            let _ = std::fs::remove_file(&tmp);
            let (from, tmp2) = (args.from.clone(), tmp.clone());
            tokio::task::spawn_blocking(move || sqlite_copy(&from, &tmp2, true))
                .await
                .context("restore task")??;
            // The old database's WAL must not be replayed onto the restored file.
            for suffix in ["-wal", "-shm"] {
                let mut s = db.as_os_str().to_owned();
                s.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(s));
            }
            std::fs::rename(&tmp, &db)
                .with_context(|| format!("renaming {} to {}", tmp.display(), db.display()))?;
            println!("restored: {} into {}", args.from.display(), db.display());
        }
        Target::Postgres(url) => {
            if !is_pg {
                bail!(
                    "{} is not a PostgreSQL dump (pg_dump --format=custom){}",
                    args.from.display(),
                    if is_sqlite {
                        "; it is a SQLite backup"
                    } else {
                        ""
                    }
                );
            }
            let has_data = pg_has_tables(&url).await?;
            if has_data && !args.force {
                bail!(
                    "{} already holds tables; pass --force to replace them",
                    store::redact(&url)
                );
            }
            let (plain, password) = split_password(&url);
            let mut c = Command::new("pg_restore");
            c.args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
            ]);
            if has_data {
                c.args(["--clean", "--if-exists"]);
            }
            c.arg("--dbname").arg(&plain).arg(&args.from);
            run_tool(c, password.as_deref(), "pg_restore")?;
            println!(
                "restored: {} into {}",
                args.from.display(),
                store::redact(&url)
            );
        }
    }
    println!("next: ppetrace audit --local");
    Ok(())
}

/// Copies `from` into a new file `to` with SQLite's online backup API and checks it.
fn sqlite_copy(from: &Path, to: &Path, check_source: bool) -> anyhow::Result<()> {
    use rusqlite::{Connection, OpenFlags};
    let src = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", from.display()))?;
    // A busy writer makes the backup restart its pass; wait rather than fail.
    src.busy_timeout(std::time::Duration::from_secs(30))
        .context("busy timeout")?;
    if check_source {
        integrity(&src, from)?;
    }
    let mut dst = Connection::open(to).with_context(|| format!("creating {}", to.display()))?;
    {
        let b = rusqlite::backup::Backup::new(&src, &mut dst).context("starting the backup")?;
        b.run_to_completion(1024, std::time::Duration::from_millis(5), None)
            .with_context(|| format!("copying {}", from.display()))?;
    }
    integrity(&dst, to)?;
    // One self-contained file: no WAL beside it.
    dst.pragma_update(None, "journal_mode", "DELETE")
        .context("journal mode")?;
    drop(dst);
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", to.display()))?;
    Ok(())
}

fn integrity(c: &rusqlite::Connection, path: &Path) -> anyhow::Result<()> {
    let r: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .with_context(|| format!("checking {}", path.display()))?;
    if r != "ok" {
        bail!("{} fails SQLite's integrity check: {r}", path.display());
    }
    Ok(())
}

fn sqlite_has_tables(db: &Path) -> anyhow::Result<bool> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", db.display()))?;
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .with_context(|| format!("reading {}", db.display()))?;
    Ok(n > 0)
}

async fn pg_has_tables(url: &str) -> anyhow::Result<bool> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {}", store::redact(url)))?;
    tokio::spawn(conn);
    let row = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .context("listing tables")?;
    let n: i64 = row.get(0);
    Ok(n > 0)
}

/// `postgres://user:pw@host/db` → (`postgres://user@host/db`, Some("pw")), the
/// password percent-decoded.
fn split_password(url: &str) -> (String, Option<String>) {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((cred, host)) = rest.rsplit_once('@')
        && let Some((user, pw)) = cred.split_once(':')
    {
        return (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decode(pw)),
        );
    }
    (url.to_string(), None)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn run_tool(mut c: Command, password: Option<&str>, name: &str) -> anyhow::Result<()> {
    if let Some(pw) = password {
        c.env("PGPASSWORD", pw);
    }
    let out = c.output().with_context(|| {
        format!("running {name}; install the PostgreSQL client tools (Debian: postgresql-client)")
    })?;
    if !out.status.success() {
        bail!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            super::split_password("postgres://u:p%40ss@h:5432/db"),
            (
                "postgres://u@h:5432/db".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            super::split_password("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), None)
        );
    }
}
