//! Inspection records: filed by the assigned inspectors only, signed with the
//! inspector's registered Ed25519 key over the record's canonical JSON
//! ([`domain::log_entry::canonical_json`]), stored as those exact bytes and
//! logged (the log entry's `sha256` is the SHA-256 of the same bytes, and its
//! time is the filing time — so backdating shows as log time vs claimed
//! time). Records are never edited: a `correction` is a new record that
//! replaces the one it refers to; a `rectification` follows a hazard of an
//! inspection to closure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::Actor;
use domain::error::require_text;
use domain::log_entry::{LogEntry, canonical_json, sha256};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::draws::{InspectionRecord, NewInspectionRecord, RecordFilter};

use super::{DrawRole, check_code, draw, parse_plan, rfc3339};
use crate::{App, AppError, Result};

/// A record and the inspector's signature over its canonical JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedRecord {
    pub record: Value,
    /// Ed25519 signature, 128 hex digits.
    pub signature: String,
}

/// Site position in millionths of a degree (integers keep the signed
/// canonical JSON the same in every language).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat_e6: i64,
    pub lon_e6: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistAnswer {
    /// Item code of the draw's item list.
    pub item: String,
    /// `pass`, `fail` or `n/a`.
    pub result: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hazard {
    pub description: String,
    /// Rectification deadline (end of that day, UTC).
    pub deadline: NaiveDate,
}

/// The signed content of a record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// `inspection`, `correction` or `rectification`.
    pub kind: String,
    pub draw_id: i64,
    pub target: String,
    pub inspector: String,
    /// Correction: the record replaced. Rectification: the inspection (or
    /// correction) whose hazard is followed up.
    #[serde(default)]
    pub refers_to: Option<i64>,
    /// A site of the target organization (GLN); its coordinates are used.
    #[serde(default)]
    pub site_gln: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    /// Claimed start and end of the visit, RFC 3339.
    pub started_at: String,
    pub ended_at: String,
    #[serde(default)]
    pub checklist: Vec<ChecklistAnswer>,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub hazards: Vec<Hazard>,
    /// SHA-256 (hex) of each photo.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Rectification: index of the hazard in the referred record.
    #[serde(default)]
    pub hazard: Option<usize>,
    /// Rectification: the hazard is eliminated.
    #[serde(default)]
    pub closed: Option<bool>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A stored record with its parsed body.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub id: i64,
    pub draw_id: i64,
    pub target: String,
    pub inspector: String,
    pub kind: String,
    pub refers_to: Option<i64>,
    /// The signed record.
    pub record: Value,
    /// SHA-256 of the canonical record (the log entry's `sha256`).
    pub sha256: String,
    pub signature: String,
    /// Log time.
    pub filed_at: DateTime<Utc>,
}

/// One inspection of a target, as published.
#[derive(Debug, Clone, Serialize)]
pub struct PublicResult {
    pub record_id: i64,
    pub draw_id: i64,
    /// Day of the visit.
    pub date: NaiveDate,
    /// `no_problems` or `problems_found`.
    pub outcome: &'static str,
    pub failed_items: usize,
    pub findings: usize,
    pub hazards: usize,
    pub hazards_rectified: usize,
    pub all_rectified: bool,
    /// The published record is a correction of an earlier one.
    pub corrected: bool,
}

/// Public results of one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResults {
    pub code: String,
    pub name: String,
    pub results: Vec<PublicResult>,
}

fn bad(field: &str, m: impl Into<String>) -> AppError {
    AppError::invalid(field, m)
}

fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| bad(field, format!("'{s}' is not an RFC 3339 time: {e}")))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn opt_note(field: &str, v: &Option<String>) -> Result<()> {
    if let Some(n) = v
        && !n.is_empty()
    {
        require_text(field, n, 2000)?;
    }
    Ok(())
}

