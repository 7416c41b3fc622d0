//! The tamper-evident log (product brief C6): sequencing, signed checkpoints,
//! tiles, proofs, receipts and witnesses.
//!
//! **Acknowledgement semantics.** Every write transaction appends its log entry
//! (`store::…::append_log`) in the same database transaction as the record, so
//! when a client gets its 2xx the entry is durable and its leaf index (`seq`) is
//! fixed. The [`Sequencer`] then integrates committed entries into the Merkle
//! tree in batches (every [`LogSettings::interval`] or
//! [`LogSettings::batch`] entries, whichever comes first): it computes the new
//! stored hashes incrementally from the tree's right edge (`CompactRange`),
//! signs a C2SP checkpoint and commits hashes and checkpoint in one transaction.
//! An entry is therefore covered by a signed checkpoint within one interval of
//! its acknowledgement; a receipt (`GET /log/receipt/…`) is upgraded to an
//! inclusion proof from then on.
//!
//! **Crashes.** Entries are never rewritten and the tree only grows through
//! [`store::LogStore::integrate`], which refuses to integrate unless the
//! stored tree is exactly the size the sequencer started from. After a crash
//! the sequencer reloads the right edge from the stored hashes, checks it
//! against the last signed root, and continues: every new checkpoint extends
//! every earlier one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use chrono::{DateTime, Utc};
use serde::Serialize;
use signed_note::{Note, Signature, Signer, Verifier};
use store::{Store, StoredCheckpoint};
use tlog::{Checkpoint, CompactRange, Hash, HashReader};

use crate::{AppError, Result};

/// Default origin line of the log's checkpoints.
pub const DEFAULT_ORIGIN: &str = "ppetrace.local/log";

/// A witness the log submits its checkpoints to (C2SP `tlog-witness`).
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// Submission prefix; the log POSTs to `<url>/add-checkpoint`.
    pub url: String,
    /// The witness's verifier key (`name+id+base64`, cosignature/v1 or Ed25519).
    pub key: String,
}

/// Log settings, part of [`crate::AppConfig`].
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// Origin line of checkpoints (the log's identity).
    pub origin: String,
    /// Signer key `PRIVATE+KEY+…`; `None` generates a throw-away key (tests only:
    /// the CLI always passes one, loaded from a file).
    pub signing_key: Option<String>,
    /// Integrate at least this often when entries are pending.
    pub interval: Duration,
    /// …or as soon as this many entries are pending. Also the largest batch.
    pub batch: u64,
    pub witnesses: Vec<WitnessConfig>,
    /// How long tile, bundle and inclusion-proof requests may rely on the
    /// latest signed checkpoint kept in memory before reading it from the
    /// database again (see [`LatestTree`]). `0` reads it on every request. A
    /// checkpoint signed by this node's sequencer is known at once; one written
    /// to the database by anything else (another node, or a rewrite behind the
    /// platform's back) shows in served tiles and proofs within this bound, and
    /// at once for a leaf beyond the remembered tree.
    pub checkpoint_refresh: Duration,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            origin: DEFAULT_ORIGIN.into(),
            signing_key: None,
            interval: Duration::from_millis(500),
            batch: 4096,
            witnesses: Vec::new(),
            checkpoint_refresh: Duration::from_millis(DEFAULT_CHECKPOINT_REFRESH_MS),
        }
    }
}

/// Default of [`LogSettings::checkpoint_refresh`], in milliseconds.
pub const DEFAULT_CHECKPOINT_REFRESH_MS: u64 = 1000;

/// Generates a new signer key string for `origin`.
pub fn generate_signing_key(origin: &str) -> Result<String> {
    let seed: [u8; 32] = rand::random();
    let s = Signer::from_seed(origin, &seed)
        .map_err(|e| AppError::invalid("log_origin", format!("not a valid key name: {e}")))?;
    Ok(s.to_secret_key_string())
}

struct Witness {
    url: String,
    verifier: Verifier,
}

#[derive(Default)]
struct SeqState {
    /// Right edge of the stored tree, if loaded.
    range: Option<CompactRange>,
    /// Last size each witness is known to have.
    witness_sizes: Vec<u64>,
}

/// A full hash tile: (level, index).
type TileKey = (u8, u64);

/// The signed tree a cached tile was read under: (size, root).
type TreeTag = (u64, [u8; 32]);

/// Full hash tiles, kept in memory once read. A full tile never changes in an
/// honest log, but the cache must not hide the database from an auditor (a
/// tree rewritten behind the platform's back has to show in the tiles it
/// serves, `ppetrace/tests/log_audit.rs`), so each tile is tagged with the
/// latest signed checkpoint it was read under and served only while that is
/// still the latest one: one checkpoint read per request instead of the
/// checkpoint plus 256 stored hashes. Entry bundles are not cached (an entry
/// rewritten in place must show too). Bounded by bytes; when full, the least
/// recently used half of the entries goes.
struct TileCache {
    map: HashMap<TileKey, (Bytes, TreeTag, AtomicU64)>,
    bytes: usize,
    tick: AtomicU64,
}

