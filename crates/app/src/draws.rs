//! "Double random, one public; four no, two direct" (PRODUCT.md C8–C10):
//! registries of inspection targets, inspectors and item lists; draws in
//! phases; inspection records ([`records`]); public results and fraud
//! analytics.
//!
//! Who is who: a **regulator** is an API key of an organization with the
//! `regulator` role that is *not* linked to an inspector. An **inspector** is
//! a person working for a regulator organization; the regulator registers
//! them with one API key of its organization (`api_key_id`) and their Ed25519
//! verifier key. A key linked to an inspector acts only as that inspector
//! (never as the regulator), so an inspector sees only their own assignments.
//!
//! Phases of a draw, each appended to the tamper-evident log (entries carry
//! hashes, never the sealed result):
//! 1. `publish` — plan + registries snapshot; log: plan hash, snapshot hash.
//! 2. `seed` — beacon value and/or reveals (fixed after 1); log: their hash.
//! 3. `run` — [`draw::run_draw`], before the window opens; log: commitment.
//! 4. until `window_start` the public sees the plan, the hashes and the
//!    commitment; each inspector their own assignments; targets nothing.
//! 5. from `window_start` on, everything ([`draw::PublishedDraw`]).

pub mod records;

use chrono::{DateTime, TimeZone, Utc};
use domain::authz::Actor;
use domain::error::require_text;
use domain::log_entry::LogEntry;
use domain::org::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::draws::{DrawRow, InspectionTarget, Inspector, ItemList, NewDraw};

use crate::{App, AppError, Result};

pub use draw;

/// drand's default chain (League of Entropy mainnet, chain hash
/// `8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce`):
/// genesis time and period. Round `r` is published at
/// `GENESIS + (r - 1) * PERIOD`.
pub const DRAND_GENESIS: i64 = 1_595_431_050;
/// Seconds between drand default-chain rounds.
pub const DRAND_PERIOD: i64 = 30;

/// When drand's default chain publishes round `round`.
pub fn drand_round_time(round: u64) -> Option<DateTime<Utc>> {
    let r = i64::try_from(round).ok()?.checked_sub(1)?;
    let secs = DRAND_GENESIS.checked_add(r.checked_mul(DRAND_PERIOD)?)?;
    Utc.timestamp_opt(secs, 0).single()
}

/// When round `round` of the plan's beacon is published: its own drand network's
/// timing when the plan names one, the default chain's otherwise.
fn round_time(plan: &draw::DrawPlan, round: u64) -> Option<DateTime<Utc>> {
    match &plan.beacon_chain {
        Some(chain) => DateTime::from_timestamp(chain.round_time(round)?, 0),
        None => drand_round_time(round),
    }
}

/// The first drand default-chain round published after `t`.
pub fn drand_round_after(t: DateTime<Utc>) -> u64 {
    let elapsed = (t.timestamp() - DRAND_GENESIS).max(0);
    u64::try_from(elapsed / DRAND_PERIOD + 2).unwrap_or(u64::MAX)
}

