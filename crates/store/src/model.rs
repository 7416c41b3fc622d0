//! Rows as the store returns them, and the values it is given to insert.

use chrono::{DateTime, NaiveDate, Utc};
use domain::org::Role;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub roles: Vec<Role>,
    pub gln: Option<String>,
    pub uscc: Option<String>,
    pub company_prefixes: Vec<String>,
    pub city: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub roles: Vec<Role>,
    pub gln: Option<String>,
    pub uscc: Option<String>,
    pub company_prefixes: Vec<String>,
    pub city: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub org_id: i64,
    pub lookup: String,
    pub secret_sha256: String,
    pub admin: bool,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub org_id: i64,
    pub lookup: String,
    #[serde(skip)]
    pub secret_sha256: String,
    pub admin: bool,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub org_id: i64,
    pub gln: String,
    pub name: String,
    pub city: Option<String>,
    pub region: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Site {
    pub id: i64,
    pub org_id: i64,
    pub gln: String,
    pub name: String,
    pub city: Option<String>,
    pub region: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub org_id: i64,
    pub gtin: String,
    pub name: String,
    pub category: String,
    pub standard: String,
    pub protection_class: Option<String>,
    pub service_life_months: Option<u32>,
    pub service_life_from: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Product {
    pub id: i64,
    pub org_id: i64,
    pub gtin: String,
    pub name: String,
    pub category: String,
    pub standard: String,
    pub protection_class: Option<String>,
    pub service_life_months: Option<u32>,
    pub service_life_from: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub org_id: i64,
    pub product_id: Option<i64>,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Certificate {
    pub id: i64,
    pub org_id: i64,
    pub product_id: Option<i64>,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewBatch {
    pub product_id: i64,
    pub lot: String,
    pub production_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Batch {
    pub id: i64,
    pub product_id: i64,
    pub lot: String,
    pub production_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub released: bool,
    pub recalled_on: Option<NaiveDate>,
    pub recall_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewIssuance {
    pub batch_id: i64,
    pub count: u64,
    pub merkle_root: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

/// A code joined with its batch: everything the verdict needs.
#[derive(Debug, Clone)]
pub struct CodeView {
    pub serial: String,
    pub state: i16,
    pub holder_org_id: Option<i64>,
    pub first_use: Option<NaiveDate>,
    pub batch: Batch,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_id: String,
    pub event_type: String,
    pub event_time: DateTime<Utc>,
    pub record_time: DateTime<Utc>,
    pub action: Option<String>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    pub owner_org_id: Option<i64>,
    /// Canonical Digital Link URIs of every EPC the event names.
    pub epcs: Vec<String>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub event_time: DateTime<Utc>,
    pub record_time: DateTime<Utc>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub body: String,
}

/// State changes that a lifecycle event implies, applied with it atomically.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    /// (product_id, serial) pairs whose state changes.
    pub codes: Vec<(i64, String)>,
    pub new_state: Option<i16>,
    pub new_holder: Option<i64>,
    /// Mark a whole batch released (commissioned at class level).
    pub release_batch: Option<i64>,
    /// Recall a batch: (batch id, date, reason).
    pub recall_batch: Option<(i64, NaiveDate, String)>,
}
