//! Golden eyes, the stateful part: recording scans, evaluating the clone rules of
//! `domain::scan` against an item's history, opening and working alerts, and signing
//! verification answers.
//!
//! Informational scans are recorded by a background [`Recorder`] that writes them in
//! batches (every second, or at 10,000 scans): recording a consumer's look costs no
//! fsync on the request path, and a look-up shows in the code's history within a
//! second. Under overload scans are dropped (and counted), never
//! requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use domain::authz::Actor;
use domain::log_entry::LogEntry;
use domain::org::Role;
use domain::scan::{AlertLevel, CloneConfig, ItemContext, Place, Scan, ScanKind, Signal};
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::scans::{Alert, AlertCount, NewAlert, NewScan, SCAN_AUTHORITATIVE, SCAN_INFORMATIONAL};
use tokio::sync::oneshot;

use crate::{App, AppError, Result};

/// Settings of scan recording, clone detection and answer signing.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    pub clone: CloneConfig,
    /// Seed of the Ed25519 key that signs verification answers; `None` makes an
    /// ephemeral one (tests). `serve` loads or creates `answer-signing.key`.
    pub answer_key_seed: Option<[u8; 32]>,
    /// Name in the published verifier key.
    pub answer_key_name: String,
    /// How many earlier scans the rules look at.
    pub history_limit: u32,
    /// Scans are written at this interval, or sooner when [`Self::flush_batch`]
    /// are waiting.
    pub flush_interval: Duration,
    /// A batch this large is written at once. Keep it above the scans of one
    /// interval at peak: every commit makes each SQLite reader drop the pages it
    /// cached (WAL mode), and at 1,000 a verification load of 20 k/s committed 20
    /// times a second (BENCHMARKS.md, seventh round). For the same reason the
    /// interval is a second, not 200 ms: verification answered 16 % more requests
    /// with p99 about 2 ms lower (BENCHMARKS.md, ninth round).
    pub flush_batch: usize,
    pub queue_capacity: usize,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            clone: CloneConfig::default(),
            answer_key_seed: None,
            answer_key_name: "ppetrace-answers".into(),
            history_limit: 50,
            flush_interval: Duration::from_secs(1),
            flush_batch: 10_000,
            queue_capacity: 100_000,
        }
    }
}

/// Scans waiting for the next batch, and callers waiting for it to be written.
#[derive(Default)]
struct Queue {
    scans: Vec<NewScan>,
    waiters: Vec<oneshot::Sender<()>>,
    /// The [`Recorder`] is gone: write what is left and stop.
    closed: bool,
}

/// What the recorder task shares with the request path.
#[derive(Default)]
struct Shared {
    queue: std::sync::Mutex<Queue>,
    /// Wakes the task before its tick: a full batch, a flush, or the end.
    wake: tokio::sync::Notify,
}

/// Batches scan writes in the background. Queueing a scan takes a lock for a
/// push and wakes nobody until a batch is full: the task wakes at its interval,
/// not once per look-up (20 k wake-ups a second under a verification load).
pub struct Recorder {
    shared: Arc<Shared>,
    started: std::sync::OnceLock<()>,
    pub dropped: AtomicU64,
    pub recorded: Arc<AtomicU64>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            shared: Arc::new(Shared::default()),
            started: std::sync::OnceLock::new(),
            dropped: AtomicU64::new(0),
            recorded: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Starts the task on first use (it needs a runtime and the store).
    fn start(&self, app: &App) {
        self.started.get_or_init(|| {
            let settings = &app.config.scans;
            tokio::spawn(run_recorder(
                app.store.clone(),
                self.shared.clone(),
                settings.flush_interval,
                self.recorded.clone(),
            ));
        });
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.closed = true;
        }
        self.shared.wake.notify_one();
    }
}

async fn run_recorder(
    store: Arc<dyn store::Store>,
    shared: Arc<Shared>,
    every: Duration,
    recorded: Arc<AtomicU64>,
) {
    // The first tick one interval from now, not at once.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tick.tick() => {}
        }
        let (mut buf, waiters, closed) = match shared.queue.lock() {
            Ok(mut q) => (
                std::mem::take(&mut q.scans),
                std::mem::take(&mut q.waiters),
                q.closed,
            ),
            Err(_) => return,
        };
        flush(&store, &mut buf, &recorded).await;
        for w in waiters {
            let _ = w.send(());
        }
        if closed {
            return;
        }
    }
}

