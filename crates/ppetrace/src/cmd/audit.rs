//! `ppetrace audit`: verify the tamper-evident log.
//!
//! `--url URL --key VKEY [--trusted-checkpoint FILE]` audits a log from its
//! C2SP tlog-tiles alone: the checkpoint signature, every hash tile against the
//! signed root, every entry bundle against its level-0 tile, and consistency
//! with a previously trusted checkpoint (which is then replaced by the new one).
//! Audits are incremental: full tiles are immutable, so verified ones are kept in
//! a cache directory (`--cache`, by default beside the trusted checkpoint) and
//! only new tiles are fetched; with `--new-entries-only`, entry bundles wholly
//! inside the trusted tree are not fetched again either.
//!
//! `--local` checks, in the configured database, that every stored record
//! still matches its log entry and that the stored tree matches the entries.

use std::collections::HashMap;
use std::str::FromStr;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use signed_note::{Note, Verifier};
use tlog::{Checkpoint, Tile, TileHashReader, TileReader};

use crate::config::Config;

#[derive(clap::Args)]
pub struct AuditArgs {
    /// The log's base URL (the server, or its `/log` prefix).
    #[arg(long, required_unless_present = "local", conflicts_with = "local")]
    pub url: Option<String>,
    /// The log's verifier key (`name+id+base64`, as served at /log/key), or a
    /// file holding it.
    #[arg(long, required_unless_present = "local")]
    pub key: Option<String>,
    /// A checkpoint trusted from an earlier audit; the log must extend it.
    /// Rewritten with the new checkpoint when the audit passes. Entries it
    /// covers are taken as verified (by that earlier audit) and not fetched again.
    #[arg(long)]
    pub trusted_checkpoint: Option<std::path::PathBuf>,
    /// Fetch only the entry bundles after the trusted checkpoint: those it covers
    /// were verified by the audit that trusted it and the consistency proof shows
    /// their leaves unchanged. (An entry rewritten in place, with the tree left
    /// alone, is then caught only by a full audit.)
    #[arg(long, requires = "trusted_checkpoint")]
    pub new_entries_only: bool,
    /// Directory of verified full tiles kept between audits (default:
    /// `<trusted-checkpoint>.tiles` when --trusted-checkpoint is given).
    #[arg(long)]
    pub cache: Option<std::path::PathBuf>,
    /// Audit the configured database instead: records against log entries.
    #[arg(long)]
    pub local: bool,
}

pub async fn run(cfg: Config, args: AuditArgs) -> anyhow::Result<()> {
    if args.local {
        return local(cfg).await;
    }
    let (Some(url), Some(key)) = (args.url, args.key) else {
        bail!("--url and --key are required (or --local)");
    };
    let cache = args.cache.or_else(|| {
        args.trusted_checkpoint
            .as_ref()
            .map(|p| p.with_extension("tiles"))
    });
    remote(
        &url,
        &key,
        args.trusted_checkpoint.as_deref(),
        cache.as_deref(),
        args.new_entries_only,
    )
    .await
}

async fn local(cfg: Config) -> anyhow::Result<()> {
    let app = cfg.open_app().await?;
    let report = app
        .audit_local()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "records checked against their log entries: {}",
        report.checked
    );
    for (kind, n) in &report.unchecked {
        println!("not recomputed (kind {kind}): {n}");
    }
    if report.problems.is_empty() {
        println!("audit passed");
        return Ok(());
    }
    for p in &report.problems {
        println!("FAILED: {p}");
    }
    bail!("local audit failed: {} problem(s)", report.problems.len())
}

fn log_base(url: &str) -> String {
    let u = url.trim_end_matches('/');
    if u.ends_with("/log") {
        u.to_string()
    } else {
        format!("{u}/log")
    }
}