/// Structure checks that need no database.
fn check_body(b: &RecordBody) -> Result<()> {
    if !matches!(
        b.kind.as_str(),
        "inspection" | "correction" | "rectification"
    ) {
        return Err(bad(
            "record.kind",
            "must be inspection, correction or rectification",
        ));
    }
    check_code("record.target", &b.target)?;
    check_code("record.inspector", &b.inspector)?;
    let start = parse_time("record.started_at", &b.started_at)?;
    let end = parse_time("record.ended_at", &b.ended_at)?;
    if end < start {
        return Err(bad("record.ended_at", "ends before it starts"));
    }
    if let Some(l) = b.location
        && (l.lat_e6.abs() > 90_000_000 || l.lon_e6.abs() > 180_000_000)
    {
        return Err(bad("record.location", "latitude/longitude out of range"));
    }
    if b.checklist.len() > 500
        || b.findings.len() > 200
        || b.hazards.len() > 200
        || b.photos.len() > 200
    {
        return Err(bad(
            "record",
            "at most 500 checklist answers, 200 findings, hazards and photos",
        ));
    }
    let mut items = BTreeSet::new();
    for (n, a) in b.checklist.iter().enumerate() {
        if !items.insert(a.item.as_str()) {
            return Err(bad(
                &format!("record.checklist[{n}].item"),
                format!("item '{}' answered twice", a.item),
            ));
        }
        if !matches!(a.result.as_str(), "pass" | "fail" | "n/a") {
            return Err(bad(
                &format!("record.checklist[{n}].result"),
                "must be pass, fail or n/a",
            ));
        }
        opt_note(&format!("record.checklist[{n}].note"), &a.note)?;
    }
    for (n, f) in b.findings.iter().enumerate() {
        require_text(&format!("record.findings[{n}]"), f, 2000)?;
    }
    for (n, h) in b.hazards.iter().enumerate() {
        require_text(
            &format!("record.hazards[{n}].description"),
            &h.description,
            2000,
        )?;
        if h.deadline < start.date_naive() {
            return Err(bad(
                &format!("record.hazards[{n}].deadline"),
                "is before the inspection",
            ));
        }
    }
    for (n, p) in b.photos.iter().enumerate() {
        if !is_hex(p, 64) {
            return Err(bad(
                &format!("record.photos[{n}]"),
                "must be a SHA-256, 64 lowercase hex digits",
            ));
        }
    }
    opt_note("record.note", &b.note)?;
    match b.kind.as_str() {
        "inspection" => {
            if b.refers_to.is_some() || b.hazard.is_some() || b.closed.is_some() {
                return Err(bad(
                    "record.refers_to",
                    "an inspection refers to no record, hazard or closure",
                ));
            }
            if b.checklist.is_empty() {
                return Err(bad(
                    "record.checklist",
                    "an inspection answers the item list",
                ));
            }
        }
        "correction" => {
            if b.refers_to.is_none() {
                return Err(bad(
                    "record.refers_to",
                    "a correction names the record it corrects",
                ));
            }
            if b.hazard.is_some() || b.closed.is_some() {
                return Err(bad("record.hazard", "only rectifications name a hazard"));
            }
        }
        _ => {
            if b.refers_to.is_none() || b.hazard.is_none() || b.closed.is_none() {
                return Err(bad(
                    "record.hazard",
                    "a rectification names refers_to, hazard and closed",
                ));
            }
            if !b.checklist.is_empty() || !b.hazards.is_empty() {
                return Err(bad(
                    "record.checklist",
                    "a rectification has no checklist or new hazards",
                ));
            }
        }
    }
    Ok(())
}

fn parse_view(r: &InspectionRecord) -> Result<RecordView> {
    Ok(RecordView {
        id: r.id,
        draw_id: r.draw_id,
        target: r.target_code.clone(),
        inspector: r.inspector_code.clone(),
        kind: r.kind.clone(),
        refers_to: r.refers_to,
        record: serde_json::from_str(&r.body).map_err(|e| AppError::Internal(e.to_string()))?,
        sha256: r.body_sha256.clone(),
        signature: r.signature.clone(),
        filed_at: r.filed_at,
    })
}

fn body_of(r: &InspectionRecord) -> Result<RecordBody> {
    serde_json::from_str(&r.body).map_err(|e| AppError::Internal(e.to_string()))
}

/// Correction chains over a set of records (in id order).
struct Chains {
    /// record id → first record of its chain.
    root: HashMap<i64, i64>,
    /// records replaced by a correction.
    superseded: BTreeSet<i64>,
}

fn chains(records: &[InspectionRecord]) -> Chains {
    let mut root = HashMap::new();
    let mut superseded = BTreeSet::new();
    for r in records {
        let rt = match (r.kind.as_str(), r.refers_to) {
            ("correction", Some(old)) => {
                superseded.insert(old);
                root.get(&old).copied().unwrap_or(old)
            }
            _ => r.id,
        };
        root.insert(r.id, rt);
    }
    Chains { root, superseded }
}