async fn flush(store: &Arc<dyn store::Store>, buf: &mut Vec<NewScan>, recorded: &AtomicU64) {
    if buf.is_empty() {
        return;
    }
    match store.record_scans(buf).await {
        Ok(()) => {
            recorded.fetch_add(buf.len() as u64, Ordering::Relaxed);
        }
        Err(e) => tracing::warn!(error = %e, scans = buf.len(), "could not record scans"),
    }
    buf.clear();
}

/// Signs verification answers: Ed25519 over the exact response body. The verifier key
/// is published in C2SP signed-note form (`name+hex(keyid)+base64(0x01‖key)`).
pub struct AnswerSigner {
    key: ed25519_dalek::SigningKey,
    name: String,
    key_id: u32,
}

impl AnswerSigner {
    pub fn new(name: &str, seed: &[u8; 32]) -> AnswerSigner {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let key_id = signed_note::key_id(name, 0x01, key.verifying_key().as_bytes());
        AnswerSigner {
            key,
            name: name.to_string(),
            key_id,
        }
    }

    /// The header value: `<name> <base64(key id ‖ signature)>`.
    pub fn sign(&self, body: &[u8]) -> String {
        let sig = self.key.sign(body);
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!(
            "{} {}",
            self.name,
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// The verifier key, one line.
    pub fn verifier_key(&self) -> String {
        let mut raw = vec![0x01u8];
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Checks a `PPE-Signature` header value against a body and a verifier key string.
pub fn verify_answer(verifier_key: &str, body: &[u8], header: &str) -> bool {
    let Ok(v) = verifier_key.parse::<signed_note::Verifier>() else {
        return false;
    };
    let Some((name, b64)) = header.split_once(' ') else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    if name != v.name()
        || raw.len() != 68
        || u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) != v.key_id()
    {
        return false;
    }
    let parts: Vec<&str> = verifier_key.splitn(3, '+').collect();
    let Some(Ok(key_raw)) = parts
        .get(2)
        .map(|k| base64::engine::general_purpose::STANDARD.decode(k))
    else {
        return false;
    };
    let Ok(pk_bytes) = <[u8; 32]>::try_from(&key_raw[1..]) else {
        return false;
    };
    let Ok(pk) = ed25519_dalek::VerifyingKey::from_bytes(&pk_bytes) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(&raw[4..]) else {
        return false;
    };
    pk.verify_strict(body, &ed25519_dalek::Signature::from_bytes(&sig))
        .is_ok()
}

pub(crate) fn make_state(config: &crate::AppConfig) -> (Arc<Recorder>, Arc<AnswerSigner>) {
    let seed = config.scans.answer_key_seed.unwrap_or_else(|| {
        let mut s = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut s);
        s
    });
    (
        Arc::new(Recorder::new()),
        Arc::new(AnswerSigner::new(&config.scans.answer_key_name, &seed)),
    )
}

/// Where a scan happened, as the caller says (informational) — coarse only.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScanInput {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub city: Option<String>,
    pub region: Option<String>,
}

/// What the public answer says about earlier informational scans.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ScanSummary {
    /// Distinct (day, coarse place) occasions this code was looked up before.
    pub earlier_lookups: u64,
    pub first_seen: Option<chrono::NaiveDate>,
    pub last_seen: Option<chrono::NaiveDate>,
    /// Up to five coarse places (city or region), most recent first.
    pub places: Vec<String>,
}

fn to_scan(s: &NewScan) -> Scan {
    Scan {
        at: s.at,
        kind: if s.kind == SCAN_AUTHORITATIVE {
            ScanKind::Authoritative
        } else {
            ScanKind::Informational
        },
        org_id: s.org_id,
        step: s.step.clone(),
        place: Place {
            lat: s.lat,
            lon: s.lon,
            city: s.city.clone(),
            region: s.region.clone(),
        },
    }
}

/// The result of evaluating one scan.
pub(crate) struct Evaluation {
    pub signals: Vec<(Signal, bool)>,
    pub summary: ScanSummary,
}

impl App {
    /// Waits until every scan queued so far is written (tests, shutdown).
    pub async fn flush_scans(&self) {
        self.scans.start(self);
        let (tx, rx) = oneshot::channel();
        match self.scans.shared.queue.lock() {
            Ok(mut q) => q.waiters.push(tx),
            Err(_) => return,
        }
        self.scans.shared.wake.notify_one();
        let _ = rx.await;
    }

    /// How many informational scans were dropped because the queue was full.
    pub fn dropped_scans(&self) -> u64 {
        self.scans.dropped.load(Ordering::Relaxed)
    }