struct Fetched(HashMap<String, Vec<u8>>);
impl TileReader for Fetched {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog::Error> {
        tiles
            .iter()
            .map(|t| self.0.get(&t.path()).cloned().ok_or(tlog::Error::BadReader))
            .collect()
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> anyhow::Result<Vec<u8>> {
    let r = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("fetching {url}"))?;
    if !r.status().is_success() {
        bail!("fetching {url}: HTTP {}", r.status());
    }
    Ok(r.bytes()
        .await
        .with_context(|| format!("reading {url}"))?
        .to_vec())
}

fn open_checkpoint(bytes: &[u8], key: &Verifier, what: &str) -> anyhow::Result<Checkpoint> {
    let note = Note::parse(bytes).with_context(|| format!("{what} is not a signed note"))?;
    let cp = Checkpoint::parse(note.text())
        .with_context(|| format!("{what} is not a C2SP checkpoint"))?;
    note.verify(std::slice::from_ref(key))
        .with_context(|| format!("{what}: signature by {} does not verify", key.name()))?;
    Ok(cp)
}

fn bar(len: u64, msg: &'static str) -> ProgressBar {
    let b = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({eta})") {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_message(msg);
    b
}

/// Full tiles (and full entry bundles) never change once published; only those are cached.
fn cache_path(
    cache: Option<&std::path::Path>,
    tile_path: &str,
    full: bool,
) -> Option<std::path::PathBuf> {
    let dir = cache.filter(|_| full)?;
    Some(dir.join(tile_path.replace('/', "_")))
}

async fn remote(
    url: &str,
    key: &str,
    trusted: Option<&std::path::Path>,
    cache: Option<&std::path::Path>,
    new_entries_only: bool,
) -> anyhow::Result<()> {
    let key_text = match std::fs::read_to_string(key) {
        Ok(k) => k,
        Err(_) => key.to_string(),
    };
    let key = Verifier::from_str(key_text.trim()).context("--key is not a verifier key")?;
    let base = log_base(url);
    let client = reqwest::Client::new();
    if let Some(dir) = cache {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let note = fetch(&client, &format!("{base}/checkpoint")).await?;
    let cp = open_checkpoint(&note, &key, "the checkpoint")?;
    println!(
        "checkpoint: origin {}, size {}, root {}",
        cp.origin, cp.size, cp.root
    );
    let old = match trusted {
        Some(path) if path.exists() => {
            let old_note =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let old = open_checkpoint(&old_note, &key, "the trusted checkpoint")?;
            if old.origin != cp.origin {
                bail!(
                    "FAILED: origin changed from {} to {}",
                    old.origin,
                    cp.origin
                );
            }
            if old.size > cp.size {
                bail!(
                    "FAILED: the log shrank from {} to {} entries since the trusted checkpoint",
                    old.size,
                    cp.size
                );
            }
            Some(old)
        }
        _ => None,
    };

    // Hash tiles: cached full tiles are re-verified against the new signed root with
    // the rest, so a damaged cache fails the audit rather than passing it.
    let tiles = tlog::tiles_for_size(cp.size).context("tree size")?;
    let pb = bar(tiles.len() as u64, "hash tiles");
    let mut fetched = HashMap::with_capacity(tiles.len());
    let (mut from_cache, mut downloaded) = (0u64, 0u64);
    let mut to_cache = Vec::new();
    for t in &tiles {
        let full = t.width() == tlog::tile::TILE_WIDTH;
        let cached = cache_path(cache, &t.path(), full).and_then(|p| std::fs::read(p).ok());
        let data = match cached {
            Some(d) => {
                from_cache += 1;
                d
            }
            None => {
                downloaded += 1;
                let d = fetch(&client, &format!("{base}/{}", t.path())).await?;
                if let Some(p) = cache_path(cache, &t.path(), full) {
                    to_cache.push((p, d.clone()));
                }
                d
            }
        };
        fetched.insert(t.path(), data);
        pb.inc(1);
    }
    pb.finish();
    let mut fetched = Fetched(fetched);
    if from_cache > 0 && tlog::verify_tree_tiles(cp.size, cp.root, &fetched).is_err() {
        // The cached tiles disagree with the signed root: either the cache was damaged
        // or the log's history changed since. Fetch everything again; the consistency
        // check below tells which.
        println!("cached tiles do not fit the new root: fetching every tile again");
        to_cache.clear();
        for t in &tiles {
            let d = fetch(&client, &format!("{base}/{}", t.path())).await?;
            if let Some(p) = cache_path(cache, &t.path(), t.width() == tlog::tile::TILE_WIDTH) {
                to_cache.push((p, d.clone()));
            }
            fetched.0.insert(t.path(), d);
        }
        downloaded += from_cache;
        from_cache = 0;
    }
    tlog::verify_tree_tiles(cp.size, cp.root, &fetched)
        .context("FAILED: the hash tiles do not recompute the signed root")?;
    println!(
        "hash tiles: {} verified against the signed root ({downloaded} fetched, {from_cache} from the cache)",
        tiles.len()
    );

    if let Some(old) = &old {
        let thr = TileHashReader::new(cp.size, cp.root, &fetched).context("tiles")?;
        let proof = tlog::consistency_proof(old.size, cp.size, &thr)
            .context("FAILED: consistency proof from tiles")?;
        tlog::verify_consistency(old.size, cp.size, &old.root, &cp.root, &proof).with_context(
            || {
                format!(
                    "FAILED: the log is not consistent with the trusted checkpoint of size {} (history rewritten)",
                    old.size
                )
            },
        )?;
        println!(
            "consistent with the trusted checkpoint of size {}",
            old.size
        );
    }

    // Entry bundles: with --new-entries-only, those inside the trusted tree are
    // taken as verified by the audit that trusted it.
    let verified_before = match &old {
        Some(o) if new_entries_only => o.size,
        _ => 0,
    };
    let bundles = tlog::new_bundles(verified_before, cp.size).context("tree size")?;
    let pb = bar(bundles.len() as u64, "entry bundles");
    for b in &bundles {
        let data = fetch(&client, &format!("{base}/{}", b.path())).await?;
        let tile = fetched
            .read_tiles(&[b.tile()])
            .ok()
            .and_then(|mut v| v.pop())
            .with_context(|| format!("FAILED: tile {} missing", b.tile().path()))?;
        tlog::verify_entry_bundle(*b, &data, &tile).with_context(|| {
            format!(
                "FAILED: entry bundle {} does not match its leaves (entries rewritten)",
                b.path()
            )
        })?;
        pb.inc(1);
    }
    pb.finish();
    println!(
        "entry bundles: {} verified against their leaves ({} entries already verified under the trusted checkpoint)",
        bundles.len(),
        verified_before
    );

    for (path, data) in to_cache {
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = trusted {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &note).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        println!("trusted checkpoint updated: {}", path.display());
    }
    println!("audit passed");
    Ok(())
}