/// Memory budget of the tile cache (about 8,000 level-0 tiles).
const TILE_CACHE_BYTES: usize = 64 << 20;

impl TileCache {
    fn new() -> TileCache {
        TileCache {
            map: HashMap::new(),
            bytes: 0,
            tick: AtomicU64::new(0),
        }
    }

    /// A hit needs only a shared lock: the recency stamp is atomic, and the
    /// tile's bytes are shared (`Bytes`), not copied.
    fn get(&self, key: TileKey, tree: TreeTag) -> Option<Bytes> {
        match self.map.get(&key) {
            Some((data, tag, used)) if *tag == tree => {
                let tick = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
                used.store(tick, Ordering::Relaxed);
                Some(data.clone())
            }
            _ => None,
        }
    }

    fn put(&mut self, key: TileKey, tree: TreeTag, data: Bytes) {
        let tick = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        self.bytes += data.len();
        if let Some((old, _, _)) = self.map.insert(key, (data, tree, AtomicU64::new(tick))) {
            self.bytes -= old.len();
        }
        if self.bytes > TILE_CACHE_BYTES {
            let mut ticks: Vec<u64> = self
                .map
                .values()
                .map(|(_, _, t)| t.load(Ordering::Relaxed))
                .collect();
            ticks.sort_unstable();
            let cut = ticks.get(ticks.len() / 2).copied().unwrap_or(u64::MAX);
            self.map
                .retain(|_, (_, _, t)| t.load(Ordering::Relaxed) > cut);
            self.bytes = self.map.values().map(|(d, _, _)| d.len()).sum();
        }
    }
}

/// The latest signed checkpoint as this node last knew it: set by this node's
/// sequencer when it signs, and by every read from the database. Tile and
/// bundle requests use it while it is younger than
/// [`LogSettings::checkpoint_refresh`], so a served tile costs no database
/// read; older, it is read again. A request for a tile beyond it always reads
/// the database (another node may have signed a larger tree).
#[derive(Debug, Clone)]
struct LatestTree {
    tree: TreeTag,
    /// The checkpoint itself when it was read from the database (with any
    /// cosignatures), for proofs; `None` when only the tree is known.
    checkpoint: Option<Arc<StoredCheckpoint>>,
    read_at: Instant,
}

/// The log service: owns the signing key, the sequencing state and the cache
/// of full tiles.
pub struct Sequencer {
    origin: String,
    signer: std::result::Result<Signer, String>,
    witnesses: std::result::Result<Vec<Witness>, String>,
    settings: LogSettings,
    state: tokio::sync::Mutex<SeqState>,
    http: reqwest::Client,
    tiles: std::sync::RwLock<TileCache>,
    latest: std::sync::RwLock<Option<LatestTree>>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Records the indexes a tlog function asks for (first pass).
struct Recorder(RefCell<Vec<u64>>);
impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash([0; 32]); indexes.len()])
    }
}

struct MapReader(HashMap<u64, Hash>);
impl HashReader for MapReader {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|i| self.0.get(i).copied().ok_or(tlog::Error::HashNotFound(*i)))
            .collect()
    }
}

/// Runs a synchronous tlog computation over the stored hashes. The indexes a
/// tlog function reads depend only on sizes, so a first pass records them, one
/// query fetches them, and a second pass computes.
pub async fn with_stored_hashes<T>(
    store: &dyn Store,
    f: impl Fn(&dyn HashReader) -> std::result::Result<T, tlog::Error>,
) -> Result<T> {
    let wanted = {
        let rec = Recorder(RefCell::new(Vec::new()));
        f(&rec).map_err(map_tlog)?;
        rec.0.into_inner()
    };
    let mut unique = wanted.clone();
    unique.sort_unstable();
    unique.dedup();
    let hashes = store.log_hashes(&unique).await?;
    let map = MapReader(
        unique
            .into_iter()
            .zip(hashes.into_iter().map(Hash))
            .collect(),
    );
    f(&map).map_err(map_tlog)
}

/// Nothing is signed yet.
fn no_checkpoint() -> AppError {
    AppError::NotFound("a signed checkpoint (the log is starting)".into())
}

fn map_tlog(e: tlog::Error) -> AppError {
    match e {
        tlog::Error::IndexOutOfRange { .. } | tlog::Error::InvalidSizes { .. } => {
            AppError::invalid("size", e.to_string())
        }
        other => AppError::Internal(format!("log tree: {other}")),
    }
}

/// A leaf's inclusion proof against the tree of `size` leaves.
#[derive(Debug, Clone, Serialize)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// RFC 9162 leaf hash, base64.
    pub leaf_hash: String,
    /// Root of the tree of `size` leaves, base64.
    pub root: String,
    /// Audit path, bottom-up, base64.
    pub proof: Vec<String>,
    /// The signed checkpoint of `size`, when one was signed at that size.
    pub checkpoint: Option<String>,
}

/// A consistency proof between two tree sizes.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyProof {
    pub old: u64,
    pub new: u64,
    pub old_root: String,
    pub new_root: String,
    pub proof: Vec<String>,
    pub new_checkpoint: Option<String>,
}