    pub(crate) fn queue_scan(&self, scan: NewScan) {
        self.scans.start(self);
        let settings = &self.config.scans;
        let full = match self.scans.shared.queue.lock() {
            Ok(mut q) if q.scans.len() < settings.queue_capacity => {
                q.scans.push(scan);
                q.scans.len() == settings.flush_batch.max(1)
            }
            _ => {
                self.scans.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        };
        if full {
            self.scans.shared.wake.notify_one();
        }
    }

    /// Evaluates the clone rules for a new scan of a known code, reading its history.
    pub(crate) async fn evaluate_scan(&self, new: &NewScan, scrapped: bool) -> Result<Evaluation> {
        let recent = self
            .store
            .recent_scans(new.product_id, &new.serial, self.config.scans.history_limit)
            .await?;
        let stats = self.store.batch_scan_stats(new.batch_id).await?;
        let buckets = self.store.code_buckets(new.product_id, &new.serial).await?;
        // The unshipped-region rule is for informational scans only: no regions.
        Ok(self.evaluate_with(new, scrapped, &recent, stats, buckets, Vec::new()))
    }

    /// Evaluates the clone rules for a new scan given the code's history already read:
    /// its `recent` scans (newest first), its batch's (items, buckets) and its own
    /// distinct buckets, and the regions its batch was shipped to (empty: unknown).
    pub(crate) fn evaluate_with(
        &self,
        new: &NewScan,
        scrapped: bool,
        recent: &[NewScan],
        (items, buckets): (u64, u64),
        code_buckets: u64,
        shipped_regions: Vec<String>,
    ) -> Evaluation {
        let mean = if items == 0 {
            0.0
        } else {
            buckets as f64 / items as f64
        };
        let history: Vec<Scan> = recent.iter().map(to_scan).collect();
        let item = ItemContext {
            scrapped_at: scrapped.then_some(DateTime::<Utc>::MIN_UTC),
            batch_mean_buckets: mean,
            shipped_regions,
        };
        let signals =
            domain::scan::evaluate(&history, &to_scan(new), &item, &self.config.scans.clone);
        let info: Vec<&NewScan> = recent
            .iter()
            .filter(|s| s.kind == SCAN_INFORMATIONAL)
            .collect();
        let mut places: Vec<String> = Vec::new();
        for s in &info {
            if let Some(p) = s.city.clone().or_else(|| s.region.clone())
                && !places.contains(&p)
                && places.len() < 5
            {
                places.push(p);
            }
        }
        let summary = ScanSummary {
            earlier_lookups: code_buckets,
            first_seen: info.last().map(|s| s.at.date_naive()),
            last_seen: info.first().map(|s| s.at.date_naive()),
            places,
        };
        Evaluation { signals, summary }
    }

    /// Opens an alert for each signal at or above `Low` (one open alert per code and
    /// cause), routed to the brand owner; regulators see all.
    pub(crate) async fn raise_alerts(
        &self,
        new: &NewScan,
        brand_org_id: i64,
        signals: &[(Signal, bool)],
    ) -> Result<()> {
        for (signal, between_auth) in signals {
            let level = signal.level(*between_auth);
            if level < AlertLevel::Low {
                continue;
            }
            let detail = signal.explain(false);
            let now = self.clock.now();
            let alert = NewAlert {
                product_id: new.product_id,
                serial: new.serial.clone(),
                batch_id: new.batch_id,
                brand_org_id,
                cause: signal.cause().to_string(),
                level: level.as_str().to_string(),
                detail: detail.clone(),
                opened_at: now,
            };
            let entry = LogEntry::for_record(
                "alert",
                now,
                "system:golden-eyes",
                vec![
                    ("cause".into(), alert.cause.clone()),
                    ("level".into(), alert.level.clone()),
                ],
                &json!({"product_id": alert.product_id, "serial": alert.serial, "cause": alert.cause, "level": alert.level, "status": "open"}),
            );
            self.store.open_alert(&alert, &entry).await?;
        }
        Ok(())
    }

    /// Alerts visible to the actor: a brand owner sees its own, regulators and
    /// administrators see all.
    pub async fn list_alerts(&self, actor: &Actor, status: Option<&str>) -> Result<Vec<Alert>> {
        let scope = alert_scope(actor)?;
        Ok(self.store.list_alerts(scope, status).await?)
    }

    pub async fn alert_counts(&self, actor: &Actor) -> Result<Vec<AlertCount>> {
        let scope = alert_scope(actor)?;
        Ok(self.store.alert_counts(scope).await?)
    }

    /// Moves an alert: open → investigating → closed as genuine / counterfeit /
    /// process_error.
    pub async fn update_alert(
        &self,
        actor: &Actor,
        id: i64,
        status: &str,
        resolution: Option<&str>,
    ) -> Result<Alert> {
        let alert = self
            .store
            .get_alert(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("alert {id}")))?;
        if let Some(scope) = alert_scope(actor)?
            && scope != alert.brand_org_id
        {
            return Err(AppError::NotFound(format!("alert {id}")));
        }
        match (alert.status.as_str(), status, resolution) {
            ("open", "investigating", None) => {}
            (
                "open" | "investigating",
                "closed",
                Some("genuine" | "counterfeit" | "process_error"),
            ) => {}
            (_, "closed", _) => {
                return Err(AppError::invalid(
                    "resolution",
                    "closing needs a resolution: genuine, counterfeit or process_error",
                ));
            }
            (from, to, _) => {
                return Err(AppError::invalid(
                    "status",
                    format!("an alert cannot go from {from} to {to}"),
                ));
            }
        }
        let now = self.clock.now();
        let entry = LogEntry::for_record(
            "alert",
            now,
            &actor.label(),
            vec![
                ("alert".into(), id.to_string()),
                ("status".into(), status.to_string()),
            ],
            &json!({"id": id, "status": status, "resolution": resolution}),
        );
        Ok(self
            .store
            .update_alert(id, status, resolution, now, &entry)
            .await?)
    }