/// (chain root, hazard index) → (rectification count, closed).
fn hazard_follow_ups(
    records: &[InspectionRecord],
    ch: &Chains,
) -> Result<HashMap<(i64, usize), (usize, bool)>> {
    let mut out: HashMap<(i64, usize), (usize, bool)> = HashMap::new();
    for r in records.iter().filter(|r| r.kind == "rectification") {
        let b = body_of(r)?;
        if let (Some(to), Some(h)) = (r.refers_to, b.hazard) {
            let root = ch.root.get(&to).copied().unwrap_or(to);
            let e = out.entry((root, h)).or_insert((0, false));
            e.0 += 1;
            e.1 |= b.closed == Some(true);
        }
    }
    Ok(out)
}

fn end_of_day(d: NaiveDate) -> i64 {
    d.and_hms_opt(23, 59, 59)
        .map_or(0, |t| t.and_utc().timestamp())
}

impl App {
    /// Files a signed record (the assigned inspector only).
    pub async fn file_record(&self, actor: &Actor, input: &SignedRecord) -> Result<RecordView> {
        let DrawRole::Inspector(me) = self.draw_role(actor).await? else {
            return Err(AppError::Forbidden(
                "only an inspector's key may file inspection records".into(),
            ));
        };
        if !me.active {
            return Err(AppError::Forbidden(format!(
                "inspector {} is not active",
                me.code
            )));
        }
        let body: RecordBody = serde_json::from_value(input.record.clone())
            .map_err(|e| bad("record", e.to_string()))?;
        check_body(&body)?;
        if body.inspector != me.code {
            return Err(AppError::Forbidden(format!(
                "you are inspector {}; you may only file your own records",
                me.code
            )));
        }
        // The signature, over the canonical JSON of the record as sent.
        let canonical = canonical_json(&input.record);
        let sig_bytes: [u8; 64] = hex::decode(input.signature.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("signature", "must be 128 hex digits (an Ed25519 signature)"))?;
        let key_bytes: [u8; 32] = hex::decode(&me.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| AppError::Internal("stored inspector key is not 32 bytes".into()))?;
        let key =
            VerifyingKey::from_bytes(&key_bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        key.verify(canonical.as_bytes(), &Signature::from_bytes(&sig_bytes))
            .map_err(|_| {
                bad(
                    "signature",
                    "does not verify with the inspector's registered key over the canonical record",
                )
            })?;

        let row = self.store.get_draw(body.draw_id).await?.ok_or_else(|| {
            bad(
                "record.draw_id",
                format!("draw {} does not exist", body.draw_id),
            )
        })?;
        let plan = parse_plan(&row)?;
        let now = self.clock.now();
        let start = parse_time("record.started_at", &body.started_at)?;
        let end = parse_time("record.ended_at", &body.ended_at)?;
        let Some(result) = Self::sealed_result(&row)? else {
            return Err(AppError::Conflict("the draw has not been run".into()));
        };
        if plan
            .phase(&rfc3339(now))
            .map_err(|e| AppError::Internal(e.to_string()))?
            == draw::WindowPhase::Before
        {
            return Err(AppError::Conflict(
                "the inspection window has not opened yet".into(),
            ));
        }
        if end > now + chrono::Duration::minutes(5) {
            return Err(bad("record.ended_at", "is in the future"));
        }
        let (window_start, _) = plan
            .window()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if start.timestamp() < window_start.secs {
            return Err(bad("record.started_at", "is before the inspection window"));
        }
        let Some(assignment) = result
            .assignments
            .iter()
            .find(|a| a.target_id == body.target)
        else {
            return Err(AppError::Forbidden(format!(
                "target {} was not drawn in draw {}",
                body.target, body.draw_id
            )));
        };
        if !assignment.inspectors.contains(&me.code) {
            return Err(AppError::Forbidden(format!(
                "inspector {} is not assigned to target {} in draw {}",
                me.code, body.target, body.draw_id
            )));
        }
        let target = self.store.get_target(&body.target).await?.ok_or_else(|| {
            AppError::Internal(format!(
                "drawn target {} missing from the register",
                body.target
            ))
        })?;
        if let Some(gln) = &body.site_gln {
            let site =
                self.store.get_site_by_gln(gln).await?.ok_or_else(|| {
                    bad("record.site_gln", format!("site {gln} is not registered"))
                })?;
            if target.org_id != Some(site.org_id) {
                return Err(bad(
                    "record.site_gln",
                    format!("site {gln} does not belong to target {}", body.target),
                ));
            }
        }
        if body.kind == "inspection" || body.kind == "correction" {
            let list = self
                .store
                .get_item_list(&row.item_list)
                .await?
                .ok_or_else(|| AppError::Internal("item list missing".into()))?;
            let items: Vec<super::ItemInput> =
                serde_json::from_str(&list.items).map_err(|e| AppError::Internal(e.to_string()))?;
            let known: BTreeSet<&str> = items.iter().map(|i| i.code.as_str()).collect();
            for (n, a) in body.checklist.iter().enumerate() {
                if !known.contains(a.item.as_str()) {
                    return Err(bad(
                        &format!("record.checklist[{n}].item"),
                        format!("'{}' is not an item of list {}", a.item, row.item_list),
                    ));
                }
            }
        }
        if let Some(old_id) = body.refers_to {
            let old = self.store.get_record(old_id).await?.ok_or_else(|| {
                bad(
                    "record.refers_to",
                    format!("record {old_id} does not exist"),
                )
            })?;
            if old.draw_id != body.draw_id
                || old.target_code != body.target
                || old.kind == "rectification"
            {
                return Err(bad(
                    "record.refers_to",
                    format!(
                        "record {old_id} is not an inspection of target {} in draw {}",
                        body.target, body.draw_id
                    ),
                ));
            }
            let others = self
                .store
                .list_records(&RecordFilter {
                    target_code: Some(body.target.clone()),
                    ..RecordFilter::default()
                })
                .await?;
            let superseded = others
                .iter()
                .any(|r| r.kind == "correction" && r.refers_to == Some(old_id));
            if body.kind == "correction" {
                if old.inspector_code != me.code {
                    return Err(AppError::Forbidden(
                        "you may only correct your own records".into(),
                    ));
                }
                if superseded {
                    return Err(AppError::Conflict(format!(
                        "record {old_id} was already corrected; correct the latest version"
                    )));
                }
            } else {
                if superseded {
                    return Err(bad(
                        "record.refers_to",
                        format!("record {old_id} was corrected; refer to the latest version"),
                    ));
                }
                let old_body = body_of(&old)?;
                let h = body.hazard.unwrap_or(usize::MAX);
                if h >= old_body.hazards.len() {
                    return Err(bad(
                        "record.hazard",
                        format!("record {old_id} has no hazard #{h}"),
                    ));
                }
            }
        }

        let body_sha256 = hex::encode(sha256(canonical.as_bytes()));
        let target_update = (body.kind != "rectification")
            .then(|| (start.date_naive(), assignment.inspectors.clone()));
        let new = NewInspectionRecord {
            draw_id: body.draw_id,
            target_code: body.target.clone(),
            inspector_code: me.code.clone(),
            kind: body.kind.clone(),
            refers_to: body.refers_to,
            body: canonical,
            body_sha256,
            signature: input.signature.trim().to_ascii_lowercase(),
            filed_at: now,
            target_update,
        };
        let label = actor.label();
        let record_value = input.record.clone();
        let stored = self
            .store
            .add_record(
                &new,
                Box::new(move |r: &InspectionRecord| {
                    let mut ids = vec![
                        ("record".to_string(), r.id.to_string()),
                        ("kind".to_string(), r.kind.clone()),
                        ("draw".to_string(), r.draw_id.to_string()),
                        ("target".to_string(), r.target_code.clone()),
                        ("inspector".to_string(), r.inspector_code.clone()),
                    ];
                    if let Some(old) = r.refers_to {
                        ids.push(("refers_to".to_string(), old.to_string()));
                    }
                    LogEntry::for_record("inspection_record", now, &label, ids, &record_value)
                }),
            )
            .await?;
        parse_view(&stored)
    }

    /// Records visible to `actor`: all for a regulator, their own for an
    /// inspector.
    pub async fn list_record_views(
        &self,
        actor: &Actor,
        mut filter: RecordFilter,
    ) -> Result<Vec<RecordView>> {
        match self.draw_role(actor).await? {
            DrawRole::Regulator => {}
            DrawRole::Inspector(i) => filter.inspector_code = Some(i.code),
            DrawRole::Other => {
                return Err(AppError::Forbidden(
                    "inspection records are for regulators and inspectors; the public results are at /api/v1/targets/{code}/results".into(),
                ));
            }
        }
        self.store
            .list_records(&filter)
            .await?
            .iter()
            .map(parse_view)
            .collect()
    }

    /// "One public": each current inspection of a target, with its outcome and
    /// whether the hazards were rectified.
    pub async fn target_results(&self, code: &str) -> Result<TargetResults> {
        let target = self
            .store
            .get_target(code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("inspection target {code}")))?;
        let records = self
            .store
            .list_records(&RecordFilter {
                target_code: Some(code.to_string()),
                ..RecordFilter::default()
            })
            .await?;
        let ch = chains(&records);
        let follow = hazard_follow_ups(&records, &ch)?;
        let mut results = Vec::new();
        for r in records
            .iter()
            .filter(|r| r.kind != "rectification" && !ch.superseded.contains(&r.id))
        {
            let b = body_of(r)?;
            let root = ch.root.get(&r.id).copied().unwrap_or(r.id);
            let rectified = (0..b.hazards.len())
                .filter(|h| follow.get(&(root, *h)).is_some_and(|f| f.1))
                .count();
            let failed = b.checklist.iter().filter(|a| a.result == "fail").count();
            let problems = failed > 0 || !b.findings.is_empty() || !b.hazards.is_empty();
            results.push(PublicResult {
                record_id: r.id,
                draw_id: r.draw_id,
                date: parse_time("record.started_at", &b.started_at)?.date_naive(),
                outcome: if problems {
                    "problems_found"
                } else {
                    "no_problems"
                },
                failed_items: failed,
                findings: b.findings.len(),
                hazards: b.hazards.len(),
                hazards_rectified: rectified,
                all_rectified: rectified == b.hazards.len(),
                corrected: r.kind == "correction",
            });
        }
        results.sort_by(|a, b| b.date.cmp(&a.date).then(b.record_id.cmp(&a.record_id)));
        Ok(TargetResults {
            code: target.code,
            name: target.name,
            results,
        })
    }