/// What a writer gets back for its entry.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub index: u64,
    /// `sequenced` (with `inclusion`) or `pending`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusion: Option<InclusionProof>,
}

fn b64(h: &Hash) -> String {
    h.to_base64()
}

fn note_text(cp: &StoredCheckpoint) -> Option<String> {
    String::from_utf8(cp.note.clone()).ok()
}

impl Sequencer {
    pub fn new(settings: LogSettings) -> Sequencer {
        let origin = settings.origin.clone();
        let signer = match &settings.signing_key {
            Some(k) => Signer::from_str(k.trim()).map_err(|e| format!("log signing key: {e}")),
            None => generate_signing_key(&origin)
                .map_err(|e| e.to_string())
                .and_then(|k| Signer::from_str(&k).map_err(|e| e.to_string())),
        };
        let witnesses = settings
            .witnesses
            .iter()
            .map(|w| {
                Verifier::from_str(w.key.trim())
                    .map(|verifier| Witness {
                        url: w.url.trim_end_matches('/').to_string(),
                        verifier,
                    })
                    .map_err(|e| format!("witness key for {}: {e}", w.url))
            })
            .collect::<std::result::Result<Vec<_>, _>>();
        let n = settings.witnesses.len();
        Sequencer {
            origin,
            signer,
            witnesses,
            settings,
            state: tokio::sync::Mutex::new(SeqState {
                range: None,
                witness_sizes: vec![0; n],
            }),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            tiles: std::sync::RwLock::new(TileCache::new()),
            latest: std::sync::RwLock::new(None),
        }
    }

    fn cached_tile(&self, key: TileKey, tree: TreeTag) -> Option<Bytes> {
        self.tiles.read().ok()?.get(key, tree)
    }

    fn cache_tile(&self, key: TileKey, tree: TreeTag, data: Bytes) {
        if let Ok(mut c) = self.tiles.write() {
            c.put(key, tree, data);
        }
    }

    /// Records the latest signed tree as just read or signed.
    fn remember_tree(&self, tree: TreeTag, checkpoint: Option<Arc<StoredCheckpoint>>) {
        if let Ok(mut l) = self.latest.write() {
            *l = Some(LatestTree {
                tree,
                checkpoint,
                read_at: Instant::now(),
            });
        }
    }

    /// The latest signed tree kept in memory, if it is recent enough to use.
    fn recent(&self) -> Option<LatestTree> {
        let refresh = self.settings.checkpoint_refresh;
        if refresh.is_zero() {
            return None;
        }
        let l = self.latest.read().ok()?.clone()?;
        (l.read_at.elapsed() < refresh).then_some(l)
    }

    fn recent_tree(&self) -> Option<TreeTag> {
        self.recent().map(|l| l.tree)
    }