    /// Records authoritative scans for items an organization just handled at a site,
    /// and raises alerts for clone indicators among them.
    pub(crate) async fn authoritative_scans(
        &self,
        actor: &Actor,
        step: &str,
        site: &store::Site,
        items: &[(store::Product, String)],
    ) -> Result<()> {
        let now = self.clock.now();
        let mut scans = Vec::with_capacity(items.len());
        for (product, serial) in items {
            let Some(code) = self.store.lookup_code(product.id, serial).await? else {
                continue;
            };
            let scan = NewScan {
                product_id: product.id,
                serial: serial.clone(),
                batch_id: code.batch.id,
                at: now,
                kind: SCAN_AUTHORITATIVE,
                org_id: Some(actor.org_id),
                step: Some(step.to_string()),
                lat: site.latitude,
                lon: site.longitude,
                city: site.city.clone(),
                region: site.region.clone(),
                place_key: String::new(),
            };
            let eval = self
                .evaluate_scan(
                    &scan,
                    code.state == domain::verify::CodeState::Scrapped.as_i16()
                        && step != "destroying",
                )
                .await?;
            self.raise_alerts(&scan, product.org_id, &eval.signals)
                .await?;
            scans.push(scan);
        }
        self.store.record_scans(&scans).await?;
        Ok(())
    }
}

fn alert_scope(actor: &Actor) -> Result<Option<i64>> {
    if actor.admin || actor.has_role(Role::Regulator) {
        Ok(None)
    } else if actor.has_role(Role::Manufacturer) {
        Ok(Some(actor.org_id))
    } else {
        Err(AppError::Forbidden(
            "alerts are for brand owners and regulators".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_verify_with_the_published_key_and_fail_on_any_change() {
        let s = AnswerSigner::new("ppetrace-answers", &[7u8; 32]);
        let body = br#"{"verdict":"genuine"}"#;
        let header = s.sign(body);
        let key = s.verifier_key();
        assert!(key.parse::<signed_note::Verifier>().is_ok(), "{key}");
        assert!(verify_answer(&key, body, &header));
        let mut tampered = body.to_vec();
        tampered[13] ^= 1;
        assert!(!verify_answer(&key, &tampered, &header));
        let other = AnswerSigner::new("ppetrace-answers", &[8u8; 32]);
        assert!(!verify_answer(&other.verifier_key(), body, &header));
        assert!(!verify_answer(&key, body, "garbage"));
    }

    /// RFC 8032 §7.1, TEST 1 and TEST 2: the header carries exactly the standard
    /// Ed25519 signature of the body.
    #[test]
    fn answer_signatures_are_rfc_8032_ed25519() {
        for (seed, msg, sig) in [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ] {
            let seed: [u8; 32] = hex::decode(seed).unwrap().try_into().unwrap();
            let s = AnswerSigner::new("ppetrace-answers", &seed);
            let header = s.sign(&hex::decode(msg).unwrap());
            let (name, b64) = header.split_once(' ').unwrap();
            assert_eq!(name, "ppetrace-answers");
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            assert_eq!(raw.len(), 4 + 64);
            assert_eq!(hex::encode(&raw[4..]), sig, "seed {}", hex::encode(seed));
        }
    }
}