/// What an authenticated caller is for this capability.
#[derive(Debug, Clone)]
pub enum DrawRole {
    /// A regulator's (non-inspector) key.
    Regulator,
    /// An inspector's key.
    Inspector(Inspector),
    /// Anyone else (targets included).
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub code: String,
    pub name: String,
    /// The registered organization, if the target is one.
    pub org_id: Option<i64>,
    pub risk_class: String,
    pub region: String,
    pub last_inspection: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub last_inspectors: Vec<String>,
    #[serde(default)]
    pub complaint_count: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectorInput {
    pub code: String,
    pub name: String,
    /// An API key of the regulator's organization the inspector will use.
    pub api_key_id: Option<i64>,
    pub region: String,
    #[serde(default)]
    pub affiliations: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub code: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemListInput {
    pub code: String,
    pub title: String,
    pub items: Vec<ItemInput>,
}

/// Phase (a): the plan. Fields as [`draw::DrawPlan`], plus the item list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawInput {
    pub plan_id: String,
    pub item_list: String,
    pub quotas: Vec<draw::ClassQuota>,
    #[serde(default = "two")]
    pub inspectors_per_target: u32,
    #[serde(default)]
    pub recuse_same_region: bool,
    pub max_assignments_per_inspector: Option<u32>,
    pub window_start: String,
    pub window_end: String,
    pub beacon_round: Option<u64>,
    #[serde(default)]
    pub contribution_commitments: Vec<String>,
    /// The drand network of `beacon_round` (its `/info`); when given, the seed's
    /// beacon value is verified with its public key.
    #[serde(default)]
    pub beacon_chain: Option<draw::beacon::BeaconChain>,
}

fn two() -> u32 {
    2
}

/// Everything the public may see of a draw at the current time.
#[derive(Debug, Clone, Serialize)]
pub struct DrawView {
    pub id: i64,
    pub plan_id: String,
    pub item_list: String,
    pub plan: draw::DrawPlan,
    pub plan_hash: String,
    pub snapshot_hash: String,
    /// `published`, `seeded` or `drawn`.
    pub status: &'static str,
    /// `before`, `during` or `after` the inspection window.
    pub phase: &'static str,
    /// The result's commitment, once drawn.
    pub commitment: Option<String>,
    /// Everything needed to re-run it, once the window has opened.
    pub published: Option<draw::PublishedDraw>,
    pub created_at: DateTime<Utc>,
    pub seeded_at: Option<DateTime<Utc>>,
    pub drawn_at: Option<DateTime<Utc>>,
}

impl DrawView {
    pub fn is_open(&self) -> bool {
        self.phase != "before"
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Codes name targets, inspectors, lists and checklist items: 1–64 of
/// `A-Z a-z 0-9 . _ -`.
pub fn check_code(field: &str, v: &str) -> Result<String> {
    if v.is_empty()
        || v.len() > 64
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(AppError::invalid(
            field,
            format!("'{v}' is not a code (1-64 of A-Z a-z 0-9 . _ -)"),
        ));
    }
    Ok(v.to_string())
}

fn check_codes(field: &str, v: &[String]) -> Result<Vec<String>> {
    let mut out = v
        .iter()
        .map(|c| check_code(field, c))
        .collect::<Result<Vec<_>>>()?;
    out.sort_unstable();
    out.dedup();
    if out.len() > 1000 {
        return Err(AppError::invalid(field, "at most 1000 entries"));
    }
    Ok(out)
}

fn parse_class(v: &str) -> Result<draw::RiskClass> {
    draw::RiskClass::ALL
        .into_iter()
        .find(|c| c.as_str() == v)
        .ok_or_else(|| AppError::invalid("risk_class", format!("'{v}' is not one of A, B, C, D")))
}

fn draw_err(field: &str, e: draw::DrawError) -> AppError {
    AppError::invalid(field, e.to_string())
}

fn entry(
    kind: &str,
    time: DateTime<Utc>,
    actor: &Actor,
    ids: Vec<(&str, String)>,
    record: &Value,
) -> LogEntry {
    LogEntry::for_record(
        kind,
        time,
        &actor.label(),
        ids.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        record,
    )
}

/// The public record of a target, as hashed into the log.
pub fn target_record(t: &InspectionTarget) -> Value {
    json!({"code": t.code, "org_id": t.org_id, "name": t.name, "risk_class": t.risk_class,
           "region": t.region, "last_inspection": t.last_inspection,
           "last_inspectors": t.last_inspectors, "complaint_count": t.complaint_count})
}

/// The record of an inspector, as hashed into the log.
pub fn inspector_record(i: &Inspector) -> Value {
    json!({"code": i.code, "name": i.name, "org_id": i.org_id, "api_key_id": i.api_key_id,
           "region": i.region, "affiliations": i.affiliations, "active": i.active,
           "public_key": i.public_key})
}

impl App {
    /// Regulator, inspector or neither.
    pub async fn draw_role(&self, actor: &Actor) -> Result<DrawRole> {
        if actor.key_id > 0
            && let Some(i) = self.store.inspector_by_key(actor.key_id).await?
        {
            return Ok(DrawRole::Inspector(i));
        }
        if actor.has_role(Role::Regulator) {
            Ok(DrawRole::Regulator)
        } else {
            Ok(DrawRole::Other)
        }
    }

    /// Refuses anyone but a regulator's own (non-inspector) key.
    pub async fn require_regulator(&self, actor: &Actor) -> Result<()> {
        match self.draw_role(actor).await? {
            DrawRole::Regulator => Ok(()),
            DrawRole::Inspector(_) => Err(AppError::Forbidden(
                "an inspector's key may not act as the regulator".into(),
            )),
            DrawRole::Other => Err(AppError::Forbidden("only a regulator may do this".into())),
        }
    }

