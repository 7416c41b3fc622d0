//! Inspection targets and inspectors, item lists, draw plans and results,
//! inspection records.
//!
//! Row types for this capability live in this file too. Lists and documents
//! (affiliations, plans, snapshots, results, record bodies) are stored as the
//! JSON text the service layer produced, so the bytes that were hashed are the
//! bytes kept.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{LogFn, Result};

/// An organization in the register of inspection targets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InspectionTarget {
    /// Public identifier used in draws, e.g. `T-0001`.
    pub code: String,
    /// The registered organization, when it is one.
    pub org_id: Option<i64>,
    pub name: String,
    /// `A`–`D`.
    pub risk_class: String,
    pub region: String,
    pub last_inspection: Option<NaiveDate>,
    /// Inspector codes of the last inspection (recused next time).
    pub last_inspectors: Vec<String>,
    pub complaint_count: i64,
    pub updated_at: DateTime<Utc>,
}

/// An inspector: a person working for a regulator organization, acting
/// through one API key, who signs records with an Ed25519 key.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Inspector {
    pub code: String,
    pub name: String,
    /// The regulator organization the inspector works for.
    pub org_id: i64,
    /// The API key the inspector authenticates with.
    pub api_key_id: Option<i64>,
    pub region: String,
    /// Declared affiliations: target codes.
    pub affiliations: Vec<String>,
    pub active: bool,
    /// Ed25519 verifier key, 64 lowercase hex digits.
    pub public_key: String,
    pub updated_at: DateTime<Utc>,
}

/// A published list of inspection items (what a checklist asks).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemList {
    pub code: String,
    pub title: String,
    /// JSON array of `{"code", "text"}`.
    pub items: String,
    pub created_at: DateTime<Utc>,
}

/// Phase (a) of a draw: plan and snapshot, before any seed exists.
#[derive(Debug, Clone)]
pub struct NewDraw {
    pub plan_id: String,
    pub item_list: String,
    /// Canonical JSON of the plan.
    pub plan: String,
    pub plan_hash: String,
    /// Canonical JSON of the registries snapshot.
    pub snapshot: String,
    pub snapshot_hash: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A draw in whatever phase it has reached.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawRow {
    pub id: i64,
    pub plan_id: String,
    pub item_list: String,
    pub plan: String,
    pub plan_hash: String,
    pub snapshot: String,
    pub snapshot_hash: String,
    /// Phase (b): canonical JSON of the seed inputs.
    pub seed_inputs: Option<String>,
    /// Phase (c): canonical JSON of the result (sealed until the window).
    pub result: Option<String>,
    /// Phase (c): the result's commitment (public).
    pub commitment: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub seeded_at: Option<DateTime<Utc>>,
    pub drawn_at: Option<DateTime<Utc>>,
}

/// A signed inspection, correction or rectification record to store.
#[derive(Debug, Clone)]
pub struct NewInspectionRecord {
    pub draw_id: i64,
    pub target_code: String,
    pub inspector_code: String,
    /// `inspection`, `correction` or `rectification`.
    pub kind: String,
    /// The record corrected or the inspection whose hazard is rectified.
    pub refers_to: Option<i64>,
    /// Canonical JSON of the signed record.
    pub body: String,
    pub body_sha256: String,
    /// Ed25519 signature over `body`, hex.
    pub signature: String,
    pub filed_at: DateTime<Utc>,
    /// Set the target's last inspection (date, inspector codes) in the same
    /// transaction.
    pub target_update: Option<(NaiveDate, Vec<String>)>,
}

/// A stored record. Never updated: corrections are new records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectionRecord {
    pub id: i64,
    pub draw_id: i64,
    pub target_code: String,
    pub inspector_code: String,
    pub kind: String,
    pub refers_to: Option<i64>,
    pub body: String,
    pub body_sha256: String,
    pub signature: String,
    pub filed_at: DateTime<Utc>,
}

/// Which records to list (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub draw_id: Option<i64>,
    pub target_code: Option<String>,
    pub inspector_code: Option<String>,
}

/// Inspection targets and inspectors, draw plans and results, inspection records.
#[async_trait]
pub trait DrawStore: Send + Sync {
    /// Inserts or replaces a target (by code).
    async fn upsert_target(
        &self,
        t: &InspectionTarget,
        log: LogFn<InspectionTarget>,
    ) -> Result<InspectionTarget>;
    async fn get_target(&self, code: &str) -> Result<Option<InspectionTarget>>;
    async fn list_targets(&self) -> Result<Vec<InspectionTarget>>;

    /// Inserts or replaces an inspector (by code).
    async fn upsert_inspector(&self, i: &Inspector, log: LogFn<Inspector>) -> Result<Inspector>;
    async fn get_inspector(&self, code: &str) -> Result<Option<Inspector>>;
    async fn inspector_by_key(&self, api_key_id: i64) -> Result<Option<Inspector>>;
    async fn list_inspectors(&self) -> Result<Vec<Inspector>>;
    /// The organization owning an API key (to link an inspector to it).
    async fn api_key_org(&self, api_key_id: i64) -> Result<Option<i64>>;

    async fn create_item_list(&self, l: &ItemList, log: LogFn<ItemList>) -> Result<ItemList>;
    async fn get_item_list(&self, code: &str) -> Result<Option<ItemList>>;
    async fn list_item_lists(&self) -> Result<Vec<ItemList>>;

    /// Phase (a).
    async fn create_draw(&self, d: &NewDraw, log: LogFn<DrawRow>) -> Result<DrawRow>;
    async fn get_draw(&self, id: i64) -> Result<Option<DrawRow>>;
    async fn list_draws(&self) -> Result<Vec<DrawRow>>;
    /// Phase (b): only once, before the result. `Conflict` otherwise.
    async fn set_draw_seed(
        &self,
        id: i64,
        seed_inputs: &str,
        at: DateTime<Utc>,
        log: LogFn<DrawRow>,
    ) -> Result<DrawRow>;
    /// Phase (c): only once, after the seed. `Conflict` otherwise.
    async fn set_draw_result(
        &self,
        id: i64,
        result: &str,
        commitment: &str,
        at: DateTime<Utc>,
        log: LogFn<DrawRow>,
    ) -> Result<DrawRow>;

    async fn add_record(
        &self,
        r: &NewInspectionRecord,
        log: LogFn<InspectionRecord>,
    ) -> Result<InspectionRecord>;
    async fn get_record(&self, id: i64) -> Result<Option<InspectionRecord>>;
    /// Records in filing order (by id).
    async fn list_records(&self, f: &RecordFilter) -> Result<Vec<InspectionRecord>>;
}