    /// Fraud analytics over every record (regulators only).
    pub async fn inspection_analytics(&self, actor: &Actor) -> Result<Value> {
        self.require_regulator(actor).await?;
        let records = self.store.list_records(&RecordFilter::default()).await?;
        let ch = chains(&records);
        let follow = hazard_follow_ups(&records, &ch)?;
        let mut sites: HashMap<String, Option<(f64, f64)>> = HashMap::new();
        let mut facts = Vec::with_capacity(records.len());
        for r in &records {
            let b = body_of(r)?;
            let mut site = b
                .location
                .map(|l| (l.lat_e6 as f64 / 1e6, l.lon_e6 as f64 / 1e6));
            if let Some(gln) = &b.site_gln {
                if !sites.contains_key(gln) {
                    let s = self.store.get_site_by_gln(gln).await?;
                    sites.insert(
                        gln.clone(),
                        s.and_then(|s| Some((s.latitude?, s.longitude?))),
                    );
                }
                if let Some(Some(p)) = sites.get(gln) {
                    site = Some(*p);
                }
            }
            let root = ch.root.get(&r.id).copied().unwrap_or(r.id);
            facts.push(draw::analytics::RecordFacts {
                id: r.id,
                kind: r.kind.clone(),
                inspector: r.inspector_code.clone(),
                target: r.target_code.clone(),
                site,
                start: parse_time("record.started_at", &b.started_at)?.timestamp(),
                end: parse_time("record.ended_at", &b.ended_at)?.timestamp(),
                filed: r.filed_at.timestamp(),
                checklist: b
                    .checklist
                    .iter()
                    .map(|a| draw::analytics::Answer {
                        item: a.item.clone(),
                        result: a.result.clone(),
                        note: a.note.clone().unwrap_or_default(),
                    })
                    .collect(),
                findings: b.findings.len(),
                hazards: b
                    .hazards
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let f = follow.get(&(root, i)).copied().unwrap_or((0, false));
                        draw::analytics::HazardFacts {
                            index: i,
                            description: h.description.clone(),
                            deadline: end_of_day(h.deadline),
                            closed: f.1,
                            follow_ups: f.0,
                        }
                    })
                    .collect(),
                photos: b.photos.clone(),
                chain: root,
                superseded: ch.superseded.contains(&r.id),
            });
        }
        let thresholds = draw::analytics::Thresholds::default();
        let flags = draw::analytics::analyze(&facts, self.clock.now().timestamp(), &thresholds);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for f in &flags {
            let k = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            *counts.entry(k).or_insert(0) += 1;
        }
        Ok(json!({
            "generated_at": self.clock.now(),
            "records": records.len(),
            "thresholds": thresholds,
            "counts": counts,
            "flags": flags,
        }))
    }
}