    /// Registers or updates an inspection target (regulators).
    pub async fn put_target(&self, actor: &Actor, input: &TargetInput) -> Result<InspectionTarget> {
        self.require_regulator(actor).await?;
        let code = check_code("code", &input.code)?;
        let name = require_text("name", &input.name, 200)?;
        let class = parse_class(&input.risk_class)?;
        let region = require_text("region", &input.region, 100)?;
        if let Some(org) = input.org_id {
            self.store.get_org(org).await?.ok_or_else(|| {
                AppError::invalid("org_id", format!("organization {org} does not exist"))
            })?;
        }
        let now = self.clock.now();
        let t = InspectionTarget {
            code,
            org_id: input.org_id,
            name,
            risk_class: class.as_str().to_string(),
            region,
            last_inspection: input.last_inspection,
            last_inspectors: check_codes("last_inspectors", &input.last_inspectors)?,
            complaint_count: i64::from(input.complaint_count),
            updated_at: now,
        };
        let a = actor.clone();
        Ok(self
            .store
            .upsert_target(
                &t,
                Box::new(move |t: &InspectionTarget| {
                    entry(
                        "inspection_target",
                        now,
                        &a,
                        vec![("target", t.code.clone())],
                        &target_record(t),
                    )
                }),
            )
            .await?)
    }