    /// The latest checkpoint read from the database, if recent enough to use.
    fn recent_checkpoint(&self) -> Option<Arc<StoredCheckpoint>> {
        self.recent()?.checkpoint
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn settings(&self) -> &LogSettings {
        &self.settings
    }

    fn signer(&self) -> Result<&Signer> {
        self.signer
            .as_ref()
            .map_err(|e| AppError::Internal(e.clone()))
    }

    /// The log's verifier key, `name+id+base64`.
    pub fn verifier_key(&self) -> Result<String> {
        Ok(self.signer()?.verifier().to_key_string())
    }

    /// Checks the configuration (key and witness keys parse).
    pub fn check(&self) -> Result<()> {
        self.signer()?;
        self.witnesses
            .as_ref()
            .map(|_| ())
            .map_err(|e| AppError::Internal(e.clone()))
    }

    /// One sequencing step: integrates up to `batch` committed entries (or
    /// signs the empty tree's checkpoint on a fresh log), then submits the new
    /// checkpoint to the witnesses. Returns the new checkpoint, or `None` if
    /// nothing was pending.
    pub async fn step(
        &self,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredCheckpoint>> {
        let mut st = self.state.lock().await;
        let (latest, entries) = tokio::join!(store.latest_checkpoint(), store.log_size());
        let (latest, entries) = (latest?, entries?);
        let tree = latest.as_ref().map_or(0, |c| c.size);
        if latest.is_some() && entries <= tree {
            return Ok(None);
        }
        let range = match st.range.take() {
            Some(r) if r.size() == tree => r,
            _ => {
                let r = with_stored_hashes(store, |h| CompactRange::from_reader(tree, h)).await?;
                if let Some(l) = &latest
                    && r.root().0 != l.root
                {
                    return Err(AppError::Internal(format!(
                        "stored log tree of {tree} leaves does not match its signed root; refusing to sign"
                    )));
                }
                r
            }
        };
        let end = entries.min(tree.saturating_add(self.settings.batch.max(1)));
        let bodies = store.log_entries(tree, end).await?;
        if bodies.len() as u64 != end - tree {
            st.range = Some(range);
            return Err(AppError::Internal(format!(
                "log entries {tree}..{end}: got {} rows",
                bodies.len()
            )));
        }
        let mut next = range.clone();
        let mut hashes = Vec::with_capacity(bodies.len() * 2);
        for b in &bodies {
            hashes.extend(
                next.append(tlog::leaf_hash(b))
                    .map_err(map_tlog)?
                    .into_iter()
                    .map(|h| h.0),
            );
        }
        let root = next.root();
        let cp = Checkpoint::new(&self.origin, end, root).map_err(map_tlog)?;
        let note = cp.sign(self.signer()?).map_err(map_tlog)?;
        let stored = StoredCheckpoint {
            size: end,
            root: root.0,
            note: note.to_bytes().map_err(internal)?,
            created_at: now,
        };
        let first = tlog::stored_hash_count(tree).map_err(map_tlog)?;
        match store.integrate(tree, first, &hashes, &stored).await {
            Ok(()) => {
                st.range = Some(next);
                // Not the checkpoint: witnesses may still cosign it below.
                self.remember_tree((stored.size, stored.root), None);
            }
            Err(e) => {
                // Someone else (another node) integrated; reload next time.
                st.range = None;
                return Err(e.into());
            }
        }
        let stored = self.witness(store, &mut st, stored).await;
        Ok(Some(stored))
    }

    /// Integrates until nothing is pending (tests and benchmarks).
    pub async fn step_all(
        &self,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredCheckpoint>> {
        let mut last = None;
        while let Some(cp) = self.step(store, now).await? {
            last = Some(cp);
        }
        Ok(last)
    }

    /// Entries committed but not yet in the tree (from the cached state).
    async fn pending(&self, store: &dyn Store) -> Result<u64> {
        let tree = match self.state.lock().await.range.as_ref() {
            Some(r) => r.size(),
            None => store.latest_checkpoint().await?.map_or(0, |c| c.size),
        };
        Ok(store.log_size().await?.saturating_sub(tree))
    }

    /// Submits a new checkpoint to every witness and stores the cosigned note.
    /// A witness that fails is logged and skipped: the log keeps going.
    async fn witness(
        &self,
        store: &dyn Store,
        st: &mut SeqState,
        stored: StoredCheckpoint,
    ) -> StoredCheckpoint {
        let Ok(witnesses) = &self.witnesses else {
            return stored;
        };
        if witnesses.is_empty() {
            return stored;
        }
        let Ok(mut note) = Note::parse(&stored.note) else {
            return stored;
        };
        let mut added = false;
        for (i, w) in witnesses.iter().enumerate() {
            let known = st.witness_sizes.get(i).copied().unwrap_or(0);
            match self.submit(store, w, known, &stored).await {
                Ok((size, sigs)) => {
                    if let Some(s) = st.witness_sizes.get_mut(i) {
                        *s = size;
                    }
                    for sig in sigs {
                        let mut trial = note.clone();
                        if trial.add_signature(sig).is_ok()
                            && trial.verify(std::slice::from_ref(&w.verifier)).is_ok()
                        {
                            note = trial;
                            added = true;
                        } else {
                            tracing::warn!(witness = %w.url, "witness returned a cosignature that does not verify");
                        }
                    }
                }
                Err(e) => tracing::warn!(witness = %w.url, error = %e, "witness did not cosign"),
            }
        }
        if !added {
            return stored;
        }
        let Ok(bytes) = note.to_bytes() else {
            return stored;
        };
        match store.update_checkpoint_note(stored.size, &bytes).await {
            Ok(()) => StoredCheckpoint {
                note: bytes,
                ..stored
            },
            Err(e) => {
                tracing::warn!(error = %e, "storing cosigned checkpoint");
                stored
            }
        }
    }

    /// C2SP tlog-witness `add-checkpoint`; retries once on 409 with the size
    /// the witness reports.
    async fn submit(
        &self,
        store: &dyn Store,
        w: &Witness,
        known: u64,
        cp: &StoredCheckpoint,
    ) -> std::result::Result<(u64, Vec<Signature>), String> {
        let mut old = if known > cp.size { 0 } else { known };
        for _attempt in 0..2 {
            let proof = with_stored_hashes(store, |h| tlog::consistency_proof(old, cp.size, h))
                .await
                .map_err(|e| e.to_string())?;
            let mut body = format!("old {old}\n");
            for p in &proof {
                body.push_str(&p.to_base64());
                body.push('\n');
            }
            body.push('\n');
            let mut bytes = body.into_bytes();
            bytes.extend_from_slice(&cp.note);
            let resp = self
                .http
                .post(format!("{}/add-checkpoint", w.url))
                .body(bytes)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status();
            let text = resp.text().await.map_err(|e| e.to_string())?;
            if status.as_u16() == 409 {
                let size: u64 = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("409 without a size: {text:?}"))?;
                if size > cp.size {
                    return Err(format!("witness has size {size}, beyond ours"));
                }
                old = size;
                continue;
            }
            if !status.is_success() {
                return Err(format!("status {status}: {}", text.trim()));
            }
            let sigs = text
                .lines()
                .filter(|l| !l.is_empty())
                .map(Signature::parse_line)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| format!("bad cosignature line: {e}"))?;
            return Ok((cp.size, sigs));
        }
        Err("witness kept answering 409".into())
    }

    /// Runs forever: integrates pending entries every `interval`, or sooner
    /// once `batch` entries are pending.
    pub async fn run(self: Arc<Self>, app: crate::App) {
        let poll = (self.settings.interval / 10)
            .clamp(Duration::from_millis(5), Duration::from_millis(50));
        let mut last = Instant::now();
        // A fresh log signs its (possibly empty) first checkpoint at once.
        let mut first = !matches!(app.store.latest_checkpoint().await, Ok(Some(_)));
        loop {
            let (due, backlog) = match self.pending(app.store.as_ref()).await {
                Ok(p) => (
                    first
                        || p >= self.settings.batch
                        || (p > 0 && last.elapsed() >= self.settings.interval),
                    p > self.settings.batch,
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "log sequencer: reading the log size");
                    (false, false)
                }
            };
            if due {
                first = false;
                last = Instant::now();
                match self.step(app.store.as_ref(), app.clock.now()).await {
                    // More than one batch was pending: work the backlog off
                    // without pausing between batches.
                    Ok(Some(_)) if backlog => {
                        tokio::task::yield_now().await;
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "log sequencer step failed; retrying");
                    }
                }
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// Tree size of a tile request check: does tile (level, index, width) lie
/// within a tree of `size` leaves?
fn tile_within(level: u8, index: u64, width: u16, size: u64) -> bool {
    let Some(last) = index
        .checked_mul(256)
        .and_then(|n| n.checked_add(u64::from(width)))
    else {
        return false;
    };
    let shift = u32::from(level) * 8;
    if shift >= 64 {
        return false;
    }
    match last.checked_shl(shift) {
        Some(leaves) if leaves >> shift == last => leaves <= size,
        _ => false,
    }
}

impl crate::App {
    /// Starts the background sequencer.
    pub fn spawn_sequencer(&self) -> tokio::task::JoinHandle<()> {
        let seq = self.log.clone();
        let app = self.clone();
        tokio::spawn(seq.run(app))
    }

    /// One sequencing step (tests force it instead of sleeping).
    pub async fn sequence_log(&self) -> Result<Option<StoredCheckpoint>> {
        self.log
            .step_all(self.store.as_ref(), self.clock.now())
            .await
    }

    /// The latest signed checkpoint.
    pub async fn log_checkpoint(&self) -> Result<StoredCheckpoint> {
        self.store
            .latest_checkpoint()
            .await?
            .ok_or_else(no_checkpoint)
    }

    async fn tree_size(&self) -> Result<u64> {
        Ok(self.store.latest_checkpoint().await?.map_or(0, |c| c.size))
    }

    /// The latest signed checkpoint read from the database (and remembered).
    async fn stored_checkpoint(&self) -> Result<Option<Arc<StoredCheckpoint>>> {
        let latest = self.store.latest_checkpoint().await?.map(Arc::new);
        let tree = latest.as_ref().map_or((0, [0; 32]), |c| (c.size, c.root));
        self.log.remember_tree(tree, latest.clone());
        Ok(latest)
    }

    /// The latest signed tree read from the database (and remembered).
    async fn stored_tree(&self) -> Result<TreeTag> {
        Ok(self
            .stored_checkpoint()
            .await?
            .map_or((0, [0; 32]), |c| (c.size, c.root)))
    }

    /// The latest signed tree for a request that needs `(level, index, width)`
    /// to lie within it: the one in memory while it is recent (see
    /// [`LogSettings::checkpoint_refresh`]) and covers the request, else the
    /// one in the database. Returns the tree and whether the request lies
    /// within it.
    async fn tree_for(&self, level: u8, index: u64, width: u16) -> Result<(TreeTag, bool)> {
        if let Some(tree) = self.log.recent_tree()
            && tile_within(level, index, width, tree.0)
        {
            return Ok((tree, true));
        }
        let tree = self.stored_tree().await?;
        Ok((tree, tile_within(level, index, width, tree.0)))
    }

    /// Contents of a hash tile, `None` if beyond the current tree. Full tiles
    /// are served from memory while the checkpoint they were read under is
    /// still the latest known (see `TileCache` and `LatestTree`: at most
    /// [`LogSettings::checkpoint_refresh`] behind the database).
    pub async fn log_tile(&self, tile: tlog::Tile) -> Result<Option<Bytes>> {
        let (tree, within) = self
            .tree_for(tile.level(), tile.index(), tile.width())
            .await?;
        if !within {
            return Ok(None);
        }
        let key = (tile.level(), tile.index());
        if tile.is_full()
            && let Some(data) = self.log.cached_tile(key, tree)
        {
            return Ok(Some(data));
        }
        let data = Bytes::from(
            with_stored_hashes(self.store.as_ref(), |h| tlog::read_tile_data(tile, h)).await?,
        );
        if tile.is_full() {
            self.log.cache_tile(key, tree, data.clone());
        }
        Ok(Some(data))
    }

    /// An entry bundle, `None` if beyond the current tree. The entries are
    /// always read from the database (never cached), so an entry rewritten in
    /// place shows at once; only the tree size may come from memory.
    pub async fn log_bundle(&self, bundle: tlog::Bundle) -> Result<Option<Vec<u8>>> {
        let (_, within) = self.tree_for(0, bundle.index(), bundle.width()).await?;
        if !within {
            return Ok(None);
        }
        let first = bundle.index() * 256;
        let entries = self
            .store
            .log_entries(first, first + u64::from(bundle.width()))
            .await?;
        if entries.len() != usize::from(bundle.width()) {
            return Err(AppError::Internal("log entries missing".into()));
        }
        tlog::encode_entry_bundle(&entries)
            .map(Some)
            .map_err(map_tlog)
    }

    /// Inclusion proof of leaf `index` in the tree of `size` (default: latest).
    pub async fn log_inclusion(&self, index: u64, size: Option<u64>) -> Result<InclusionProof> {
        // The latest checkpoint from memory while it is recent (at most
        // `checkpoint_refresh` old, as for tiles) and covers the request; else
        // from the database. One round trip fewer for most proofs.
        let wanted = size.unwrap_or(index + 1);
        let latest = match self.log.recent_checkpoint() {
            Some(cp) if wanted <= cp.size && index < cp.size => cp,
            _ => self.stored_checkpoint().await?.ok_or_else(no_checkpoint)?,
        };
        let size = size.unwrap_or(latest.size);
        if size > latest.size {
            return Err(AppError::invalid(
                "size",
                format!("the tree has {} leaves", latest.size),
            ));
        }
        if index >= size {
            return Err(AppError::invalid(
                "index",
                format!("index {index} is not in the tree of {size} leaves"),
            ));
        }
        // The proof's hashes and the entry are independent reads: one round
        // trip's wait instead of two.
        let (hashes, entry) = tokio::join!(
            with_stored_hashes(self.store.as_ref(), |h| {
                Ok((
                    tlog::inclusion_proof(size, index, h)?,
                    tlog::tree_hash(size, h)?,
                ))
            }),
            self.store.log_entries(index, index + 1)
        );
        let (proof, root) = hashes?;
        let entry = entry?;
        let leaf = entry
            .first()
            .map(|e| tlog::leaf_hash(e))
            .ok_or_else(|| AppError::Internal(format!("log entry {index} missing")))?;
        let checkpoint = if size == latest.size {
            note_text(&latest)
        } else {
            self.store
                .checkpoint_at(size)
                .await?
                .as_ref()
                .and_then(note_text)
        };
        Ok(InclusionProof {
            index,
            size,
            leaf_hash: b64(&leaf),
            root: b64(&root),
            proof: proof.iter().map(b64).collect(),
            checkpoint,
        })
    }

    /// Consistency proof between trees of `old` and `new` leaves.
    pub async fn log_consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof> {
        let latest = self.log_checkpoint().await?;
        if new > latest.size {
            return Err(AppError::invalid(
                "new",
                format!("the tree has {} leaves", latest.size),
            ));
        }
        if old > new {
            return Err(AppError::invalid("old", "old must not exceed new"));
        }
        let (proof, old_root, new_root) = with_stored_hashes(self.store.as_ref(), |h| {
            Ok((
                tlog::consistency_proof(old, new, h)?,
                tlog::tree_hash(old, h)?,
                tlog::tree_hash(new, h)?,
            ))
        })
        .await?;
        let new_checkpoint = self
            .store
            .checkpoint_at(new)
            .await?
            .as_ref()
            .and_then(note_text);
        Ok(ConsistencyProof {
            old,
            new,
            old_root: b64(&old_root),
            new_root: b64(&new_root),
            proof: proof.iter().map(b64).collect(),
            new_checkpoint,
        })
    }

    /// The receipt of the entry whose bytes hash to `entry_sha256`.
    pub async fn log_receipt(&self, entry_sha256: &[u8; 32]) -> Result<Receipt> {
        let index = self
            .store
            .find_entry(entry_sha256)
            .await?
            .ok_or_else(|| AppError::NotFound("a log entry with this SHA-256".into()))?;
        let size = self.tree_size().await?;
        if index >= size {
            return Ok(Receipt {
                index,
                status: "pending",
                inclusion: None,
            });
        }
        Ok(Receipt {
            index,
            status: "sequenced",
            inclusion: Some(self.log_inclusion(index, None).await?),
        })
    }

    /// One entry's bytes.
    pub async fn log_entry(&self, index: u64) -> Result<Vec<u8>> {
        self.store
            .log_entries(index, index.saturating_add(1))
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("log entry {index}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_within_the_tree() {
        assert!(tile_within(0, 0, 1, 1));
        assert!(!tile_within(0, 0, 2, 1));
        assert!(tile_within(0, 0, 256, 256));
        assert!(!tile_within(0, 1, 1, 256));
        assert!(tile_within(1, 0, 1, 256));
        assert!(!tile_within(1, 0, 2, 511));
        assert!(tile_within(1, 0, 2, 512));
        assert!(!tile_within(7, u64::MAX / 256, 256, u64::MAX));
        assert!(!tile_within(63, 1, 1, u64::MAX));
    }

    #[test]
    fn tile_cache_keeps_recent_tiles_within_its_budget() {
        let mut c = TileCache::new();
        let tree = (512, [7; 32]);
        let tile = |i: u64| Bytes::from(vec![i as u8; 8192]);
        c.put((0, 0), tree, tile(0));
        assert_eq!(c.get((0, 0), tree).as_deref(), Some(&[0u8; 8192][..]));
        assert!(c.get((1, 0), tree).is_none(), "levels are distinct");
        assert!(
            c.get((0, 0), (513, [8; 32])).is_none(),
            "a tile read under another checkpoint is not served"
        );
        let n = (TILE_CACHE_BYTES / 8192) as u64 + 10;
        for i in 1..n {
            c.put((0, i), tree, tile(i));
            // Tile 0 stays in use, so it is never the least recently used.
            assert!(c.get((0, 0), tree).is_some(), "after {i}");
        }
        assert!(c.bytes <= TILE_CACHE_BYTES, "{} bytes", c.bytes);
        assert_eq!(c.bytes, c.map.len() * 8192);
        assert!(c.get((0, n - 1), tree).is_some(), "the newest stays");
        assert!(c.get((0, 1), tree).is_none(), "an old unused one went");
    }

    #[test]
    fn generated_keys_parse() {
        let k = generate_signing_key(DEFAULT_ORIGIN).expect("key");
        let s = Signer::from_str(&k).expect("parses");
        assert_eq!(s.name(), DEFAULT_ORIGIN);
    }
}

/// What `ppetrace audit --local` found.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LocalAudit {
    /// Log entries whose record was recomputed and matched.
    pub checked: u64,
    /// Entries of kinds the local audit cannot recompute yet, by kind.
    pub unchecked: std::collections::BTreeMap<String, u64>,
    /// One line per record that no longer matches its log entry (or is gone),
    /// and per tree inconsistency.
    pub problems: Vec<String>,
}

/// A parsed log entry: kind, ids, record hash.
struct ParsedEntry {
    kind: String,
    ids: Vec<(String, String)>,
    sha256: String,
}

fn parse_entry(body: &[u8]) -> Option<ParsedEntry> {
    let text = std::str::from_utf8(body).ok()?;
    let mut lines = text.lines();
    let kind = lines.next()?.strip_prefix("ppetrace/v1 ")?.to_string();
    let mut ids = Vec::new();
    let mut sha256 = None;
    for l in lines {
        if let Some(id) = l.strip_prefix("id ") {
            let (k, v) = id.split_once('=')?;
            ids.push((k.to_string(), v.to_string()));
        } else if let Some(h) = l.strip_prefix("sha256 ") {
            sha256 = Some(h.to_string());
        }
    }
    Some(ParsedEntry {
        kind,
        ids,
        sha256: sha256?,
    })
}

fn record_hash(v: &serde_json::Value) -> String {
    hex::encode(domain::log_entry::sha256(
        domain::log_entry::canonical_json(v).as_bytes(),
    ))
}

impl crate::App {
    /// Checks that every stored record still matches its log entry (recomputing
    /// the record's canonical hash from the database row with the same function
    /// that built it for writing), and that the stored tree matches the
    /// entries and the latest signed checkpoint.
    pub async fn audit_local(&self) -> Result<LocalAudit> {
        let store = self.store.as_ref();
        let mut out = LocalAudit::default();
        let size = store.log_size().await?;
        let latest = store.latest_checkpoint().await?;
        let mut certs: Option<HashMap<i64, store::Certificate>> = None;
        // batch → (count, serials root) of each logged issuance chunk
        let mut issuances: std::collections::BTreeMap<i64, Vec<(u64, String)>> =
            std::collections::BTreeMap::new();
        let mut range = CompactRange::new();
        let mut seq = 0u64;
        while seq < size {
            let end = (seq + 1000).min(size);
            let bodies = store.log_entries(seq, end).await?;
            if bodies.len() as u64 != end - seq {
                out.problems.push(format!(
                    "log entries {seq}..{end}: {} rows (entries removed)",
                    bodies.len()
                ));
                break;
            }
            for (i, body) in bodies.iter().enumerate() {
                let index = seq + i as u64;
                range.append(tlog::leaf_hash(body)).map_err(map_tlog)?;
                if let Some(cp) = &latest
                    && range.size() == cp.size
                    && range.root().0 != cp.root
                {
                    out.problems.push(format!(
                            "log entries 0..{} do not hash to the signed checkpoint root (log rewritten)",
                            cp.size
                        ));
                }
                let Some(e) = parse_entry(body) else {
                    out.problems
                        .push(format!("log entry {index} is not a ppetrace/v1 entry"));
                    continue;
                };
                let id = |name: &str| {
                    e.ids
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                let num = |name: &str| id(name).and_then(|v| v.parse::<i64>().ok());
                let recomputed: Option<Option<serde_json::Value>> = match e.kind.as_str() {
                    "organization" => match num("org") {
                        Some(n) => Some(
                            store
                                .get_org(n)
                                .await?
                                .map(|o| crate::registry::org_record(&o)),
                        ),
                        None => None,
                    },
                    "site" => match id("gln") {
                        Some(g) => Some(
                            store
                                .get_site_by_gln(&g)
                                .await?
                                .filter(|s| Some(s.id) == num("site"))
                                .map(|s| crate::registry::site_record(&s)),
                        ),
                        None => None,
                    },
                    "product" => match num("product") {
                        Some(n) => Some(
                            store
                                .get_product(n)
                                .await?
                                .map(|p| crate::registry::product_record(&p)),
                        ),
                        None => None,
                    },
                    "batch" => match num("batch") {
                        Some(n) => Some(
                            store
                                .get_batch(n)
                                .await?
                                .map(|b| crate::registry::batch_record(&b)),
                        ),
                        None => None,
                    },
                    "certificate" => match num("certificate") {
                        Some(n) => {
                            if certs.is_none() {
                                let mut m = HashMap::new();
                                for p in store.list_products(None).await? {
                                    for c in store.list_certificates(p.id).await? {
                                        m.insert(c.id, c);
                                    }
                                }
                                certs = Some(m);
                            }
                            Some(
                                certs
                                    .as_ref()
                                    .and_then(|m| m.get(&n))
                                    .map(crate::registry::certificate_record),
                            )
                        }
                        None => None,
                    },
                    "api_key" => match id("lookup") {
                        Some(l) => Some(
                            store
                                .find_api_key(&l)
                                .await?
                                .filter(|k| Some(k.id) == num("api_key"))
                                .map(|k| crate::keys::api_key_record(&k)),
                        ),
                        None => None,
                    },
                    "event" | "epcis.event" => match id("event") {
                        Some(event_id) => {
                            let filter = store::EventFilter {
                                event_ids: Some(vec![event_id]),
                                limit: 2,
                                ..Default::default()
                            };
                            let stored = store.query_events(&filter).await?;
                            Some(stored.into_iter().next().map(|ev| {
                                serde_json::from_str::<serde_json::Value>(&ev.body)
                                    .unwrap_or(serde_json::Value::String(ev.body))
                            }))
                        }
                        None => None,
                    },
                    "code_issuance" => match (num("batch"), num("count"), id("serials_root")) {
                        (Some(batch), Some(count), Some(root)) => {
                            let chunks = issuances.entry(batch).or_default();
                            chunks.push((count as u64, root.clone()));
                            // The record is rebuilt from the entry; the codes themselves
                            // are checked per batch once every entry has been read.
                            Some(Some(serde_json::json!({
                                "batch_id": batch, "count": count, "merkle_root": root
                            })))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                match recomputed {
                    None => *out.unchecked.entry(e.kind.clone()).or_default() += 1,
                    Some(None) => out.problems.push(format!(
                        "log entry {index}: {} {} was removed",
                        e.kind,
                        ids_text(&e.ids)
                    )),
                    Some(Some(v)) => {
                        if record_hash(&v) == e.sha256 {
                            out.checked += 1;
                        } else {
                            out.problems.push(format!(
                                "log entry {index}: {} {} was edited after it was logged (record hash {} ≠ logged {})",
                                e.kind,
                                ids_text(&e.ids),
                                record_hash(&v),
                                e.sha256
                            ));
                        }
                    }
                }
            }
            seq = end;
        }
        for (batch, chunks) in &issuances {
            let logged: u64 = chunks.iter().map(|(n, _)| n).sum();
            let stored = store.count_codes(*batch).await?;
            if stored != logged {
                out.problems.push(format!(
                    "batch {batch}: {stored} codes stored but {logged} issued in the log (codes added or removed)"
                ));
                continue;
            }
            // A batch issued in one chunk: its serials must still hash to the logged root.
            if let [(_, root)] = chunks.as_slice() {
                let mut serials = Vec::with_capacity(stored as usize);
                let mut after: Option<String> = None;
                loop {
                    let page = store
                        .batch_serials(*batch, after.as_deref(), 10_000)
                        .await?;
                    let Some(last) = page.last().cloned() else {
                        break;
                    };
                    serials.extend(page);
                    after = Some(last);
                }
                if &crate::codes::serials_root(&mut serials) != root {
                    out.problems.push(format!(
                        "batch {batch}: its serials no longer hash to the logged root (codes replaced)"
                    ));
                }
            }
        }
        if let Some(cp) = &latest {
            if size < cp.size {
                out.problems.push(format!(
                    "the signed checkpoint covers {} entries but only {size} are stored (log truncated)",
                    cp.size
                ));
            } else {
                // The stored tree must match the entries too (it serves the tiles).
                let stored_root =
                    with_stored_hashes(store, |h| tlog::tree_hash(cp.size, h)).await?;
                if stored_root.0 != cp.root {
                    out.problems.push(format!(
                        "stored tree hashes of size {} do not match the signed root",
                        cp.size
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn ids_text(ids: &[(String, String)]) -> String {
    ids.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}