    /// Registers or updates an inspector of the regulator's own organization.
    pub async fn put_inspector(&self, actor: &Actor, input: &InspectorInput) -> Result<Inspector> {
        self.require_regulator(actor).await?;
        let code = check_code("code", &input.code)?;
        let name = require_text("name", &input.name, 200)?;
        let region = require_text("region", &input.region, 100)?;
        let pk = input.public_key.trim().to_ascii_lowercase();
        let bytes: [u8; 32] = hex::decode(&pk)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                AppError::invalid(
                    "public_key",
                    "must be 64 hex digits (an Ed25519 public key)",
                )
            })?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| AppError::invalid("public_key", "is not a valid Ed25519 public key"))?;
        if let Some(k) = input.api_key_id {
            if k == actor.key_id {
                return Err(AppError::invalid(
                    "api_key_id",
                    "use a key of its own for the inspector, not the regulator's key",
                ));
            }
            match self.store.api_key_org(k).await? {
                Some(org) if org == actor.org_id => {}
                _ => {
                    return Err(AppError::invalid(
                        "api_key_id",
                        format!("key {k} is not an active key of your organization"),
                    ));
                }
            }
            if let Some(other) = self.store.inspector_by_key(k).await?
                && other.code != code
            {
                return Err(AppError::Conflict(format!(
                    "key {k} already belongs to inspector {}",
                    other.code
                )));
            }
        }
        if let Some(existing) = self.store.get_inspector(&code).await?
            && existing.org_id != actor.org_id
        {
            return Err(AppError::Forbidden(format!(
                "inspector {code} belongs to another regulator"
            )));
        }
        let now = self.clock.now();
        let i = Inspector {
            code,
            name,
            org_id: actor.org_id,
            api_key_id: input.api_key_id,
            region,
            affiliations: check_codes("affiliations", &input.affiliations)?,
            active: input.active,
            public_key: pk,
            updated_at: now,
        };
        let a = actor.clone();
        Ok(self
            .store
            .upsert_inspector(
                &i,
                Box::new(move |i: &Inspector| {
                    entry(
                        "inspector",
                        now,
                        &a,
                        vec![("inspector", i.code.clone())],
                        &inspector_record(i),
                    )
                }),
            )
            .await?)
    }

    /// Publishes an item list (regulators). Lists are never edited: publish a
    /// new code instead.
    pub async fn create_item_list(&self, actor: &Actor, input: &ItemListInput) -> Result<ItemList> {
        self.require_regulator(actor).await?;
        let code = check_code("code", &input.code)?;
        let title = require_text("title", &input.title, 200)?;
        if input.items.is_empty() || input.items.len() > 500 {
            return Err(AppError::invalid("items", "give 1 to 500 items"));
        }
        let mut items = Vec::with_capacity(input.items.len());
        let mut seen = std::collections::BTreeSet::new();
        for (n, it) in input.items.iter().enumerate() {
            let c = check_code(&format!("items[{n}].code"), &it.code)?;
            if !seen.insert(c.clone()) {
                return Err(AppError::invalid(
                    &format!("items[{n}].code"),
                    format!("duplicate item code '{c}'"),
                ));
            }
            items.push(ItemInput {
                code: c,
                text: require_text(&format!("items[{n}].text"), &it.text, 1000)?,
            });
        }
        let items = serde_json::to_string(&items).map_err(internal)?;
        let now = self.clock.now();
        let a = actor.clone();
        Ok(self
            .store
            .create_item_list(
                &ItemList {
                    code,
                    title,
                    items,
                    created_at: now,
                },
                Box::new(move |l: &ItemList| {
                    let items: Value = serde_json::from_str(&l.items).unwrap_or(Value::Null);
                    entry(
                        "item_list",
                        now,
                        &a,
                        vec![("item_list", l.code.clone())],
                        &json!({"code": l.code, "title": l.title, "items": items}),
                    )
                }),
            )
            .await?)
    }

    /// The registries as a canonical draw snapshot.
    pub async fn registry_snapshot(&self) -> Result<draw::Snapshot> {
        let targets = self.store.list_targets().await?;
        let inspectors = self.store.list_inspectors().await?;
        let snapshot = draw::Snapshot {
            targets: targets
                .into_iter()
                .map(|t| {
                    Ok(draw::Target {
                        risk_class: parse_class(&t.risk_class)?,
                        id: t.code,
                        name: t.name,
                        region: t.region,
                        last_inspectors: t.last_inspectors,
                        complaint_count: u32::try_from(t.complaint_count.max(0))
                            .unwrap_or(u32::MAX),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            inspectors: inspectors
                .into_iter()
                .map(|i| draw::Inspector {
                    id: i.code,
                    region: i.region,
                    affiliations: i.affiliations,
                    active: i.active,
                })
                .collect(),
        }
        .normalized();
        snapshot.validate().map_err(internal)?;
        Ok(snapshot)
    }

    /// Phase (a): publish the plan and the registries snapshot hash.
    pub async fn publish_draw(&self, actor: &Actor, input: &DrawInput) -> Result<DrawView> {
        self.require_regulator(actor).await?;
        let plan_id = check_code("plan_id", &input.plan_id)?;
        let item_list = check_code("item_list", &input.item_list)?;
        if self.store.get_item_list(&item_list).await?.is_none() {
            return Err(AppError::invalid(
                "item_list",
                format!("item list '{item_list}' does not exist"),
            ));
        }
        let plan = draw::DrawPlan {
            plan_id: plan_id.clone(),
            quotas: input.quotas.clone(),
            inspectors_per_target: input.inspectors_per_target,
            recuse_same_region: input.recuse_same_region,
            max_assignments_per_inspector: input.max_assignments_per_inspector,
            window_start: input.window_start.clone(),
            window_end: input.window_end.clone(),
            beacon_round: input.beacon_round,
            contribution_commitments: input.contribution_commitments.clone(),
            beacon_chain: input.beacon_chain.clone(),
        };
        plan.validate().map_err(|e| {
            let field = match &e {
                draw::DrawError::InvalidTimestamp(_) => "window_start",
                draw::DrawError::InvalidPlan(m) if m.contains("commitment") => {
                    "contribution_commitments"
                }
                draw::DrawError::InvalidPlan(m) if m.contains("inspectors_per_target") => {
                    "inspectors_per_target"
                }
                draw::DrawError::InvalidPlan(m) if m.contains("window") => "window_start",
                draw::DrawError::InvalidPlan(m) if m.contains("randomness") => "beacon_round",
                draw::DrawError::InvalidPlan(m) if m.contains("max_assignments") => {
                    "max_assignments_per_inspector"
                }
                _ => "quotas",
            };
            draw_err(field, e)
        })?;
        let now = self.clock.now();
        let start = DateTime::parse_from_rfc3339(&plan.window_start)
            .map_err(|e| AppError::invalid("window_start", e.to_string()))?;
        if start <= now {
            return Err(AppError::invalid(
                "window_start",
                "the inspection window must start in the future",
            ));
        }
        if let Some(round) = plan.beacon_round {
            match round_time(&plan, round) {
                Some(t) if t > now => {}
                _ => {
                    let hint = match &plan.beacon_chain {
                        Some(_) => "the plan's drand network".to_string(),
                        None => format!(
                            "drand's default chain (the first future round is {})",
                            drand_round_after(now)
                        ),
                    };
                    return Err(AppError::invalid(
                        "beacon_round",
                        format!("round {round} is not in the future of {hint}"),
                    ));
                }
            }
        }
        let snapshot = self.registry_snapshot().await?;
        if snapshot.targets.is_empty() {
            return Err(AppError::invalid(
                "quotas",
                "the register of inspection targets is empty",
            ));
        }
        let plan_json = plan.canonical_json().map_err(internal)?;
        let plan_hash = plan.hash().map_err(internal)?;
        let snapshot_json = snapshot.canonical_json().map_err(internal)?;
        let snapshot_hash = snapshot.hash().map_err(internal)?;
        let a = actor.clone();
        let row = self
            .store
            .create_draw(
                &NewDraw {
                    plan_id,
                    item_list,
                    plan: plan_json,
                    plan_hash,
                    snapshot: snapshot_json,
                    snapshot_hash,
                    created_by: actor.label(),
                    created_at: now,
                },
                Box::new(move |d: &DrawRow| {
                    let plan: Value = serde_json::from_str(&d.plan).unwrap_or(Value::Null);
                    entry(
                        "draw_plan",
                        now,
                        &a,
                        vec![
                            ("draw", d.id.to_string()),
                            ("plan_hash", d.plan_hash.clone()),
                            ("snapshot_hash", d.snapshot_hash.clone()),
                        ],
                        &json!({"draw": d.id, "plan": plan, "plan_hash": d.plan_hash,
                                "snapshot_hash": d.snapshot_hash, "item_list": d.item_list}),
                    )
                }),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => AppError::Conflict(format!(
                    "a draw with plan_id '{}' already exists",
                    input.plan_id
                )),
                other => other.into(),
            })?;
        self.view(&row)
    }

    /// Phase (b): the beacon value and/or the reveals.
    pub async fn seed_draw(
        &self,
        actor: &Actor,
        id: i64,
        inputs: &draw::SeedInputs,
    ) -> Result<DrawView> {
        self.require_regulator(actor).await?;
        let row = self.draw_row(id).await?;
        let plan = parse_plan(&row)?;
        draw::check_seed_inputs(&plan, inputs).map_err(|e| {
            let field = match &e {
                draw::DrawError::RevealMismatch { .. } => "reveals",
                draw::DrawError::InvalidSeedInputs(m)
                    if m.contains("reveal") || m.contains("contribution") =>
                {
                    "reveals"
                }
                _ => "beacon",
            };
            draw_err(field, e)
        })?;
        let now = self.clock.now();
        if let Some(b) = &inputs.beacon {
            if b.randomness.len() != 64 {
                return Err(AppError::invalid(
                    "beacon.randomness",
                    "drand randomness is 64 hex digits",
                ));
            }
            match round_time(&plan, b.round) {
                Some(t) if t <= now => {}
                _ => {
                    return Err(AppError::invalid(
                        "beacon.round",
                        format!("round {} has not been published by drand yet", b.round),
                    ));
                }
            }
        }
        if plan.phase(&rfc3339(now)).map_err(internal)? != draw::WindowPhase::Before {
            return Err(AppError::Conflict(
                "the inspection window has already opened".into(),
            ));
        }
        let seed_json = draw::canonical::to_canonical_json(inputs).map_err(internal)?;
        let a = actor.clone();
        let round = inputs.beacon.as_ref().map(|b| b.round);
        let row = self
            .store
            .set_draw_seed(
                id,
                &seed_json,
                now,
                Box::new(move |d: &DrawRow| {
                    let mut ids = vec![("draw", d.id.to_string())];
                    if let Some(r) = round {
                        ids.push(("beacon_round", r.to_string()));
                    }
                    let seed: Value = d
                        .seed_inputs
                        .as_deref()
                        .and_then(|s| serde_json::from_str(s).ok())
                        .unwrap_or(Value::Null);
                    entry("draw_seed", now, &a, ids, &seed)
                }),
            )
            .await?;
        self.view(&row)
    }

    /// Phase (c): run the draw, seal the result, publish its commitment.
    pub async fn run_draw(&self, actor: &Actor, id: i64) -> Result<DrawView> {
        self.require_regulator(actor).await?;
        let row = self.draw_row(id).await?;
        let plan = parse_plan(&row)?;
        let Some(seed_json) = &row.seed_inputs else {
            return Err(AppError::Conflict("the draw has no seed inputs yet".into()));
        };
        let now = self.clock.now();
        if plan.phase(&rfc3339(now)).map_err(internal)? != draw::WindowPhase::Before {
            return Err(AppError::Conflict(
                "the inspection window has already opened: a draw must be run (and its commitment published) before it".into(),
            ));
        }
        let snapshot: draw::Snapshot = serde_json::from_str(&row.snapshot).map_err(internal)?;
        let inputs: draw::SeedInputs = serde_json::from_str(seed_json).map_err(internal)?;
        let result = draw::run_draw(&plan, &snapshot, &inputs).map_err(internal)?;
        let result_json = result.canonical_json().map_err(internal)?;
        let commitment = result.commitment().map_err(internal)?;
        let a = actor.clone();
        let row = self
            .store
            .set_draw_result(
                id,
                &result_json,
                &commitment,
                now,
                Box::new(move |d: &DrawRow| {
                    let c = d.commitment.clone().unwrap_or_default();
                    entry(
                        "draw_result",
                        now,
                        &a,
                        vec![("draw", d.id.to_string()), ("commitment", c.clone())],
                        &json!({"draw": d.id, "commitment": c}),
                    )
                }),
            )
            .await?;
        self.view(&row)
    }

    pub async fn draw_row(&self, id: i64) -> Result<DrawRow> {
        self.store
            .get_draw(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("draw {id}")))
    }

    /// The public view of a draw now.
    pub async fn get_draw_view(&self, id: i64) -> Result<DrawView> {
        let row = self.draw_row(id).await?;
        self.view(&row)
    }

    pub async fn list_draw_views(&self) -> Result<Vec<DrawView>> {
        self.store
            .list_draws()
            .await?
            .iter()
            .map(|r| self.view(r))
            .collect()
    }

    /// What the public may see of `row` at the current time.
    pub fn view(&self, row: &DrawRow) -> Result<DrawView> {
        let plan = parse_plan(row)?;
        let phase = plan.phase(&rfc3339(self.clock.now())).map_err(internal)?;
        let open = phase != draw::WindowPhase::Before;
        let published = match (&row.seed_inputs, &row.result) {
            (Some(s), Some(r)) if open => Some(draw::PublishedDraw {
                plan: plan.clone(),
                snapshot: serde_json::from_str(&row.snapshot).map_err(internal)?,
                seed_inputs: serde_json::from_str(s).map_err(internal)?,
                result: serde_json::from_str(r).map_err(internal)?,
            }),
            _ => None,
        };
        Ok(DrawView {
            id: row.id,
            plan_id: row.plan_id.clone(),
            item_list: row.item_list.clone(),
            plan,
            plan_hash: row.plan_hash.clone(),
            snapshot_hash: row.snapshot_hash.clone(),
            status: if row.result.is_some() {
                "drawn"
            } else if row.seed_inputs.is_some() {
                "seeded"
            } else {
                "published"
            },
            phase: match phase {
                draw::WindowPhase::Before => "before",
                draw::WindowPhase::During => "during",
                draw::WindowPhase::After => "after",
            },
            commitment: row.commitment.clone(),
            published,
            created_at: row.created_at,
            seeded_at: row.seeded_at,
            drawn_at: row.drawn_at,
        })
    }

    /// The sealed result, for the service layer only.
    pub(crate) fn sealed_result(row: &DrawRow) -> Result<Option<draw::DrawResult>> {
        row.result
            .as_deref()
            .map(|r| serde_json::from_str(r).map_err(internal))
            .transpose()
    }

    /// Assignments visible to `actor`: a regulator sees all of them, an
    /// inspector only their own, anyone else none (403).
    pub async fn visible_assignments(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<draw::Assignment>> {
        let role = self.draw_role(actor).await?;
        let row = self.draw_row(id).await?;
        let Some(result) = Self::sealed_result(&row)? else {
            return Err(AppError::Conflict("the draw has not been run yet".into()));
        };
        match role {
            DrawRole::Regulator => Ok(result.assignments),
            DrawRole::Inspector(i) => Ok(result
                .assignments_for(&i.code)
                .into_iter()
                .cloned()
                .collect()),
            DrawRole::Other => Err(AppError::Forbidden(
                "only the regulator and the assigned inspectors see assignments before the window"
                    .into(),
            )),
        }
    }
}

pub(crate) fn parse_plan(row: &DrawRow) -> Result<draw::DrawPlan> {
    serde_json::from_str(&row.plan).map_err(internal)
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
